//! The Pushgateway client.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chaosprom_http::header::{CONTENT_TYPE, HeaderValue};
use chaosprom_http::{Bytes, HttpOptions, Method, Transport};
use prometheus::proto::MetricFamily;
use prometheus::{Encoder, Registry, TextEncoder};

use crate::Error;
use crate::path::{Grouping, group_path, grouping};
use crate::proto;

/// How a push replaces what the group held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PushMethod {
    /// `PUT`: replace every metric of the group.
    #[default]
    Put,
    /// `POST`: replace only the metric families pushed.
    Post,
}

impl std::str::FromStr for PushMethod {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "put" => Ok(PushMethod::Put),
            "post" => Ok(PushMethod::Post),
            _ => Err(format!("invalid push method '{s}': expected put or post")),
        }
    }
}

/// The body format of [`Pushgateway::push_families`] (and so of `push` and
/// `push_add`); text read from a file is always pushed as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PushFormat {
    /// The text exposition format 0.0.4, as Python's client pushes it;
    /// every gateway that takes pushes reads it.
    #[default]
    Text,
    /// Delimited protobuf `MetricFamily` messages, as Go's client pushes
    /// them: the Pushgateway accepts a large push about three times faster
    /// than the same push as text. Other gateways may not read it.
    Protobuf,
    /// Protobuf when the server says it is a Pushgateway (its
    /// `/api/v1/status` answers with build information), else text; asked
    /// once per client (and its clones), before the first push.
    Auto,
}

impl std::str::FromStr for PushFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(PushFormat::Text),
            "protobuf" => Ok(PushFormat::Protobuf),
            "auto" => Ok(PushFormat::Auto),
            _ => Err(format!(
                "invalid push format '{s}': expected text, protobuf or auto"
            )),
        }
    }
}

/// A Pushgateway URL as the client reads it: trimmed, and `http://` when
/// it has no scheme (`localhost:9091`), as Python's `prometheus_client`
/// takes it. Credentials and a path prefix are kept.
///
/// ```
/// assert_eq!(chaosprom_pushgateway::gateway_url(" gw:9091/pg "), "http://gw:9091/pg");
/// assert_eq!(chaosprom_pushgateway::gateway_url("https://gw"), "https://gw");
/// ```
pub fn gateway_url(url: &str) -> String {
    let url = url.trim();
    if url.contains("://") {
        url.to_owned()
    } else {
        format!("http://{url}")
    }
}

/// A Pushgateway client: a cheap-to-clone handle on one connection pool.
///
/// ```no_run
/// # async fn run() -> Result<(), chaosprom_pushgateway::Error> {
/// use prometheus::{IntGauge, Registry};
///
/// let registry = Registry::new();
/// let gauge = IntGauge::new("chaos_runs", "Runs so far.").unwrap();
/// registry.register(Box::new(gauge.clone())).unwrap();
/// gauge.set(3);
///
/// let gateway = chaosprom_pushgateway::Pushgateway::new("http://127.0.0.1:9091")?;
/// gateway.push("chaostoolkit", [("env", "prod/eu")], &registry).await?;
/// gateway.delete("chaostoolkit", [("env", "prod/eu")]).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Pushgateway {
    transport: Transport,
    format: PushFormat,
    /// What [`PushFormat::Auto`] found, shared by clones.
    detected: Arc<OnceLock<PushFormat>>,
}

/// How to build a [`Pushgateway`]: TLS, auth, headers, timeouts, retries.
#[derive(Debug, Clone)]
pub struct PushgatewayBuilder {
    url: String,
    options: HttpOptions,
    format: PushFormat,
}

impl PushgatewayBuilder {
    chaosprom_http::transport_setters!(options, timeout_default = "10 s");

    /// The body format of metric-family pushes (text by default).
    pub fn format(mut self, format: PushFormat) -> Self {
        self.format = format;
        self
    }

