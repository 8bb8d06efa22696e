//! The `chaosprom` binary, run as a user runs it, against real Prometheus
//! and Pushgateway servers.

mod common;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use chaosprom_testkit::{Prometheus, Pushgateway, http};
use serde_json::Value;

fn chaosprom(args: &[&str]) -> Output {
    Command::new(common::chaosprom())
        .args(args)
        .env_remove("PROMETHEUS_URL")
        .env_remove("PROMETHEUS_TOKEN")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn rfc3339(secs: i64) -> String {
    jiff::Timestamp::from_second(secs).unwrap().to_string()
}

/// `cli_temp` = 0..59 a minute apart ending at `end`; `cli_const` = 3 over
/// the last two hours.
fn history(end: i64) -> String {
    let mut om = String::from("# TYPE cli_temp gauge\n");
    for i in 0..60 {
        om.push_str(&format!(
            "cli_temp{{room=\"a\"}} {i} {}\n",
            end - (59 - i) * 60
        ));
    }
    om.push_str("# TYPE cli_const gauge\n");
    let recent = chaosprom_testkit::now_secs() / 15 * 15 - 30;
    for t in (recent - 7200..=recent).step_by(15) {
        om.push_str(&format!("cli_const 3 {t}\n"));
    }
    om.push_str("# EOF\n");
    om
}

#[test]
fn query_query_range_and_mean_against_a_real_prometheus() {
    let end = chaosprom_testkit::now_secs() / 60 * 60 - 3600;
    let prom = Prometheus::builder().history(history(end)).start().unwrap();
    let url = prom.url();

    let out = chaosprom(&["query", "cli_temp", "--url", url, "--when", &rfc3339(end)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let direct = http::get(&format!(
        "{url}/api/v1/query?query=cli_temp&time={}",
        rfc3339(end)
    ))
    .unwrap()
    .body;
    assert_eq!(stdout(&out), format!("{direct}\n"), "the payload as-is");

    let out = chaosprom(&[
        "query-range",
        "cli_temp",
        "--url",
        url,
        "--start",
        &rfc3339(end - 59 * 60),
        "--end",
        &rfc3339(end),
        "--step",
        "1m",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let payload: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        payload["data"]["result"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        60
    );

    let out = chaosprom(&[
        "mean",
        "cli_const",
        "--url",
        url,
        "--window",
        "1h",
        "--mean-type",
        "harmonic",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "3");
    // -v names the series it averaged and how many points each gave.
    let out = chaosprom(&["-v", "mean", "cli_const", "--url", url, "--window", "1h"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "3");
    let err = stderr(&out);
    assert!(err.contains("INFO] averaging cli_const{"), "{err}");
    assert!(err.contains(" points in all, every 12s from "), "{err}");

    // The URL from the environment, with a trailing slash.
    let out = Command::new(common::chaosprom())
        .args(["query", "1+1"])
        .env("PROMETHEUS_URL", format!("{url}/"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(r#""2"]"#), "{}", stdout(&out));
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let prom = Prometheus::start().unwrap();
    let url = prom.url();

    let bad_time = chaosprom(&["query", "up", "--url", url, "--when", "2 mns ago"]);
    assert_eq!(bad_time.status.code(), Some(2));
    assert!(
        stderr(&bad_time).contains("failed to parse '2 mns ago'"),
        "{}",
        stderr(&bad_time)
    );
    assert!(bad_time.stdout.is_empty());

    let zero_step = chaosprom(&[
        "query-range",
        "up",
        "--url",
        url,
        "--start",
        "5m",
        "--end",
        "now",
        "--step",
        "0",
    ]);
    assert_eq!(zero_step.status.code(), Some(2), "{}", stderr(&zero_step));

    let bad_query = chaosprom(&["query", "sum(", "--url", url]);
    assert_eq!(bad_query.status.code(), Some(1));
    let message = stderr(&bad_query);
    assert!(
        message.contains("Prometheus query 'sum(' failed"),
        "{message}"
    );
    assert!(message.contains("400 bad_data"), "{message}");

    let unreachable = chaosprom(&[
        "query",
        "up",
        "--url",
        "http://127.0.0.1:1",
        "--client-timeout",
        "2",
    ]);
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(
        stderr(&unreachable).contains("connection failed"),
        "{}",
        stderr(&unreachable)
    );

    let usage = chaosprom(&["query"]);
    assert_eq!(usage.status.code(), Some(2));
    // The value is often a token: an error never shows it.
    for header in [
        "Authorization Bearer s3cr3t-t0k3n",
        "=s3cr3t-t0k3n",
        ": s3cr3t-t0k3n",
    ] {
        let bad_header = chaosprom(&["query", "up", "--header", header]);
        assert_eq!(bad_header.status.code(), Some(2), "{header}");
        let err = stderr(&bad_header);
        assert!(
            err.contains("expected NAME=VALUE or 'NAME: VALUE'") && !err.contains("s3cr3t"),
            "{header}: {err}"
        );
    }
}

#[test]
fn push_and_delete_against_a_real_pushgateway() {
    let gateway = Pushgateway::start().unwrap();
    let url = gateway.url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics.prom");
    std::fs::write(&file, "# TYPE cli_pushed gauge\ncli_pushed 12\n").unwrap();
    let out = chaosprom(&[
        "push",
        "--gateway",
        url,
        "--job",
        "cli",
        "--grouping-key",
        "env=prod/eu",
        "--grouping-key",
        "empty=",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let mut child = Command::new(common::chaosprom())
        .args([
            "push",
            "--gateway",
            url,
            "--job",
            "cli",
            "--grouping-key",
            "env=prod/eu",
            "--grouping-key",
            "empty=",
            "--method",
            "post",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"cli_added 5\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let metrics = http::get(&format!("{url}/metrics")).unwrap().body;
    assert!(
        metrics.contains(r#"cli_pushed{empty="",env="prod/eu",instance="",job="cli"} 12"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"cli_added{empty="",env="prod/eu",instance="",job="cli"} 5"#),
        "POST keeps the rest: {metrics}"
    );

    let out = chaosprom(&[
        "delete",
        "--gateway",
        url,
        "--job",
        "cli",
        "--grouping-key",
        "env=prod/eu",
        "--grouping-key",
        "empty=",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics = http::get(&format!("{url}/metrics")).unwrap().body;
    assert!(!metrics.contains("cli_pushed"), "{metrics}");

    let invalid = chaosprom(&[
        "push",
        "--gateway",
        url,
        "--job",
        "cli",
        "--grouping-key",
        "bad-name=x",
        file.to_str().unwrap(),
    ]);
    assert_eq!(invalid.status.code(), Some(2), "{}", stderr(&invalid));
    let down = chaosprom(&[
        "push",
        "--gateway",
        "http://127.0.0.1:1",
        "--job",
        "cli",
        file.to_str().unwrap(),
    ]);
    assert_eq!(down.status.code(), Some(1));
    assert!(
        stderr(&down).starts_with("chaosprom: push failed: PUT http://127.0.0.1:1/metrics/job/cli"),
        "{}",
        stderr(&down)
    );
}

#[test]
fn discover_prints_the_activities() {
    let out = chaosprom(&["discover"]);
    assert!(out.status.success());
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc, chaosprometheus::discover());
}

#[test]
fn query_query_range_and_mean_against_a_real_victoria_metrics() {
    let vm = chaosprom_testkit::VictoriaMetrics::start().unwrap();
    let recent = chaosprom_testkit::now_secs() / 60 * 60 - 120;
    let samples: String = (0..60)
        .map(|i| format!("cli_vm{{x=\"1\"}} 6 {}\n", (recent - (59 - i) * 60) * 1000))
        .collect();
    vm.import_prometheus(&samples).unwrap();
    let url = vm.url();

    let out = chaosprom(&["query", "cli_vm", "--url", url, "--when", &rfc3339(recent)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let payload: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(payload["data"]["result"][0]["value"][1], "6");

    let out = chaosprom(&[
        "query-range",
        "cli_vm",
        "--url",
        url,
        "--start",
        &rfc3339(recent - 59 * 60),
        "--end",
        &rfc3339(recent),
        "--step",
        "60",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let payload: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        payload["data"]["result"][0]["values"]
            .as_array()
            .unwrap()
            .len(),
        60
    );

    let out = chaosprom(&[
        "mean",
        "cli_vm",
        "--url",
        url,
        "--window",
        "30m",
        "--mean-type",
        "geometric",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mean: f64 = stdout(&out).trim().parse().unwrap();
    assert!((mean - 6.0).abs() < 1e-9, "{mean}");
}

/// `chaosprom BEFORE… query up --url <nothing listens> AFTER…`: a query
/// that fails fast, to see what the global flags do.
fn failing_query(before: &[&str], after: &[&str]) -> Output {
    let query = [
        "query",
        "up",
        "--url",
        "http://127.0.0.1:1",
        "--client-timeout",
        "1",
    ];
    chaosprom(&[before, &query[..], after].concat())
}

/// `-v`, `-q`, `--log-format`… work before the command's name and after
/// it; `-q` and `-v` are refused together on either side, as clap does.
#[test]
fn global_flags_go_before_or_after_the_command() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let path = log.path().to_str().unwrap();
    let json_to_file = ["--log-format", "json", "--log-file", path];
    for (before, after) in [(&json_to_file[..], &[][..]), (&[][..], &json_to_file[..])] {
        std::fs::write(path, "").unwrap();
        let out = failing_query(before, after);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let written = std::fs::read_to_string(path).unwrap();
        let first = written.lines().next().unwrap_or_default();
        assert!(
            serde_json::from_str::<Value>(first).is_ok(),
            "{before:?} {after:?}: the log file is not JSON lines: {written}"
        );
    }
    // A value given after the name wins over one given before it.
    // (-v: the retries are logged at info.)
    let out = failing_query(&["-v", "--log-format", "json"], &["--log-format", "text"]);
    assert!(stderr(&out).starts_with('['), "{}", stderr(&out));
    let out = failing_query(&["-v", "--log-format", "text"], &["--log-format", "json"]);
    assert!(stderr(&out).starts_with('{'), "{}", stderr(&out));
    for (before, after) in [(["-q"], ["-v"]), (["-v"], ["-q"])] {
        let out = failing_query(&before, &after);
        assert_eq!(out.status.code(), Some(2), "{before:?} {after:?}");
        assert!(
            stderr(&out).contains("'--quiet' cannot be used with '--verbose"),
            "{}",
            stderr(&out)
        );
    }
    let out = failing_query(&[], &["-q", "-v"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // Counts add up: -v before and -v after is -vv (debug).
    let out = failing_query(&["-v"], &["-v"]);
    assert!(stderr(&out).contains("DEBUG"), "{}", stderr(&out));
}

/// `probe` may run a process: its runtime has what child processes need.
#[test]
fn probe_runs_a_process_probe() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("experiment.json");
    let experiment = serde_json::json!({
        "title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "echo", "tolerance": 0,
             "provider": {"type": "process", "path": "echo", "arguments": ["hello"]}}
        ]},
        "method": []
    });
    std::fs::write(&file, experiment.to_string()).unwrap();
    let out = chaosprom(&["probe", file.to_str().unwrap(), "echo"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("hello"), "{}", stdout(&out));
}

#[test]
fn a_reader_that_goes_away_ends_a_command_quietly_never_with_a_panic() {
    // `chaosprom discover | head -1`: the reader is gone before the write.
    let dir = tempfile::tempdir().unwrap();
    let experiment = dir.path().join("e.json");
    std::fs::write(
        &experiment,
        r#"{"title": "t", "description": "d", "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]}"#,
    )
    .unwrap();
    let experiment = experiment.to_str().unwrap();
    for args in [
        vec!["discover"],
        vec!["completions", "bash"],
        vec!["validate", experiment],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(common::chaosprom())
            .args(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // And a stderr whose reader is gone loses the error, not the exit code.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(common::chaosprom())
        .args(["validate", "/does/not/exist.json"])
        .stderr(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
