//! The facade end to end: every probe through `dispatch` against real
//! Prometheus and VictoriaMetrics servers, and the metrics control's two
//! pushes read back from a real Pushgateway.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use chaosprom_testkit::{Prometheus, Pushgateway, VictoriaMetrics, http};
use chaosprometheus::controls::{ControlSet, RunContext};
use chaosprometheus::{Activity, MetricsControl, dispatch, experiment_hash};
use serde_json::{Value, json};

fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).unwrap().to_string()
}

/// History: `chaos_temp{room="a"}` = 0..59 each minute ending an hour ago;
/// `chaos_const` = 4 and an idle CPU counter growing 0.5/s (50% busy) every
/// 15 s over the last three hours, up to a minute ago.
fn history(end: i64) -> String {
    let mut om = String::from("# TYPE chaos_temp gauge\n");
    for i in 0..60 {
        om.push_str(&format!(
            "chaos_temp{{room=\"a\"}} {i} {}\n",
            end - (59 - i) * 60
        ));
    }
    let recent = chaosprom_testkit::now_secs() / 15 * 15 - 60;
    om.push_str("# TYPE chaos_const gauge\n");
    for t in (recent - 3 * 3600..=recent).step_by(15) {
        om.push_str(&format!("chaos_const 4 {t}\n"));
    }
    om.push_str("# TYPE node_cpu_seconds counter\n");
    for t in (recent - 3 * 3600..=recent).step_by(15) {
        let idle = (t - (recent - 3 * 3600)) as f64 * 0.5;
        om.push_str(&format!(
            "node_cpu_seconds_total{{cpu=\"0\",mode=\"idle\"}} {idle} {t}\n"
        ));
    }
    om.push_str("# EOF\n");
    om
}

async fn dispatched(
    function: &str,
    args: &Value,
    configuration: &Value,
) -> Result<Activity, chaosprometheus::Error> {
    dispatch(
        "chaosprometheus.probes",
        function,
        args,
        configuration,
        &json!({}),
    )
    .await
}

async fn probe(function: &str, args: Value, configuration: &Value) -> Value {
    match dispatched(function, &args, configuration).await {
        Ok(Activity::Output(v)) => v,
        other => panic!("{function}({args}): {other:?}"),
    }
}

