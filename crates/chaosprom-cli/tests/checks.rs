//! Steady-state checks that read Prometheus, judged through `chaosprom
//! probe`: the probes that answer with a number or a state (`query_value`,
//! `alert_state`, `sample_age`, `time_to_recover`, `compare_to_baseline`)
//! against a real Prometheus with recorded data and alerting rules, and
//! the `chaosprometheus.tolerances` functions against a real Prometheus
//! and a real VictoriaMetrics holding the same samples.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chaosprom_testkit::{Prometheus, VictoriaMetrics, http};
use serde_json::{Value, json};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const RULES: &str = r#"groups:
  - name: chaos
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: page}
      - alert: StaysPending
        expr: vector(1)
        for: 1h
        labels: {severity: ticket}
"#;

/// `chk_value{job="a"}` 5 and `{job="b"}` 7 every 15 s for an hour up to
/// now; `chk_stale` 1 until five minutes ago.
fn prometheus() -> Prometheus {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let recent = now / 15 * 15 - 15;
    let mut om = String::from("# TYPE chk_value gauge\n");
    for (job, v) in [("a", 5), ("b", 7)] {
        for t in (recent - 3600..=recent).step_by(15) {
            om.push_str(&format!("chk_value{{job=\"{job}\"}} {v} {t}\n"));
        }
    }
    om.push_str("# TYPE chk_rise gauge\n");
    for t in (recent - 3600..=recent).step_by(15) {
        let v = if t < recent - 900 { 1 } else { 2 };
        om.push_str(&format!("chk_rise {v} {t}\n"));
    }
    om.push_str("# TYPE chk_stale gauge\n");
    for t in (recent - 3600..=recent - 300).step_by(15) {
        om.push_str(&format!("chk_stale 1 {t}\n"));
    }
    om.push_str("# EOF\n");
    let prom = Prometheus::builder()
        .history(om)
        .lookback_delta("10m")
        .rules(RULES)
        .start()
        .unwrap();
    // Wait (ten seconds at most) for the rules' first evaluation.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let alerts = http::get(&format!("{}/api/v1/alerts", prom.url())).unwrap();
        if alerts.body.contains("AlwaysFiring") && alerts.body.contains("StaysPending") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    prom
}

fn probe(name: &str, func: &str, arguments: Value, tolerance: Value) -> Value {
    let mut p = json!({"type": "probe", "name": name,
        "provider": {"type": "python", "module": "chaosprometheus.probes", "func": func}});
    p["provider"]["arguments"] = arguments;
    if !tolerance.is_null() {
        p["tolerance"] = tolerance;
    }
    p
}

