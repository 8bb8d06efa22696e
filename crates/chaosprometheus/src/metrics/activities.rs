//! The families of `activity_metrics`, kept as plain counts.
//!
//! The prometheus crate's vectors build and check a descriptor for every
//! new label set (names validated, label pairs built and sorted, hashed):
//! some 20,000 instructions an activity, three times over for a probe,
//! which made a run of 200 probes a quarter slower. Here an activity is a
//! map entry, and the families are built when they are gathered for a
//! push, as the vectors would give them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use chaosprom_pushgateway::prometheus::core::{Collector, Desc};
use chaosprom_pushgateway::prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};

/// `chaostoolkit_activity_duration_seconds`: name and help.
const DURATION: (&str, &str) = (
    "chaostoolkit_activity_duration_seconds",
    "Chaos Toolkit activity duration",
);
/// `chaostoolkit_activity_total`: name and help.
const TOTAL: (&str, &str) = (
    "chaostoolkit_activity_total",
    "Chaos Toolkit activities run",
);
/// `chaostoolkit_tolerance_met`: name and help.
const TOLERANCE: (&str, &str) = (
    "chaostoolkit_tolerance_met",
    "Whether a steady-state probe was within its tolerance (1) or not (0)",
);
/// The labels of an activity's run, after the run labels.
const RUN_LABELS: [&str; 4] = ["activity", "activity_type", "phase", "status"];
/// The labels of a tolerance verdict, after the run labels.
const TOLERANCE_LABELS: [&str; 2] = ["activity", "phase"];

/// The three families, shared by the control (which records) and the
/// registry (which gathers).
#[derive(Clone)]
pub(super) struct ActivityFamilies {
    inner: Arc<Inner>,
}

struct Inner {
    descs: [Desc; 3],
    /// The labels every metric carries, with their values.
    run: Vec<(&'static str, String)>,
    bounds: &'static [f64],
    state: Mutex<State>,
}

/// An activity's name and type, its phase and its status.
type RunKey = (String, String, &'static str, &'static str);

#[derive(Default)]
struct State {
    runs: BTreeMap<RunKey, Runs>,
    /// By activity name and phase: 1 or 0.
    tolerance: BTreeMap<(String, &'static str), f64>,
}

/// The runs of one label set.
struct Runs {
    total: f64,
    /// Observed durations, when any was finite.
    durations: Option<Durations>,
}

struct Durations {
    count: u64,
    sum: f64,
    /// How many fell in each bucket (not cumulative).
    buckets: Vec<u64>,
}

impl std::fmt::Debug for ActivityFamilies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivityFamilies").finish_non_exhaustive()
    }
}

