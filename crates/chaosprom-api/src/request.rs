//! One request, built up and then sent for an answer as-is, streamed, or
//! typed.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::time::Duration;

use chaosprom_http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE, HeaderValue};
use chaosprom_http::redirect;
use chaosprom_http::{Bytes, Method};
use jiff::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::body::Body;
use crate::types::{QueryData, Response, WithStats};
use crate::{Client, Error};

/// What an endpoint answers with, typed (`E::Output`). Sealed: implemented
/// by [`Instant`], [`Range`] and [`Plain`] only.
pub trait Endpoint: sealed::Decode {}

mod sealed {
    /// How the wire format becomes the typed output.
    pub trait Decode {
        /// The typed data.
        type Output;
        /// What the `data` field decodes into.
        type Wire: serde::de::DeserializeOwned;
        /// The output, and the query statistics if any.
        fn finish(wire: Self::Wire) -> (Self::Output, Option<serde_json::Value>);
    }
}

/// An instant query (`/api/v1/query`).
#[derive(Debug)]
pub struct Instant;

/// A range query (`/api/v1/query_range`).
#[derive(Debug)]
pub struct Range;

/// Any other endpoint, answering with `T`.
#[derive(Debug)]
pub struct Plain<T>(PhantomData<fn() -> T>);

impl Endpoint for Instant {}

impl sealed::Decode for Instant {
    type Output = QueryData;
    type Wire = WithStats;
    fn finish(wire: WithStats) -> (QueryData, Option<Value>) {
        (wire.data, wire.stats)
    }
}

impl Endpoint for Range {}

impl sealed::Decode for Range {
    type Output = QueryData;
    type Wire = WithStats;
    fn finish(wire: WithStats) -> (QueryData, Option<Value>) {
        (wire.data, wire.stats)
    }
}

impl<T: DeserializeOwned> Endpoint for Plain<T> {}

impl<T: DeserializeOwned> sealed::Decode for Plain<T> {
    type Output = T;
    type Wire = T;
    fn finish(wire: T) -> (T, Option<Value>) {
        (wire, None)
    }
}

/// An instant for a `time`, `start` or `end` parameter, sent as RFC 3339 in
/// UTC. From a [`Timestamp`], or from Unix seconds for the instants a
/// `Timestamp` cannot hold (the last 26 hours of year 9999, which
/// `chaosprom_when::Instant` can).
///
/// ```
/// use chaosprom_api::Time;
///
/// let last = Time::from_unix(253_402_300_799, 0).unwrap();
/// assert_eq!(last.to_string(), "9999-12-31T23:59:59Z");
/// assert!(Time::from_unix(253_402_300_800, 0).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time {
    second: i64,
    nanosecond: i32,
}

impl Time {
    /// The instant `second` seconds and `nanosecond` nanoseconds after the
    /// Unix epoch, if it lies in the years 0000 to 9999 (what RFC 3339 can
    /// write) and `nanosecond` is below 1,000,000,000.
    pub fn from_unix(second: i64, nanosecond: i32) -> Option<Time> {
        ((-62_167_219_200..=253_402_300_799).contains(&second)
            && (0..1_000_000_000).contains(&nanosecond))
        .then_some(Time { second, nanosecond })
    }
}

impl From<Timestamp> for Time {
    /// Instants before year 0000 are sent as they are and refused by the
    /// server.
    fn from(t: Timestamp) -> Time {
        Time {
            second: t.as_second(),
            nanosecond: t.subsec_nanosecond(),
        }
    }
}

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match Timestamp::new(self.second, self.nanosecond) {
            Ok(t) => t.fmt(f),
            Err(_) => {
                // Past jiff's last Timestamp: civil arithmetic reaches it.
                let epoch = jiff::civil::DateTime::constant(1970, 1, 1, 0, 0, 0, 0);
                match epoch.checked_add(jiff::SignedDuration::new(self.second, self.nanosecond)) {
                    Ok(at) => write!(f, "{at}Z"),
                    Err(_) => write!(f, "{}.{:09}", self.second, self.nanosecond),
                }
            }
        }
    }
}

/// A step for a range query: seconds or a Prometheus duration, sent as
/// given.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A number of seconds, e.g. `15` or `0.5`.
    Seconds(f64),
    /// A Prometheus duration, e.g. `"15s"` or `"1m30s"`.
    Duration(String),
}

impl From<f64> for Step {
    fn from(s: f64) -> Self {
        Step::Seconds(s)
    }
}

