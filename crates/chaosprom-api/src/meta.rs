//! Typed answers of the endpoints other than queries. Fields Prometheus may
//! leave out (or that VictoriaMetrics does not send) default to empty.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::types::Labels;

/// `GET /api/v1/metadata`: metric name → its metadata, once per distinct
/// help/type/unit.
pub type Metadata = BTreeMap<String, Vec<MetricMetadata>>;

/// A metric's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricMetadata {
    /// `counter`, `gauge`, `histogram`, `summary`, `unknown`…
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The help text.
    #[serde(default)]
    pub help: String,
    /// The unit, if any.
    #[serde(default)]
    pub unit: String,
}

/// `GET /api/v1/targets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Targets {
    /// Targets being scraped.
    pub active_targets: Vec<ActiveTarget>,
    /// Targets dropped by relabelling.
    pub dropped_targets: Vec<DroppedTarget>,
}

/// A target being scraped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ActiveTarget {
    /// Labels before relabelling.
    pub discovered_labels: Labels,
    /// Labels after relabelling.
    pub labels: Labels,
    /// The scrape pool (job).
    pub scrape_pool: String,
    /// The URL scraped.
    pub scrape_url: String,
    /// The URL as seen from outside.
    pub global_url: String,
    /// The last scrape's error, empty if none.
    pub last_error: String,
    /// When it was last scraped (RFC 3339).
    pub last_scrape: String,
    /// How long the last scrape took, in seconds.
    pub last_scrape_duration: f64,
    /// `up`, `down` or `unknown`.
    pub health: String,
    /// The scrape interval, e.g. `15s`.
    pub scrape_interval: String,
    /// The scrape timeout, e.g. `10s`.
    pub scrape_timeout: String,
}

/// A target dropped by relabelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DroppedTarget {
    /// Its labels before relabelling.
    pub discovered_labels: Labels,
}

/// `GET /api/v1/targets/metadata`: one metric of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct TargetMetadata {
    /// The target's labels.
    pub target: Labels,
    /// The metric's name (absent when the query named one metric).
    pub metric: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its help text.
    pub help: String,
    /// Its unit.
    pub unit: String,
}

/// `GET /api/v1/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RuleGroups {
    /// The rule groups.
    pub groups: Vec<RuleGroup>,
}

/// A rule group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RuleGroup {
    /// Its name.
    pub name: String,
    /// The file it was loaded from.
    pub file: String,
    /// Its rules.
    pub rules: Vec<Rule>,
    /// Its evaluation interval, in seconds.
    pub interval: f64,
    /// How long its last evaluation took, in seconds.
    pub evaluation_time: f64,
    /// When it was last evaluated (RFC 3339).
    pub last_evaluation: String,
}

/// An alerting or recording rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Rule {
    /// `alerting` or `recording`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The alert's or the recorded series' name.
    pub name: String,
    /// The PromQL expression.
    pub query: String,
    /// `ok`, `err` or `unknown`.
    pub health: String,
    /// The last evaluation's error, empty if none.
    pub last_error: String,
    /// Labels the rule adds.
    pub labels: Labels,
    /// An alerting rule's annotations.
    pub annotations: Labels,
    /// An alerting rule's `for`, in seconds.
    pub duration: f64,
    /// An alerting rule's state: `inactive`, `pending` or `firing`.
    pub state: String,
    /// An alerting rule's active alerts.
    pub alerts: Vec<Alert>,
    /// How long its last evaluation took, in seconds.
    pub evaluation_time: f64,
    /// When it was last evaluated (RFC 3339).
    pub last_evaluation: String,
}

/// `GET /api/v1/alerts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Alerts {
    /// The active alerts.
    pub alerts: Vec<Alert>,
}

/// An active alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Alert {
    /// Its labels.
    pub labels: Labels,
    /// Its annotations.
    pub annotations: Labels,
    /// `pending` or `firing`.
    pub state: String,
    /// Since when it has been active (RFC 3339).
    pub active_at: Option<String>,
    /// The expression's value when it last fired, as Prometheus writes it.
    pub value: String,
}

/// `GET /api/v1/alertmanagers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Alertmanagers {
    /// Alertmanagers in use.
    pub active_alertmanagers: Vec<AlertmanagerUrl>,
    /// Alertmanagers dropped by relabelling.
    pub dropped_alertmanagers: Vec<AlertmanagerUrl>,
}

/// An Alertmanager's URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AlertmanagerUrl {
    /// The URL.
    pub url: String,
}

/// `GET /api/v1/query_exemplars`: the exemplars of one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ExemplarSeries {
    /// The series' labels.
    pub series_labels: Labels,
    /// Its exemplars.
    pub exemplars: Vec<Exemplar>,
}

/// An exemplar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Exemplar {
    /// Its labels (e.g. `trace_id`).
    pub labels: Labels,
    /// Its value, as Prometheus writes it.
    pub value: String,
    /// Unix seconds.
    pub timestamp: f64,
}

/// `GET /api/v1/status/buildinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BuildInfo {
    /// The version, e.g. `2.42.0`.
    pub version: String,
    /// The git revision.
    pub revision: String,
    /// The git branch.
    pub branch: String,
    /// Who built it.
    pub build_user: String,
    /// When it was built.
    pub build_date: String,
    /// The Go version.
    pub go_version: String,
}

/// `GET /api/v1/status/runtimeinfo`: start time, reload status, storage
/// retention, goroutines… as Prometheus names them.
pub type RuntimeInfo = BTreeMap<String, Value>;

/// `GET /api/v1/status/flags`: flag name → value.
pub type Flags = BTreeMap<String, String>;

/// `GET /api/v1/status/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Config {
    /// The loaded configuration file, as YAML.
    pub yaml: String,
}

/// `GET /api/v1/status/tsdb`: cardinality statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TsdbStatus {
    /// The head block's statistics (`numSeries`, `chunkCount`, `minTime`,
    /// `maxTime`…), absent on VictoriaMetrics.
    pub head_stats: Option<BTreeMap<String, Value>>,
    /// The metric names with the most series.
    pub series_count_by_metric_name: Vec<NameCount>,
    /// The label names with the most values.
    pub label_value_count_by_label_name: Vec<NameCount>,
    /// The label names using the most memory.
    pub memory_in_bytes_by_label_name: Vec<NameCount>,
    /// The label pairs with the most series.
    pub series_count_by_label_value_pair: Vec<NameCount>,
}

/// A name and a count, in TSDB statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NameCount {
    /// The name.
    pub name: String,
    /// The count.
    pub value: u64,
}
