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
//!   answer (what a Chaos Toolkit probe returns), checked on the way but not
//!   changed: one complete JSON document whose `status` is `success`, with
//!   `data` ([`check_answer`] does the same for bytes you hold);
//! - [`Request::write_to`] / [`Request::write_to_sync`]: the payload
//!   streamed into a writer as it arrives, never held whole, checked as it
//!   passes. A bad chunk is never written, but what came before it was: an
//!   answer cut short ends in [`Error::PartlyWritten`], which says how many
//!   bytes the writer already has;
//! - [`Request::send`]: typed, decoded straight from the bytes without an
//!   intermediate tree: [`QueryData`] vectors, matrices, scalars and
//!   strings, float samples (`NaN` and infinities included) and native
//!   histograms, with warnings and infos.
//!
//! Nothing waits forever: connecting and each whole attempt have timeouts
//! (30 s by default). Connection failures and 502, 503 and 504 answers are
//! retried with backoff and jitter, or after the delay `Retry-After` asks
//! for (twice by default); a 4xx never is. A query whose encoded
//! parameters pass 4 KiB goes as a form-encoded POST. Redirects are
//! followed as Python's requests follows them (at most 30), but a client
//! with credentials, a client certificate or headers of its own follows
//! only to the same server, or from `http` to `https` on the same host
//! ([`Error::Redirect`] names another). Answers held whole
//! are capped (256 MiB by default, [`ClientBuilder::max_body_size`]); gzip
//! is asked for only with [`ClientBuilder::gzip`], and only then is a
//! gzipped answer inflated, never past the same cap. Proxies come from
//! `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` unless
//! [`ClientBuilder::proxy`] or [`ClientBuilder::no_proxy`] says otherwise.
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
//! `errorType` and `error`, also when it comes in a 200), an answer that is
//! not Prometheus JSON ([`Error::NotPrometheus`], with a snippet of the
//! body), a body that cannot be decoded or is cut short ([`Error::Decode`],
//! with the byte offset), and an answer larger than the cap. An error
//! after retries says how many attempts were made and the last status. URLs in
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
pub use request::{Endpoint, Instant, Plain, Range, Request, Step, Time};
pub use types::{
    Bucket, Histogram, HistogramSample, InstantSeries, Labels, QueryData, RangeSeries, Response,
    Sample, StringSample, series_name,
};

pub use chaosprom_http::redact as redact_url;
pub use chaosprom_http::{Bytes, Proxy};
pub use jiff::Timestamp;

/// Checks that bytes you already hold are a successful Prometheus API
/// answer, as [`Request::raw`] and [`Request::write_to`] check the bytes
/// they pass on: one complete JSON document (syntax and UTF-8), an object
/// whose `status` is `"success"`, with `data`. It does not look at what
/// the data means, and it holds nothing but a small stack, so it runs at
/// the speed of a scan.
///
/// ```
/// chaosprom_api::check_answer(br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)?;
///
/// let err = chaosprom_api::check_answer(br#"{"status":"success","data":[1,"#).unwrap_err();
/// assert!(err.to_string().contains("at byte 30: the answer ends before its JSON document does"), "{err}");
///
/// let err = chaosprom_api::check_answer(br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#)
///     .unwrap_err();
/// assert_eq!(err.error_type(), Some("bad_data"));
/// # Ok::<(), chaosprom_api::Error>(())
/// ```
pub fn check_answer(bytes: &[u8]) -> Result<(), Error> {
    let mut validator = validate::Validator::new();
    validator
        .feed(bytes)
        .and_then(|()| validator.finish())
        .map_err(|verdict| verdict.into_error("check".to_owned(), "payload".to_owned(), 200))
}

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