    /// Builds the client; the URL and settings are checked here. A URL
    /// without a scheme (`localhost:9091`) is taken as `http://`, as
    /// Python's `prometheus_client` takes it; another scheme than `http`
    /// or `https` is refused.
    pub fn build(self) -> Result<Pushgateway, Error> {
        let url = gateway_url(&self.url);
        Ok(Pushgateway {
            transport: Transport::new(&url, self.options)?,
            format: self.format,
            detected: Arc::default(),
        })
    }
}

impl Pushgateway {
    /// How to build a client for the gateway at `url` (which may carry a
    /// path prefix and credentials).
    pub fn builder(url: impl Into<String>) -> PushgatewayBuilder {
        PushgatewayBuilder {
            url: url.into(),
            options: default_options(),
            format: PushFormat::Text,
        }
    }

    /// A client with the default settings.
    pub fn new(url: impl Into<String>) -> Result<Self, Error> {
        Self::builder(url).build()
    }

    /// The gateway's base URL, without credentials.
    pub fn url(&self) -> &str {
        self.transport.base_url().as_str()
    }

    /// The URL of a group: `<base>/metrics/job/<job>/<label>/<value>/…`,
    /// labels sorted by name, encoded as the Pushgateway expects.
    ///
    /// ```
    /// let gateway = chaosprom_pushgateway::Pushgateway::new("http://gw:9091")?;
    /// let url = gateway.group_url("ctk/job", [("env", "prod/eu"), ("plain", "a b")])?;
    /// assert_eq!(
    ///     url,
    ///     "http://gw:9091/metrics/job@base64/Y3RrL2pvYg==/env@base64/cHJvZC9ldQ==/plain@base64/YSBi"
    /// );
    /// # Ok::<(), chaosprom_pushgateway::Error>(())
    /// ```
    pub fn group_url<K, V>(
        &self,
        job: &str,
        grouping_key: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let path = group_path(job, &grouping(grouping_key)?)?;
        Ok(self.transport.endpoint(&path).to_string())
    }

