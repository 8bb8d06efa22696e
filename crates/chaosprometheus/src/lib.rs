//! The Chaos Toolkit's Prometheus extension, in Rust.
//!
//! - [`probes`]: `query`, `query_interval`, `compute_mean` and
//!   `nodes_cpu_usage_mean`, with the names, arguments, defaults and request
//!   format of the Python extension (`chaosprometheus.probes`), returning
//!   Prometheus' payload as-is.
//! - [`MetricsControl`]: the `chaosprometheus.metrics` control, which
//!   pushes each run's metrics to a Pushgateway before and after the
//!   experiment, as a [`chaos_controls::Control`].
//! - [`dispatch`]: runs a `"type": "python"` provider of this extension by
//!   module and function name with JSON arguments, checking them first.
//! - [`discover`]: the discovery document, shaped like `chaos discover`'s.
//! - [`experiment_hash`]: the Chaos Toolkit's hash of an experiment, the
//!   control's default `experiment_ref`.
//!
//! It re-exports the crates it is built on, so that a runner needs this one
//! dependency: [`api`] (the Prometheus client), [`when`] (time
//! expressions), [`pushgateway`] and [`controls`].
//!
//! Where the Python extension has a bug, this one does the intended thing:
//! base URLs with a path prefix or a trailing slash work; a client timeout
//! is always set (`prometheus_timeout`, 30 s by default); a `step` of 0 is
//! refused before any request; time expressions are parsed strictly
//! (`"2 mns ago"` fails instead of guessing); `compute_mean` and
//! `nodes_cpu_usage_mean` work, and `mean_type="harmonic"` is harmonic.
//!
//! Configuration keys and secrets are listed on [`Settings`].
//!
//! ```no_run
//! # async fn run() -> Result<(), chaosprometheus::Error> {
//! use chaosprometheus::{Activity, dispatch};
//! use serde_json::json;
//!
//! let configuration = json!({"prometheus_base_url": "http://127.0.0.1:9090"});
//! let arguments = json!({"query": "up", "when": "1 minute ago"});
//! let Activity::Output(payload) =
//!     dispatch("chaosprometheus.probes", "query", &arguments, &configuration, &json!({})).await?
//! else {
//!     unreachable!("a probe gives an output")
//! };
//! println!("{}", payload["data"]["result"]);
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! One [`Error`]: dispatch errors name the module, function or argument and
//! what was expected; a time argument that does not parse says
//! `failed to parse '<input>'`; a failed query says `Prometheus query …
//! failed` (or `Prometheus query range …`) with Prometheus' `errorType` and
//! `error`.

/// The workspace README's Rust example, compiled as a doc test.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

mod catalog;
pub mod checks;
mod config;
mod error;
mod hash;
mod mean;
mod metrics;
pub mod probes;
pub mod tolerances;

pub use catalog::{
    Activity, METRICS_MODULE, PROBES_MODULE, TOLERANCES_MODULE, check_call, discover, dispatch,
    has_function,
};
pub use config::{DEFAULT_BASE_URL, MAX_TIMEOUT, Settings};
pub use error::Error;
pub use hash::{canonical_json, experiment_hash};
pub use metrics::{MetricsControl, RunIdentity};

pub use chaos_controls as controls;
pub use chaosprom_api as api;
pub use chaosprom_pushgateway as pushgateway;
pub use chaosprom_when as when;

/// A parsed time expression as a Prometheus `time`, `start` or `end`
/// parameter. Both types hold every instant of the years 0000 to 9999,
/// which a `jiff::Timestamp` does not quite (it stops on 9999-12-30).
///
/// ```
/// let at = chaosprometheus::when::parse_time("9999-12-31T23:59:59Z")?;
/// let time = chaosprometheus::api_time(at);
/// assert_eq!(time.to_string(), "9999-12-31T23:59:59Z");
/// # Ok::<(), chaosprometheus::when::Error>(())
/// ```
pub fn api_time(at: when::Instant) -> api::Time {
    api::Time::from_unix(at.as_second(), at.subsec_nanosecond()).unwrap_or_else(|| {
        // Unreachable: Instant::MIN..=MAX is exactly Time's range.
        api::Time::from(jiff::Timestamp::MAX)
    })
}
