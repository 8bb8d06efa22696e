//! The `chaosprometheus.metrics` control: each run's metrics, pushed to a
//! Pushgateway before and after the experiment, as the Python control does.

use std::sync::Mutex;

use async_trait::async_trait;
use chaos_controls::python::{python_str, truthy};
use chaos_controls::{ConfigureContext, Control, ControlError, HookResult, RunContext};
use chaosprom_pushgateway::prometheus::{
    CounterVec, GaugeVec, HistogramOpts, HistogramVec, Opts, Registry, proto::MetricFamily,
};
use chaosprom_pushgateway::{PushFormat, PushMethod, Pushgateway, RemoteWrite};
use serde_json::Value;

use crate::experiment_hash;

mod activities;
use activities::ActivityFamilies;

/// The labels every metric carries.
const LABELS: [&str; 4] = [
    "source",
    "chaostoolkit_lib_version",
    "chaostoolkit_run_trace_id",
    "chaostoolkit_experiment_ref",
];

/// The duration histogram's buckets: Python's `prometheus_client`
/// defaults (the `prometheus` crate's lack .075, .75 and 7.5).
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The activity histogram's buckets: from 5 ms to 5 minutes, since a
/// chaos action often waits for minutes, where Python's defaults stop at
/// 10 s and would put every such action in `+Inf`. As many as Python's.
const ACTIVITY_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// The states of `chaostoolkit_experiment_status`.
const STATES: [&str; 4] = ["completed", "failed", "aborted", "interrupted"];

/// The Pushgateway control.
///
/// Declared in an experiment as `{"name": "prometheus", "provider":
/// {"type": "python", "module": "chaosprometheus.metrics", "arguments":
/// {…}}}`, with the arguments of Python's `configure_control`:
/// `pushgateway_url` (`http://localhost:9091`), `job` (`chaostoolkit`),
/// `grouping_key` (default `{"chaostoolkit_experiment_ref": <ref>}`; a
/// given map replaces it), `trace_id` (default: 32 random hex characters),
/// `experiment_ref` (default: the [experiment hash](crate::experiment_hash)),
/// and, beyond Python: `lib_version` (the `chaostoolkit_lib_version` label,
/// default this crate's version), `push_method` (`put` or `post`),
/// `pushgateway_format` (`auto`, the default: protobuf, as Go's client
/// pushes, when the server's `/api/v1/status` says it is a Pushgateway,
/// else the text format Python pushes; or `protobuf` or `text`) and
/// `delete_on_cleanup` (delete the group when the run is over).
///
/// Before the experiment it pushes `chaostoolkit_inprogress_experiment` at
/// 1; after it, the run's status (`chaostoolkit_experiment_status`, one
/// sample per state), `chaostoolkit_deviated_experiment_total` (+1 only if
/// the run deviated), the in-progress gauge at 0, and the duration as a
/// gauge and a histogram, with the `_created` gauges `prometheus_client`
/// adds for the counter (when the run deviated) and the histogram, unless
/// `PROMETHEUS_DISABLE_CREATED_SERIES` is set, as in Python. A push that
/// fails is logged with the gateway URL and the reason; it never fails a
/// hook or changes the run.
///
/// Opt-in, so that the default push stays Python's (every family carries
/// the four run labels above):
///
/// - `activity_metrics: true`: `chaostoolkit_activity_duration_seconds`
///   (histogram, buckets from 5 ms to 5 minutes) and
///   `chaostoolkit_activity_total` (counter) labelled `activity`,
///   `activity_type` (`probe`/`action`), `phase`
///   (`hypothesis_before`, `method`, `hypothesis_after`, `rollback`, and
///   `hypothesis_during` for checks during the method) and `status`
///   (`succeeded`/`failed`); `chaostoolkit_tolerance_met{activity, phase}`
///   (1 or 0) for each steady-state probe.
/// - `phase_metrics: true`: `chaostoolkit_experiment_phase{phase}`, 1 while
///   the phase runs and 0 after it, pushed at each phase change.
/// - `remote_write_url`: the same families, as samples timestamped at each
///   push, sent with Prometheus' remote-write protocol 1.0 (protobuf,
///   snappy) to e.g. `http://prometheus:9090/api/v1/write` (started with
///   `--web.enable-remote-write-receiver`) or VictoriaMetrics'
///   `/api/v1/write`, labelled as a scrape of the Pushgateway would be
///   (`job` and the grouping key), beside the Pushgateway or instead of it
///   (`pushgateway_url: null`). `remote_write_headers` (a mapping),
///   `remote_write_token` (bearer), credentials in the URL (basic),
///   `remote_write_ca_file`, `remote_write_verify_tls`,
///   `remote_write_client_cert` with `remote_write_client_key` (mutual
///   TLS) and `remote_write_proxy` (an `http://` proxy, `""` for none;
///   otherwise `HTTP(S)_PROXY` and `NO_PROXY`) set how it connects. A
///   failed write is retried (5xx, 429, lost connections) within the
///   client's deadline, then logged; it never fails the run.
#[derive(Debug, Default)]
pub struct MetricsControl {
    state: Mutex<Option<Collector>>,
}