impl From<u32> for Step {
    fn from(s: u32) -> Self {
        Step::Seconds(f64::from(s))
    }
}

impl From<Duration> for Step {
    fn from(d: Duration) -> Self {
        Step::Seconds(d.as_secs_f64())
    }
}

impl From<&str> for Step {
    fn from(s: &str) -> Self {
        Step::Duration(s.to_owned())
    }
}

impl From<String> for Step {
    fn from(s: String) -> Self {
        Step::Duration(s)
    }
}

impl Step {
    /// The step as sent, or why it is refused: it must be positive.
    fn check(&self) -> Result<String, String> {
        match self {
            Step::Seconds(s) if s.is_finite() && *s > 0.0 => Ok(seconds(*s)),
            Step::Seconds(s) => Err(format!("expected a positive number of seconds, found {s}")),
            Step::Duration(d) => match d.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 => Ok(d.trim().to_owned()),
                Ok(_) => Err(format!("expected a positive duration, found '{d}'")),
                Err(_) if is_prometheus_duration(d.trim()) => Ok(d.trim().to_owned()),
                Err(_) => Err(format!(
                    "expected seconds or a Prometheus duration such as 15s or 1m30s, found '{d}'"
                )),
            },
        }
    }
}

/// `(<digits><unit>)+` with units ms, s, m, h, d, w, y, not all zero.
fn is_prometheus_duration(s: &str) -> bool {
    let mut rest = s;
    let mut nonzero = false;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        nonzero |= rest[..digits].bytes().any(|b| b != b'0');
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    nonzero
}

/// Seconds as Prometheus reads them: `30`, `2.5`.
pub(crate) fn seconds(s: f64) -> String {
    format!("{s}")
}

/// A request to one endpoint. Set options, then get the answer with
/// [`raw`](Self::raw), [`write_to`](Self::write_to) or [`send`](Self::send).
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct Request<'c, E> {
    client: &'c Client,
    path: Cow<'static, str>,
    params: Vec<(&'static str, String)>,
    post_allowed: bool,
    force_post: bool,
    invalid: Option<Error>,
    _endpoint: PhantomData<fn() -> E>,
}

impl<'c, E: Endpoint> Request<'c, E> {
    pub(crate) fn new(
        client: &'c Client,
        path: impl Into<Cow<'static, str>>,
        post_allowed: bool,
    ) -> Self {
        Self {
            client,
            path: path.into(),
            params: Vec::new(),
            post_allowed,
            force_post: false,
            invalid: None,
            _endpoint: PhantomData,
        }
    }

    pub(crate) fn refuse(mut self, error: Error) -> Self {
        self.invalid.get_or_insert(error);
        self
    }