impl ActivityFamilies {
    /// Families whose metrics carry `run` (the run labels and their
    /// values), with the duration histogram's upper `bounds`.
    pub(super) fn new(
        run: Vec<(&'static str, String)>,
        bounds: &'static [f64],
    ) -> Result<Self, String> {
        let desc = |(name, help): (&str, &str), labels: &[&str]| {
            let variable = run
                .iter()
                .map(|(n, _)| *n)
                .chain(labels.iter().copied())
                .map(str::to_owned)
                .collect();
            Desc::new(name.into(), help.into(), variable, HashMap::new()).map_err(|e| e.to_string())
        };
        let descs = [
            desc(DURATION, &RUN_LABELS)?,
            desc(TOTAL, &RUN_LABELS)?,
            desc(TOLERANCE, &TOLERANCE_LABELS)?,
        ];
        Ok(Self {
            inner: Arc::new(Inner {
                descs,
                run,
                bounds,
                state: Mutex::default(),
            }),
        })
    }

    /// An activity ran: counted, and its duration observed when finite.
    pub(super) fn ran(
        &self,
        activity: &str,
        kind: &str,
        phase: &'static str,
        status: &'static str,
        seconds: Option<f64>,
    ) {
        let bounds = self.inner.bounds;
        let mut state = self.state();
        let runs = state
            .runs
            .entry((activity.to_owned(), kind.to_owned(), phase, status))
            .or_insert(Runs {
                total: 0.0,
                durations: None,
            });
        runs.total += 1.0;
        if let Some(seconds) = seconds.filter(|s| s.is_finite()) {
            let durations = runs.durations.get_or_insert_with(|| Durations {
                count: 0,
                sum: 0.0,
                buckets: vec![0; bounds.len()],
            });
            durations.count += 1;
            durations.sum += seconds;
            let bucket = bounds.iter().position(|bound| seconds <= *bound);
            if let Some(count) = bucket.and_then(|i| durations.buckets.get_mut(i)) {
                *count += 1;
            }
        }
    }

    /// A hypothesis probe's tolerance verdict in `phase`.
    pub(super) fn checked(&self, activity: &str, phase: &'static str, met: bool) {
        self.state()
            .tolerance
            .insert((activity.to_owned(), phase), if met { 1.0 } else { 0.0 });
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere while recording leaves counts, not a broken
        // invariant: they are still worth pushing.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A metric's label pairs: the run labels and `more`, sorted by name,
    /// as the prometheus crate sorts them.
    fn labels(&self, more: &[(&str, &str)]) -> Vec<LabelPair> {
        let mut pairs: Vec<LabelPair> = self
            .inner
            .run
            .iter()
            .map(|(n, v)| (*n, v.as_str()))
            .chain(more.iter().copied())
            .map(|(name, value)| {
                let mut pair = LabelPair::default();
                pair.set_name(name.to_owned());
                pair.set_value(value.to_owned());
                pair
            })
            .collect();
        pairs.sort_by(|a, b| a.name().cmp(b.name()));
        pairs
    }
}

fn family((name, help): (&str, &str), kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut family = MetricFamily::default();
    family.set_name(name.to_owned());
    family.set_help(help.to_owned());
    family.set_field_type(kind);
    family.set_metric(metrics);
    family
}

impl Collector for ActivityFamilies {
    fn desc(&self) -> Vec<&Desc> {
        self.inner.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let state = self.state();
        let mut durations = Vec::new();
        let mut totals = Vec::new();
        for ((activity, kind, phase, status), runs) in &state.runs {
            let labels = self.labels(&[
                ("activity", activity),
                ("activity_type", kind),
                ("phase", phase),
                ("status", status),
            ]);
            if let Some(d) = &runs.durations {
                let mut cumulative = 0;
                let buckets = self
                    .inner
                    .bounds
                    .iter()
                    .zip(&d.buckets)
                    .map(|(bound, count)| {
                        cumulative += count;
                        let mut bucket = Bucket::default();
                        bucket.set_cumulative_count(cumulative);
                        bucket.set_upper_bound(*bound);
                        bucket
                    })
                    .collect();
                let mut histogram = Histogram::default();
                histogram.set_sample_count(d.count);
                histogram.set_sample_sum(d.sum);
                histogram.set_bucket(buckets);
                let mut metric = Metric::default();
                metric.set_label(labels.clone());
                metric.set_histogram(histogram);
                durations.push(metric);
            }
            let mut counter = Counter::default();
            counter.set_value(runs.total);
            let mut metric = Metric::default();
            metric.set_label(labels);
            metric.set_counter(counter);
            totals.push(metric);
        }
        let tolerances = state
            .tolerance
            .iter()
            .map(|((activity, phase), met)| {
                let mut gauge = Gauge::default();
                gauge.set_value(*met);
                let mut metric = Metric::default();
                metric.set_label(self.labels(&[("activity", activity), ("phase", phase)]));
                metric.set_gauge(gauge);
                metric
            })
            .collect();
        vec![
            family(DURATION, MetricType::HISTOGRAM, durations),
            family(TOTAL, MetricType::COUNTER, totals),
            family(TOLERANCE, MetricType::GAUGE, tolerances),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chaosprom_pushgateway::prometheus::{
        CounterVec, GaugeVec, HistogramOpts, HistogramVec, Opts, Registry,
    };

    const BOUNDS: [f64; 3] = [0.005, 1.0, 300.0];

    /// The same runs recorded both ways gather to the same families: the
    /// prometheus crate's vectors are the reference.
    #[test]
    fn gathers_what_the_prometheus_crate_vectors_gather() {
        let run = vec![
            ("source", "chaostoolkit".to_owned()),
            ("chaostoolkit_lib_version", "1.44.0".to_owned()),
            ("chaostoolkit_run_trace_id", "abc".to_owned()),
            ("chaostoolkit_experiment_ref", "ref".to_owned()),
        ];
        let names: Vec<&str> = run.iter().map(|(n, _)| *n).collect();
        let values: Vec<&str> = run.iter().map(|(_, v)| v.as_str()).collect();
        let with = |more: &[&'static str]| -> Vec<&str> {
            let mut all = names.clone();
            all.extend_from_slice(more);
            all
        };
        let reference = Registry::new();
        let duration = HistogramVec::new(
            HistogramOpts::new(DURATION.0, DURATION.1).buckets(BOUNDS.to_vec()),
            &with(&RUN_LABELS),
        )
        .unwrap();
        let total = CounterVec::new(Opts::new(TOTAL.0, TOTAL.1), &with(&RUN_LABELS)).unwrap();
        let tolerance = GaugeVec::new(
            Opts::new(TOLERANCE.0, TOLERANCE.1),
            &with(&TOLERANCE_LABELS),
        )
        .unwrap();
        reference.register(Box::new(duration.clone())).unwrap();
        reference.register(Box::new(total.clone())).unwrap();
        reference.register(Box::new(tolerance.clone())).unwrap();

        let ours = Registry::new();
        let families = ActivityFamilies::new(run.clone(), &BOUNDS).unwrap();
        ours.register(Box::new(families.clone())).unwrap();
        assert_eq!(ours.gather(), reference.gather(), "nothing recorded");

        // Repeated names, every bucket and past the last, a non-finite
        // duration (counted, not observed), unicode, and an empty name.
        let runs: [(&str, &str, &str, &str, Option<f64>); 9] = [
            ("p", "probe", "hypothesis_before", "succeeded", Some(0.001)),
            ("p", "probe", "hypothesis_before", "succeeded", Some(0.5)),
            ("p", "probe", "hypothesis_after", "failed", Some(1.0)),
            ("a", "action", "method", "succeeded", Some(400.0)),
            ("a", "action", "method", "succeeded", Some(f64::NAN)),
            ("é ∑", "probe", "rollback", "failed", Some(299.0)),
            ("n", "action", "method", "failed", None),
            ("", "probe", "hypothesis_before", "succeeded", Some(0.005)),
            ("p", "probe", "hypothesis_before", "succeeded", Some(2.0)),
        ];
        for (name, kind, phase, status, seconds) in runs {
            let mut labels = values.clone();
            labels.extend([name, kind, phase, status]);
            total.with_label_values(&labels).inc();
            if let Some(s) = seconds.filter(|s| s.is_finite()) {
                duration.with_label_values(&labels).observe(s);
            }
            families.ran(name, kind, phase, status, seconds);
        }
        for (name, phase, met) in [
            ("p", "hypothesis_before", true),
            ("p", "hypothesis_after", false),
            ("é ∑", "hypothesis_after", true),
            ("p", "hypothesis_before", false),
        ] {
            let mut labels = values.clone();
            labels.extend([name, phase]);
            tolerance
                .with_label_values(&labels)
                .set(if met { 1.0 } else { 0.0 });
            families.checked(name, phase, met);
        }
        assert_eq!(ours.gather(), reference.gather());
    }
}