/// Which run a configured control reports, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIdentity {
    /// The `chaostoolkit_run_trace_id` label.
    pub trace_id: String,
    /// The `chaostoolkit_experiment_ref` label.
    pub experiment_ref: String,
    /// The grouping key pushed to.
    pub grouping_key: Vec<(String, String)>,
}

#[derive(Debug)]
struct Collector {
    /// None when `pushgateway_url` is null.
    gateway: Option<Pushgateway>,
    remote: Option<RemoteWrite>,
    job: String,
    grouping_key: Vec<(String, String)>,
    method: PushMethod,
    delete_on_cleanup: bool,
    labels: [String; 4],
    registry: Registry,
    status: GaugeVec,
    deviated: CounterVec,
    in_progress: GaugeVec,
    duration: GaugeVec,
    duration_dist: HistogramVec,
    /// `_created` of the counter and the histogram, as `prometheus_client`
    /// pushes them (gauges of the Unix time their series was created);
    /// None when `PROMETHEUS_DISABLE_CREATED_SERIES` turns them off, as it
    /// does in Python.
    created: Option<(GaugeVec, GaugeVec)>,
    /// `activity_metrics`: per activity duration, count, and tolerances.
    activities: Option<ActivityFamilies>,
    /// `phase_metrics`: `chaostoolkit_experiment_phase{phase}`.
    phase_gauge: Option<GaugeVec>,
    /// Where the run is: the phase of the activities that run now.
    phase: &'static str,
    method_started: bool,
    method_done: bool,
    /// The last phase push, still on its way perhaps.
    pending: Option<tokio::task::JoinHandle<()>>,
}

/// The control's arguments, checked.
#[derive(Debug)]
struct Arguments {
    /// None when given as null: no Pushgateway.
    pushgateway_url: Option<String>,
    remote_write_url: Option<String>,
    remote_write_headers: Vec<(String, String)>,
    remote_write_token: Option<String>,
    remote_write_ca_file: Option<String>,
    remote_write_verify_tls: bool,
    remote_write_proxy: Option<String>,
    remote_write_client_cert: Option<(String, String)>,
    activity_metrics: bool,
    phase_metrics: bool,
    job: String,
    grouping_key: Option<Vec<(String, String)>>,
    trace_id: Option<String>,
    experiment_ref: Option<String>,
    lib_version: String,
    method: PushMethod,
    format: PushFormat,
    delete_on_cleanup: bool,
}

