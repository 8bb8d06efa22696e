//! `chaosprom run` as chaoslib 1.44 runs experiment files: where secrets
//! come from, and cases ported from chaoslib's own test-suite.

mod common;

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
    let out = Command::new(common::chaosprom())
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
    // the mapping `${deeper}` stands for, written as Python's str() writes
    // a dict.
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
    assert_eq!(stdout, "{'prometheus_password': 'hunter2'}\n", "{j}");
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
    let file = dir.path().join("vault.json");
    std::fs::write(&file, vault.to_string()).unwrap();
    let o = Command::new(common::chaosprom())
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stdout).contains("$.secrets.k8s.token: a vault secret"),
        "{}",
        text(&o.stdout)
    );
}

fn sh(kind: &str, name: &str, script: &str) -> Value {
    json!({"type": kind, "name": name,
           "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]}})
}

#[test]
fn configuration_from_probes_env_files_bytes_and_undeclared_vars() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("vars.env");
    std::fs::write(&env_file, "CHAOSPROM_TEST_FROM_ENV_FILE=from-dot-env\n").unwrap();
    let experiment = json!({
        "title": "t", "description": "d",
        "configuration": {
            "dynamic": {"type": "probe", "name": "computed", "provider": {"type": "process", "path": "echo", "arguments": ["computed"]}},
            "from_env": {"type": "env", "key": "CHAOSPROM_TEST_FROM_ENV_FILE"},
            "raw": "declared"
        },
        "method": [sh("action", "show", "echo \"${from_env} ${raw} $CHAOSPROM_TEST_FROM_ENV_FILE\"; echo '${dynamic}'")]
    });
    let (out, j) = run(
        dir.path(),
        &experiment,
        &[
            "--var-file",
            env_file.to_str().unwrap(),
            "--var",
            "raw:bytes=as-bytes",
            "--var",
            "undeclared=x",
        ],
        &[],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let stdout = j["run"][0]["output"]["stdout"].as_str().unwrap();
    assert!(
        stdout.starts_with("from-dot-env as-bytes from-dot-env\n"),
        "{stdout}"
    );
    // The probe's output (a process output) is the value.
    assert!(stdout.contains("computed"), "{stdout}");
    assert!(
        err.contains("'undeclared' is not in the experiment's configuration"),
        "{err}"
    );
}

#[test]
fn runtime_settings_apply_unless_a_flag_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let rolled = dir.path().join("rolled");
    let mut experiment = json!({
        "title": "t", "description": "d",
        "runtime": {"rollbacks": {"strategy": "never"}},
        "method": [sh("action", "fault", "true")],
        "rollbacks": [sh("action", "undo", &format!("touch {}", rolled.display()))]
    });
    let (out, _) = run(dir.path(), &experiment, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!rolled.exists(), "the experiment's runtime said never");
    let (_, _) = run(
        dir.path(),
        &experiment,
        &["--rollback-strategy", "default"],
        &[],
    );
    assert!(rolled.exists(), "the flag wins");
    std::fs::remove_file(&rolled).unwrap();
    experiment.as_object_mut().unwrap().remove("runtime");
    let settings = dir.path().join("settings.yaml");
    std::fs::write(
        &settings,
        "runtime:\n  rollbacks:\n    strategy: never\n  hypothesis:\n    strategy: bogus\n",
    )
    .unwrap();
    let (out, _) = run(
        dir.path(),
        &experiment,
        &["--settings", settings.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("runtime.hypothesis.strategy"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&settings, "runtime:\n  rollbacks:\n    strategy: never\n").unwrap();
    let (out, _) = run(
        dir.path(),
        &experiment,
        &["--settings", settings.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!rolled.exists(), "the settings' runtime said never");
}

#[test]
fn experiments_load_from_a_url_and_from_standard_input() {
    use chaosprom_testkit::fault::{FaultServer, Reply};
    let experiment =
        json!({"title": "from afar", "description": "d", "method": [sh("action", "a", "true")]});
    let yaml = "title: from afar\ndescription: d\nmethod:\n  - type: action\n    name: a\n    provider: {type: process, path: \"true\"}\n";
    let server = FaultServer::start(vec![
        Reply::json(&experiment.to_string()),
        Reply::status("200 OK", "content-type: application/x-yaml\r\n", yaml),
        Reply::status("404 Not Found", "", "no"),
    ])
    .unwrap();
    for expected in [0, 0, 1] {
        let url = format!("{}/experiment", server.url());
        let o = Command::new(common::chaosprom())
            .args(["validate", &url])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(expected), "{}", text(&o.stderr));
    }
    let mut child = Command::new(common::chaosprom())
        .args(["validate", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), yaml.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn providers_decode_utf16_and_honour_max_retries() {
    let dir = tempfile::tempdir().unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            sh("action", "utf16", "printf '\\377\\376h\\000\\351\\000'"),
            {"type": "probe", "name": "retried", "provider": {"type": "http", "url": format!("http://{dead}/"), "max_retries": 2, "timeout": 2}}
        ]
    });
    let (_, j) = run(dir.path(), &experiment, &[], &[]);
    assert_eq!(j["run"][0]["output"]["stdout"], "hé", "{j}");
    let exception = j["run"][1]["exception"].to_string();
    assert!(exception.contains("after 3 attempts"), "{exception}");
    let mut bad = experiment.clone();
    bad["method"][1]["provider"]["max_retries"] = json!(-1);
    let file = dir.path().join("bad.json");
    std::fs::write(&file, bad.to_string()).unwrap();
    let o = Command::new(common::chaosprom())
        .args(["validate", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        text(&o.stdout).contains("$.method[1].provider.max_retries"),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn validation_finds_what_chaoslib_finds() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let tool = home.join("bin/tool");
    std::fs::write(&tool, "#!/bin/sh\necho tool\n").unwrap();
    std::fs::set_permissions(&tool, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let query = |arguments: Value| {
        json!({"type": "probe", "name": "q", "provider":
        {"type": "python", "module": "chaosprometheus.probes", "func": "query", "arguments": arguments}})
    };
    let experiment = json!({
        "title": "t", "description": "d",
        "extensions": [{"name": ""}],
        "controls": [{"name": "c"}, {"name": "m", "provider": {"type": "python"}}],
        "method": [
            {"type": "probe", "name": "f", "provider": {"type": "python", "module": "chaosprometheus.probes", "func": "querry"}},
            query(json!({"qeury": "up"})),
            query(json!({})),
            query(json!({"query": "up", "timeout": "${t}"})),
            {"type": "action", "name": "home", "provider": {"type": "process", "path": "~/bin/tool"}},
            {"type": "action", "name": "nowhere", "provider": {"type": "process", "path": "~/bin/none"}},
            {"type": "probe", "name": "jp", "tolerance": {"type": "jsonpath", "path": "  "}, "provider": {"type": "process", "path": "true"}}
        ]
    });
    let file = dir.path().join("e.json");
    std::fs::write(&file, experiment.to_string()).unwrap();
    let o = Command::new(common::chaosprom())
        .args(["validate", file.to_str().unwrap()])
        .env("HOME", &home)
        .output()
        .unwrap();
    let out = text(&o.stdout);
    for expected in [
        "$.extensions[0].name",
        "$.controls[0].provider: control 'c' must have a provider",
        "$.controls[1].provider.module",
        "$.method[0].provider.func: module 'chaosprometheus.probes' has no function 'querry'",
        "$.method[1].provider.arguments: query: unknown argument 'qeury'",
        "$.method[2].provider.arguments: query: missing required argument 'query'",
        "$.method[5].provider.path: cannot find the executable '~/bin/none'",
    ] {
        assert!(out.contains(expected), "{expected} not in {out}");
    }
    for fine in ["$.method[3]", "$.method[4]"] {
        assert!(!out.contains(fine), "{fine} in {out}");
    }
}

#[test]
fn quiet_runs_colours_and_tolerance_misses_read_as_expected() {
    let dir = tempfile::tempdir().unwrap();
    let mut probe = sh("probe", "answer", "echo 41");
    probe["tolerance"] = json!({"type": "regex", "target": "stdout", "pattern": "^42$"});
    let experiment = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [probe]},
        "method": [sh("action", "a", "true")]});
    let (out, _) = run(dir.path(), &experiment, &[], &[]);
    let err = text(&out.stderr);
    assert!(
        err.contains(r#"Probe 'answer' returned {"status":0,"stdout":"41\n","stderr":""}, which is not within the tolerance {"type":"regex""#),
        "{err}"
    );
    experiment_passes_quietly(dir.path());
    let colored = |args: &[&str]| {
        let o = Command::new(common::chaosprom())
            .args(args)
            .args([
                "-v",
                "query",
                "up",
                "--url",
                "http://127.0.0.1:1",
                "--client-timeout",
                "1",
            ])
            .output()
            .unwrap();
        text(&o.stderr).contains('\u{1b}')
    };
    assert!(colored(&["--color", "always"]));
    assert!(!colored(&["--color", "never"]));
    assert!(!colored(&[]), "not a terminal: no colour");
}

fn experiment_passes_quietly(dir: &Path) {
    let experiment =
        json!({"title": "t", "description": "d", "method": [sh("action", "a", "true")]});
    let (out, j) = run(dir, &experiment, &["-q"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(j["status"], "completed");
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn strict_runs_fail_when_the_steady_state_was_already_broken() {
    let dir = tempfile::tempdir().unwrap();
    let mut probe = sh("probe", "broken", "exit 1");
    probe["tolerance"] = json!(0);
    let experiment = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [probe]},
        "method": [sh("action", "a", "true")]});
    let (out, j) = run(dir.path(), &experiment, &[], &[]);
    assert_eq!(j["status"], "completed");
    assert_eq!(
        out.status.code(),
        Some(0),
        "as chaos run: {}",
        text(&out.stderr)
    );
    let (out, _) = run(dir.path(), &experiment, &["--strict"], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not met before the method"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn probe_runs_one_activity_and_judges_it() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("injected");
    let mut answer = sh("probe", "answer", "echo ${answer}");
    answer["tolerance"] = json!({"type": "regex", "target": "stdout", "pattern": "^42$"});
    answer["pauses"] = json!({"after": 60});
    let experiment = json!({"title": "t", "description": "d",
        "configuration": {"answer": 41},
        "steady-state-hypothesis": {"title": "h", "probes": [answer]},
        "method": [sh("action", "inject", &format!("touch {}", marker.display()))]});
    let file = dir.path().join("e.json");
    std::fs::write(&file, experiment.to_string()).unwrap();
    let probe = |extra: &[&str]| {
        Command::new(common::chaosprom())
            .args(["probe", file.to_str().unwrap(), "answer"])
            .args(extra)
            .output()
            .unwrap()
    };
    let started = std::time::Instant::now();
    let o = probe(&[]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "no pause"
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let output: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(output["stdout"], "41\n");
    assert!(
        text(&o.stderr).contains("which is not within the tolerance"),
        "{}",
        text(&o.stderr)
    );
    let o = probe(&["--var", "answer:int=42"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("'answer' is within its tolerance"));
    assert!(!marker.exists(), "nothing else runs");
    let o = Command::new(common::chaosprom())
        .args(["probe", file.to_str().unwrap(), "missing"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("no activity is named 'missing'"));
    let o = Command::new(common::chaosprom())
        .args(["probe", file.to_str().unwrap(), "inject"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("'inject' is an action"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        !marker.exists(),
        "an action run alone would inject its fault"
    );
}

#[test]
fn validate_check_servers_asks_them_without_injecting_anything() {
    let prom = Prometheus::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("injected");
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let query = |name: &str, promql: &str| {
        json!({"type": "probe", "name": name, "tolerance": true,
               "provider": {"type": "python", "module": "chaosprometheus.probes", "func": "query", "arguments": {"query": promql}}})
    };
    let counter = dir.path().join("configuration-probe-runs");
    let experiment = |controls: Value, second: Value| {
        json!({"title": "t", "description": "d",
            "configuration": {"prometheus_base_url": prom.url(),
                "computed": {"type": "probe", "name": "c", "provider": {"type": "process", "path": "sh",
                    "arguments": ["-c", format!("echo x >> {}", counter.display())]}}},
            "controls": controls,
            "steady-state-hypothesis": {"title": "h", "probes": [query("fine", "up"), second]},
            "method": [sh("action", "inject", &format!("touch {}", marker.display()))]})
    };
    let check = |e: &Value| {
        let file = dir.path().join("e.json");
        std::fs::write(&file, e.to_string()).unwrap();
        Command::new(common::chaosprom())
            .args(["validate", "--check-servers", file.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let o = check(&experiment(json!([]), query("also-fine", "1+1")));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    // Prepared once for both probes: the configuration probe ran once.
    assert_eq!(std::fs::read_to_string(&counter).unwrap(), "x\n");
    let control = json!([{"name": "prometheus", "provider": {"type": "python", "module": "chaosprometheus.metrics",
        "arguments": {"pushgateway_url": format!("http://{dead}")}}}]);
    let o = check(&experiment(control, query("broken", "up{")));
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("activity 'broken':") && out.contains("bad_data"),
        "{out}"
    );
    assert!(
        out.contains("control 'prometheus':") && out.contains("connection failed"),
        "{out}"
    );
    assert!(!out.contains("activity 'fine'"), "{out}");
    assert!(!marker.exists(), "nothing is injected");

    // The gateway the control pushes to: without a scheme it is http, as
    // the control takes it; with none (remote write only), none is asked.
    let gateway = chaosprom_testkit::Pushgateway::start().unwrap();
    let bare = gateway.url().trim_start_matches("http://").to_owned();
    for arguments in [
        json!({"pushgateway_url": bare}),
        json!({"pushgateway_url": null, "remote_write_url": format!("http://{dead}/api/v1/write")}),
    ] {
        let control = json!([{"name": "prometheus", "provider": {"type": "python",
            "module": "chaosprometheus.metrics", "arguments": arguments}}]);
        let o = check(&experiment(control, query("also-fine", "1+1")));
        let out = text(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{arguments}: {out}{}",
            text(&o.stderr)
        );
    }
    assert!(!marker.exists(), "nothing is injected");
}

#[test]
fn junit_reports_a_run_like_a_test_run() {
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("n");
    let mut probe = sh(
        "probe",
        "healthy",
        &format!(
            "n=$(cat {c} 2>/dev/null || echo 0); echo $((n+1)) > {c}; [ $n -eq 0 ]",
            c = counter.display()
        ),
    );
    probe["tolerance"] = json!(0);
    let experiment = json!({"title": "Does it <hold>?", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [probe]},
        "method": [sh("action", "fault", "true"), sh("probe", "look", "echo fine")]});
    let report = dir.path().join("junit.xml");
    let (out, _) = run(
        dir.path(),
        &experiment,
        &["--junit", report.to_str().unwrap()],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "it deviates: {}",
        text(&out.stderr)
    );
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(
        xml.contains(r#"<testsuite name="Does it &lt;hold&gt;?" tests="4" failures="1""#),
        "{xml}"
    );
    for case in [
        r#"classname="steady-state-before" name="healthy""#,
        r#"classname="method" name="fault""#,
        r#"classname="method" name="look""#,
        r#"classname="steady-state-after" name="healthy""#,
    ] {
        assert!(xml.contains(case), "{case} in {xml}");
    }
    assert!(
        xml.contains("<failure message=\"not within the tolerance\" type=\"tolerance\">value: {"),
        "{xml}"
    );
    let (out, _) = run(
        dir.path(),
        &experiment,
        &["--junit", "/no/such/dir/junit.xml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot write the JUnit report to /no/such/dir/junit.xml")
            && err.contains("nothing was run"),
        "{err}"
    );
}

#[test]
fn logs_have_one_format_a_file_and_a_json_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut probe = sh("probe", "p", "true");
    probe["tolerance"] = json!(0);
    let experiment = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [probe]},
        "method": [sh("action", "a", "true")]});
    // Progress and every other line share chaos' format.
    let (out, _) = run(dir.path(), &experiment, &["-vv"], &[]);
    let err = text(&out.stderr);
    assert!(err.contains("INFO] Running experiment: t"), "{err}");
    for line in err.lines() {
        assert!(
            line.starts_with("[20") && line.contains("] "),
            "a line in another format: {line}\n{err}"
        );
    }
    // -q leaves stderr empty; --log-file still gets the whole run.
    let log = dir.path().join("run.log");
    let log_arg = log.display().to_string();
    let (out, _) = run(
        dir.path(),
        &experiment,
        &["-q", "--log-file", &log_arg],
        &[],
    );
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("INFO] Probe: p"), "{logged}");
    assert!(
        logged.contains("Experiment ended with status: completed"),
        "{logged}"
    );
    assert!(!logged.contains('\u{1b}'), "no colour in a file");
    // JSON lines for machines.
    let (out, _) = run(dir.path(), &experiment, &["--log-format", "json"], &[]);
    let err = text(&out.stderr);
    let lines: Vec<Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.iter().any(|l| l["message"] == "Running experiment: t"
        && l["level"] == "INFO"
        && l["target"] == "chaostoolkit"));
    // NO_COLOR is honoured even when colour would be on.
    let (out, _) = run(dir.path(), &experiment, &[], &[("NO_COLOR", "1")]);
    assert!(!text(&out.stderr).contains('\u{1b}'));
    // A log file that cannot be opened is a usage error, before anything runs.
    let (out, j) = run(
        dir.path(),
        &experiment,
        &["--log-file", "/nonexistent/dir/run.log"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--log-file /nonexistent/dir/run.log"));
    assert_eq!(j, Value::Null);
    // A log file that fails as the run goes on loses its lines, said once,
    // and the run goes on.
    let (out, j) = run(
        dir.path(),
        &experiment,
        &["-q", "--log-file", "/dev/full"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(j["status"], "completed");
    assert_eq!(
        text(&out.stderr),
        "chaosprom: --log-file /dev/full: No space left on device (os error 28); \
         the lines that cannot be written there are lost\n"
    );
}

#[test]
fn providers_get_the_run_start_without_it_entering_the_experiment() {
    let dir = tempfile::tempdir().unwrap();
    let experiment = json!({"title": "t", "description": "d",
        "method": [sh("probe", "when", "echo ${chaosprom_run_started}")]});
    let before = jiff::Timestamp::now();
    let (out, j) = run(dir.path(), &experiment, &["-q"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = j["run"][0]["output"]["stdout"]
        .as_str()
        .unwrap()
        .trim()
        .to_owned();
    let started: jiff::Timestamp = said.parse().unwrap_or_else(|e| panic!("{said}: {e}"));
    assert!(
        started >= before && started <= jiff::Timestamp::now(),
        "{said}"
    );
    assert!(
        j["experiment"].get("configuration").is_none(),
        "{}",
        j["experiment"]
    );
    // Declared by the experiment, its own value wins.
    let experiment = json!({"title": "t", "description": "d",
        "configuration": {"chaosprom_run_started": "2026-01-01T00:00:00Z"},
        "method": [sh("probe", "when", "echo ${chaosprom_run_started}")]});
    let (_, j) = run(dir.path(), &experiment, &["-q"], &[]);
    assert_eq!(j["run"][0]["output"]["stdout"], "2026-01-01T00:00:00Z\n");
}