    /// Adds a query parameter of your own (e.g. VictoriaMetrics'
    /// `extra_label`).
    pub fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.params.push((name, value.into()));
        self
    }

    /// Sends the request as a form-encoded POST whatever its size (where
    /// the endpoint accepts POST).
    pub fn post(mut self) -> Self {
        self.force_post = true;
        self
    }

    /// The payload as Prometheus sent it: the exact bytes of a successful
    /// answer. They are checked on the way (one complete JSON document
    /// whose `status` is `success`, with `data`), not changed; a 200
    /// answer with `"status": "error"` is [`Error::Api`], anything else
    /// that is not such a document is [`Error::Decode`] with the byte
    /// offset. At most `max_body_size` bytes (256 MiB by default).
    pub async fn raw(self) -> Result<Bytes, Error> {
        let body = self.answer().await?.validate();
        body.all().await.map(Bytes::from)
    }

    /// Streams the payload of a successful answer into `writer` as it comes
    /// in, without holding it whole; returns how many bytes were written.
    ///
    /// The bytes are checked as they pass, as [`raw`](Self::raw) checks
    /// them. A chunk found wrong is not written, but what came before it
    /// was: a truncated answer ends in an [`Error::PartlyWritten`] that
    /// says how many bytes the writer already has. (Prometheus sends
    /// `status` first, so an error answer writes nothing.)
    pub async fn write_to<W: AsyncWrite + Unpin>(self, writer: &mut W) -> Result<u64, Error> {
        let mut body = self.answer().await?.validate();
        let mut written = 0u64;
        loop {
            let chunk = match body.next().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => return Err(Error::partly_written(written, e)),
            };
            writer
                .write_all(&chunk)
                .await
                .map_err(|source| Error::Write {
                    url: body.url(),
                    source,
                })?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(|source| Error::Write {
            url: body.url(),
            source,
        })?;
        Ok(written)
    }

    /// Like [`write_to`](Self::write_to), for a blocking writer.
    pub async fn write_to_sync<W: std::io::Write>(self, writer: &mut W) -> Result<u64, Error> {
        let mut body = self.answer().await?.validate();
        let mut written = 0u64;
        loop {
            let chunk = match body.next().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => return Err(Error::partly_written(written, e)),
            };
            writer.write_all(&chunk).map_err(|source| Error::Write {
                url: body.url(),
                source,
            })?;
            written += chunk.len() as u64;
        }
        writer.flush().map_err(|source| Error::Write {
            url: body.url(),
            source,
        })?;
        Ok(written)
    }

    /// The typed answer: data, warnings, infos and statistics.
    pub async fn send(self) -> Result<Response<E::Output>, Error> {
        let body = self.answer().await?;
        let (method, url, status) = (body.method(), body.url(), body.status());
        let bytes = body.all().await?;
        decode::<E>(&bytes).map_err(|e| e.into_error(method, url, status))
    }

    /// Sends the request; a successful JSON answer's body, or the error the
    /// answer stands for.
    async fn answer(self) -> Result<Body, Error> {
        if let Some(error) = self.invalid {
            return Err(error);
        }
        let client = self.client;
        let settings = client.settings();
        let mut url = client.transport().endpoint(&self.path);
        // The serializer is not Send: it must be gone before any await.
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.params.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let post = self.post_allowed
            && (self.force_post || settings.force_post || encoded.len() > settings.max_get_size);
        {
            let mut query = url.query_pairs_mut();
            if !post {
                query.extend_pairs(self.params.iter().map(|(k, v)| (*k, v.as_str())));
            }
            query.extend_pairs(
                settings
                    .extra_params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut headers = vec![(ACCEPT, HeaderValue::from_static("application/json"))];
        if settings.gzip {
            headers.push((ACCEPT_ENCODING, HeaderValue::from_static("gzip")));
        }
        let (method, payload) = if post {
            headers.push((
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            ));
            (Method::POST, Bytes::from(encoded))
        } else {
            (Method::GET, Bytes::new())
        };
        let response = follow(client, method, url, headers, payload).await?;
        let body = Body::new(response, settings.gzip);
        if body.status() == 200 && body.is_json() != Some(false) {
            return Ok(body);
        }
        Err(failure(body).await)
    }
}

/// Sends the request, following redirects as Python's requests does for
/// the extension's probes (a 301, 302 or 303 makes a POST a GET without
/// its body; 307 and 308 keep both). A client with credentials (basic or
/// bearer auth, a client certificate) or headers of its own follows only
/// where requests would keep the credentials: the same server, or the
/// same host from `http` to `https` on the default ports. Another server
/// is refused then, naming it, so that neither credentials nor headers go
/// where the base URL does not point.
async fn follow(
    client: &Client,
    mut method: Method,
    mut url: url::Url,
    mut headers: Vec<(chaosprom_http::header::HeaderName, HeaderValue)>,
    mut payload: Bytes,
) -> Result<chaosprom_http::Response, Error> {
    let mut transport = client.transport().clone();
    let options = transport.options().clone();
    let carries_credentials =
        options.auth.is_some() || !options.headers.is_empty() || options.tls.client_cert.is_some();
    let mut redirects = 0;
    loop {
        let response = transport
            .send(method.clone(), &url, &headers, payload.clone(), |s| {
                matches!(s.as_u16(), 502..=504)
            })
            .await?;
        let status = response.status().as_u16();
        let Some(location) = redirect::location(&response) else {
            return Ok(response);
        };
        let refused = |reason: String| Error::Redirect {
            method: method.to_string(),
            url: chaosprom_http::redact(url.as_str()),
            status,
            reason,
        };
        let mut next = redirect::next_url(&url, location).map_err(refused)?;
        // Credentials a server put in the location are never used.
        let _ = next.set_username("");
        let _ = next.set_password(None);
        let shown = chaosprom_http::redact(next.as_str());
        if carries_credentials && !redirect::keeps_credentials(&url, &next) {
            return Err(refused(format!(
                "to {shown}, another server: not followed, so that the client's credentials \
                 and headers go nowhere the base URL does not point (make that server's URL \
                 the base URL if it is the right one)"
            )));
        }
        redirects += 1;
        if redirects > redirect::MAX_REDIRECTS {
            return Err(refused(format!(
                "more than {} redirects, the last to {shown}",
                redirect::MAX_REDIRECTS
            )));
        }
        if next.scheme() != transport.base_url().scheme() {
            // A transport for plain HTTP loads no root certificates.
            let mut origin = next.clone();
            origin.set_path("/");
            origin.set_query(None);
            transport = chaosprom_http::Transport::new(origin.as_str(), options.clone())?;
        }
        let (after, keeps_body) = redirect::method_after(status, &method);
        method = after;
        if !keeps_body {
            payload = Bytes::new();
            headers.retain(|(name, _)| *name != CONTENT_TYPE);
        }
        url = next;
    }
}

/// The error an answer that is not a success stands for.
async fn failure(body: Body) -> Error {
    #[derive(Deserialize)]
    struct ApiError {
        #[serde(rename = "errorType", default)]
        error_type: String,
        #[serde(default)]
        error: String,
    }
    let (method, url, status, content_type) = (
        body.method(),
        body.url(),
        body.status(),
        body.content_type(),
    );
    let bytes = match body.prefix(64 * 1024).await {
        Ok(bytes) => bytes,
        Err(e) => return e,
    };
    match serde_json::from_slice::<ApiError>(&bytes) {
        Ok(api) if status != 200 && !(api.error_type.is_empty() && api.error.is_empty()) => {
            Error::Api {
                method,
                url,
                status,
                error_type: api.error_type,
                error: api.error,
            }
        }
        _ => Error::NotPrometheus {
            method,
            url,
            status,
            content_type,
            snippet: snippet(&bytes),
        },
    }
}

/// The start of a body, as one line of text.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]);
    let mut line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if bytes.len() > 200 {
        line.push('…');
    }
    line
}

