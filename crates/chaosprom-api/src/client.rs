//! The client and its builder.

use std::sync::Arc;

use chaosprom_http::{Bytes, HttpOptions, Method, Transport};

use crate::Error;
use crate::meta::{
    Alertmanagers, Alerts, BuildInfo, Config, ExemplarSeries, Flags, Metadata, RuleGroups,
    RuntimeInfo, TargetMetadata, Targets, TsdbStatus,
};
use crate::request::{Instant, Plain, Range, Request, Step, Time};
use crate::types::Labels;

/// A Prometheus HTTP API client: a cheap-to-clone handle on one connection
/// pool.
///
/// ```no_run
/// # async fn run() -> Result<(), chaosprom_api::Error> {
/// use chaosprom_api::{Client, QueryData};
///
/// let client = Client::new("http://127.0.0.1:9090")?;
/// let answer = client.query("up").send().await?;
/// if let QueryData::Vector(series) = &answer.data {
///     for s in series {
///         println!("{:?} = {:?}", s.metric, s.value);
///     }
/// }
/// let raw = client.query("up").raw().await?; // the bytes Prometheus sent
/// # let _ = raw;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    settings: Arc<Settings>,
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) extra_params: Vec<(String, String)>,
    pub(crate) max_get_size: usize,
    pub(crate) force_post: bool,
    pub(crate) gzip: bool,
}

/// How to build a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    url: String,
    options: HttpOptions,
    settings: Settings,
}

impl ClientBuilder {
    chaosprom_http::transport_setters!(options, timeout_default = "30 s");

    /// A query parameter added to every request, e.g. Thanos'
    /// `partial_response=false` or VictoriaMetrics' `nocache=1`.
    pub fn query_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.extra_params.push((name.into(), value.into()));
        self
    }

    /// Asks for gzip-compressed answers (default: off; on loopback it makes
    /// Prometheus several times slower, over a slow link it pays). Only
    /// then is a gzipped answer inflated, never past `max_body_size`; an
    /// encoding that was not asked for is an error.
    pub fn gzip(mut self, on: bool) -> Self {
        self.settings.gzip = on;
        self
    }

    /// Above this many bytes of encoded parameters a query is sent as a
    /// form-encoded POST (default 4096).
    pub fn max_get_size(mut self, bytes: usize) -> Self {
        self.settings.max_get_size = bytes;
        self
    }

    /// Sends every query as a POST.
    pub fn force_post(mut self, on: bool) -> Self {
        self.settings.force_post = on;
        self
    }

    /// Builds the client; the URL and settings are checked here.
    pub fn build(self) -> Result<Client, Error> {
        Ok(Client {
            transport: Transport::new(&self.url, self.options)?,
            settings: Arc::new(self.settings),
        })
    }
}

