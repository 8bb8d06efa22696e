//! The transport: one pooled hyper client and a base URL.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use bytes::Bytes;
use http::header::{
    AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, PROXY_AUTHORIZATION, RETRY_AFTER, USER_AGENT,
};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::time::Instant;
use url::Url;

use crate::error::{chain, tls_advice, tls_failure};
use crate::options::Proxy;
use crate::proxy::{Connector, Proxies};
use crate::{Auth, Error, HttpOptions, Secret};

type HyperClient = Client<HttpsConnector<Connector>, Full<Bytes>>;

/// A cheap-to-clone handle on one connection pool and a base URL.
///
/// ```no_run
/// # async fn run() -> Result<(), chaosprom_http::Error> {
/// use chaosprom_http::{HttpOptions, Transport};
///
/// let transport = Transport::new("http://127.0.0.1:9090/prometheus", HttpOptions::default())?;
/// let url = transport.endpoint("api/v1/status/buildinfo");
/// assert_eq!(url.path(), "/prometheus/api/v1/status/buildinfo");
/// let response = transport
///     .send(http::Method::GET, &url, &[], bytes::Bytes::new(), |_| false)
///     .await?;
/// println!("{} {:?}", response.status(), response.bytes().await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    /// The pooled client.
    client: HyperClient,
    /// The same connector without a pool: every request on a new
    /// connection, for the retry after a pooled connection failed.
    fresh: HyperClient,
    base: Url,
    headers: HeaderMap,
    options: HttpOptions,
    proxies: Proxies,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.inner.base.as_str())
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// What the attempts so far have seen.
#[derive(Debug, Default)]
struct History {
    attempts: u32,
    last_status: Option<u16>,
}

