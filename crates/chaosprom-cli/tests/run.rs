//! `chaosprom run` and `chaosprom validate` on the experiment files in
//! tests/experiments, against real servers.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chaosprom_testkit::Prometheus;
use serde_json::Value;

fn experiment(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/experiments")
        .join(name)
}

/// `run_const` = 4 every 15 s over the last two hours.
fn prometheus() -> Prometheus {
    let recent = chaosprom_testkit::now_secs() / 15 * 15 - 15;
    let mut om = String::from("# TYPE run_const gauge\n");
    for t in (recent - 7200..=recent).step_by(15) {
        om.push_str(&format!("run_const 4 {t}\n"));
    }
    om.push_str("# EOF\n");
    Prometheus::builder().history(om).start().unwrap()
}

/// Runs an experiment; its exit status, stderr and journal.
fn run(file: &Path, args: &[&str], env: &[(&str, &str)]) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.json");
    let mut command = Command::new(common::chaosprom());
    command
        .arg("run")
        .arg(file)
        .arg("--journal-path")
        .arg(&journal)
        .args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let journal = std::fs::read_to_string(&journal)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out, journal)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn names(entries: &Value) -> Vec<String> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["activity"]["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn prometheus_probes_http_process_refs_and_background() {
    let prom = prometheus();
    let var = format!("prometheus_base_url={}", prom.url());
    let (out, journal) = run(&experiment("prometheus.json"), &["--var", &var], &[]);
    assert!(out.status.success(), "{}\n{journal:#}", stderr(&out));

    let keys: Vec<&String> = journal.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "chaoslib-version",
            "platform",
            "node",
            "experiment",
            "start",
            "status",
            "deviated",
            "steady_states",
            "run",
            "rollbacks",
            "end",
            "duration"
        ]
    );
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["deviated"], false);
    assert_eq!(
        journal["experiment"]["title"],
        format!("Prometheus answers at {}", prom.url())
    );
    assert!(journal["experiment"].get("dry").is_some_and(Value::is_null));
    assert!(journal["start"].as_str().unwrap().ends_with("+00:00"));
    assert!(journal["duration"].is_f64());

    for side in ["before", "after"] {
        let state = &journal["steady_states"][side];
        assert_eq!(state["steady_state_met"], true, "{side}: {state:#}");
        let probes = state["probes"].as_array().unwrap();
        assert_eq!(probes.len(), 6);
        assert!(
            probes
                .iter()
                .all(|p| p["tolerance_met"] == true && p["status"] == "succeeded")
        );
        let entry: Vec<&String> = probes[0].as_object().unwrap().keys().collect();
        assert_eq!(
            entry,
            [
                "activity",
                "output",
                "start",
                "status",
                "end",
                "duration",
                "tolerance_met"
            ]
        );
        assert_eq!(
            probes[0]["output"]["status"], "success",
            "the payload as-is"
        );
        assert_eq!(probes[3]["output"]["status"], 200);
        assert_eq!(probes[4]["output"]["status"], 404);
        // Prometheus answers /graph with a 301, which requests follows;
        // header names read as the server wrote them.
        assert_eq!(probes[5]["output"]["status"], 200, "{:#}", probes[5]);
    }
    assert_eq!(journal["steady_states"]["during"], serde_json::json!([]));

    let runs = &journal["run"];
    assert_eq!(
        names(runs),
        [
            "say-hello",
            "sleep-a",
            "sleep-b",
            "query-succeeds",
            "exit-code-is-an-output"
        ],
        "in the order they started, as chaoslib journals them"
    );
    assert_eq!(runs[0]["output"]["stdout"], "hello 1h\n");
    assert_eq!(
        runs[4]["output"]["status"], 3,
        "a non-zero exit is an output"
    );
    assert_eq!(runs[4]["status"], "succeeded");
    // The background sleeps (1 s each) ran alongside each other and
    // alongside the foreground activities that follow them.
    let time = |i: usize, key: &str| -> jiff::Timestamp {
        runs[i][key].as_str().unwrap().parse().unwrap()
    };
    let (a_start, a_end) = (time(1, "start"), time(1, "end"));
    let (b_start, b_end) = (time(2, "start"), time(2, "end"));
    assert!(a_start < b_end && b_start < a_end, "the sleeps overlap");
    // The ref and the probe come after the sleeps in the method: they
    // started after sleep-a did, and before it ended.
    for i in [3, 4] {
        let t = time(i, "start");
        assert!(a_start < t && t < a_end, "entry {i} ran while sleep-a ran");
    }
    assert_eq!(names(&journal["rollbacks"]), ["say-bye"]);
    assert_eq!(journal["rollbacks"][0]["output"]["stdout"], "--bye now\n");
    let progress = stderr(&out);
    for line in [
        "Steady state hypothesis: Prometheus is up",
        "Probe: mean-is-four",
        "Action: say-hello",
        "Let's rollback...",
        "Experiment ended with status: completed",
    ] {
        assert!(progress.contains(line), "{line} in {progress}");
    }
}

