//! The `chaosprometheus.metrics` control: each run's metrics, pushed to a
//! Pushgateway before and after the experiment, as the Python control does.

use std::sync::Mutex;

use async_trait::async_trait;
use chaos_controls::{ConfigureContext, Control, ControlError, HookResult, RunContext};
use chaosprom_pushgateway::prometheus::{
    CounterVec, GaugeVec, HistogramOpts, HistogramVec, Opts, Registry,
};
use chaosprom_pushgateway::{PushMethod, Pushgateway};
use serde_json::Value;

use crate::experiment_hash;

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
/// default this crate's version), `push_method` (`put` or `post`) and
/// `delete_on_cleanup` (delete the group when the run is over).
///
/// Before the experiment it pushes `chaostoolkit_inprogress_experiment` at
/// 1; after it, the run's status (`chaostoolkit_experiment_status`, one
/// sample per state), `chaostoolkit_deviated_experiment_total` (+1 only if
/// the run deviated), the in-progress gauge at 0, and the duration as a
/// gauge and a histogram, with the `_created` gauges `prometheus_client`
/// adds for the counter (when the run deviated) and the histogram, unless
/// `PROMETHEUS_DISABLE_CREATED_SERIES` is set, as in Python. A push that fails is logged with the gateway URL
/// and the reason; it never fails a hook or changes the run.
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
    gateway: Pushgateway,
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
}

/// The control's arguments, checked.
#[derive(Debug)]
struct Arguments {
    pushgateway_url: String,
    job: String,
    grouping_key: Option<Vec<(String, String)>>,
    trace_id: Option<String>,
    experiment_ref: Option<String>,
    lib_version: String,
    method: PushMethod,
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
        let grouping_key = match map.get("grouping_key") {
            None | Some(Value::Null) => None,
            Some(Value::Object(key)) => Some(
                key.iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => Ok((k.clone(), s.clone())),
                        other => Ok((k.clone(), other.to_string())),
                    })
                    .collect::<Result<Vec<_>, String>>()?,
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
        let delete_on_cleanup = match map.get("delete_on_cleanup") {
            None | Some(Value::Null) => false,
            Some(v) => crate::config::as_bool(v).ok_or_else(|| {
                format!("argument 'delete_on_cleanup' must be true or false, found {v}")
            })?,
        };
        Ok(Self {
            pushgateway_url: text("pushgateway_url")?
                .unwrap_or_else(|| "http://localhost:9091".to_owned()),
            job: text("job")?.unwrap_or_else(|| "chaostoolkit".to_owned()),
            grouping_key,
            trace_id: text("trace_id")?,
            experiment_ref: text("experiment_ref")?,
            lib_version: text("lib_version")?
                .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
            method,
            delete_on_cleanup,
        })
    }
}

impl Collector {
    fn new(args: Arguments, experiment: &Value) -> Result<Self, String> {
        let gateway =
            Pushgateway::new(&args.pushgateway_url).map_err(|e| format!("pushgateway_url: {e}"))?;
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
            job: args.job,
            grouping_key,
            method: args.method,
            delete_on_cleanup: args.delete_on_cleanup,
            labels: [
                "chaostoolkit".to_owned(),
                args.lib_version,
                trace_id,
                experiment_ref,
            ],
            registry,
            status,
            deviated,
            in_progress,
            duration,
            duration_dist,
            created,
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

    /// Pushes the registry; a failure is logged, never returned.
    async fn push(&self) {
        let families = self.registry.gather();
        let outcome = self
            .gateway
            .push_families(self.method, &self.job, self.grouping_key.clone(), &families)
            .await;
        if let Err(e) = outcome {
            tracing::warn!(gateway = self.gateway.url(), error = %e, "could not push the run's metrics; the run goes on");
        }
    }
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

    fn with<T>(&self, f: impl FnOnce(&Collector) -> T) -> Option<T> {
        let state = self.state.lock().ok()?;
        state.as_ref().map(f)
    }

    async fn push(&self) {
        // The collector is moved out for the await and put back: a Mutex
        // guard must not be held across it.
        let collector = self.state.lock().ok().and_then(|mut s| s.take());
        if let Some(collector) = collector {
            collector.push().await;
            if let Ok(mut state) = self.state.lock() {
                *state = Some(collector);
            }
        }
    }
}

#[async_trait]
impl Control for MetricsControl {
    async fn configure(&self, ctx: &ConfigureContext<'_>) -> HookResult {
        let args = Arguments::parse(ctx.arguments).map_err(ControlError::failed)?;
        let collector = Collector::new(args, ctx.run.experiment).map_err(ControlError::failed)?;
        if let Ok(mut state) = self.state.lock() {
            *state = Some(collector);
        }
        Ok(())
    }

    async fn before_experiment(&self, _ctx: &RunContext<'_>) -> HookResult {
        if self.with(Collector::started).is_some() {
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
        let collector = self.state.lock().ok().and_then(|mut s| s.take());
        if let Some(c) = collector.filter(|c| c.delete_on_cleanup) {
            if let Err(e) = c.gateway.delete(&c.job, c.grouping_key.clone()).await {
                tracing::warn!(gateway = c.gateway.url(), error = %e, "could not delete the run's group");
            }
        }
        Ok(())
    }
}
