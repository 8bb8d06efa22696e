//! A complete, fast Prometheus HTTP API client that never hangs.
//!
//! [`Client`] covers the whole `/api/v1` surface: instant and range
//! queries, series, labels, label values, metadata, targets, target
//! metadata, rules, alerts, Alertmanagers, exemplars, `format_query`, the
//! status endpoints, and `/-/healthy` and `/-/ready`. It works with
//! Prometheus and with what speaks its API (VictoriaMetrics, Thanos, Mimir,
//! Cortex): base URLs with a path prefix, basic and bearer auth, tenant
//! headers, parameters added to every request.
//!
//! Every request's answer comes three ways:
//! - [`Request::raw`]: the payload as-is, the exact bytes of a successful
//!   answer, not parsed beyond the HTTP status and content type (what a
//!   Chaos Toolkit probe returns);
//! - [`Request::write_to`] / [`Request::write_to_sync`]: the payload
//!   streamed into a writer as it arrives, never held whole;
//! - [`Request::send`]: typed, decoded straight from the bytes without an
//!   intermediate tree: [`QueryData`] vectors, matrices, scalars and
//!   strings, float samples (`NaN` and infinities included) and native
//!   histograms, with warnings and infos.
//!
//! Nothing waits forever: connecting and each whole attempt have timeouts
//! (30 s by default). Connection failures and 502, 503 and 504 answers are
//! retried with backoff and jitter (twice by default); a 4xx never is. A
//! query whose encoded parameters pass 4 KiB goes as a form-encoded POST.
//!
//! ```no_run
//! # async fn run() -> Result<(), chaosprom_api::Error> {
//! use std::time::Duration;
//! use chaosprom_api::Client;
//!
//! let client = Client::builder("https://user:secret@prometheus.example/prom")
//!     .timeout(Duration::from_secs(10))
//!     .header("X-Scope-OrgID", "team-a")
//!     .build()?;
//! let now = jiff::Timestamp::now();
//! let hour_ago = now - jiff::SignedDuration::from_hours(1);
//! let answer = client
//!     .query_range("rate(http_requests_total[5m])", hour_ago, now, "1m")
//!     .send()
//!     .await?;
//! println!("{} series, warnings: {:?}", answer.data.len(), answer.warnings);
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! One [`Error`] tells apart an invalid argument (refused before any I/O),
//! a connection failure, a timeout, a TLS failure (all in
//! [`Error::Http`]), an error Prometheus reported ([`Error::Api`], with its
//! `errorType` and `error`), an answer that is not Prometheus JSON
//! ([`Error::NotPrometheus`], with a snippet of the body), and a body that
//! cannot be decoded ([`Error::Decode`], with the byte offset). URLs in
//! messages carry no credentials, and no `Debug` output shows a password,
//! a token or a header value.

/// The README's examples, compiled as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

mod body;
mod client;
mod error;
mod meta;
mod request;
mod types;
mod validate;

pub use client::{Client, ClientBuilder};
pub use error::Error;
pub use meta::{
    ActiveTarget, Alert, AlertmanagerUrl, Alertmanagers, Alerts, BuildInfo, Config, DroppedTarget,
    Exemplar, ExemplarSeries, Flags, Metadata, MetricMetadata, NameCount, Rule, RuleGroup,
    RuleGroups, RuntimeInfo, TargetMetadata, Targets, TsdbStatus,
};
pub use request::{Endpoint, Instant, Plain, Range, Request, Step};
pub use types::{
    Bucket, Histogram, HistogramSample, InstantSeries, Labels, QueryData, RangeSeries, Response,
    Sample, StringSample,
};

pub use chaosprom_http::redact as redact_url;
pub use jiff::Timestamp;

/// Decodes the payload of a query answer you already hold (a saved
/// response, a probe's output) into typed data.
///
/// ```
/// let payload = br#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"+Inf"]}}"#;
/// let answer = chaosprom_api::parse_query_response(payload)?;
/// assert_eq!(answer.data.float_values(), [f64::INFINITY]);
/// # Ok::<(), chaosprom_api::Error>(())
/// ```
pub fn parse_query_response(bytes: &[u8]) -> Result<Response<QueryData>, Error> {
    request::decode::<Instant>(bytes)
        .map_err(|e| e.into_error("parse".to_owned(), "query payload".to_owned(), 200))
}