#[test]
fn a_run_that_deviates_is_reported_and_rolled_back_by_strategy() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(&state, "ok\n").unwrap();
    let env = [("CHAOS_STATE_FILE", state.to_str().unwrap())];
    let (out, journal) = run(
        &experiment("deviates.yaml"),
        &["--rollback-strategy", "deviated"],
        &env,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit 1 when deviated: {}",
        stderr(&out)
    );
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["deviated"], true);
    assert_eq!(journal["steady_states"]["before"]["steady_state_met"], true);
    assert_eq!(journal["steady_states"]["after"]["steady_state_met"], false);
    assert_eq!(
        journal["steady_states"]["after"]["probes"][0]["tolerance_met"],
        false
    );
    assert_eq!(names(&journal["rollbacks"]), ["mend-it"]);
    assert_eq!(
        std::fs::read_to_string(&state).unwrap(),
        "ok\n",
        "the rollback ran"
    );

    // With "never", the state stays broken.
    let (_, journal) = run(
        &experiment("deviates.yaml"),
        &["--rollback-strategy", "never"],
        &env,
    );
    assert_eq!(journal["deviated"], true);
    assert!(journal["rollbacks"].as_array().unwrap().is_empty());
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "broken\n");
}

#[test]
fn a_closed_gate_skips_the_method_and_env_values_are_typed() {
    let prom = prometheus();
    let var = format!("prometheus_base_url={}", prom.url());
    // One series: expecting "2" keeps the gate closed.
    let env = [("CHAOS_EXPECTED", "2"), ("CHAOS_TOKEN", "t")];
    let (out, journal) = run(&experiment("gate.json"), &["--var", &var], &env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "completed, not deviated: {}",
        stderr(&out)
    );
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["deviated"], false);
    assert_eq!(
        journal["steady_states"]["before"]["probes"][0]["tolerance_met"],
        false
    );
    assert!(
        journal["run"].as_array().unwrap().is_empty(),
        "the method is skipped"
    );
    assert!(journal["steady_states"]["after"].is_null());
    assert_eq!(names(&journal["rollbacks"]), ["rolls-back"]);

    // An env value without default that is not set stops the run before it starts.
    let (out, journal) = run(
        &experiment("gate.json"),
        &["--var", &var],
        &[("CHAOS_TOKEN", "t")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("configuration.expected: the environment variable CHAOS_EXPECTED is not set"),
        "{}",
        stderr(&out)
    );
    assert!(journal.is_null());

    // --var wins over the experiment, with its type.
    let (out, journal) = run(
        &experiment("gate.json"),
        &["--var", &var, "--var", "expected:str=1"],
        &[("CHAOS_TOKEN", "t")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(journal["steady_states"]["before"]["steady_state_met"], true);
    assert_eq!(names(&journal["run"]), ["never-runs"]);
}

#[test]
fn a_probe_that_errors_fails_the_run_and_skips_default_rollbacks() {
    let prom = prometheus();
    let var = format!("prometheus_base_url={}", prom.url());
    let (out, journal) = run(&experiment("probe-fails.json"), &["--var", &var], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(journal["status"], "failed");
    let probe = &journal["steady_states"]["before"]["probes"][0];
    assert_eq!(probe["status"], "failed");
    assert_eq!(probe["tolerance_met"], false);
    assert!(probe["output"].is_null());
    let exception = probe["exception"][0].as_str().unwrap();
    assert!(
        exception.contains("Prometheus query 'sum(' failed"),
        "{exception}"
    );
    let entry: Vec<&String> = probe.as_object().unwrap().keys().collect();
    assert_eq!(
        entry,
        [
            "activity",
            "output",
            "start",
            "status",
            "exception",
            "end",
            "duration",
            "tolerance_met"
        ]
    );
    assert!(journal["rollbacks"].as_array().unwrap().is_empty());
    let (_, journal) = run(
        &experiment("probe-fails.json"),
        &["--var", &var, "--rollback-strategy", "always"],
        &[],
    );
    assert_eq!(names(&journal["rollbacks"]), ["skipped"]);
}

#[test]
fn validate_names_every_problem_with_its_path() {
    let out = Command::new(common::chaosprom())
        .args(["validate"])
        .arg(experiment("invalid.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let listed = String::from_utf8_lossy(&out.stdout);
    for problem in [
        "$.title: must not be empty",
        "$.description: is required",
        "$.steady-state-hypothesis.probes[0].type: a hypothesis holds probes, not actions",
        "$.steady-state-hypothesis.probes[0].provider.module: no extension provides module 'chaosprometheus.nope'",
        "$.steady-state-hypothesis.probes[0].tolerance: a hypothesis probe needs a tolerance",
        "$.steady-state-hypothesis.probes[1].tolerance.range: expected a list of two numbers",
        "$.steady-state-hypothesis.probes[1].provider.type: expected python, process or http, found 'ftp'",
        "$.method[0].ref: no activity is named 'missing'",
        "$.method[1].provider.url: is required (a string)",
        "$.method[1].background: must be true or false, as chaoslib checks",
        "$.configuration.token.key: is required: the name of the environment variable (a string)",
        "$.secrets.k8s.token.key: is required: the name of the environment variable (a string)",
    ] {
        assert!(listed.contains(problem), "{problem} in\n{listed}");
    }
    for valid in [
        "prometheus.json",
        "deviates.yaml",
        "gate.json",
        "probe-fails.json",
    ] {
        // `validate` reads the variables their configuration and
        // secrets name, as `chaos validate` does.
        let out = Command::new(common::chaosprom())
            .args(["validate"])
            .arg(experiment(valid))
            .env("CHAOS_STATE_FILE", "/nonexistent")
            .env("CHAOS_EXPECTED", "1")
            .env("CHAOS_TOKEN", "t")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{valid}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let (out, _) = run(&experiment("invalid.json"), &[], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the experiment is not valid"),
        "{}",
        stderr(&out)
    );
}

/// The groups a Pushgateway holds.
fn groups(gateway: &chaosprom_testkit::Pushgateway) -> Vec<Value> {
    let body = chaosprom_testkit::http::get(&format!("{}/api/v1/metrics", gateway.url()))
        .unwrap()
        .body;
    serde_json::from_str::<Value>(&body).unwrap()["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// An experiment whose hypothesis reads a state file that its method may
/// break, with the metrics control pushing to `gateway`.
fn controlled(gateway: &str, break_it: bool) -> Value {
    serde_json::json!({
        "title": "Metrics for ${run_name}",
        "description": "The metrics control in a real run.",
        "configuration": {"run_name": "a run", "state_file": {"type": "env", "key": "CHAOS_STATE_FILE"}},
        "controls": [{"name": "prometheus", "provider": {"type": "python", "module": "chaosprometheus.metrics",
            "arguments": {"pushgateway_url": gateway, "trace_id": "0123456789abcdef0123456789abcdef"}}}],
        "steady-state-hypothesis": {"title": "ok", "probes": [
            {"type": "probe", "name": "state", "tolerance": {"type": "regex", "pattern": "^ok", "target": "stdout"},
             "provider": {"type": "process", "path": "cat", "arguments": ["${state_file}"]}}]},
        "method": [
            {"type": "probe", "name": "gateway-during-the-run", "provider": {"type": "http", "url": format!("{gateway}/metrics")}},
            {"type": "action", "name": "maybe-break", "provider": {"type": "process", "path": "sh",
                "arguments": if break_it { "-c 'echo broken > ${state_file}'" } else { "-c true" }}}
        ]
    })
}

#[test]
fn the_metrics_control_in_a_real_run() {
    let gateway = chaosprom_testkit::Pushgateway::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    for (break_it, deviated) in [(false, false), (true, true)] {
        std::fs::write(&state, "ok\n").unwrap();
        let experiment = controlled(gateway.url(), break_it);
        let file = dir.path().join("experiment.json");
        std::fs::write(&file, experiment.to_string()).unwrap();
        let (out, journal) = run(&file, &[], &[("CHAOS_STATE_FILE", state.to_str().unwrap())]);
        assert_eq!(journal["deviated"], deviated, "{}", stderr(&out));
        assert_eq!(out.status.success(), !deviated);

        // The ref is the hash of the experiment as run: title substituted,
        // "dry": null added, as Python hashes it.
        let mut as_run = experiment.clone();
        as_run["title"] = "Metrics for a run".into();
        as_run["dry"] = Value::Null;
        let expected_ref = chaosprometheus::experiment_hash(&as_run);
        assert_eq!(journal["experiment"], as_run);
        let all = groups(&gateway);
        let group = all
            .iter()
            .find(|g| g["labels"]["chaostoolkit_experiment_ref"] == expected_ref.as_str())
            .unwrap_or_else(|| panic!("no group for {expected_ref} in {all:#?}"));
        let value = |family: &str| group[family]["metrics"][0]["value"].clone();
        assert_eq!(value("chaostoolkit_inprogress_experiment"), "0");
        let status = group["chaostoolkit_experiment_status"]["metrics"]
            .as_array()
            .unwrap();
        let completed = status
            .iter()
            .find(|m| m["labels"]["chaostoolkit_experiment_status"] == "completed")
            .unwrap();
        assert_eq!(completed["value"], "1");
        assert_eq!(
            completed["labels"]["chaostoolkit_run_trace_id"],
            "0123456789abcdef0123456789abcdef"
        );
        if deviated {
            assert_eq!(value("chaostoolkit_deviated_experiment_total"), "1");
        } else {
            assert!(
                group
                    .get("chaostoolkit_deviated_experiment_total")
                    .is_none()
            );
        }
        // What the gateway held for this run during the method: the
        // "before" push only.
        let during = journal["run"][0]["output"]["body"].as_str().unwrap();
        let ours: Vec<&str> = during
            .lines()
            .filter(|l| l.contains(expected_ref.as_str()))
            .collect();
        let in_progress = ours
            .iter()
            .find(|l| l.starts_with("chaostoolkit_inprogress_experiment{"))
            .unwrap();
        assert!(in_progress.ends_with(" 1"), "{in_progress}");
        assert!(
            !ours
                .iter()
                .any(|l| l.starts_with("chaostoolkit_experiment_status{")),
            "status is pushed after the run: {ours:?}"
        );
    }
}

#[test]
fn sigterm_and_sigint_interrupt_a_run_and_the_journal_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("rolled-back");
    let experiment = serde_json::json!({
        "title": "A long method", "description": "interrupted by a signal",
        "method": [{"type": "action", "name": "long", "provider": {"type": "process", "path": "sleep", "arguments": "30"}}],
        "rollbacks": [{"type": "action", "name": "undo", "provider": {"type": "process", "path": "touch", "arguments": [marker.to_str().unwrap()]}}]
    });
    let file = dir.path().join("experiment.json");
    std::fs::write(&file, experiment.to_string()).unwrap();
    for (signal, strategy, rolls_back) in [("-TERM", "always", true), ("-INT", "default", false)] {
        let _ = std::fs::remove_file(&marker);
        let journal_path = dir.path().join("journal.json");
        let _ = std::fs::remove_file(&journal_path);
        let started = std::time::Instant::now();
        let child = Command::new(common::chaosprom())
            .arg("run")
            .arg(&file)
            .arg("--journal-path")
            .arg(&journal_path)
            .args(["--rollback-strategy", strategy])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(800));
        let killed = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(killed.success());
        let out = child.wait_with_output().unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let journal: Value =
            serde_json::from_str(&std::fs::read_to_string(&journal_path).unwrap()).unwrap();
        assert_eq!(journal["status"], "interrupted", "{signal}");
        assert_eq!(marker.exists(), rolls_back, "{signal} with {strategy}");
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    }
}

#[test]
fn a_hangup_does_not_stop_a_run_before_its_rollbacks() {
    // An SSH session that drops sends SIGHUP, which would kill the process
    // in the middle of the method: the fault left injected, no rollbacks,
    // no journal (as it does `chaos run`). The run goes on instead.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("rolled-back");
    let experiment = serde_json::json!({
        "title": "A method the terminal leaves", "description": "a hangup in the middle",
        "method": [{"type": "action", "name": "inject", "provider": {"type": "process", "path": "sleep", "arguments": "2"}}],
        "rollbacks": [{"type": "action", "name": "undo", "provider": {"type": "process", "path": "touch", "arguments": [marker.to_str().unwrap()]}}]
    });
    let file = dir.path().join("experiment.json");
    std::fs::write(&file, experiment.to_string()).unwrap();
    let journal_path = dir.path().join("journal.json");
    let child = Command::new(common::chaosprom())
        .arg("run")
        .arg(&file)
        .arg("--journal-path")
        .arg(&journal_path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    let sent = Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let journal: Value =
        serde_json::from_str(&std::fs::read_to_string(&journal_path).unwrap()).unwrap();
    assert_eq!(journal["status"], "completed");
    assert!(marker.exists(), "the rollback ran");
    assert!(stderr(&out).contains("received SIGHUP"), "{}", stderr(&out));
}

#[test]
fn a_process_whose_output_a_background_child_holds_says_why_the_run_waits() {
    // `sh` ends at once; the `sleep` it leaves behind holds its stdout, so
    // the activity waits (as `chaos run`'s does), and says so.
    let dir = tempfile::tempdir().unwrap();
    let experiment = serde_json::json!({
        "title": "A background process", "description": "its output stays open",
        "method": [{"type": "action", "name": "start", "provider": {"type": "process", "path": "sh",
                    "arguments": ["-c", "echo started; sleep 3.5 &"]}}]
    });
    let file = dir.path().join("experiment.json");
    std::fs::write(&file, experiment.to_string()).unwrap();
    let (out, journal) = run(&file, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(journal["run"][0]["status"], "succeeded");
    assert_eq!(journal["run"][0]["output"]["stdout"], "started\n");
    let text = stderr(&out);
    assert!(
        text.contains("the process ended, but its output is still open, held by a process it started in the background")
            && text.contains("status=\"exit status: 0\""),
        "{text}"
    );
}

#[test]
fn a_journal_path_through_a_link_or_to_a_pipe_is_written_there_not_replaced() {
    // The journal is renamed over a regular file; renamed over
    // `/dev/stdout`, it replaced the device's link with a file (as root,
    // for every program). A link stays a link, and what is not a regular
    // file is written in place. (A named pipe stands in for /dev/stdout.)
    use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
    let dir = tempfile::tempdir().unwrap();
    let experiment = dir.path().join("experiment.json");
    std::fs::write(
        &experiment,
        serde_json::json!({"title": "t", "description": "d",
            "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]})
        .to_string(),
    )
    .unwrap();
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    let fifo = dir.path().join("fifo");
    common::mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    for journal in [&link, &fifo] {
        let out = Command::new(common::chaosprom())
            .args(["run", "-q", "--journal-path"])
            .arg(journal)
            .arg(&experiment)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(written["status"], "completed");
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let piped: Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(piped["status"], "completed");

    // A socket (as a disk would be) is refused before the run: written in
    // place, a journal would overwrite what a disk holds.
    let socket = dir.path().join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let out = Command::new(common::chaosprom())
        .args(["run", "-q", "--journal-path"])
        .arg(&socket)
        .arg(&experiment)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("neither a regular file, a pipe nor a terminal; nothing was run"),
        "{}",
        stderr(&out)
    );

    // The experiment's own file is refused (as `chaos run` would overwrite
    // it), by its name or through a link.
    let before = std::fs::read_to_string(&experiment).unwrap();
    let to_experiment = dir.path().join("to-experiment.json");
    std::os::unix::fs::symlink(&experiment, &to_experiment).unwrap();
    for (flag, path) in [("--journal-path", &experiment), ("--junit", &to_experiment)] {
        let out = Command::new(common::chaosprom())
            .args(["run", "-q", flag])
            .arg(path)
            .arg(&experiment)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{flag}");
        assert!(
            stderr(&out).contains("it is the experiment's file"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(std::fs::read_to_string(&experiment).unwrap(), before);
}

#[test]
fn the_slo_gate_example_passes_on_a_healthy_prometheus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let json = chaos_runner::load_file(&root.join("slo-gate.json")).unwrap();
    let yaml = chaos_runner::load_file(&root.join("slo-gate.yaml")).unwrap();
    assert_eq!(json, yaml, "the YAML twin");
    let prom = Prometheus::builder().self_scrape(true).start().unwrap();
    // Wait (ten seconds at most) for a first scrape.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let up =
            chaosprom_testkit::http::get(&format!("{}/api/v1/query?query=up", prom.url())).unwrap();
        if up.body.contains("\"value\"") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (out, journal) = run(
        &root.join("slo-gate.yaml"),
        &[],
        &[("PROMETHEUS_URL", prom.url())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(journal["status"], "completed");
    assert_eq!(journal["deviated"], false);
    for phase in ["before", "after"] {
        let probes = journal["steady_states"][phase]["probes"]
            .as_array()
            .unwrap();
        assert_eq!(probes.len(), 5);
        assert!(
            probes.iter().all(|p| p["tolerance_met"] == true),
            "{phase}: {probes:?}"
        );
    }
}

#[test]
fn the_example_experiment_has_a_yaml_twin() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let json = chaos_runner::load_file(&root.join("experiment.json")).unwrap();
    let yaml = chaos_runner::load_file(&root.join("experiment.yaml")).unwrap();
    assert_eq!(json, yaml);
}