impl Arguments {
    fn parse(arguments: &Value) -> Result<Self, String> {
        let empty = serde_json::Map::new();
        let map = match arguments {
            Value::Null => &empty,
            Value::Object(map) => map,
            other => {
                return Err(format!(
                    "expected the arguments as a mapping, found {other}"
                ));
            }
        };
        let text = |name: &str| -> Result<Option<String>, String> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(format!("argument '{name}' must be a string, found {other}")),
            }
        };
        // Python's `trace_id or token_hex(16)`, `experiment_ref or
        // experiment_hash(…)` and `grouping_key or {…}`: a false value
        // (null, "", {}, 0, false) takes the default, and a label value
        // that is not a string is its `str()` (`7`, `True`), as
        // `prometheus_client` writes it.
        let label = |name: &str| match map.get(name) {
            Some(v) if truthy(v) => Some(python_str(v)),
            _ => None,
        };
        let grouping_key = match map.get("grouping_key") {
            None => None,
            Some(v) if !truthy(v) => None,
            Some(Value::Object(key)) => Some(
                key.iter()
                    .map(|(k, v)| (k.clone(), python_str(v)))
                    .collect::<Vec<_>>(),
            ),
            Some(other) => {
                return Err(format!(
                    "argument 'grouping_key' must be a mapping, found {other}"
                ));
            }
        };
        let method = match text("push_method")? {
            None => PushMethod::Put,
            Some(m) => m
                .parse()
                .map_err(|e: String| format!("argument 'push_method': {e}"))?,
        };
        let flag = |name: &str, default: bool| -> Result<bool, String> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => crate::config::as_bool(v)
                    .ok_or_else(|| format!("argument '{name}' must be true or false, found {v}")),
            }
        };
        let delete_on_cleanup = flag("delete_on_cleanup", false)?;
        let format = match text("pushgateway_format")? {
            None => PushFormat::Auto,
            Some(f) => f
                .parse()
                .map_err(|e: String| format!("argument 'pushgateway_format': {e}"))?,
        };
        let pushgateway_url = match map.get("pushgateway_url") {
            Some(Value::Null) => None,
            _ => {
                Some(text("pushgateway_url")?.unwrap_or_else(|| "http://localhost:9091".to_owned()))
            }
        };
        let remote_write_url = text("remote_write_url")?;
        if pushgateway_url.is_none() && remote_write_url.is_none() {
            return Err(
                "argument 'pushgateway_url' is null and no 'remote_write_url' is given: \
                 the metrics would go nowhere"
                    .to_owned(),
            );
        }
        let remote_write_headers = match map.get("remote_write_headers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(h)) => h
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    other => Err(format!(
                        "argument 'remote_write_headers': header '{k}' must be a string, found {other}"
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(format!(
                    "argument 'remote_write_headers' must be a mapping, found {other}"
                ));
            }
        };
        Ok(Self {
            pushgateway_url,
            remote_write_url,
            remote_write_headers,
            remote_write_token: text("remote_write_token")?,
            remote_write_ca_file: text("remote_write_ca_file")?,
            remote_write_proxy: text("remote_write_proxy")?,
            remote_write_client_cert: match (
                text("remote_write_client_cert")?,
                text("remote_write_client_key")?,
            ) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                _ => {
                    return Err("arguments 'remote_write_client_cert' and \
                                'remote_write_client_key' go together: give both or neither"
                        .to_owned());
                }
            },
            remote_write_verify_tls: flag("remote_write_verify_tls", true)?,
            activity_metrics: flag("activity_metrics", false)?,
            phase_metrics: flag("phase_metrics", false)?,
            job: text("job")?.unwrap_or_else(|| "chaostoolkit".to_owned()),
            grouping_key,
            trace_id: label("trace_id"),
            experiment_ref: label("experiment_ref"),
            lib_version: text("lib_version")?
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
            method,
            format,
            delete_on_cleanup,
        })
    }
}