impl Client {
    /// How to build a client for the server at `url`, which may carry a
    /// path prefix (`https://host/prometheus`) and credentials.
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            options: HttpOptions::default(),
            settings: Settings {
                extra_params: Vec::new(),
                max_get_size: 4096,
                force_post: false,
                gzip: false,
            },
        }
    }

    /// A client with the default settings.
    pub fn new(url: impl Into<String>) -> Result<Self, Error> {
        Self::builder(url).build()
    }

    /// The base URL, without credentials.
    pub fn url(&self) -> &str {
        self.transport.base_url().as_str()
    }

    /// Whether both handles share one connection pool (one is a clone of
    /// the other).
    pub fn same_pool(&self, other: &Client) -> bool {
        self.transport.same_pool(&other.transport)
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// An instant query (`/api/v1/query`).
    pub fn query(&self, promql: impl Into<String>) -> Request<'_, Instant> {
        let promql = promql.into();
        let request = Request::new(self, "api/v1/query", true);
        if promql.trim().is_empty() {
            return request.refuse(Error::invalid("query", "expected a PromQL expression"));
        }
        request.param("query", promql)
    }

    /// A range query (`/api/v1/query_range`) from `start` to `end` every
    /// `step` (seconds, or a duration such as `"15s"`).
    pub fn query_range(
        &self,
        promql: impl Into<String>,
        start: impl Into<Time>,
        end: impl Into<Time>,
        step: impl Into<Step>,
    ) -> Request<'_, Range> {
        let (start, end) = (start.into(), end.into());
        let promql = promql.into();
        let mut request = Request::new(self, "api/v1/query_range", true);
        if promql.trim().is_empty() {
            request = request.refuse(Error::invalid("query", "expected a PromQL expression"));
        }
        if end < start {
            request = request.refuse(Error::invalid(
                "end",
                format!("expected an end after the start, found {end} before {start}"),
            ));
        }
        request
            .param("query", promql)
            .param("start", start.to_string())
            .param("end", end.to_string())
            .step(&step.into())
    }

    /// The series matching every selector (`/api/v1/series`).
    pub fn series<S: Into<String>>(
        &self,
        selectors: impl IntoIterator<Item = S>,
    ) -> Request<'_, Plain<Vec<Labels>>> {
        let mut request = Request::new(self, "api/v1/series", true);
        let mut any = false;
        for selector in selectors {
            request = request.matcher(selector);
            any = true;
        }
        if any {
            request
        } else {
            request.refuse(Error::invalid(
                "match[]",
                "expected at least one series selector",
            ))
        }
    }

    /// Every label name (`/api/v1/labels`).
    pub fn labels(&self) -> Request<'_, Plain<Vec<String>>> {
        Request::new(self, "api/v1/labels", true)
    }

    /// Every value of one label (`/api/v1/label/<name>/values`).
    pub fn label_values(&self, name: &str) -> Request<'_, Plain<Vec<String>>> {
        let valid = name
            .bytes()
            .enumerate()
            .all(|(i, b)| b == b'_' || b.is_ascii_alphabetic() || (i > 0 && b.is_ascii_digit()));
        let request = Request::new(self, format!("api/v1/label/{name}/values"), false);
        if valid && !name.is_empty() {
            request
        } else {
            request.refuse(Error::invalid(
                "label name",
                format!("expected [a-zA-Z_][a-zA-Z0-9_]*, found '{name}'"),
            ))
        }
    }

    /// Metric metadata (`/api/v1/metadata`); narrow it with
    /// `.param("metric", name)`.
    pub fn metadata(&self) -> Request<'_, Plain<Metadata>> {
        Request::new(self, "api/v1/metadata", false)
    }

    /// Scrape targets (`/api/v1/targets`); narrow with `.param("state",
    /// "active")` or `.param("scrapePool", job)`.
    pub fn targets(&self) -> Request<'_, Plain<Targets>> {
        Request::new(self, "api/v1/targets", false)
    }

    /// Metadata scraped from targets (`/api/v1/targets/metadata`); narrow
    /// with `.param("match_target", selector)` and `.param("metric", name)`.
    pub fn targets_metadata(&self) -> Request<'_, Plain<Vec<TargetMetadata>>> {
        Request::new(self, "api/v1/targets/metadata", false)
    }

    /// Alerting and recording rules (`/api/v1/rules`); narrow with
    /// `.param("type", "alert")`.
    pub fn rules(&self) -> Request<'_, Plain<RuleGroups>> {
        Request::new(self, "api/v1/rules", false)
    }

    /// Active alerts (`/api/v1/alerts`).
    pub fn alerts(&self) -> Request<'_, Plain<Alerts>> {
        Request::new(self, "api/v1/alerts", false)
    }

    /// Alertmanagers in use (`/api/v1/alertmanagers`).
    pub fn alertmanagers(&self) -> Request<'_, Plain<Alertmanagers>> {
        Request::new(self, "api/v1/alertmanagers", false)
    }

    /// Exemplars of a query's series between two instants
    /// (`/api/v1/query_exemplars`).
    pub fn query_exemplars(
        &self,
        promql: impl Into<String>,
        start: impl Into<Time>,
        end: impl Into<Time>,
    ) -> Request<'_, Plain<Vec<ExemplarSeries>>> {
        Request::new(self, "api/v1/query_exemplars", true)
            .param("query", promql)
            .start(start)
            .end(end)
    }

    /// A PromQL expression, formatted by the server
    /// (`/api/v1/format_query`).
    pub fn format_query(&self, promql: impl Into<String>) -> Request<'_, Plain<String>> {
        Request::new(self, "api/v1/format_query", true).param("query", promql)
    }

    /// `/api/v1/status/buildinfo`.
    pub fn build_info(&self) -> Request<'_, Plain<BuildInfo>> {
        Request::new(self, "api/v1/status/buildinfo", false)
    }

    /// `/api/v1/status/runtimeinfo`.
    pub fn runtime_info(&self) -> Request<'_, Plain<RuntimeInfo>> {
        Request::new(self, "api/v1/status/runtimeinfo", false)
    }

    /// `/api/v1/status/flags`.
    pub fn flags(&self) -> Request<'_, Plain<Flags>> {
        Request::new(self, "api/v1/status/flags", false)
    }

    /// `/api/v1/status/config`.
    pub fn config(&self) -> Request<'_, Plain<Config>> {
        Request::new(self, "api/v1/status/config", false)
    }

    /// `/api/v1/status/tsdb`.
    pub fn tsdb(&self) -> Request<'_, Plain<TsdbStatus>> {
        Request::new(self, "api/v1/status/tsdb", false)
    }

    /// Whether `/-/healthy` answers 200 (any other status is `false`; a
    /// connection failure is an error).
    pub async fn healthy(&self) -> Result<bool, Error> {
        self.probe("-/healthy").await
    }

    /// Whether `/-/ready` answers 200 (503 while starting up is `false`).
    pub async fn ready(&self) -> Result<bool, Error> {
        self.probe("-/ready").await
    }

    async fn probe(&self, path: &str) -> Result<bool, Error> {
        let url = self.transport.endpoint(path);
        let answer = self
            .transport
            .send(Method::GET, &url, &[], Bytes::new(), |_| false)
            .await?;
        Ok(answer.status().as_u16() == 200)
    }
}
