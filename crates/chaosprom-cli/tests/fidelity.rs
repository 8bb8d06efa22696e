//! `chaosprom run` as chaoslib 1.44 runs experiment files: where secrets
//! come from, and cases ported from chaoslib's own test-suite.

use std::path::Path;
use std::process::{Command, Output};

use chaosprom_testkit::Prometheus;
use serde_json::{Value, json};

/// bcrypt of "hunter2", for Prometheus' `basic_auth_users`.
const HUNTER2_BCRYPT: &str = "$2b$04$kZXl1UGCLm57d6VzdYuqAuwZM/YqIWNcHyd.rduBFT5aZ5PQro1Em";

fn run(dir: &Path, experiment: &Value, args: &[&str], env: &[(&str, &str)]) -> (Output, Value) {
    let file = dir.join("experiment.json");
    std::fs::write(&file, experiment.to_string()).unwrap();
    let journal_path = dir.join("journal.json");
    let _ = std::fs::remove_file(&journal_path);
    let out = Command::new(env!("CARGO_BIN_EXE_chaosprom"))
        .arg("run")
        .arg(&file)
        .arg("--journal-path")
        .arg(&journal_path)
        .args(args)
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let journal = std::fs::read_to_string(&journal_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out, journal)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn provider_secrets_reach_a_prometheus_behind_basic_auth_at_any_depth() {
    let prom = Prometheus::builder()
        .web_config(format!("basic_auth_users:\n  alice: {HUNTER2_BCRYPT}\n"))
        .start()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let probe = |secrets: Value| {
        json!({"type": "probe", "name": "up", "tolerance": {"type": "jsonpath", "path": "$.status", "expect": "success"},
               "provider": {"type": "python", "module": "chaosprometheus.probes", "func": "query",
                            "secrets": secrets, "arguments": {"query": "1+1"}}})
    };
    let experiment = |secrets: Value| {
        json!({
            "title": "t", "description": "d",
            "configuration": {"prometheus_base_url": prom.url()},
            "secrets": {
                "prom": {"prometheus_username": "alice",
                         "prometheus_password": {"type": "env", "key": "CHAOSPROM_TEST_PROM_PASSWORD"}},
                "nested": {"deeper": {"prometheus_password": {"type": "env", "key": "CHAOSPROM_TEST_PROM_PASSWORD"}}}
            },
            "steady-state-hypothesis": {"title": "h", "probes": [probe(secrets)]},
            "method": [{"type": "action", "name": "noop", "provider": {"type": "process", "path": "true"}}]
        })
    };
    let env = [("CHAOSPROM_TEST_PROM_PASSWORD", "hunter2")];
    let (out, j) = run(dir.path(), &experiment(json!(["prom"])), &[], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        j["steady_states"]["before"]["probes"][0]["output"]["status"],
        "success"
    );

    // Without the provider's secrets the probe is refused: the credentials
    // are not picked up from elsewhere.
    let (out, j) = run(dir.path(), &experiment(json!([])), &[], &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let exception = j["steady_states"]["before"]["probes"][0]["exception"].to_string();
    assert!(exception.contains("401"), "{exception}");

    // Nested secrets resolve at any depth: the environment's value is in
    // the mapping `${deeper}` stands for.
    let mut nested = experiment(json!(["nested"]));
    nested["method"] = json!([{"type": "action", "name": "echo",
        "provider": {"type": "process", "path": "echo", "arguments": ["${deeper}"]}}]);
    let (_, j) = run(
        dir.path(),
        &nested,
        &["--hypothesis-strategy", "after-method-only"],
        &env,
    );
    let stdout = j["run"][0]["output"]["stdout"].as_str().unwrap_or_default();
    assert_eq!(stdout, "{\"prometheus_password\":\"hunter2\"}\n", "{j}");
}

#[test]
fn secrets_on_the_activity_and_vault_secrets_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let misplaced = json!({
        "title": "t", "description": "d",
        "secrets": {"prom": {"prometheus_token": "x"}},
        "method": [{"type": "action", "name": "a", "secrets": ["prom"], "provider": {"type": "process", "path": "true"}}]
    });
    let (out, _) = run(dir.path(), &misplaced, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("provider.secrets"),
        "{}",
        text(&out.stderr)
    );

    let vault = json!({
        "title": "t", "description": "d",
        "secrets": {"k8s": {"token": {"type": "vault", "path": "foo/bar"}}},
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]
    });
    let (out, _) = run(dir.path(), &vault, &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("secrets.k8s.token") && err.contains("vault"),
        "{err}"
    );
}