impl Collector {
    fn new(args: Arguments, experiment: &Value) -> Result<Self, String> {
        let gateway = args
            .pushgateway_url
            .as_deref()
            .map(|url| Pushgateway::builder(url).format(args.format).build())
            .transpose()
            .map_err(|e| format!("pushgateway_url: {e}"))?;
        let remote = match &args.remote_write_url {
            None => None,
            Some(url) => {
                let mut builder =
                    RemoteWrite::builder(url.as_str()).verify_tls(args.remote_write_verify_tls);
                for (name, value) in &args.remote_write_headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                if let Some(token) = &args.remote_write_token {
                    builder = builder.bearer_token(token.as_str());
                }
                if let Some(ca) = &args.remote_write_ca_file {
                    builder = builder.ca_file(ca.as_str());
                }
                if let Some((cert, key)) = &args.remote_write_client_cert {
                    builder = builder.client_cert(cert.as_str(), key.as_str());
                }
                if let Some(proxy) = &args.remote_write_proxy {
                    builder =
                        builder.proxy_setting(chaosprom_pushgateway::Proxy::from_setting(proxy));
                }
                Some(
                    builder
                        .build()
                        .map_err(|e| format!("remote_write_url: {e}"))?,
                )
            }
        };
        let trace_id = args.trace_id.unwrap_or_else(random_trace_id);
        let experiment_ref = args
            .experiment_ref
            .unwrap_or_else(|| experiment_hash(experiment));
        let grouping_key = args.grouping_key.unwrap_or_else(|| {
            vec![(
                "chaostoolkit_experiment_ref".to_owned(),
                experiment_ref.clone(),
            )]
        });
        // The values of `LABELS`.
        let mut labels = [
            "chaostoolkit".to_owned(),
            args.lib_version,
            trace_id,
            experiment_ref,
        ];
        // A grouping label that names a run label gives it its value: the
        // Pushgateway puts the grouping value on every series it receives,
        // so that is where Python's pushes land (the client would refuse
        // series that disagree with their grouping key).
        for (name, value) in &grouping_key {
            if let Some(i) = LABELS.iter().position(|l| l == name) {
                labels[i].clone_from(value);
            }
        }
        let registry = Registry::new();
        let build = |e: chaosprom_pushgateway::prometheus::Error| e.to_string();
        let mut status_labels = LABELS.to_vec();
        status_labels.push("chaostoolkit_experiment_status");
        let status = GaugeVec::new(
            Opts::new(
                "chaostoolkit_experiment_status",
                "Chaos Toolkit experiment runs status",
            ),
            &status_labels,
        )
        .map_err(build)?;
        let deviated = CounterVec::new(
            Opts::new(
                "chaostoolkit_deviated_experiment_total",
                "Chaos Toolkit deviated experiments",
            ),
            &LABELS,
        )
        .map_err(build)?;
        let in_progress = GaugeVec::new(
            Opts::new(
                "chaostoolkit_inprogress_experiment",
                "Chaos Toolkit experiments in progress",
            ),
            &LABELS,
        )
        .map_err(build)?;
        let duration = GaugeVec::new(
            Opts::new(
                "chaostoolkit_experiment_duration",
                "Chaos Toolkit experiment duration",
            ),
            &LABELS,
        )
        .map_err(build)?;
        let duration_dist = HistogramVec::new(
            HistogramOpts::new(
                "chaostoolkit_experiment_duration_dist",
                "Chaos Toolkit experiment duration distribution",
            )
            .buckets(BUCKETS.to_vec()),
            &LABELS,
        )
        .map_err(build)?;
        registry.register(Box::new(status.clone())).map_err(build)?;
        registry
            .register(Box::new(deviated.clone()))
            .map_err(build)?;
        registry
            .register(Box::new(in_progress.clone()))
            .map_err(build)?;
        registry
            .register(Box::new(duration.clone()))
            .map_err(build)?;
        registry
            .register(Box::new(duration_dist.clone()))
            .map_err(build)?;
        let activities = if args.activity_metrics {
            let run = LABELS.into_iter().zip(labels.iter().cloned()).collect();
            let families = ActivityFamilies::new(run, &ACTIVITY_BUCKETS)?;
            registry
                .register(Box::new(families.clone()))
                .map_err(build)?;
            Some(families)
        } else {
            None
        };
        let phase_gauge = if args.phase_metrics {
            let mut phase_labels = LABELS.to_vec();
            phase_labels.push("phase");
            let gauge = GaugeVec::new(
                Opts::new(
                    "chaostoolkit_experiment_phase",
                    "1 while the phase of the experiment runs, 0 after it",
                ),
                &phase_labels,
            )
            .map_err(build)?;
            registry.register(Box::new(gauge.clone())).map_err(build)?;
            Some(gauge)
        } else {
            None
        };
        let created = if created_series_wanted() {
            let deviated_created = GaugeVec::new(
                Opts::new(
                    "chaostoolkit_deviated_experiment_created",
                    "Chaos Toolkit deviated experiments",
                ),
                &LABELS,
            )
            .map_err(build)?;
            let duration_dist_created = GaugeVec::new(
                Opts::new(
                    "chaostoolkit_experiment_duration_dist_created",
                    "Chaos Toolkit experiment duration distribution",
                ),
                &LABELS,
            )
            .map_err(build)?;
            registry
                .register(Box::new(deviated_created.clone()))
                .map_err(build)?;
            registry
                .register(Box::new(duration_dist_created.clone()))
                .map_err(build)?;
            Some((deviated_created, duration_dist_created))
        } else {
            None
        };
        Ok(Self {
            gateway,
            remote,
            job: args.job,
            grouping_key,
            method: args.method,
            delete_on_cleanup: args.delete_on_cleanup,
            labels,
            registry,
            status,
            deviated,
            in_progress,
            duration,
            duration_dist,
            created,
            activities,
            phase_gauge,
            phase: "hypothesis_before",
            method_started: false,
            method_done: false,
            pending: None,
        })
    }