impl Transport {
    /// Builds a transport for `base_url`, which may carry a path prefix
    /// (`https://host/prometheus`) and credentials (`https://user:pass@host`,
    /// used for basic auth unless `options.auth` is set, and never shown).
    pub fn new(base_url: &str, mut options: HttpOptions) -> Result<Self, Error> {
        let base = parse_base(base_url, &mut options)?;
        if let Proxy::Url(proxy) = &options.proxy {
            check_proxy(proxy)?;
        }
        let tls = crate::tls::client_config(&options.tls, base.scheme() == "https")?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(options.connect_timeout));
        let proxies = Proxies::new(&options.proxy);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(Connector::new(http, proxies.clone()));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(options.pool_idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(connector.clone());
        let fresh = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(connector);
        let mut headers = default_headers(&options)?;
        if let Ok(uri) = base.as_str().parse::<http::Uri>() {
            if let Some(mut auth) = proxies.forward_auth(&uri) {
                auth.set_sensitive(true);
                headers.insert(PROXY_AUTHORIZATION, auth);
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                fresh,
                base,
                headers,
                options,
                proxies,
            }),
        })
    }

    /// The base URL, without credentials, its path ending in `/`.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The options in force.
    pub fn options(&self) -> &HttpOptions {
        &self.inner.options
    }

    /// Whether both handles share one connection pool (one is a clone of
    /// the other).
    pub fn same_pool(&self, other: &Transport) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The URL of `path` under the base URL's path prefix
    /// (`api/v1/query` → `https://host/prometheus/api/v1/query`).
    pub fn endpoint(&self, path: &str) -> Url {
        let mut url = self.inner.base.clone();
        let joined = format!("{}{}", url.path(), path.trim_start_matches('/'));
        url.set_path(&joined);
        url
    }

    /// Sends a request and returns the answer once its headers are in.
    ///
    /// Connection failures, and answers whose status `retry_on` accepts,
    /// are tried again up to `options.retries` times, after the delay the
    /// answer's `Retry-After` asks for (seconds or an HTTP date) or else
    /// an exponential backoff with jitter. A request that fails on a
    /// pooled connection before any answer came is tried once more on a
    /// new connection (beyond `retries`). Each attempt, body included, must
    /// finish within `options.request_timeout`, and all of them within
    /// that times one plus the retries; a timeout is not retried. When the
    /// last attempt is answered with a retryable status, that answer is
    /// returned. Errors tell how many attempts were made and the last
    /// status seen.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
        retry_on: impl Fn(StatusCode) -> bool,
    ) -> Result<Response, Error> {
        let options = &self.inner.options;
        let uri: http::Uri = url.as_str().parse().map_err(|e| Error::InvalidUrl {
            url: url.to_string(),
            reason: format!("{e}"),
        })?;
        let overall = deadline(
            options
                .request_timeout
                .saturating_mul(options.retries.saturating_add(1)),
        );
        let mut history = History::default();
        let mut retries_used = 0;
        let mut fresh = false;
        let mut fresh_tried = false;
        loop {
            let mut request = http::Request::new(Full::new(body.clone()));
            *request.method_mut() = method.clone();
            *request.uri_mut() = uri.clone();
            let map = request.headers_mut();
            map.extend(self.inner.headers.clone());
            for (name, value) in headers {
                map.insert(name.clone(), value.clone());
            }
            history.attempts += 1;
            let attempt_deadline = deadline(options.request_timeout);
            let client = if fresh {
                &self.inner.fresh
            } else {
                &self.inner.client
            };
            let outcome = tokio::time::timeout_at(attempt_deadline, client.request(request)).await;
            let retries_left = retries_used < options.retries;
            let wait = match outcome {
                Err(_) => {
                    return Err(Error::Timeout {
                        method: method.to_string(),
                        url: url.to_string(),
                        after: options.request_timeout,
                        attempts: history.attempts,
                        last_status: history.last_status,
                    });
                }
                Ok(Ok(response)) => {
                    let status = response.status();
                    let asked = retry_after(response.headers(), SystemTime::now());
                    let wait =
                        asked.unwrap_or_else(|| backoff(options.retry_base_delay, retries_used));
                    let in_time = Instant::now()
                        .checked_add(wait)
                        .is_some_and(|t| t < overall);
                    if !(retries_left && retry_on(status) && in_time) {
                        if retry_on(status) && retries_left && !in_time {
                            tracing::info!(
                                %method, %url, %status, ?wait,
                                "the server asks to wait past the deadline: not trying again"
                            );
                        }
                        let (parts, body) = response.into_parts();
                        return Ok(Response {
                            status: parts.status,
                            headers: parts.headers,
                            body,
                            method,
                            url: url.to_string(),
                            deadline: attempt_deadline,
                            timeout: options.request_timeout,
                            attempts: history.attempts,
                            max_body_size: options.max_body_size,
                        });
                    }
                    tracing::info!(
                        %method, %url, %status, attempt = history.attempts, ?wait,
                        "retryable status, trying again"
                    );
                    history.last_status = Some(status.as_u16());
                    retries_used += 1;
                    wait
                }
                Ok(Err(e)) => {
                    let reason = self.explain(&uri, &e);
                    if let Some(tls) = tls_failure(&e) {
                        return Err(Error::Tls {
                            method: method.to_string(),
                            url: url.to_string(),
                            reason: format!(
                                "{}. ({reason})",
                                tls_advice(tls, url.host_str().unwrap_or(""))
                            ),
                        });
                    }
                    let failure = |history: &History| {
                        let (method, url) = (method.to_string(), url.to_string());
                        let (attempts, last_status) = (history.attempts, history.last_status);
                        if e.is_connect() {
                            Error::Connect {
                                method,
                                url,
                                reason: reason.clone(),
                                attempts,
                                last_status,
                            }
                        } else {
                            Error::Io {
                                method,
                                url,
                                reason: reason.clone(),
                                attempts,
                                last_status,
                            }
                        }
                    };
                    if !e.is_connect() && !fresh_tried {
                        // The pooled connection may have been closed by
                        // the server: once more, on a new connection.
                        tracing::info!(%method, %url, %reason, "failed before any answer; trying once more on a new connection");
                        fresh = true;
                        fresh_tried = true;
                        continue;
                    }
                    let wait = backoff(options.retry_base_delay, retries_used);
                    let in_time = Instant::now()
                        .checked_add(wait)
                        .is_some_and(|t| t < overall);
                    if !(retries_left && in_time) {
                        return Err(failure(&history));
                    }
                    tracing::info!(%method, %url, attempt = history.attempts, %reason, "request failed, trying again");
                    retries_used += 1;
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// A transport error's cause chain, naming the proxy when one was on
    /// the way.
    fn explain(&self, uri: &http::Uri, e: &hyper_util::client::legacy::Error) -> String {
        let reason = chain(e);
        match self.inner.proxies.describe(uri) {
            Some(proxy) if !reason.contains("proxy") => {
                format!("{reason} (through the proxy {proxy})")
            }
            _ => reason,
        }
    }
}

/// `now + after`, or far in the future when that cannot be represented.
fn deadline(after: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(after)
        .or_else(|| now.checked_add(Duration::from_secs(365 * 86_400)))
        .unwrap_or(now)
}

/// The delay a `Retry-After` header asks for: whole seconds, or an HTTP
/// date (a date in the past means no delay).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Checks a proxy URL given explicitly.
fn check_proxy(proxy: &str) -> Result<(), Error> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: redact(proxy),
        reason: reason.to_owned(),
    };
    let url = Url::parse(proxy.trim()).map_err(|e| invalid(&format!("as a proxy: {e}")))?;
    if url.scheme() != "http" {
        return Err(invalid("expected an http:// proxy URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("expected a proxy host"));
    }
    Ok(())
}

/// An answer whose headers are in; the body is read within the same
/// deadline as the request.
#[derive(Debug)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Incoming,
    method: Method,
    url: String,
    deadline: Instant,
    timeout: Duration,
    attempts: u32,
    max_body_size: usize,
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request's URL, without credentials.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many attempts it took to get this answer.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The most bytes this answer may have when held whole
    /// ([`HttpOptions::max_body_size`]).
    pub fn max_body_size(&self) -> usize {
        self.max_body_size
    }

    /// The next piece of the body, or `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            let frame = tokio::time::timeout_at(self.deadline, self.body.frame())
                .await
                .map_err(|_| self.timeout_error())?;
            match frame {
                None => return Ok(None),
                Some(Err(e)) => return Err(self.io_error(&e)),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() {
                            return Ok(Some(data));
                        }
                    }
                }
            }
        }
    }

    /// The whole body; more than [`max_body_size`](Self::max_body_size)
    /// bytes is [`Error::BodyTooLarge`].
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let Some(first) = self.chunk().await? else {
            return Ok(Bytes::new());
        };
        self.check_size(first.len())?;
        let Some(second) = self.chunk().await? else {
            return Ok(first);
        };
        let limit = self.max_body_size;
        self.check_size(first.len() + second.len())?;
        let capacity = self
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .unwrap_or(first.len() + second.len())
            .min(limit);
        let mut all = Vec::with_capacity(capacity);
        all.extend_from_slice(&first);
        all.extend_from_slice(&second);
        while let Some(chunk) = self.chunk().await? {
            self.check_size(all.len() + chunk.len())?;
            all.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(all))
    }

    /// At most `max` bytes of the body (for error snippets); the rest is
    /// dropped unread.
    pub async fn prefix(mut self, max: usize) -> Result<Bytes, Error> {
        let mut all = Vec::new();
        while all.len() < max {
            match self.chunk().await? {
                Some(chunk) => all.extend_from_slice(&chunk[..chunk.len().min(max - all.len())]),
                None => break,
            }
        }
        Ok(Bytes::from(all))
    }

    /// [`Error::BodyTooLarge`] when `size` passes the limit.
    pub fn check_size(&self, size: usize) -> Result<(), Error> {
        if size > self.max_body_size {
            Err(Error::BodyTooLarge {
                method: self.method.to_string(),
                url: self.url.clone(),
                limit: self.max_body_size,
            })
        } else {
            Ok(())
        }
    }

    fn timeout_error(&self) -> Error {
        Error::Timeout {
            method: self.method.to_string(),
            url: self.url.clone(),
            after: self.timeout,
            attempts: self.attempts,
            last_status: None,
        }
    }

    fn io_error(&self, e: &hyper::Error) -> Error {
        Error::Io {
            method: self.method.to_string(),
            url: self.url.clone(),
            reason: format!("reading the answer: {}", chain(e)),
            attempts: self.attempts,
            last_status: None,
        }
    }
}