/// Why an envelope could not be decoded.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// Not the expected JSON: the byte offset and what was wrong.
    Syntax(usize, String),
    /// A well-formed envelope whose status is not `success`.
    Failed {
        status: String,
        error_type: String,
        error: String,
    },
}

impl DecodeError {
    pub(crate) fn into_error(self, method: String, url: String, http_status: u16) -> Error {
        match self {
            DecodeError::Syntax(offset, reason) => Error::Decode {
                method,
                url,
                offset,
                reason,
            },
            DecodeError::Failed {
                status,
                error_type,
                error,
            } => Error::Api {
                method,
                url,
                status: http_status,
                error_type: if error_type.is_empty() {
                    format!("(status '{status}')")
                } else {
                    error_type
                },
                error,
            },
        }
    }
}

/// Decodes a successful envelope.
pub(crate) fn decode<E: Endpoint>(bytes: &[u8]) -> Result<Response<E::Output>, DecodeError> {
    #[derive(Deserialize)]
    struct Envelope<W> {
        status: String,
        data: Option<W>,
        #[serde(default)]
        warnings: Vec<String>,
        #[serde(default)]
        infos: Vec<String>,
        #[serde(rename = "errorType", default)]
        error_type: String,
        #[serde(default)]
        error: String,
    }
    #[derive(Deserialize)]
    struct Failure {
        status: String,
        #[serde(rename = "errorType", default)]
        error_type: String,
        #[serde(default)]
        error: String,
    }
    let envelope: Envelope<<E as sealed::Decode>::Wire> = match serde_json::from_slice(bytes) {
        Ok(envelope) => envelope,
        Err(e) => {
            // An error envelope has no data of the expected shape.
            if let Ok(f) = serde_json::from_slice::<Failure>(bytes) {
                if f.status != "success" {
                    return Err(DecodeError::Failed {
                        status: f.status,
                        error_type: f.error_type,
                        error: f.error,
                    });
                }
            }
            return Err(DecodeError::Syntax(offset(bytes, &e), e.to_string()));
        }
    };
    match (envelope.status.as_str(), envelope.data) {
        ("success", Some(wire)) => {
            let (data, stats) = <E as sealed::Decode>::finish(wire);
            Ok(Response {
                data,
                warnings: envelope.warnings,
                infos: envelope.infos,
                stats,
            })
        }
        ("success", None) => Err(DecodeError::Syntax(
            bytes.len(),
            "a successful answer without data".to_owned(),
        )),
        (status, _) => Err(DecodeError::Failed {
            status: status.to_owned(),
            error_type: envelope.error_type,
            error: envelope.error,
        }),
    }
}