    fn labels(&self) -> [&str; 4] {
        [
            self.labels[0].as_str(),
            self.labels[1].as_str(),
            self.labels[2].as_str(),
            self.labels[3].as_str(),
        ]
    }

    fn started(&self) {
        self.in_progress.with_label_values(&self.labels()).inc();
    }

    fn finished(&self, journal: &Value) {
        let labels = self.labels();
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        };
        if journal["deviated"].as_bool() == Some(true) {
            if let Some((deviated_created, _)) = &self.created {
                deviated_created.with_label_values(&labels).set(now());
            }
            self.deviated.with_label_values(&labels).inc();
        }
        self.in_progress.with_label_values(&labels).dec();
        let status = journal["status"].as_str().unwrap_or_default();
        for state in STATES {
            let mut with_state = labels.to_vec();
            with_state.push(state);
            self.status
                .with_label_values(&with_state)
                .set(if state == status { 1.0 } else { 0.0 });
        }
        if let Some(duration) = journal["duration"].as_f64() {
            if let Some((_, duration_dist_created)) = &self.created {
                duration_dist_created.with_label_values(&labels).set(now());
            }
            self.duration.with_label_values(&labels).set(duration);
            self.duration_dist
                .with_label_values(&labels)
                .observe(duration);
        }
    }

    /// A phase starts (`on`) or ends: the phase the next activities
    /// belong to, and its gauge. Whether to push now.
    fn phase_change(&mut self, phase: &'static str, on: bool) -> bool {
        if on {
            self.phase = phase;
        }
        match &self.phase_gauge {
            Some(gauge) => {
                let mut labels = self.labels().to_vec();
                labels.push(phase);
                gauge
                    .with_label_values(&labels)
                    .set(if on { 1.0 } else { 0.0 });
                true
            }
            None => false,
        }
    }

    /// The phase a hypothesis check belongs to, from where the method is.
    fn hypothesis_phase(&self) -> &'static str {
        match (self.method_started, self.method_done) {
            (false, _) => "hypothesis_before",
            (true, false) => "hypothesis_during",
            (true, true) => "hypothesis_after",
        }
    }

    /// One activity's run entry, under the current phase.
    fn activity_ran(&self, activity: &Value, run: &Value) {
        let Some(families) = &self.activities else {
            return;
        };
        let status = match run["status"].as_str() {
            Some("succeeded") => "succeeded",
            _ => "failed",
        };
        families.ran(
            activity["name"].as_str().unwrap_or_default(),
            activity["type"].as_str().unwrap_or_default(),
            self.phase,
            status,
            run["duration"].as_f64(),
        );
    }

    /// The tolerance verdicts of a hypothesis check.
    fn hypothesis_checked(&self, phase: &'static str, result: &Value) {
        let Some(families) = &self.activities else {
            return;
        };
        for probe in result["probes"].as_array().into_iter().flatten() {
            if let Some(met) = probe["tolerance_met"].as_bool() {
                let name = probe["activity"]["name"].as_str().unwrap_or_default();
                families.checked(name, phase, met);
            }
        }
    }

    /// Where the metrics go, as a handle a task can own.
    fn destination(&self) -> Destination {
        Destination {
            gateway: self.gateway.clone(),
            remote: self.remote.clone(),
            job: self.job.clone(),
            grouping_key: self.grouping_key.clone(),
        }
    }

    /// Pushes the registry to the Pushgateway and writes it to the
    /// remote-write receiver, each when configured, after any phase push
    /// still on its way; a failure is logged, never returned.
    async fn push(&mut self) {
        if let Some(pending) = self.pending.take() {
            let _ = pending.await;
        }
        self.destination()
            .send(self.registry.gather(), self.method, now_ms())
            .await;
    }

    /// At a phase change, only the phase gauge, sent in the background (in
    /// order after the previous one) so that the run does not wait for it:
    /// a `POST` that leaves the group's other families as they are, and
    /// one family written, timestamped now. [`push`](Self::push) and
    /// cleanup wait for it.
    fn push_phase(&mut self) {
        let families: Vec<_> = self
            .registry
            .gather()
            .into_iter()
            .filter(|f| f.name() == "chaostoolkit_experiment_phase")
            .collect();
        let previous = self.pending.take();
        let destination = self.destination();
        let at = now_ms();
        self.pending = Some(tokio::spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            destination.send(families, PushMethod::Post, at).await;
        }));
    }
}