/// Parses the base URL, moves its credentials into `options.auth`, and
/// makes its path end in `/`.
fn parse_base(base_url: &str, options: &mut HttpOptions) -> Result<Url, Error> {
    let mut url = Url::parse(base_url.trim()).map_err(|e| Error::InvalidUrl {
        url: redact(base_url),
        reason: e.to_string(),
    })?;
    let invalid = |url: &Url, reason: &str| Error::InvalidUrl {
        url: strip_credentials(url).to_string(),
        reason: reason.to_owned(),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(&url, "expected an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(&url, "expected a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            &url,
            "a base URL cannot carry a query or a fragment",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        let decode = |s: &str| {
            percent_decode(s).ok_or_else(|| invalid(&url, "credentials are not valid UTF-8"))
        };
        let username = decode(url.username())?;
        let password = decode(url.password().unwrap_or(""))?;
        if options.auth.is_none() {
            options.auth = Some(Auth::Basic {
                username,
                password: Secret::new(password),
            });
        }
        url = strip_credentials(&url);
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn percent_decode(s: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// The URL without user name and password.
pub(crate) fn strip_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// A URL string with any credentials replaced, for messages about a URL
/// that may not even parse.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => strip_credentials(&parsed).to_string(),
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}***@{}", &url[..scheme + 3], &url[at + 1..])
            }
            _ => url.to_owned(),
        },
    }
}