/// The byte offset of a serde_json error (which counts lines and columns).
fn offset(bytes: &[u8], e: &serde_json::Error) -> usize {
    if e.line() == 0 || e.is_eof() {
        return bytes.len();
    }
    let line_start: usize = bytes
        .split(|b| *b == b'\n')
        .take(e.line() - 1)
        .map(|l| l.len() + 1)
        .sum();
    (line_start + e.column().saturating_sub(1)).min(bytes.len())
}

// ------------------------------------------------------- endpoint options

impl Request<'_, Instant> {
    /// Evaluates at this instant (default: the server's now).
    pub fn time(self, at: impl Into<Time>) -> Self {
        self.param("time", at.into().to_string())
    }

    /// Prometheus' evaluation timeout (the `timeout` parameter, capped by
    /// the server's `-query.timeout`). Not the client's timeout.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.param("timeout", seconds(timeout.as_secs_f64()))
    }

    /// At most this many series (Prometheus 2.54+; ignored before).
    pub fn limit(self, limit: u64) -> Self {
        self.param("limit", limit.to_string())
    }

    /// Overrides the server's lookback delta for this query.
    pub fn lookback_delta(self, delta: Duration) -> Self {
        self.param("lookback_delta", seconds(delta.as_secs_f64()))
    }

    /// Asks for query statistics (`stats=all`), returned in
    /// [`Response::stats`].
    pub fn stats(self, on: bool) -> Self {
        if on { self.param("stats", "all") } else { self }
    }
}

impl Request<'_, Range> {
    /// Prometheus' evaluation timeout. Not the client's timeout.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.param("timeout", seconds(timeout.as_secs_f64()))
    }

    /// At most this many series (Prometheus 2.54+; ignored before).
    pub fn limit(self, limit: u64) -> Self {
        self.param("limit", limit.to_string())
    }

    /// Asks for query statistics (`stats=all`).
    pub fn stats(self, on: bool) -> Self {
        if on { self.param("stats", "all") } else { self }
    }

    pub(crate) fn step(self, step: &Step) -> Self {
        match step.check() {
            Ok(step) => self.param("step", step),
            Err(reason) => self.refuse(Error::invalid("step", reason)),
        }
    }
}

impl<T: DeserializeOwned> Request<'_, Plain<T>> {
    /// Only data from this instant on (series, labels, label values,
    /// exemplars).
    pub fn start(self, at: impl Into<Time>) -> Self {
        self.param("start", at.into().to_string())
    }

    /// Only data up to this instant (series, labels, label values,
    /// exemplars).
    pub fn end(self, at: impl Into<Time>) -> Self {
        self.param("end", at.into().to_string())
    }

    /// A series selector (`match[]`), for series, labels and label values.
    pub fn matcher(self, selector: impl Into<String>) -> Self {
        self.param("match[]", selector)
    }

    /// At most this many entries (labels, values, series, metadata).
    pub fn limit(self, limit: u64) -> Self {
        self.param("limit", limit.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests can be spawned on a multi-threaded runtime.
    #[test]
    fn request_futures_are_send() {
        fn send<T: Send>(_: T) {}
        let client = Client::new("http://127.0.0.1:1").unwrap();
        send(client.query("up").raw());
        send(client.query("up").send());
        send(client.labels().send());
    }

    #[test]
    fn steps_are_checked_and_sent_as_given() {
        assert_eq!(Step::from(5u32).check(), Ok("5".into()));
        assert_eq!(Step::from(2.5).check(), Ok("2.5".into()));
        assert_eq!(Step::from("15s").check(), Ok("15s".into()));
        assert_eq!(Step::from("1m30s").check(), Ok("1m30s".into()));
        assert_eq!(Step::from("0.5").check(), Ok("0.5".into()));
        for bad in ["0", "0s", "", "5 minutes", "-1", "1q", "NaN"] {
            assert!(Step::from(bad).check().is_err(), "{bad}");
        }
        assert!(Step::from(0.0).check().is_err());
        assert!(Step::from(f64::INFINITY).check().is_err());
    }

    #[test]
    fn decode_errors_carry_the_byte_offset() {
        let body =
            b"{\"status\":\"success\",\n\"data\":{\"resultType\":\"vector\",\"result\":[{]}}";
        let Err(DecodeError::Syntax(offset, reason)) = decode::<Instant>(body) else {
            panic!("not a syntax error")
        };
        assert_eq!(&body[offset..offset + 1], b"]", "{reason}");
        let truncated =
            br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{}"#;
        let Err(DecodeError::Syntax(offset, _)) = decode::<Instant>(truncated) else {
            panic!("not a syntax error")
        };
        assert_eq!(offset, truncated.len());
    }
}