/// The Pushgateway and remote-write receiver of a run, as configured.
#[derive(Debug, Clone)]
struct Destination {
    gateway: Option<Pushgateway>,
    remote: Option<RemoteWrite>,
    job: String,
    grouping_key: Vec<(String, String)>,
}

impl Destination {
    async fn send(&self, families: Vec<MetricFamily>, method: PushMethod, at_ms: i64) {
        if let Some(gateway) = &self.gateway {
            let outcome = gateway
                .push_families(method, &self.job, self.grouping_key.clone(), &families)
                .await;
            if let Err(e) = outcome {
                tracing::warn!(gateway = gateway.url(), error = %e, "could not push the run's metrics; the run goes on");
            }
        }
        if let Some(remote) = &self.remote {
            // The labels a scrape of the Pushgateway would add: the job and
            // the grouping key.
            let mut extra: Vec<(&str, &str)> = vec![("job", self.job.as_str())];
            extra.extend(
                self.grouping_key
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            );
            if let Err(e) = remote.write(&families, &extra, at_ms).await {
                tracing::warn!(receiver = %remote.url(), error = %e, "could not write the run's metrics; the run goes on");
            }
        }
    }
}

/// Now, in Unix milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Whether to push `_created` series: unless
/// `PROMETHEUS_DISABLE_CREATED_SERIES` is `true`, `1` or `t` (any case),
/// as `prometheus_client` reads it.
fn created_series_wanted() -> bool {
    std::env::var("PROMETHEUS_DISABLE_CREATED_SERIES")
        .map(|v| !matches!(v.to_lowercase().as_str(), "true" | "1" | "t"))
        .unwrap_or(true)
}

/// 32 random lowercase hex characters.
fn random_trace_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    (0..2)
        .map(|_| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default(),
            );
            format!("{:016x}", h.finish())
        })
        .collect()
}

impl MetricsControl {
    /// A control, to be configured by the runner.
    pub fn new() -> Self {
        Self::default()
    }

    /// The trace id, experiment ref and grouping key in force once
    /// configured (for runners and tests that want to report them).
    pub fn identity(&self) -> Option<RunIdentity> {
        let state = self.state.lock().ok()?;
        state.as_ref().map(|c| RunIdentity {
            trace_id: c.labels[2].clone(),
            experiment_ref: c.labels[3].clone(),
            grouping_key: c.grouping_key.clone(),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Collector) -> T) -> Option<T> {
        let mut state = self.state.lock().ok()?;
        state.as_mut().map(f)
    }

    async fn push(&self) {
        // The collector is moved out for the await and put back: a Mutex
        // guard must not be held across it.
        let collector = self.state.lock().ok().and_then(|mut s| s.take());
        if let Some(mut collector) = collector {
            collector.push().await;
            if let Ok(mut state) = self.state.lock() {
                *state = Some(collector);
            }
        }
    }
}

/// The first `${…}` placeholder in a string under `value`, and where
/// (`grouping_key.env`). Only the placeholder is returned, never the rest
/// of the string, which may be a token (`"Bearer abc${x}"`).
fn placeholder(value: &Value, at: &str) -> Option<(String, String)> {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        Value::String(s) => {
            let start = s.find("${")?;
            let end = s[start..].find('}').map_or(s.len(), |e| start + e + 1);
            Some((at.to_owned(), s[start..end].to_owned()))
        }
        Value::Object(map) => map.iter().find_map(|(k, v)| placeholder(v, &join(k))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| placeholder(v, &join(&i.to_string()))),
        _ => None,
    }
}