/// User agent, authorization and extra headers, checked once.
fn default_headers(options: &HttpOptions) -> Result<HeaderMap, Error> {
    let mut map = HeaderMap::new();
    let value = |name: &str, v: &str| {
        HeaderValue::from_str(v).map_err(|e| Error::InvalidHeader {
            name: name.to_owned(),
            reason: e.to_string(),
        })
    };
    map.insert(USER_AGENT, value("user-agent", &options.user_agent)?);
    if let Some(auth) = &options.auth {
        let text = match auth {
            Auth::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose());
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
            Auth::Bearer(token) => format!("Bearer {}", token.expose()),
        };
        let mut auth_value = value("authorization", &text).map_err(|_| Error::InvalidHeader {
            name: "authorization".to_owned(),
            reason: "the credentials contain characters a header cannot carry".to_owned(),
        })?;
        auth_value.set_sensitive(true);
        map.insert(AUTHORIZATION, auth_value);
    }
    for (name, v) in &options.headers {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|e| Error::InvalidHeader {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        let mut header_value = value(name, v)?;
        header_value.set_sensitive(true);
        map.append(header, header_value);
    }
    Ok(map)
}

/// The delay before retry number `attempt` (from 0): base × 2^attempt,
/// times a random factor in [0.5, 1.5), capped at 10 s.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16));
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let factor = 0.5 + (random % 1000) as f64 / 1000.0;
    // Capped before the multiplication, which would panic on overflow; at
    // twice the final cap, so that a delay past it stays at the cap
    // whatever the jitter.
    exp.min(Duration::from_secs(20))
        .mul_f64(factor)
        .min(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_move_from_the_url_to_basic_auth() {
        let mut options = HttpOptions::default();
        let url = parse_base("https://al%40ice:p%3Ass@host:9090/prom", &mut options).unwrap();
        assert_eq!(url.as_str(), "https://host:9090/prom/");
        assert_eq!(
            options.auth,
            Some(Auth::Basic {
                username: "al@ice".into(),
                password: Secret::new("p:ss"),
            })
        );
    }

    #[test]
    fn explicit_auth_wins_over_url_credentials() {
        let mut options = HttpOptions {
            auth: Some(Auth::Bearer("tok".into())),
            ..HttpOptions::default()
        };
        parse_base("http://u:p@host", &mut options).unwrap();
        assert_eq!(options.auth, Some(Auth::Bearer("tok".into())));
    }

    #[test]
    fn bad_base_urls_are_refused_without_credentials() {
        let mut options = HttpOptions::default();
        for (url, reason) in [
            ("ftp://u:secret@host", "expected an http or https URL"),
            ("http://u:secret@host/?x=1", "cannot carry a query"),
            ("localhost:9090", "expected an http or https URL"),
            ("not a url", "relative URL without a base"),
        ] {
            let message = parse_base(url, &mut options).unwrap_err().to_string();
            assert!(message.contains(reason), "{url}: {message}");
            assert!(!message.contains("secret"), "{message}");
        }
        assert_eq!(redact("http://u:secret@ho st/"), "http://***@ho st/");
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        for attempt in 0..4 {
            let d = backoff(base, attempt);
            let nominal = base * (1 << attempt);
            assert!(d >= nominal / 2 && d < nominal * 3 / 2, "{attempt}: {d:?}");
        }
        assert_eq!(backoff(Duration::from_secs(5), 10), Duration::from_secs(10));
        assert_eq!(backoff(Duration::MAX, 3), Duration::from_secs(10));
    }

    #[test]
    fn endpoints_keep_the_path_prefix() {
        let t = |base: &str| Transport::new(base, HttpOptions::default()).unwrap();
        let a = t("http://h:1/prometheus").endpoint("api/v1/query");
        assert_eq!(a.as_str(), "http://h:1/prometheus/api/v1/query");
        let b = t("http://h:1/prometheus/").endpoint("/api/v1/query");
        assert_eq!(b.as_str(), "http://h:1/prometheus/api/v1/query");
        let c = t("http://h:1").endpoint("-/ready");
        assert_eq!(c.as_str(), "http://h:1/-/ready");
    }
}