/// The error of a probe that must fail.
async fn probe_error(function: &str, args: Value, configuration: &Value) -> String {
    dispatched(function, &args, configuration)
        .await
        .unwrap_err()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_probe_against_a_real_prometheus() {
    let end = chaosprom_testkit::now_secs() / 60 * 60 - 3600;
    let prom = Prometheus::builder().history(history(end)).start().unwrap();
    // A trailing slash and a path: Python would have asked for //api.
    let configuration =
        json!({"prometheus_base_url": format!("{}/", prom.url()), "prometheus_timeout": 10});

    let payload = probe(
        "query",
        json!({"query": "chaos_temp", "when": rfc3339(end), "timeout": 2.5}),
        &configuration,
    )
    .await;
    let direct = http::get(&format!(
        "{}/api/v1/query?query=chaos_temp&time={}",
        prom.url(),
        rfc3339(end)
    ))
    .unwrap()
    .body;
    assert_eq!(
        payload,
        serde_json::from_str::<Value>(&direct).unwrap(),
        "the payload as-is"
    );
    assert_eq!(payload["data"]["result"][0]["value"][1], "59");

    let relative = probe(
        "query",
        json!({"query": "chaos_temp", "when": "61 minutes ago"}),
        &configuration,
    )
    .await;
    assert_eq!(relative["status"], "success");
    assert_eq!(relative["data"]["result"][0]["metric"]["room"], "a");

    // As Python's extension sends them, and Prometheus reads them: a
    // timeout as a duration string, and an empty `when` (no `time`: now).
    // This refused the timeout and failed to parse the `when`.
    let now = probe(
        "query",
        json!({"query": "vector(time())", "when": "", "timeout": "30s"}),
        &configuration,
    )
    .await;
    let at: f64 = now["data"]["result"][0]["value"][1]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (at - chaosprom_testkit::now_secs() as f64).abs() < 60.0,
        "{now}"
    );
    let no_timeout = probe(
        "query",
        json!({"query": "up", "timeout": ""}),
        &configuration,
    )
    .await;
    assert_eq!(no_timeout["status"], "success");
    // A duration string is the seconds it says, checked as a number is.
    let too_long = probe_error(
        "query",
        json!({"query": "up", "timeout": "2d"}),
        &configuration,
    )
    .await;
    assert!(
        too_long.contains("up to 86400 (one day), found 172800"),
        "{too_long}"
    );

    let range = probe(
        "query_interval",
        json!({"query": "chaos_temp", "start": rfc3339(end - 59 * 60), "end": rfc3339(end), "step": 60}),
        &configuration,
    )
    .await;
    assert_eq!(range["data"]["resultType"], "matrix");
    assert_eq!(
        range["data"]["result"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        60
    );
    let by_duration = probe(
        "query_interval",
        json!({"query": "chaos_temp", "start": rfc3339(end - 59 * 60), "end": rfc3339(end), "step": "1m"}),
        &configuration,
    )
    .await;
    assert_eq!(by_duration, range);

    for mean_type in ["arithmetic", "geometric", "harmonic"] {
        let mean = probe(
            "compute_mean",
            json!({"query": "chaos_const", "window": "2h", "mean_type": mean_type}),
            &configuration,
        )
        .await;
        let mean = mean.as_f64().unwrap();
        assert!((mean - 4.0).abs() < 1e-9, "{mean_type}: {mean}");
    }
    let cpu = probe(
        "nodes_cpu_usage_mean",
        json!({"window": "1h"}),
        &configuration,
    )
    .await;
    let cpu = cpu.as_f64().unwrap();
    // rate() extrapolates at most half a sample interval at the edges of
    // its 1m windows, which do not line up with the 15 s samples: a
    // perfectly linear counter still gives slightly more or less than 0.5.
    assert!((cpu - 50.0).abs() < 0.5, "{cpu}");

    let empty = probe_error(
        "compute_mean",
        json!({"query": "nothing_here", "window": "1h"}),
        &configuration,
    )
    .await;
    assert!(empty.contains("no data points"), "{empty}");
    let zero = probe_error(
        "compute_mean",
        json!({"query": "chaos_const - 4", "window": "1h", "mean_type": "geometric"}),
        &configuration,
    )
    .await;
    assert!(
        zero.to_string()
            .contains("needs values above zero, found 0"),
        "{zero}"
    );
    // Infinities have no mean a journal can hold: this succeeded with a
    // null output (the compensated sum made [+Inf, …] NaN).
    for (query, found) in [
        ("chaos_const / 0", "found +Inf"),
        ("-chaos_const / 0", "found -Inf"),
        ("chaos_const * 0 / 0", "found NaN"),
    ] {
        let err = probe_error(
            "compute_mean",
            json!({"query": query, "window": "1h"}),
            &configuration,
        )
        .await;
        assert!(
            err.contains("arithmetic mean needs finite values") && err.contains(found),
            "{query}: {err}"
        );
    }

    let bad = probe_error("query", json!({"query": "sum("}), &configuration).await;
    assert!(bad.starts_with("Prometheus query 'sum(' failed:"), "{bad}");
    assert!(bad.contains("bad_data"), "{bad}");
    let bad_range = probe_error(
        "query_interval",
        json!({"query": "sum(", "start": "5 minutes ago", "end": "now"}),
        &configuration,
    )
    .await;
    assert!(
        bad_range
            .starts_with("Prometheus query range 'sum(' from '5 minutes ago' to 'now' failed:"),
        "{bad_range}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn probes_against_a_real_victoria_metrics() {
    let vm = VictoriaMetrics::start().unwrap();
    let t = chaosprom_testkit::now_secs() - 600;
    vm.import_prometheus(&format!("chaos_vm{{x=\"1\"}} 7 {}\n", t * 1000))
        .unwrap();
    let configuration = json!({"prometheus_base_url": vm.url()});
    let payload = probe(
        "query",
        json!({"query": "chaos_vm", "when": rfc3339(t)}),
        &configuration,
    )
    .await;
    assert_eq!(payload["data"]["result"][0]["value"][1], "7");
    let range = probe(
        "query_interval",
        json!({"query": "chaos_vm", "start": "11 minutes ago", "end": "9 minutes ago", "step": "30s"}),
        &configuration,
    )
    .await;
    assert_eq!(range["status"], "success");
}

/// A run of `experiment` with no configuration, secrets or settings.
fn bare_run<'a>(experiment: &'a Value, empty: &'a Value) -> RunContext<'a> {
    RunContext {
        experiment,
        configuration: empty,
        secrets: empty,
        settings: empty,
        changes: None,
    }
}

/// The groups a Pushgateway holds.
fn groups(gateway: &Pushgateway) -> Vec<Value> {
    let body = http::get(&format!("{}/api/v1/metrics", gateway.url()))
        .unwrap()
        .body;
    serde_json::from_str::<Value>(&body).unwrap()["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The one metric of a family in the group whose labels include `labels`.
fn family<'a>(group: &'a Value, name: &str) -> Option<&'a Value> {
    group.get(name).map(|f| &f["metrics"])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_metrics_control_pushes_before_and_after_a_run() {
    let gateway = Pushgateway::start().unwrap();
    let experiment = json!({"title": "t", "method": [], "dry": null});
    let expected_ref = experiment_hash(&experiment);
    let control = Arc::new(MetricsControl::new());
    let mut set = ControlSet::new();
    set.add(
        "prometheus",
        control.clone(),
        None,
        json!({"pushgateway_url": gateway.url(), "trace_id": "0123456789abcdef0123456789abcdef", "lib_version": "1.44.0"}),
    );
    let empty = json!({});
    let run = bare_run(&experiment, &empty);
    assert!(set.configure(&run).await.unwrap().is_empty());
    let identity = control.identity().unwrap();
    assert_eq!(identity.trace_id, "0123456789abcdef0123456789abcdef");
    assert_eq!(identity.experiment_ref, expected_ref);
    assert_eq!(
        identity.grouping_key,
        [(
            "chaostoolkit_experiment_ref".to_owned(),
            expected_ref.clone()
        )]
    );

    set.before_experiment(&run).await.unwrap();
    let before = groups(&gateway);
    let group = before
        .iter()
        .find(|g| g["labels"]["chaostoolkit_experiment_ref"] == expected_ref.as_str())
        .unwrap_or_else(|| panic!("{before:?}"));
    assert_eq!(group["labels"]["job"], "chaostoolkit");
    let in_progress = &family(group, "chaostoolkit_inprogress_experiment").unwrap()[0];
    assert_eq!(in_progress["value"], "1");
    let labels = &in_progress["labels"];
    assert_eq!(labels["source"], "chaostoolkit");
    assert_eq!(labels["chaostoolkit_lib_version"], "1.44.0");
    assert_eq!(
        labels["chaostoolkit_run_trace_id"],
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(labels["chaostoolkit_experiment_ref"], expected_ref.as_str());
    assert!(
        family(group, "chaostoolkit_experiment_status").is_none(),
        "only after the run"
    );

    let journal = json!({"status": "failed", "deviated": true, "duration": 1.5});
    set.after_experiment(&run, &journal).await.unwrap();
    let after = groups(&gateway);
    let group = after
        .iter()
        .find(|g| g["labels"]["chaostoolkit_experiment_ref"] == expected_ref.as_str())
        .unwrap();
    assert_eq!(
        family(group, "chaostoolkit_inprogress_experiment").unwrap()[0]["value"],
        "0"
    );
    let status = family(group, "chaostoolkit_experiment_status")
        .unwrap()
        .as_array()
        .unwrap();
    let state = |s: &str| {
        status
            .iter()
            .find(|m| m["labels"]["chaostoolkit_experiment_status"] == s)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(
        (
            state("completed"),
            state("failed"),
            state("aborted"),
            state("interrupted")
        ),
        (json!("0"), json!("1"), json!("0"), json!("0"))
    );
    assert_eq!(
        family(group, "chaostoolkit_deviated_experiment_total").unwrap()[0]["value"],
        "1"
    );
    assert_eq!(
        family(group, "chaostoolkit_experiment_duration").unwrap()[0]["value"],
        "1.5"
    );
    // prometheus_client's `_created` gauges: when the series were made.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for name in [
        "chaostoolkit_deviated_experiment_created",
        "chaostoolkit_experiment_duration_dist_created",
    ] {
        let created = &family(group, name).unwrap_or_else(|| panic!("{name}"))[0];
        let at: f64 = created["value"].as_str().unwrap().parse().unwrap();
        assert!((now - at).abs() < 60.0, "{name} = {at}, now {now}");
        assert_eq!(created["labels"]["chaostoolkit_lib_version"], "1.44.0");
    }
    let dist = &family(group, "chaostoolkit_experiment_duration_dist").unwrap()[0];
    assert_eq!(dist["count"], "1");
    assert_eq!(dist["sum"], "1.5");
    assert_eq!(dist["buckets"]["2.5"], "1");
    assert_eq!(dist["buckets"]["1"], "0");
    let mut bounds: Vec<f64> = dist["buckets"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.parse().unwrap())
        .collect();
    bounds.sort_by(f64::total_cmp);
    // Python's prometheus_client defaults, as `chaos run` pushes them.
    assert_eq!(
        bounds,
        [
            0.005,
            0.01,
            0.025,
            0.05,
            0.075,
            0.1,
            0.25,
            0.5,
            0.75,
            1.0,
            2.5,
            5.0,
            7.5,
            10.0,
            f64::INFINITY
        ]
    );
    set.cleanup().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_did_not_deviate_pushes_no_deviated_sample_and_cleanup_can_delete() {
    let gateway = Pushgateway::start().unwrap();
    let experiment = json!({"title": "t2"});
    let control = Arc::new(MetricsControl::new());
    let mut set = ControlSet::new();
    set.add(
        "prometheus",
        control,
        None,
        json!({"pushgateway_url": gateway.url(), "job": "ctk/job", "grouping_key": {"env": "prod/eu"}, "delete_on_cleanup": true, "push_method": "post"}),
    );
    let empty = json!({});
    let run = bare_run(&experiment, &empty);
    set.configure(&run).await.unwrap();
    set.before_experiment(&run).await.unwrap();
    set.after_experiment(
        &run,
        &json!({"status": "completed", "deviated": false, "duration": 0.2}),
    )
    .await
    .unwrap();
    let all = groups(&gateway);
    let group = all
        .iter()
        .find(|g| g["labels"]["env"] == "prod/eu")
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(group["labels"]["job"], "ctk/job");
    assert!(family(group, "chaostoolkit_deviated_experiment_total").is_none());
    assert!(family(group, "chaostoolkit_deviated_experiment_created").is_none());
    assert!(family(group, "chaostoolkit_experiment_duration_dist_created").is_some());
    set.cleanup().await;
    assert!(
        groups(&gateway)
            .iter()
            .all(|g| g["labels"]["env"] != "prod/eu"),
        "deleted on cleanup"
    );
}

/// Found by running generated control arguments through `chaos run` and
/// `chaosprom run` against one capturing server, then one Pushgateway:
/// each of these pushed nothing here, or other labels, where Python's
/// control lands these series.
#[tokio::test(flavor = "multi_thread")]
async fn the_control_reads_its_arguments_as_python_s_does() {
    let gateway = Pushgateway::start().unwrap();
    let experiment = json!({"title": "t3"});
    let empty = json!({});
    let run = bare_run(&experiment, &empty);
    let configure = |arguments: Value| {
        let control = Arc::new(MetricsControl::new());
        let mut set = ControlSet::new();
        set.add("prometheus", control.clone(), None, arguments);
        (control, set)
    };
    // No scheme: prometheus_client takes it as http://. A trace id that is
    // not a string is its str(); a grouping label naming a run label gives
    // that label its value, as the Pushgateway makes it for Python's push.
    let bare = gateway.url().trim_start_matches("http://").to_owned();
    let (control, set) = configure(json!({
        "pushgateway_url": bare, "job": "t3", "trace_id": 7, "experiment_ref": "",
        "grouping_key": {"chaostoolkit_experiment_ref": "my/exp", "source": 5, "flag": true},
    }));
    assert!(set.configure(&run).await.unwrap().is_empty());
    let identity = control.identity().unwrap();
    assert_eq!(identity.trace_id, "7");
    assert_eq!(identity.experiment_ref, "my/exp");
    set.before_experiment(&run).await.unwrap();
    let all = groups(&gateway);
    let group = all
        .iter()
        .find(|g| g["labels"]["job"] == "t3")
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(group["labels"]["flag"], "True");
    let labels = &family(group, "chaostoolkit_inprogress_experiment").unwrap()[0]["labels"];
    assert_eq!(labels["chaostoolkit_experiment_ref"], "my/exp");
    assert_eq!(labels["chaostoolkit_run_trace_id"], "7");
    assert_eq!(labels["source"], "5");

    // Python's `x or default`: an empty trace id, experiment ref or
    // grouping key takes the default, as null does.
    let (control, set) = configure(json!({
        "pushgateway_url": gateway.url(), "trace_id": "", "experiment_ref": "", "grouping_key": {},
    }));
    assert!(set.configure(&run).await.unwrap().is_empty());
    let identity = control.identity().unwrap();
    let expected_ref = experiment_hash(&experiment);
    assert_eq!(identity.trace_id.len(), 32);
    assert_eq!(identity.experiment_ref, expected_ref);
    assert_eq!(
        identity.grouping_key,
        [("chaostoolkit_experiment_ref".to_owned(), expected_ref)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_gateway_never_fails_a_hook() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let experiment = json!({"title": "t3"});
    let mut set = ControlSet::new();
    set.add(
        "prometheus",
        Arc::new(MetricsControl::new()),
        None,
        json!({"pushgateway_url": format!("http://127.0.0.1:{port}")}),
    );
    let empty = json!({});
    let run = bare_run(&experiment, &empty);
    assert!(set.configure(&run).await.unwrap().is_empty());
    assert!(set.before_experiment(&run).await.unwrap().is_empty());
    assert!(
        set.after_experiment(
            &run,
            &json!({"status": "completed", "deviated": false, "duration": 1.0})
        )
        .await
        .unwrap()
        .is_empty()
    );
    assert!(set.cleanup().await.is_empty());
    // Bad arguments fail configure (logged by the set), never the run.
    let mut bad = ControlSet::new();
    bad.add(
        "prometheus",
        Arc::new(MetricsControl::new()),
        None,
        json!({"push_method": "patch"}),
    );
    bad.add(
        "prometheus-json",
        Arc::new(MetricsControl::new()),
        None,
        json!({"pushgateway_format": "json"}),
    );
    let failures = bad.configure(&run).await.unwrap();
    assert!(
        failures[0].message.contains("expected put or post"),
        "{failures:?}"
    );
    assert!(
        failures[1]
            .message
            .contains("argument 'pushgateway_format'")
            && failures[1]
                .message
                .contains("expected text, protobuf or auto"),
        "{failures:?}"
    );
    assert!(bad.before_experiment(&run).await.unwrap().is_empty());
}

/// Probes with the same settings share one client and its connections per
/// tokio runtime; a runtime that ended leaves nothing broken behind.
#[test]
fn probes_share_connections_per_runtime_and_survive_a_runtime_ending() {
    use chaosprom_testkit::fault::{FaultServer, Reply};
    use chaosprometheus::probes::{QueryArgs, query};

    let ok = r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
    let server = FaultServer::start(vec![Reply::json(ok)]).unwrap();
    let configuration = json!({"prometheus_base_url": server.url(), "prometheus_proxy": false});
    for round in 1..=3 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            for _ in 0..20 {
                let answer = query(&QueryArgs::new("up"), &configuration, &json!({}))
                    .await
                    .unwrap();
                assert_eq!(answer["status"], "success");
            }
        });
        drop(runtime);
        // One connection for the twenty probes of each runtime.
        assert_eq!(server.connections(), round, "round {round}");
    }
    // Other settings, another client.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let a = chaosprometheus::Settings::from_chaos(&configuration, &json!({})).unwrap();
        let b = chaosprometheus::Settings::from_chaos(
            &configuration,
            &json!({"prometheus_token": "t"}),
        )
        .unwrap();
        assert!(
            a.shared_client(None)
                .unwrap()
                .same_pool(&a.shared_client(None).unwrap())
        );
        assert!(
            !a.shared_client(None)
                .unwrap()
                .same_pool(&b.shared_client(None).unwrap())
        );
        assert!(
            !a.shared_client(None)
                .unwrap()
                .same_pool(&a.shared_client(Some(false)).unwrap())
        );
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let configuration = configuration.clone();
                tokio::spawn(async move {
                    query(&QueryArgs::new("up"), &configuration, &json!({})).await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
}

/// The probe functions, as a runner calls them, fail on answers that are
/// not successful Prometheus answers, even with a 200.
#[tokio::test]
async fn probes_fail_on_broken_answers() {
    use chaosprom_testkit::fault::{FaultServer, Reply};

    let cases = [
        (
            Reply::json(r#"{"status":"error","errorType":"execution","error":"boom"}"#),
            "execution: boom",
        ),
        (
            Reply::json(r#"{"status":"success","data":{"resultType":"matrix","result":[{"#),
            "cut short",
        ),
        (Reply::status("200 OK", "", "<html></html>"), "found '<'"),
    ];
    for (reply, reason) in cases {
        let server = FaultServer::start(vec![reply]).unwrap();
        let configuration = json!({"prometheus_base_url": server.url(), "prometheus_proxy": false});
        for (function, arguments) in [
            ("query", json!({"query": "up"})),
            (
                "query_interval",
                json!({"query": "up", "start": "1 minute ago", "end": "now"}),
            ),
        ] {
            let err = dispatch(
                chaosprometheus::PROBES_MODULE,
                function,
                &arguments,
                &configuration,
                &json!({}),
            )
            .await
            .unwrap_err();
            assert!(err.to_string().contains(reason), "{function}: {err}");
        }
    }
}