    /// Replaces the group with the registry's metrics (`PUT`).
    pub async fn push<K, V>(
        &self,
        job: &str,
        grouping_key: impl IntoIterator<Item = (K, V)>,
        registry: &Registry,
    ) -> Result<(), Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.push_families(PushMethod::Put, job, grouping_key, &registry.gather())
            .await
    }

    /// Replaces, in the group, only the families the registry has (`POST`).
    pub async fn push_add<K, V>(
        &self,
        job: &str,
        grouping_key: impl IntoIterator<Item = (K, V)>,
        registry: &Registry,
    ) -> Result<(), Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.push_families(PushMethod::Post, job, grouping_key, &registry.gather())
            .await
    }

    /// Pushes gathered metric families with either method.
    pub async fn push_families<K, V>(
        &self,
        method: PushMethod,
        job: &str,
        grouping_key: impl IntoIterator<Item = (K, V)>,
        families: &[MetricFamily],
    ) -> Result<(), Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let grouping = grouping(grouping_key)?;
        let path = group_path(job, &grouping)?;
        check_labels(families, job, &grouping)?;
        if self.format().await? == PushFormat::Protobuf {
            let content_type = HeaderValue::from_static(proto::DELIMITED_CONTENT_TYPE);
            let body = proto::delimited(families);
            return self
                .send(
                    method.into(),
                    &path,
                    &[(CONTENT_TYPE, content_type)],
                    body.into(),
                )
                .await;
        }
        let encoder = TextEncoder::new();
        let mut body = Vec::with_capacity(1024);
        encoder
            .encode(families, &mut body)
            .map_err(|e| Error::Encode(e.to_string()))?;
        self.send_text(method, &path, body.into()).await
    }

    /// The format metric-family pushes use: the one set, or for
    /// [`PushFormat::Auto`] what the server said it is, asked once. A
    /// server that answers anything but a Pushgateway's status gets text;
    /// one that cannot be asked (connection, TLS, timeout) is an error,
    /// and is asked again next time, so that a push to a gateway that is
    /// down fails once, not after a second wait.
    pub async fn format(&self) -> Result<PushFormat, Error> {
        match self.format {
            PushFormat::Auto => {}
            set => return Ok(set),
        }
        if let Some(found) = self.detected.get() {
            return Ok(*found);
        }
        let url = self.transport.endpoint("api/v1/status");
        let answer = self
            .transport
            .send(Method::GET, &url, &[], Bytes::new(), |_| false)
            .await?;
        let found = if answer.status().as_u16() == 200
            && answer
                .prefix(64 * 1024)
                .await
                .is_ok_and(|body| is_pushgateway_status(&body))
        {
            PushFormat::Protobuf
        } else {
            PushFormat::Text
        };
        Ok(*self.detected.get_or_init(|| found))
    }

    /// Pushes metrics already in the text exposition format, as read from a
    /// file (`# TYPE`/`# HELP` lines and samples). A missing final newline
    /// is added: the Pushgateway refuses a last line without one
    /// ("unexpected end of input stream").
    pub async fn push_text<K, V>(
        &self,
        method: PushMethod,
        job: &str,
        grouping_key: impl IntoIterator<Item = (K, V)>,
        text: impl Into<Bytes>,
    ) -> Result<(), Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let path = group_path(job, &grouping(grouping_key)?)?;
        let mut text: Bytes = text.into();
        if text.last().is_some_and(|b| *b != b'\n') {
            let mut lines = Vec::with_capacity(text.len() + 1);
            lines.extend_from_slice(&text);
            lines.push(b'\n');
            text = Bytes::from(lines);
        }
        self.send_text(method, &path, text).await
    }

    /// Deletes the group (`DELETE`).
    pub async fn delete<K, V>(
        &self,
        job: &str,
        grouping_key: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(), Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let path = group_path(job, &grouping(grouping_key)?)?;
        self.send(Method::DELETE, &path, &[], Bytes::new()).await
    }

    /// Pushes a text-format body to a group's path.
    async fn send_text(&self, method: PushMethod, path: &str, body: Bytes) -> Result<(), Error> {
        let content_type = HeaderValue::from_static("text/plain; version=0.0.4");
        self.send(method.into(), path, &[(CONTENT_TYPE, content_type)], body)
            .await
    }

    /// Sends one request; 200 and 202 are success.
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(chaosprom_http::header::HeaderName, HeaderValue)],
        body: Bytes,
    ) -> Result<(), Error> {
        let url = self.transport.endpoint(path);
        let answer = self
            .transport
            .send(method, &url, headers, body, |s| s.is_server_error())
            .await?;
        let status = answer.status().as_u16();
        if matches!(status, 200 | 202) {
            return Ok(());
        }
        Err(Error::from_answer(answer).await)
    }
}

impl From<PushMethod> for Method {
    fn from(method: PushMethod) -> Self {
        match method {
            PushMethod::Put => Method::PUT,
            PushMethod::Post => Method::POST,
        }
    }
}

/// Whether a `/api/v1/status` answer is a Pushgateway's:
/// `{"status":"success","data":{"build_information":{…},…}}`.
fn is_pushgateway_status(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| {
        v["status"] == "success" && v["data"]["build_information"]["version"].is_string()
    })
}

/// The transport settings both clients start from: a 10 s request timeout.
pub(crate) fn default_options() -> HttpOptions {
    let mut options = HttpOptions::default();
    options.request_timeout = Duration::from_secs(10);
    options
}

/// Refuses families whose metrics carry `job` or a grouping label with a
/// value other than the push path's.
fn check_labels(families: &[MetricFamily], job: &str, grouping: &Grouping) -> Result<(), Error> {
    for family in families {
        for metric in family.get_metric() {
            for label in metric.get_label() {
                let name = label.name();
                let expected = if name == "job" {
                    Some(job)
                } else {
                    grouping
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.as_str())
                };
                match expected {
                    Some(expected) if expected != label.value() => {
                        return Err(Error::LabelClash {
                            family: family.name().to_owned(),
                            label: name.to_owned(),
                            value: label.value().to_owned(),
                            expected: expected.to_owned(),
                        });
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}
