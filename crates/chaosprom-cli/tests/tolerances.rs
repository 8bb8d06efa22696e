//! `chaosprometheus.tolerances` in experiments, judged by `chaosprom
//! probe` against a real Prometheus with recorded data and a real
//! VictoriaMetrics holding the same samples.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use chaosprom_testkit::{Prometheus, VictoriaMetrics};
use serde_json::{Value, json};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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

fn probe(name: &str, query: Value, func: &str, arguments: Value) -> Value {
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

fn experiment(url: &str) -> Value {
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
            probe("low-below", json!(r#"tol_errors{job="low"}"#), "below", json!({"threshold": 0.01})),
            probe("high-below", json!(r#"tol_errors{job="high"}"#), "below", json!({"threshold": 0.01})),
            probe("any-below", json!(r#"tol_errors{job=~"low|high"}"#), "below", json!({"threshold": 0.01, "series": "any"})),
            probe("all-below", json!(r#"tol_errors{job=~"low|high"}"#), "below", json!({"threshold": 0.01})),
            probe("window-below", window("low"), "below", json!({"threshold": 0.01})),
            probe("window-between", window("high"), "between", json!({"lower": 0.04, "upper": 0.06})),
            probe("absent", json!(r#"tol_errors{job="gone"}"#), "below", json!({"threshold": 0.01})),
            probe("absent-passes", json!(r#"tol_errors{job="gone"}"#), "below", json!({"threshold": 0.01, "no_data": "pass"})),
            probe("nan-fails", json!(r#"tol_errors{job="nan"}"#), "below", json!({"threshold": 1})),
            probe("nan-ignored", json!(r#"tol_errors{job="nan"}"#), "below", json!({"threshold": 1, "nan": "ignore", "no_data": "pass"})),
            probe("count-equals", json!(r#"count(tol_errors{job=~"low|high"})"#), "equals", json!({"expected": 2})),
            value_sum,
        ]},
        "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}]
    })
}

fn run_probe(file: &Path, name: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chaosprom"))
        .arg("probe")
        .arg(file)
        .arg(name)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn check(url: &str, cases: &[(&str, bool)]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e.json");
    std::fs::write(&file, experiment(url).to_string()).unwrap();
    let valid = Command::new(env!("CARGO_BIN_EXE_chaosprom"))
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
    check(
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
    std::fs::write(&file, experiment(prom.url()).to_string()).unwrap();
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
    check(
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
