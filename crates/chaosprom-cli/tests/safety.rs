//! `chaosprom run` around the fault: numbers that must not panic, signals
//! during rollbacks and pauses, process groups, the journal's file, huge
//! outputs, hostile files, and secrets.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod common;
use common::{journal, signal, spawn_run, text, wait_for, write};

fn chaosprom(args: &[&str]) -> Output {
    Command::new(common::chaosprom())
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// `sh -c SCRIPT` as a process activity.
fn sh(kind: &str, name: &str, script: &str) -> Value {
    json!({"type": kind, "name": name,
           "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]}})
}

#[test]
fn numbers_past_their_caps_are_refused_by_validate_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("injected");
    let mut inject = sh("action", "inject", &format!("touch {}", marker.display()));
    inject["pauses"] = json!({"after": 1e30, "before": -1});
    let mut slow = sh("action", "slow", "true");
    slow["provider"]["timeout"] = json!(1e30);
    let experiment = json!({
        "title": "t", "description": "d",
        "configuration": {"prometheus_timeout": 1e30, "prometheus_verify_tls": "maybe"},
        "method": [
            inject,
            slow,
            {"type": "probe", "name": "h", "provider": {"type": "http", "url": "http://127.0.0.1:1", "timeout": "NaN"}}
        ]
    });
    let file = write(dir.path(), "e.json", &experiment);
    let o = chaosprom(&["validate", file.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    for path in [
        "$.method[0].pauses.after: expected a number of seconds from 0 to 86400",
        "$.method[0].pauses.before:",
        "$.method[1].provider.timeout:",
        "$.method[2].provider.timeout:",
        "$.configuration.prometheus_timeout:",
        "$.configuration.prometheus_verify_tls:",
    ] {
        assert!(out.contains(path), "{path} not in {out}");
    }
    let journal_path = dir.path().join("journal.json");
    let o = chaosprom(&[
        "run",
        file.to_str().unwrap(),
        "--journal-path",
        journal_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
    assert!(
        !marker.exists(),
        "a fault was injected by an invalid experiment"
    );
}

#[test]
fn a_substituted_pause_past_its_cap_fails_its_activity_and_rollbacks_run() {
    let dir = tempfile::tempdir().unwrap();
    let rolled = dir.path().join("rolled-back");
    let mut inject = sh("action", "inject", "true");
    inject["pauses"] = json!({"after": "${pause}"});
    let experiment = json!({
        "title": "t", "description": "d",
        "configuration": {"pause": "1e30"},
        "method": [inject],
        "rollbacks": [sh("action", "undo", &format!("touch {}", rolled.display()))]
    });
    let file = write(dir.path(), "e.json", &experiment);
    let journal_path = dir.path().join("journal.json");
    let o = chaosprom(&[
        "run",
        file.to_str().unwrap(),
        "--journal-path",
        journal_path.to_str().unwrap(),
    ]);
    assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
    let j = journal(&journal_path);
    assert_eq!(j["run"][0]["status"], "failed", "{j}");
    assert!(
        j["run"][0]["exception"][0]
            .as_str()
            .unwrap()
            .contains("pauses.after"),
        "{j}"
    );
    assert!(rolled.exists(), "the rollback did not run");
}

#[test]
fn two_interrupts_stop_a_hung_rollback_and_the_journal_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let rolling = dir.path().join("rolling");
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [sh("action", "fault", "true")],
        "rollbacks": [sh("action", "hung undo", &format!("touch {}; sleep 60", rolling.display()))]
    });
    let file = write(dir.path(), "e.json", &experiment);
    for (first, second) in [("INT", "INT"), ("INT", "TERM")] {
        let _ = std::fs::remove_file(&rolling);
        let journal_path = dir.path().join(format!("journal-{first}-{second}.json"));
        let mut child = spawn_run(&file, &journal_path, &[]);
        wait_for(&rolling);
        signal(&child, first);
        std::thread::sleep(Duration::from_millis(500));
        assert!(
            child.try_wait().unwrap().is_none(),
            "one {first} ended the rollback"
        );
        let started = Instant::now();
        signal(&child, second);
        let out = child.wait_with_output().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let j = journal(&journal_path);
        assert_eq!(j["status"], "interrupted", "{first} {second}");
        assert!(
            text(&out.stderr).contains("interrupt again to stop them"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn sigusr1_interrupts_with_rollbacks_and_sigusr2_without() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let rolled = dir.path().join("rolled-back");
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [sh("action", "long fault", &format!("touch {}; sleep 60", started.display()))],
        "rollbacks": [sh("action", "undo", &format!("touch {}", rolled.display()))]
    });
    let file = write(dir.path(), "e.json", &experiment);
    for (sig, strategy, rolls_back) in [
        ("USR1", "always", true),
        ("USR1", "default", false),
        ("USR2", "always", false),
    ] {
        let _ = std::fs::remove_file(&started);
        let _ = std::fs::remove_file(&rolled);
        let journal_path = dir.path().join(format!("journal-{sig}-{strategy}.json"));
        let child = spawn_run(&file, &journal_path, &["--rollback-strategy", strategy]);
        wait_for(&started);
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{sig}: {}", text(&out.stderr));
        let j = journal(&journal_path);
        assert_eq!(j["status"], "interrupted", "{sig} {strategy}");
        assert_eq!(rolled.exists(), rolls_back, "{sig} with {strategy}");
    }
}

#[test]
fn an_activity_interrupted_in_its_pause_after_stays_in_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("done");
    let mut fault = sh("action", "fault", &format!("touch {}", done.display()));
    fault["pauses"] = json!({"after": 60});
    let experiment = json!({"title": "t", "description": "d", "method": [fault]});
    let file = write(dir.path(), "e.json", &experiment);
    let journal_path = dir.path().join("journal.json");
    let child = spawn_run(&file, &journal_path, &[]);
    wait_for(&done);
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let j = journal(&journal_path);
    assert_eq!(j["status"], "interrupted");
    assert_eq!(j["run"][0]["activity"]["name"], "fault", "{j}");
    assert_eq!(j["run"][0]["status"], "succeeded", "{j}");
}

#[test]
fn activities_an_interrupt_stopped_are_in_the_journal_in_the_order_they_started() {
    // chaoslib records an activity when it starts: one an interrupt stops
    // keeps its entry, with no status and no output. The journal must not
    // hide that a fault was being injected.
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let mut background = sh("action", "background fault", "sleep 60");
    background["background"] = json!(true);
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [
            background,
            sh("action", "fault", &format!("touch {}; sleep 60", started.display())),
        ]
    });
    let file = write(dir.path(), "e.json", &experiment);
    for sig in ["INT", "TERM", "USR1", "USR2"] {
        let _ = std::fs::remove_file(&started);
        let journal_path = dir.path().join(format!("journal-{sig}.json"));
        let child = spawn_run(&file, &journal_path, &[]);
        wait_for(&started);
        signal(&child, sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{sig}: {}", text(&out.stderr));
        let j = journal(&journal_path);
        assert_eq!(j["status"], "interrupted", "{sig}");
        let names: Vec<&Value> = j["run"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["activity"]["name"])
            .collect();
        assert_eq!(names, ["background fault", "fault"], "{sig}: {j}");
        for entry in j["run"].as_array().unwrap() {
            assert!(entry.get("status").is_none(), "{sig}: {entry}");
            assert_eq!(entry["output"], Value::Null, "{sig}: {entry}");
            assert!(entry["duration"].as_f64().unwrap() > 0.1, "{sig}: {entry}");
            assert!(entry["start"].is_string() && entry["end"].is_string());
        }
        assert!(
            text(&out.stderr).contains("Action 'fault' interrupted after"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn one_interrupt_during_rollbacks_is_answered_once_and_they_all_run() {
    let dir = tempfile::tempdir().unwrap();
    let rolling = dir.path().join("rolling");
    let second = dir.path().join("second");
    let experiment = json!({
        "title": "t", "description": "d",
        "method": [sh("action", "fault", "true")],
        "rollbacks": [
            sh("action", "undo", &format!("touch {}; sleep 1", rolling.display())),
            sh("action", "undo more", &format!("touch {}", second.display())),
            sh("action", "undo the rest", "true"),
        ]
    });
    let file = write(dir.path(), "e.json", &experiment);
    let journal_path = dir.path().join("journal.json");
    let child = spawn_run(&file, &journal_path, &[]);
    wait_for(&rolling);
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(second.exists(), "{stderr}");
    assert_eq!(
        stderr.matches("interrupt again to stop them").count(),
        1,
        "{stderr}"
    );
    let j = journal(&journal_path);
    assert_eq!(j["rollbacks"].as_array().unwrap().len(), 3, "{j}");
}

/// Processes whose command line holds `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) {
                found.push(format!(
                    "{}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    found
}

#[test]
fn a_process_providers_children_end_with_it_on_timeout_and_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    for (case, seconds) in [("timeout", "61.4321"), ("sigterm", "62.4321")] {
        let mut action = sh(
            "action",
            "spawns",
            &format!("sleep {seconds} & touch {}; wait", started.display()),
        );
        if case == "timeout" {
            action["provider"]["timeout"] = json!(1);
        }
        let experiment = json!({"title": "t", "description": "d", "method": [action]});
        let file = write(dir.path(), &format!("{case}.json"), &experiment);
        let journal_path = dir.path().join(format!("{case}-journal.json"));
        let _ = std::fs::remove_file(&started);
        let child = spawn_run(&file, &journal_path, &[]);
        wait_for(&started);
        assert!(!processes_with(&format!("sleep {seconds}")).is_empty());
        if case == "sigterm" {
            signal(&child, "TERM");
        }
        let out = child.wait_with_output().unwrap();
        let j = journal(&journal_path);
        if case == "timeout" {
            let exception = j["run"][0]["exception"].to_string();
            assert!(
                exception.contains("its process group was killed"),
                "{exception}"
            );
        } else {
            assert_eq!(j["status"], "interrupted", "{}", text(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(300));
        let left = processes_with(&format!("sleep {seconds}"));
        assert!(left.is_empty(), "{case}: still running: {left:?}");
    }
}

#[test]
fn an_unwritable_journal_path_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("injected");
    let experiment = json!({"title": "t", "description": "d",
        "method": [sh("action", "inject", &format!("touch {}", marker.display()))]});
    let file = write(dir.path(), "e.json", &experiment);
    for journal in [
        "/no/such/folder/journal.json",
        "/proc/journal.json",
        dir.path().to_str().unwrap(),
    ] {
        let o = chaosprom(&["run", file.to_str().unwrap(), "--journal-path", journal]);
        assert_eq!(o.status.code(), Some(1), "{journal}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("nothing was run"),
            "{}",
            text(&o.stderr)
        );
        assert!(!marker.exists(), "{journal}: the fault was injected");
    }
    // A journal is replaced whole, and nothing else is left in its folder.
    let journal_path = dir.path().join("journal.json");
    std::fs::write(&journal_path, "x".repeat(1 << 20)).unwrap();
    let o = chaosprom(&[
        "run",
        file.to_str().unwrap(),
        "--journal-path",
        journal_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(journal(&journal_path)["status"], "completed");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".chaosprom-journal-")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_process_that_prints_a_lot_is_cut_to_the_cap_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let experiment = json!({"title": "t", "description": "d",
        "method": [sh("action", "loud", "head -c 67108864 /dev/zero | tr '\\0' x; head -c 20000000 /dev/zero | tr '\\0' y >&2")]});
    let file = write(dir.path(), "e.json", &experiment);
    let journal_path = dir.path().join("journal.json");
    let o = chaosprom(&[
        "run",
        file.to_str().unwrap(),
        "--journal-path",
        journal_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let j = journal(&journal_path);
    let stdout = j["run"][0]["output"]["stdout"].as_str().unwrap();
    let stderr = j["run"][0]["output"]["stderr"].as_str().unwrap();
    assert!(stdout.len() < (10 << 20) + 200, "{}", stdout.len());
    assert!(stdout.starts_with("xxxx"));
    assert!(
        stdout.ends_with(&format!(
            "[chaosprom: {} more bytes of stdout were dropped; at most 10485760 are kept]\n",
            67_108_864 - 10_485_760
        )),
        "{}",
        &stdout[stdout.len() - 120..]
    );
    assert!(stderr.contains(&format!("{} more bytes of stderr", 20_000_000 - 10_485_760)));
    assert!(std::fs::metadata(&journal_path).unwrap().len() < 25 << 20);
}

#[test]
fn hostile_files_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("deep.yaml");
    std::fs::write(&deep, "[".repeat(200_000)).unwrap();
    let started = Instant::now();
    let o = chaosprom(&["validate", deep.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("brackets nested deeper than 1024"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let zero = dir.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let o = chaosprom(&["validate", zero.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("larger than 8388608 bytes"),
        "{}",
        text(&o.stderr)
    );
    let o = Command::new(common::chaosprom())
        .args(["validate", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("larger than 8388608 bytes"),
        "{}",
        text(&o.stderr)
    );
    let o = chaosprom(&["validate", "/etc/hostname"]);
    assert!(
        text(&o.stderr).contains("must end in .json, .yaml or .yml"),
        "{}",
        text(&o.stderr)
    );
}

/// `chaosprom ARGS` with `env`, killed (and the test failed) if it has not
/// ended within a minute.
fn ended(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(common::chaosprom());
    command
        .args(args)
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("chaosprom {args:?} with {env:?} did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn files_without_end_are_refused_at_their_cap_never_read_for_ever() {
    let https = ["query", "up", "--url", "https://127.0.0.1:1"];
    for (args, env, expected) in [
        (
            &["report", "/dev/zero"][..],
            &[][..],
            "/dev/zero is not a journal: expected value at line 1 column 1",
        ),
        (
            &[
                "push",
                "--gateway",
                "http://127.0.0.1:1",
                "--job",
                "j",
                "/dev/zero",
            ],
            &[],
            "cannot read /dev/zero: more than 67108864 bytes, the most `push` sends",
        ),
        (
            &[https.as_slice(), &["--ca-file", "/dev/zero"]].concat(),
            &[],
            "reading /dev/zero: larger than 16777216 bytes",
        ),
        (
            &https,
            &[("REQUESTS_CA_BUNDLE", "/dev/zero")],
            "reading /dev/zero (named by REQUESTS_CA_BUNDLE): larger than 16777216 bytes",
        ),
    ] {
        let o = ended(args, env);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(expected),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }

    // Default settings that are not a file are an error, not left out.
    let home = tempfile::tempdir().unwrap();
    let settings = home.path().join(".chaostoolkit/settings.yaml");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    common::mkfifo(&settings);
    let experiment = home.path().join("e.json");
    std::fs::write(
        &experiment,
        r#"{"title": "t", "description": "d", "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]}"#,
    )
    .unwrap();
    let home_dir = home.path().to_str().unwrap();
    for args in [&["run", "--no-validation"][..], &["validate"]] {
        let o = ended(
            &[args, &[experiment.to_str().unwrap()]].concat(),
            &[("HOME", home_dir)],
        );
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("settings.yaml: not a regular file"),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }

    // A journal whose size is past the cap is refused before it is read
    // (a sparse file: nothing is written).
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let o = ended(&["report", huge.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("more than the 1073741824 bytes a report reads"),
        "{}",
        text(&o.stderr)
    );

    // A time zone file that is not a regular file is never read: the zone
    // is UTC, as for any zone that cannot be read. The query goes nowhere,
    // and its error names the URL, with the time it asked for.
    let fifo = dir.path().join("fifo");
    common::mkfifo(&fifo);
    for zone in ["/dev/zero", ":/dev/zero", fifo.to_str().unwrap()] {
        let o = ended(
            &[
                "query",
                "up",
                "--url",
                "http://127.0.0.1:1",
                "--when",
                "2026-11-20 10:00",
            ],
            &[("TZ", zone)],
        );
        assert_eq!(o.status.code(), Some(1), "TZ={zone}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("time=2026-11-20T10%3A00%3A00Z"),
            "TZ={zone}: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn secrets_are_never_printed_nor_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let experiment = json!({"title": "t", "description": "d",
        "secrets": {"prom": {"token": "hunter2-inline", "port": {"type": "env", "key": "CHAOSPROM_TEST_SECRET_PORT", "env_var_type": "int"}}},
        "method": [sh("action", "noop", "true")]});
    let file = write(dir.path(), "e.json", &experiment);
    let journal_path = dir.path().join("journal.json");
    let o = Command::new(common::chaosprom())
        .args([
            "run",
            file.to_str().unwrap(),
            "--journal-path",
            journal_path.to_str().unwrap(),
        ])
        .env("CHAOSPROM_TEST_SECRET_PORT", "s3cr3t-not-a-number")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("CHAOSPROM_TEST_SECRET_PORT"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");

    let o = Command::new(common::chaosprom())
        .args([
            "run",
            file.to_str().unwrap(),
            "--journal-path",
            journal_path.to_str().unwrap(),
        ])
        .env("CHAOSPROM_TEST_SECRET_PORT", "9090")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let written = std::fs::read_to_string(&journal_path).unwrap();
    assert!(!written.contains("hunter2-inline"), "{written}");
    let j: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(j["experiment"]["secrets"]["prom"]["token"], "***");
}

#[test]
fn a_journal_that_cannot_be_written_where_asked_is_kept_in_the_temporary_folder() {
    // The folder was there when the run began; the method removes it (as a
    // disk that fills up during a run would refuse the file). The record
    // of what ran must not be lost.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("journals");
    std::fs::create_dir_all(&folder).unwrap();
    let experiment = json!({"title": "t", "description": "d",
        "method": [sh("action", "fault", &format!("rm -rf {}", folder.display()))]});
    let file = write(dir.path(), "e.json", &experiment);
    let journal_path = folder.join("journal.json");
    let out = spawn_run(&file, &journal_path, &[])
        .wait_with_output()
        .unwrap();
    let log = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{log}");
    let kept = log
        .split("it was written to ")
        .nth(1)
        .and_then(|rest| rest.split(" instead").next())
        .unwrap_or_else(|| panic!("{log}"));
    let j = journal(Path::new(kept));
    std::fs::remove_file(kept).unwrap();
    assert_eq!(j["status"], "completed");
    assert_eq!(j["run"][0]["activity"]["name"], "fault");
}
