//! A Prometheus [Pushgateway](https://github.com/prometheus/pushgateway)
//! client.
//!
//! It pushes a [`prometheus::Registry`] (or gathered metric families, or
//! text you already have) to a group, with `PUT` (replace the group) or
//! `POST` (replace only the pushed families), and deletes groups. The group
//! path is `/metrics/job/<job>/<label>/<value>/…`, grouping labels sorted by
//! name; the job and every value are encoded the way the Pushgateway and the
//! Python client do: an empty value becomes `<label>@base64/=`, a value with
//! `/` or a space becomes `<label>@base64/<URL-safe base64>`, anything else
//! is percent-encoded. The body is the text exposition format 0.0.4, or with
//! [`PushFormat::Protobuf`] (or [`PushFormat::Auto`] against a real
//! Pushgateway) delimited protobuf `MetricFamily` messages, as Go's client
//! sends, which the Pushgateway accepts about three times faster.
//!
//! Input is checked before any I/O: an empty job, a grouping label name that
//! is not a Prometheus label name, or a pushed metric that carries `job` or
//! a grouping label with a value other than the push path's (which the
//! Pushgateway would silently replace) is an [`Error`] that says so. A
//! metric that repeats the path's own value is accepted, as the Chaos
//! Toolkit's control needs. Requests have a connect
//! timeout and a whole-request timeout (10 s by default), and are retried
//! after connection failures and 5xx answers (twice by default). Success is
//! 200 or 202; any other status is [`Error::Status`] with the gateway's
//! message.
//!
//! ```no_run
//! # async fn run() -> Result<(), chaosprom_pushgateway::Error> {
//! use std::time::Duration;
//! use chaosprom_pushgateway::{Pushgateway, PushMethod};
//!
//! let gateway = Pushgateway::builder("https://gateway.example/")
//!     .bearer_token("t0ken")
//!     .timeout(Duration::from_secs(5))
//!     .build()?;
//! let text = "# TYPE backup_ok gauge\nbackup_ok 1\n";
//! gateway
//!     .push_text(PushMethod::Post, "backup", [("instance", "db-1")], text)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! What it does not do: it does not read metrics back from the gateway.

mod client;
mod error;
mod path;
mod proto;
mod remote_write;

pub use chaosprom_http::Proxy;
pub use client::{PushFormat, PushMethod, Pushgateway, PushgatewayBuilder, gateway_url};
pub use error::Error;
pub use remote_write::{RemoteWrite, RemoteWriteBuilder};

pub use prometheus;
