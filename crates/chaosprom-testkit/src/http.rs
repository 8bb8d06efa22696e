//! A small blocking HTTP client for the kit's own needs: readiness checks,
//! loading data and reading it back in tests.
//!
//! Each call runs hyper on a current-thread tokio runtime in a thread of its
//! own, so it works the same from plain tests and from inside
//! `#[tokio::test]` (where blocking the caller briefly is acceptable).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::Error;

/// How long one request of the kit may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A response: status and body.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body, as text (invalid UTF-8 is replaced).
    pub body: String,
}

impl Response {
    /// Fails unless the status is 2xx.
    pub fn ok(self, method: &str, url: &str) -> Result<Self, Error> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(Error::Status {
                method: method.to_owned(),
                url: url.to_owned(),
                status: self.status,
                body: self.body.chars().take(512).collect(),
            })
        }
    }
}

/// Sends `GET url`.
///
/// ```no_run
/// let r = chaosprom_testkit::http::get("http://127.0.0.1:9090/-/ready")?;
/// assert_eq!(r.status, 200);
/// # Ok::<(), chaosprom_testkit::Error>(())
/// ```
pub fn get(url: &str) -> Result<Response, Error> {
    send("GET", url, None, Vec::new())
}

/// Sends `method url` with a body of the given content type.
pub fn send_body(
    method: &str,
    url: &str,
    content_type: &str,
    body: impl Into<Vec<u8>>,
) -> Result<Response, Error> {
    send(method, url, Some(content_type), body.into())
}

/// Sends a request with a timeout and reads the whole answer.
fn send(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Result<Response, Error> {
    let fail = |reason: String| Error::Http {
        method: method.to_owned(),
        url: url.to_owned(),
        reason,
    };
    let mut builder = Request::builder().method(method).uri(url);
    if let Some(ct) = content_type {
        builder = builder.header(hyper::header::CONTENT_TYPE, ct);
    }
    let request = builder
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| fail(e.to_string()))?;
    let work = move || -> Result<Response, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, async {
                let response = client.request(request).await.map_err(|e| {
                    let mut msg = e.to_string();
                    let mut source = std::error::Error::source(&e);
                    while let Some(s) = source {
                        msg.push_str(": ");
                        msg.push_str(&s.to_string());
                        source = s.source();
                    }
                    msg
                })?;
                let status = response.status().as_u16();
                let content_type = response
                    .headers()
                    .get(hyper::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                Ok(Response {
                    status,
                    content_type,
                    body: String::from_utf8_lossy(&body).into_owned(),
                })
            })
            .await;
            answer.unwrap_or_else(|_| Err(format!("no answer within {REQUEST_TIMEOUT:?}")))
        })
    };
    std::thread::spawn(work)
        .join()
        .map_err(|_| fail("the request thread panicked".to_owned()))?
        .map_err(fail)
}