#[async_trait]
impl Control for MetricsControl {
    /// The arguments as `configure` reads them, and the clients they
    /// describe built (URLs parsed, a CA file read), with nothing sent.
    fn check_arguments(&self, arguments: &Value) -> Result<(), String> {
        if let Some((name, text)) = placeholder(arguments, "") {
            return Err(format!(
                "argument '{name}' holds '{text}', but a control's arguments are never \
                 substituted (chaos run passes them to configure_control as written): \
                 write the value itself"
            ));
        }
        Collector::new(Arguments::parse(arguments)?, &Value::Null).map(|_| ())
    }

    async fn configure(&self, ctx: &ConfigureContext<'_>) -> HookResult {
        let args = Arguments::parse(ctx.arguments).map_err(ControlError::failed)?;
        let collector = Collector::new(args, ctx.run.experiment).map_err(ControlError::failed)?;
        if let Ok(mut state) = self.state.lock() {
            *state = Some(collector);
        }
        Ok(())
    }

    async fn before_experiment(&self, _ctx: &RunContext<'_>) -> HookResult {
        // Awaited, as in Python: what runs next may count on the gateway
        // showing the run in progress (an alert inhibited during chaos).
        if self.with(|c| c.started()).is_some() {
            self.push().await;
        }
        Ok(())
    }

    async fn after_experiment(&self, _ctx: &RunContext<'_>, journal: &Value) -> HookResult {
        if self.with(|c| c.finished(journal)).is_some() {
            self.push().await;
        }
        Ok(())
    }

    async fn cleanup(&self) -> HookResult {
        let mut collector = self.state.lock().ok().and_then(|mut s| s.take());
        if let Some(pending) = collector.as_mut().and_then(|c| c.pending.take()) {
            let _ = pending.await;
        }
        if let Some(c) = collector.filter(|c| c.delete_on_cleanup) {
            if let Some(gateway) = &c.gateway {
                if let Err(e) = gateway.delete(&c.job, c.grouping_key.clone()).await {
                    tracing::warn!(gateway = gateway.url(), error = %e, "could not delete the run's group");
                }
            }
        }
        Ok(())
    }

    async fn before_hypothesis(&self, _ctx: &RunContext<'_>, _hypothesis: &Value) -> HookResult {
        self.with(|c| {
            if c.phase_change(c.hypothesis_phase(), true) {
                c.push_phase();
            }
        });
        Ok(())
    }

    async fn after_hypothesis(
        &self,
        _ctx: &RunContext<'_>,
        _hypothesis: &Value,
        result: &Value,
    ) -> HookResult {
        let push = self.with(|c| {
            let phase = c.hypothesis_phase();
            c.hypothesis_checked(phase, result);
            let push = c.phase_change(phase, false);
            if c.method_started && !c.method_done {
                // A check during the method: its activities go on.
                c.phase = "method";
            }
            push
        });
        if push == Some(true) {
            self.with(Collector::push_phase);
        }
        Ok(())
    }

    async fn before_method(&self, _ctx: &RunContext<'_>, _method: &Value) -> HookResult {
        let push = self.with(|c| {
            c.method_started = true;
            c.phase_change("method", true)
        });
        if push == Some(true) {
            self.with(Collector::push_phase);
        }
        Ok(())
    }

    async fn after_method(
        &self,
        _ctx: &RunContext<'_>,
        _method: &Value,
        _runs: &Value,
    ) -> HookResult {
        let push = self.with(|c| {
            c.method_done = true;
            let push = c.phase_change("method", false);
            c.phase = c.hypothesis_phase();
            push
        });
        if push == Some(true) {
            self.with(Collector::push_phase);
        }
        Ok(())
    }

    async fn before_rollback(&self, _ctx: &RunContext<'_>, _rollbacks: &Value) -> HookResult {
        self.with(|c| {
            if c.phase_change("rollback", true) {
                c.push_phase();
            }
        });
        Ok(())
    }

    async fn after_rollback(
        &self,
        _ctx: &RunContext<'_>,
        _rollbacks: &Value,
        _runs: &Value,
    ) -> HookResult {
        self.with(|c| {
            if c.phase_change("rollback", false) {
                c.push_phase();
            }
        });
        Ok(())
    }

    async fn after_activity(
        &self,
        _ctx: &RunContext<'_>,
        activity: &Value,
        run: &Value,
    ) -> HookResult {
        self.with(|c| c.activity_ran(activity, run));
        Ok(())
    }
}
