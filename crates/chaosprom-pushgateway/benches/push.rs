//! One push of the Chaos Toolkit control's five metric families to a real
//! Pushgateway on loopback.

use chaosprom_pushgateway::Pushgateway;
use chaosprom_pushgateway::prometheus::{
    Gauge, GaugeVec, Histogram, HistogramOpts, IntCounter, IntGauge, Opts, Registry,
};
use chaosprom_testkit::Pushgateway as Server;
use criterion::{Criterion, criterion_group, criterion_main};

/// The five families of the metrics control (CHAOSTOOLKIT.md §2).
fn control_registry() -> Registry {
    let labels = [
        ("source", "chaostoolkit"),
        ("chaostoolkit_lib_version", "1.44.0"),
        (
            "chaostoolkit_run_trace_id",
            "0123456789abcdef0123456789abcdef",
        ),
        ("chaostoolkit_experiment_ref", "840531fd35ffa85770ddb24d"),
    ];
    let constant: std::collections::HashMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let opts = |name: &str, help: &str| Opts::new(name, help).const_labels(constant.clone());
    let registry = Registry::new();
    let status = GaugeVec::new(
        opts("chaostoolkit_experiment_status", "Experiment status"),
        &["chaostoolkit_experiment_status"],
    )
    .unwrap();
    for state in ["completed", "failed", "aborted", "interrupted"] {
        status
            .with_label_values(&[state])
            .set(f64::from(u8::from(state == "completed")));
    }
    let deviated = IntCounter::with_opts(opts(
        "chaostoolkit_deviated_experiment_total",
        "Deviated experiments",
    ))
    .unwrap();
    let in_progress = IntGauge::with_opts(opts(
        "chaostoolkit_inprogress_experiment",
        "Experiments in progress",
    ))
    .unwrap();
    let duration = Gauge::with_opts(opts(
        "chaostoolkit_experiment_duration",
        "Experiment duration",
    ))
    .unwrap();
    duration.set(12.5);
    let dist = Histogram::with_opts(
        HistogramOpts::new(
            "chaostoolkit_experiment_duration_dist",
            "Experiment duration distribution",
        )
        .const_labels(constant.clone())
        .buckets(vec![
            0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
        ]),
    )
    .unwrap();
    dist.observe(12.5);
    registry.register(Box::new(status)).unwrap();
    registry.register(Box::new(deviated)).unwrap();
    registry.register(Box::new(in_progress)).unwrap();
    registry.register(Box::new(duration)).unwrap();
    registry.register(Box::new(dist)).unwrap();
    registry
}

fn push(c: &mut Criterion) {
    let server = Server::start().expect("a Pushgateway (cargo xtask setup)");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let gateway = Pushgateway::new(server.url()).unwrap();
    let registry = control_registry();
    let key = [(
        "chaostoolkit_experiment_ref",
        "840531fd35ffa85770ddb24d".to_owned(),
    )];
    c.bench_function("push/control_families", |b| {
        b.to_async(&runtime).iter(|| async {
            gateway
                .push("chaostoolkit", key.clone(), &registry)
                .await
                .unwrap();
        });
    });
}

/// The activity families of a 200-probe run with `activity_metrics`: 200
/// histograms and counters, about 3,800 series.
fn activity_registry() -> Registry {
    use chaosprom_pushgateway::prometheus::{CounterVec, HistogramVec};
    let labels = [
        "activity",
        "activity_type",
        "phase",
        "status",
        "chaostoolkit_run_trace_id",
    ];
    let registry = Registry::new();
    let duration = HistogramVec::new(
        HistogramOpts::new("chaostoolkit_activity_duration_seconds", "d"),
        &labels,
    )
    .unwrap();
    let total = CounterVec::new(Opts::new("chaostoolkit_activity_total", "t"), &labels).unwrap();
    for phase in ["hypothesis_before", "hypothesis_after"] {
        for i in 0..100 {
            let name = format!("probe {i}");
            let values = [
                name.as_str(),
                "probe",
                phase,
                "succeeded",
                "0123456789abcdef0123456789abcdef",
            ];
            duration.with_label_values(&values).observe(0.0004);
            total.with_label_values(&values).inc();
        }
    }
    registry.register(Box::new(duration)).unwrap();
    registry.register(Box::new(total)).unwrap();
    registry
}

/// The same 3,800 series as text and as protobuf: what the Pushgateway
/// takes to accept each, encoding included.
fn push_formats(c: &mut Criterion) {
    use chaosprom_pushgateway::PushFormat;
    let server = Server::start().expect("a Pushgateway (cargo xtask setup)");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let registry = activity_registry();
    let mut group = c.benchmark_group("push/activity_families");
    group.sample_size(30);
    for (name, format) in [
        ("text", PushFormat::Text),
        ("protobuf", PushFormat::Protobuf),
    ] {
        let gateway = Pushgateway::builder(server.url())
            .format(format)
            .build()
            .unwrap();
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                gateway
                    .push("chaostoolkit", [("format", name)], &registry)
                    .await
                    .unwrap();
            });
        });
    }
    group.finish();
}

/// The same 3,800 series written to a real VictoriaMetrics with remote-write
/// (snappy-compressed protobuf), encoding included; the series exist after
/// the first write, as they do for a runner that writes every run.
fn remote_write(c: &mut Criterion) {
    use chaosprom_pushgateway::RemoteWrite;
    use chaosprom_testkit::VictoriaMetrics;
    let server = VictoriaMetrics::start().expect("VictoriaMetrics (cargo xtask setup)");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let families = activity_registry().gather();
    let writer = RemoteWrite::new(format!("{}/api/v1/write", server.url())).unwrap();
    let extra = [("job", "chaostoolkit"), ("instance", "")];
    c.bench_function("remote_write/activity_families", |b| {
        b.to_async(&runtime).iter(|| async {
            writer
                .write(&families, &extra, 1_764_072_000_000)
                .await
                .unwrap();
        });
    });
}

criterion_group!(benches, push, push_formats, remote_write);
criterion_main!(benches);
