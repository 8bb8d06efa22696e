//! Real servers for tests and demos.
//!
//! This crate starts real [Prometheus],
//! [Pushgateway] and [VictoriaMetrics]
//! processes on 127.0.0.1, each on a free port with its own temporary
//! folder, and waits (at most a bounded time) until each answers its
//! readiness endpoint. Dropping a handle kills the process and removes its
//! folder.
//!
//! It also starts a real forward proxy (tinyproxy), and a scripted
//! [`fault::FaultServer`] for the faults no real server produces on demand.
//!
//! Binaries are found through `PROMETHEUS_BIN`, `PROMTOOL_BIN`,
//! `PUSHGATEWAY_BIN`, `VICTORIA_METRICS_BIN` and `TINYPROXY_BIN`, then on
//! PATH. A missing
//! binary is an [`Error::BinaryNotFound`] that names the binary and
//! `cargo xtask setup`: tests fail loudly, they never skip.
//!
//! ```no_run
//! use chaosprom_testkit::{Prometheus, Pushgateway, http};
//!
//! let gateway = Pushgateway::start()?;
//! let prom = Prometheus::builder()
//!     .self_scrape(true)
//!     .scrape("pushgateway", gateway.addr().to_string())
//!     .start()?;
//! let up = http::get(&format!("{}/api/v1/query?query=up", prom.url()))?;
//! println!("{}", up.body);
//! # Ok::<(), chaosprom_testkit::Error>(())
//! ```
//!
//! What it does not do: it does not install the servers (`cargo xtask
//! setup` does), and a process killed with SIGKILL leaves its servers
//! running, since no destructor runs.

pub mod binary;
mod error;
pub mod fault;
pub mod http;
pub mod pki;
mod prometheus;
mod proxy;
mod pushgateway;
mod server;
mod victoria;

pub use error::Error;
pub use prometheus::{Prometheus, PrometheusBuilder};
pub use proxy::ForwardProxy;
pub use pushgateway::Pushgateway;

/// Now, in Unix seconds.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
pub use victoria::VictoriaMetrics;
