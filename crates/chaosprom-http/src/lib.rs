//! The HTTP transport shared by chaosprom's Prometheus API client and its
//! Pushgateway client.
//!
//! One [`Transport`] is a cheap-to-clone handle on one pooled hyper client
//! and a base URL (which may carry a path prefix and credentials). It puts
//! authentication, a user agent and extra headers on every request, speaks
//! TLS through rustls (verification on by default, extra CA bundle, a
//! server certificate pinned by standing in that bundle, client
//! certificates, an off switch for test servers), goes through proxies
//! ([`Proxy`]: from `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and
//! `NO_PROXY` by default), and never waits forever: connecting and each
//! whole attempt have timeouts, and all attempts together a deadline.
//! Connection failures and statuses the caller names are retried with
//! exponential backoff and jitter, or after the delay `Retry-After` asks
//! for; a request that fails on a pooled connection before any answer is
//! tried once more on a new connection. Answers held whole are capped
//! ([`HttpOptions::max_body_size`]).
//!
//! The builder methods every client offers for these options are written
//! once, in [`transport_setters!`].
//!
//! What it does not do: it knows nothing of Prometheus. The crates above it
//! build the requests and read the answers.
//!
//! Errors are one [`Error`] type; a failure after retries names the
//! attempts and the last status seen; a TLS failure says what to do about
//! it. URLs in messages never carry credentials,
//! and neither `Debug` nor `Display` of anything here shows a password, a
//! token or a header value.
//!
//! ```no_run
//! # async fn run() -> Result<(), chaosprom_http::Error> {
//! use chaosprom_http::{Auth, HttpOptions, Transport};
//!
//! let mut options = HttpOptions::default();
//! options.auth = Some(Auth::Bearer("token".into()));
//! options.headers.push(("X-Scope-OrgID".into(), "tenant-1".into()));
//! let transport = Transport::new("https://prometheus.example/", options)?;
//! let url = transport.endpoint("-/ready");
//! let answer = transport
//!     .send(http::Method::GET, &url, &[], bytes::Bytes::new(), |s| s.is_server_error())
//!     .await?;
//! println!("{}", answer.status());
//! # Ok(()) }
//! ```

mod error;
mod options;
mod proxy;
pub mod redirect;
mod setters;
mod tls;
mod transport;

pub use error::Error;
pub use options::{
    Auth, ClientCert, DEFAULT_MAX_BODY_SIZE, HttpOptions, Proxy, Secret, TlsOptions,
};
pub use tls::MAX_PEM_FILE;
pub use transport::{Response, Transport, redact};

pub use bytes::Bytes;
pub use http::{Method, StatusCode, header};
pub use url::Url;