fn experiment(url: &str) -> Value {
    let a = r#"chk_value{job="a"}"#;
    json!({"title": "checks", "description": "d",
        // The run "started" 20 minutes ago: the baseline is the 10 minutes
        // before, when chk_rise was 1.
        "configuration": {"prometheus_base_url": url, "chaosprom_run_started": "20 minutes ago"},
        "steady-state-hypothesis": {"title": "h", "probes": [
            probe("value-one", "query_value", json!({"query": a}), json!([4, 6])),
            probe("value-many", "query_value", json!({"query": "chk_value"}), json!([0, 100])),
            probe("value-sum", "query_value", json!({"query": "chk_value", "aggregate": "sum"}), json!([12, 12])),
            probe("value-count", "query_value", json!({"query": "chk_value", "aggregate": "count"}), json!([2, 2])),
            probe("value-empty", "query_value", json!({"query": r#"chk_value{job="none"}"#}), json!([0, 0])),
            probe("value-empty-zero", "query_value", json!({"query": r#"chk_value{job="none"}"#, "no_data": 0}), json!([0, 0])),
            probe("value-nan", "query_value", json!({"query": "vector(0) / 0"}), json!([0, 0])),
            // min would skip the NaN of job b and answer 5.
            probe("value-min-nan", "query_value", json!({"query": r#"chk_value{job="a"} or (chk_value{job="b"} - chk_value{job="b"}) / 0"#, "aggregate": "min"}), json!([0, 100])),
            probe("alert-firing", "alert_state", json!({"alertname": "AlwaysFiring"}), json!("firing")),
            probe("alert-labels", "alert_state", json!({"alertname": "AlwaysFiring", "labels": {"severity": "ticket"}}), json!("inactive")),
            probe("alert-pending", "alert_state", json!({"alertname": "StaysPending"}), json!("pending")),
            probe("alert-none", "alert_state", json!({"alertname": "NoSuchAlert"}), json!("inactive")),
            probe("age-fresh", "sample_age", json!({"query": a}), json!([0, 60])),
            probe("age-stale", "sample_age", json!({"query": "chk_stale"}), json!([290, 400])),
            probe("age-gone", "sample_age", json!({"query": "chk_gone"}), json!([0, 1000])),
            probe("recovered", "time_to_recover", json!({"query": a, "below": 10, "timeout": "5s", "interval": "1s"}), json!([0, 1])),
            probe("never-recovers", "time_to_recover", json!({"query": a, "below": 1, "timeout": "2s", "interval": 1}), json!([0, 100])),
            probe("baseline-flat", "compare_to_baseline", json!({"query": a, "baseline": "10m", "max_increase": 0.1}), json!([-0.01, 0.01])),
            probe("baseline-rise", "compare_to_baseline", json!({"query": a, "baseline": "10m", "when": "5 minutes ago", "max_decrease": 0.1}), json!([-0.01, 0.01])),
            probe("baseline-doubled", "compare_to_baseline", json!({"query": "chk_rise", "baseline": "10m"}), json!([0.99, 1.01])),
            probe("baseline-exceeded", "compare_to_baseline", json!({"query": "chk_rise", "baseline": "10m", "max_increase": 0.5}), json!([0, 100])),
        ]},
        "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}]
    })
}

fn run_probe(file: &Path, name: &str) -> Output {
    Command::new(common::chaosprom())
        .arg("probe")
        .arg(file)
        .arg(name)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn numbers_and_states_meet_plain_tolerances() {
    let prom = prometheus();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.json");
    std::fs::write(&file, experiment(prom.url()).to_string()).unwrap();
    let valid = Command::new(common::chaosprom())
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert!(valid.status.success(), "{}", text(&valid.stdout));
    for (name, within, message) in [
        ("value-one", true, ""),
        ("value-many", false, "returned 2 series"),
        ("value-sum", true, ""),
        ("value-count", true, ""),
        ("value-empty", false, "no data"),
        ("value-empty-zero", true, ""),
        ("value-nan", false, "which a tolerance cannot compare"),
        ("value-min-nan", false, r#"{job="b"} is NaN"#),
        ("alert-firing", true, ""),
        ("alert-labels", true, ""),
        ("alert-pending", true, ""),
        ("alert-none", true, ""),
        ("age-fresh", true, ""),
        ("age-stale", true, ""),
        ("age-gone", false, "scraping stopped"),
        ("recovered", true, ""),
        ("never-recovers", false, "not recovered after"),
        ("baseline-flat", true, ""),
        ("baseline-rise", true, ""),
        ("baseline-doubled", true, ""),
        (
            "baseline-exceeded",
            false,
            "chk_rise rose by 100.0 % (from 1 to 2), more than 50.0 %",
        ),
    ] {
        let out = run_probe(&file, name);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert_eq!(
            out.status.code(),
            Some(if within { 0 } else { 1 }),
            "{name}: {all}"
        );
        assert!(all.contains(message), "{name}: {all}");
    }
}

#[test]
fn bad_arguments_are_caught_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (func, arguments, message) in [
        (
            "query_value",
            json!({"query": "up", "aggregate": "median"}),
            "expected one of min, max, avg, sum, count, found 'median'",
        ),
        (
            "time_to_recover",
            json!({"query": "up"}),
            "give below, above or both",
        ),
        (
            "time_to_recover",
            json!({"query": "up", "below": 1, "series": "most"}),
            "found 'most'",
        ),
        (
            "alert_state",
            json!({"labels": {}}),
            "missing required argument 'alertname'",
        ),
    ] {
        let experiment = json!({"title": "t", "description": "d",
            "method": [probe("p", func, arguments.clone(), Value::Null)]});
        let file = dir.path().join("e.json");
        std::fs::write(&file, experiment.to_string()).unwrap();
        let out = Command::new(common::chaosprom())
            .arg("validate")
            .arg(&file)
            .output()
            .unwrap();
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!out.status.success(), "{func}({arguments}): {all}");
        assert!(all.contains(message), "{func}({arguments}): {all}");
    }
}

#[test]
fn assert_and_alert_state_from_a_shell() {
    let prom = prometheus();
    let url = prom.url();
    let run = |args: &[&str]| {
        let out = Command::new(common::chaosprom())
            .args(args)
            .args(["--url", url])
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        (
            out.status.code(),
            format!("{}{}", text(&out.stdout), text(&out.stderr)),
        )
    };
    let a = r#"chk_value{job="a"}"#;
    for (args, code, message) in [
        (vec!["assert", a, "--below", "6"], 0, "ok: "),
        (
            vec!["assert", a, "--below", "5"],
            1,
            r#"chk_value{job="a"} = 5 at "#,
        ),
        (
            vec!["assert", "chk_value", "--above", "6", "--series", "any"],
            0,
            "ok: ",
        ),
        (
            vec!["assert", "chk_value", "--between", "4", "8", "--for", "10m"],
            0,
            "ok: ",
        ),
        (
            vec!["assert", "chk_value", "--between", "4", "6", "--for", "10m"],
            1,
            "wanted between 4 and 6",
        ),
        (vec!["assert", "chk_gone", "--below", "1"], 1, "no data"),
        (
            vec!["assert", "chk_gone", "--below", "1", "--no-data", "pass"],
            0,
            "ok: ",
        ),
        (vec!["assert", a, "--above", "-1"], 0, "ok: "),
        (
            vec!["assert", a, "--below", "1", "--series", "most"],
            2,
            "found 'most'",
        ),
        (vec!["assert", a], 2, "--below"),
        (
            vec!["assert", a, "--below", "NaN"],
            2,
            "invalid threshold: NaN compares with nothing",
        ),
        (vec!["assert", a, "--below", "inf"], 0, "ok: "),
        (vec!["assert", a, "--above", "-inf"], 0, "ok: "),
        (
            vec!["assert", a, "--between", "-inf", "4"],
            1,
            "wanted between -inf and 4",
        ),
        (
            vec!["assert", a, "--below", "1", "--above", "2"],
            2,
            "cannot be used with",
        ),
        (vec!["alert-state", "AlwaysFiring"], 0, "firing"),
        (
            vec!["alert-state", "StaysPending", "--label", "severity=ticket"],
            0,
            "pending",
        ),
        (
            vec!["alert-state", "StaysPending", "--label", "severity=page"],
            0,
            "inactive",
        ),
        (
            vec!["alert-state", "X", "--label", "oops"],
            2,
            "expected K=V",
        ),
    ] {
        let (got, all) = run(&args);
        assert_eq!(got, Some(code), "{args:?}: {all}");
        assert!(all.contains(message), "{args:?}: {all}");
    }
}

// ---------------------------------------------------- tolerance probes

/// `tol_errors{job="low"}` 0.001, `{job="high"}` 0.05 and `{job="nan"}`
/// NaN, every 15 s for an hour up to a few seconds ago: (OpenMetrics for
/// promtool, Prometheus text with milliseconds for VictoriaMetrics).
fn data(with_nan: bool) -> (String, String) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let recent = now / 15 * 15 - 15;
    let mut om = String::from("# TYPE tol_errors gauge\n");
    let mut prom = String::new();
    let mut jobs = vec![("low", "0.001"), ("high", "0.05")];
    if with_nan {
        jobs.push(("nan", "NaN"));
    }
    for (job, v) in jobs {
        for t in (recent - 3600..=recent).step_by(15) {
            om.push_str(&format!("tol_errors{{job=\"{job}\"}} {v} {t}\n"));
            prom.push_str(&format!("tol_errors{{job=\"{job}\"}} {v} {}\n", t * 1000));
        }
    }
    om.push_str("# EOF\n");
    (om, prom)
}

fn tolerance_probe(name: &str, query: Value, func: &str, arguments: Value) -> Value {
    let (probe_func, probe_args) = match query {
        Value::String(q) => ("query", json!({"query": q})),
        other => ("query_interval", other),
    };
    let mut probe = json!({"type": "probe", "name": name,
        "provider": {"type": "python", "module": "chaosprometheus.probes",
                     "func": probe_func, "arguments": probe_args},
        "tolerance": {"type": "probe", "name": format!("{name}-tolerance"),
            "provider": {"type": "python", "module": "chaosprometheus.tolerances",
                         "func": func}}});
    probe["tolerance"]["provider"]["arguments"] = arguments;
    probe
}

fn tolerance_experiment(url: &str) -> Value {
    let window = |job: &str| {
        json!({"query": format!("tol_errors{{job=\"{job}\"}}"),
               "start": "10 minutes ago", "end": "now", "step": 60})
    };
    // query_value with a plain range tolerance, against the same data.
    let value_sum = json!({"type": "probe", "name": "value-sum",
        "provider": {"type": "python", "module": "chaosprometheus.probes", "func": "query_value",
                     "arguments": {"query": r#"tol_errors{job=~"low|high"}"#, "aggregate": "sum"}},
        "tolerance": [0.05, 0.052]});
    json!({"title": "tolerances", "description": "d",
        "configuration": {"prometheus_base_url": url},
        "steady-state-hypothesis": {"title": "errors are low", "probes": [
            tolerance_probe("low-below", json!(r#"tol_errors{job="low"}"#), "below", json!({"threshold": 0.01})),
            tolerance_probe("high-below", json!(r#"tol_errors{job="high"}"#), "below", json!({"threshold": 0.01})),
            tolerance_probe("any-below", json!(r#"tol_errors{job=~"low|high"}"#), "below", json!({"threshold": 0.01, "series": "any"})),
            tolerance_probe("all-below", json!(r#"tol_errors{job=~"low|high"}"#), "below", json!({"threshold": 0.01})),
            tolerance_probe("window-below", window("low"), "below", json!({"threshold": 0.01})),
            tolerance_probe("window-between", window("high"), "between", json!({"lower": 0.04, "upper": 0.06})),
            tolerance_probe("absent", json!(r#"tol_errors{job="gone"}"#), "below", json!({"threshold": 0.01})),
            tolerance_probe("absent-passes", json!(r#"tol_errors{job="gone"}"#), "below", json!({"threshold": 0.01, "no_data": "pass"})),
            tolerance_probe("nan-fails", json!(r#"tol_errors{job="nan"}"#), "below", json!({"threshold": 1})),
            tolerance_probe("nan-ignored", json!(r#"tol_errors{job="nan"}"#), "below", json!({"threshold": 1, "nan": "ignore", "no_data": "pass"})),
            tolerance_probe("count-equals", json!(r#"count(tol_errors{job=~"low|high"})"#), "equals", json!({"expected": 2})),
            value_sum,
        ]},
        "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}]
    })
}

fn check_tolerances(url: &str, cases: &[(&str, bool)]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.json");
    std::fs::write(&file, tolerance_experiment(url).to_string()).unwrap();
    let valid = Command::new(common::chaosprom())
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert!(valid.status.success(), "{}", text(&valid.stdout));
    for (name, within) in cases {
        let out = run_probe(&file, name);
        assert_eq!(
            out.status.code(),
            Some(if *within { 0 } else { 1 }),
            "{name} on {url}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn tolerances_judge_a_real_prometheus() {
    let (om, _) = data(true);
    let prom = Prometheus::builder().history(om).start().unwrap();
    check_tolerances(
        prom.url(),
        &[
            ("low-below", true),
            ("high-below", false),
            ("any-below", true),
            ("all-below", false),
            ("window-below", true),
            ("window-between", true),
            ("absent", false),
            ("absent-passes", true),
            ("nan-fails", false),
            ("nan-ignored", true),
            ("count-equals", true),
            ("value-sum", true),
        ],
    );
    // A miss says which series, what value, when, and what was wanted.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.json");
    std::fs::write(&file, tolerance_experiment(prom.url()).to_string()).unwrap();
    let err = text(&run_probe(&file, "all-below").stderr);
    assert!(
        err.contains(r#"tol_errors{job="high"} = 0.05 at "#) && err.contains("wanted < 0.01"),
        "{err}"
    );
}

#[test]
fn tolerances_judge_victoria_metrics_alike() {
    let (_, prom) = data(false);
    let victoria = VictoriaMetrics::start().unwrap();
    victoria.import_prometheus(&prom).unwrap();
    check_tolerances(
        victoria.url(),
        &[
            ("low-below", true),
            ("high-below", false),
            ("any-below", true),
            ("all-below", false),
            ("window-below", true),
            ("window-between", true),
            ("absent", false),
            ("absent-passes", true),
            ("count-equals", true),
            ("value-sum", true),
        ],
    );
}
