//! Cases of chaoslib 1.44.0's own test-suite about validating and running
//! experiments: `test_experiment.py`, `test_probe.py`, `test_action.py`,
//! `test_run.py` and `test_exit.py`, as validations and runs of the
//! `chaosprom` binary.
//!
//! Their fixtures call Python functions (`os.path.exists`, the suite's
//! `fixtures.fakeext`); here the same shapes call processes: `test -e`
//! for a probe that succeeds, a `sleep` past its timeout for an activity
//! that fails, and a scripted HTTP server for chaoslib's `requests_mock`.
//! Pauses are shorter than theirs (a dry run must skip a 30 s pause; a run
//! that pauses does so for 1 s). Where `chaosprom` differs on purpose, the
//! case says so and the README's compatibility table lists it.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chaosprom_testkit::fault::{FaultServer, Reply};
use serde_json::{Value, json};

mod common;
use common::{signal, spawn_run, text, wait_for, write};

/// `chaosprom run` of `experiment` with `args`; its output and journal.
fn run(experiment: &Value, args: &[&str]) -> (Output, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "experiment.json", experiment);
    let journal = dir.path().join("journal.json");
    let out = Command::new(common::chaosprom())
        .arg("run")
        .arg(&file)
        .arg("--journal-path")
        .arg(&journal)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let j = std::fs::read_to_string(&journal)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (out, j)
}

/// `chaosprom validate`: whether it passed, and what it printed.
fn validate(experiment: &Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "experiment.json", experiment);
    let out = Command::new(common::chaosprom())
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// An experiment around one method activity.
fn with_method(activity: Value) -> Value {
    let mut experiment = json!({"title": "t", "description": "d"});
    experiment["method"] = Value::Array(vec![activity]);
    experiment
}

/// A file that exists, for `PythonModuleProbe`'s `os.path.exists`.
fn this_file() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/chaoslib_runs.rs").to_owned()
}

/// `PythonModuleProbe`: succeeds (the file exists), then pauses 0.1 s.
fn python_module_probe() -> Value {
    json!({"type": "probe", "name": "path-must-exists",
           "pauses": {"before": 0, "after": 0.1},
           "provider": {"type": "process", "path": "test", "arguments": ["-e", this_file()], "timeout": 30}})
}

/// `PythonModuleProbeWithBoolTolerance`: the same, within its tolerance.
fn bool_tolerance_probe() -> Value {
    let mut p = python_module_probe();
    p["name"] = json!("boolean-probe");
    p["tolerance"] = json!(0);
    p
}

/// A `PythonModuleProbe` with these pauses, possibly in the background.
fn paused_probe(name: &str, before: f64, after: f64, background: bool) -> Value {
    let mut p = python_module_probe();
    p["name"] = json!(name);
    p["pauses"] = json!({"before": before, "after": after});
    if background {
        p["background"] = json!(true);
    }
    p
}

/// `PythonModuleActionWithLongAction`: an action with long pauses.
fn long_action() -> Value {
    let mut a = paused_probe("action-with-long-pause", 35.0, 30.0, false);
    a["type"] = json!("action");
    a
}

/// `fixtures.fakeext.force_failed_activity`: fails (too long for its
/// timeout).
fn failing(kind: &str, name: &str) -> Value {
    json!({"type": kind, "name": name, "tolerance": true,
           "provider": {"type": "process", "path": "sleep", "arguments": "10", "timeout": 0.2}})
}

/// `EchoAction`.
fn echo_action() -> Value {
    json!({"type": "action", "name": "a name",
           "provider": {"type": "process", "path": "echo", "arguments": "kaboom"}})
}

/// An HTTP probe of `url` with this tolerance.
fn http_probe(url: &str, tolerance: Value) -> Value {
    let mut probe = json!({"type": "probe", "name": "A dummy tolerance ready probe",
           "provider": {"type": "http", "url": url, "timeout": 30}});
    probe["tolerance"] = tolerance;
    probe
}

/// The suite's `Experiment`: a hypothesis of a boolean, an HTTP status
/// and an external (probe) tolerance, a method with a background probe,
/// a rollback by reference.
fn experiment(url: &str) -> Value {
    json!({
        "title": "do cats live in the Internet?",
        "description": "an experiment of importance",
        "steady-state-hypothesis": {"title": "hello", "probes": [
            bool_tolerance_probe(),
            http_probe(url, json!([200, 301, 302])),
            {"type": "probe", "name": "external-probe",
             "provider": {"type": "python", "module": "chaosprometheus.probes", "func": "query",
                          "arguments": {"query": "up"}},
             "tolerance": {"type": "probe", "name": "external",
                           "provider": {"type": "python", "module": "chaosprometheus.tolerances",
                                        "func": "above", "arguments": {"threshold": 0}}}}
        ]},
        "method": [python_module_probe(), {
            "type": "probe", "name": "a-background-probe", "background": true,
            "provider": {"type": "process", "path": "test", "arguments": ["-e", this_file()]}}],
        "rollbacks": [{"ref": "path-must-exists"}]
    })
}

fn names(entries: &Value) -> Vec<&str> {
    entries
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["activity"]["name"].as_str().unwrap_or(""))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn test_probe_py_validation() {
    let python = |provider: Value| json!({"type": "probe", "name": "a name", "provider": provider});
    let cases = [
        // test_empty_probe_is_invalid
        (json!({}), "$.method[0].type"),
        // test_probe_must_have_a_type
        (
            json!({"name": "a name", "provider": {"module": "blah"}}),
            "$.method[0].type: is required",
        ),
        // test_probe_must_have_a_known_type
        (
            json!({"type": "whatever", "name": "a name", "provider": {"type": "python"}}),
            "found 'whatever'",
        ),
        // test_probe_provider_must_have_a_known_type
        (python(json!({"type": "pizza"})), "found 'pizza'"),
        // test_python_probe_must_have_a_module_path
        (
            python(json!({"type": "python"})),
            "$.method[0].provider.module: is required",
        ),
        // test_python_probe_must_have_a_function_name
        (
            python(json!({"type": "python", "module": "chaosprometheus.probes"})),
            "$.method[0].provider.func: is required",
        ),
        // test_python_probe_must_be_importable
        (
            python(json!({"type": "python", "module": "fake.module", "func": "myfunc"})),
            "module 'fake.module'",
        ),
        // test_python_probe_func_must_have_enough_args
        (
            python(
                json!({"type": "python", "module": "chaosprometheus.probes", "func": "query", "arguments": {}}),
            ),
            "missing required argument 'query'",
        ),
        // test_python_probe_func_cannot_have_too_many_args
        (
            python(
                json!({"type": "python", "module": "chaosprometheus.probes", "func": "query",
                          "arguments": {"query": "up", "should_not_be_here": "indeed not"}}),
            ),
            "unknown argument 'should_not_be_here'",
        ),
        // test_process_probe_have_a_path
        (
            python(json!({"type": "process"})),
            "$.method[0].provider.path: is required",
        ),
        // test_process_probe_path_must_exist
        (
            python(json!({"type": "process", "path": "somewhere/not/here"})),
            "cannot find the executable 'somewhere/not/here'",
        ),
        // test_http_probe_must_have_a_url
        (
            python(json!({"type": "http"})),
            "$.method[0].provider.url: is required",
        ),
    ];
    for (probe, expected) in cases {
        let (ok, said) = validate(&with_method(probe.clone()));
        assert!(!ok, "{probe} was accepted");
        assert!(said.contains(expected), "{probe}: {said}");
    }
}

#[test]
fn test_probe_py_runs() {
    let python_version = Command::new("python3").arg("-V").output().unwrap();
    let python_version = text(&python_version.stdout);
    let process = |name: &str, arguments: Value| {
        json!({"type": "probe", "name": name, "pauses": {"before": 0, "after": 0.1},
               "provider": {"type": "process", "path": "python3", "arguments": arguments, "timeout": 5}})
    };
    let echoed = "['-c', '--empty', '--number', '1', '--string', 'with spaces', '--string', 'a second string with the same option']\n";
    let mut timeout = process("times out", json!(["-c", "import time; time.sleep(10)"]));
    timeout["provider"]["timeout"] = json!(0.2);
    let json_server = FaultServer::start(vec![Reply::json(r#"["well done"]"#)]).unwrap();
    let text_server = FaultServer::start(vec![Reply::status(
        "200 OK",
        "content-type: text/plain\r\n",
        "['well done']",
    )])
    .unwrap();
    let not_found =
        FaultServer::start(vec![Reply::status("404 Not Found", "", "Not found!")]).unwrap();
    // test_run_http_probe_can_retry: the first connection ends without an
    // answer.
    let aborting = FaultServer::start(vec![
        Reply::new("").close(),
        Reply::status("200 OK", "", ""),
    ])
    .unwrap();
    let slow = FaultServer::start(vec![
        Reply::status("200 OK", "", "late").after(Duration::from_secs(60)),
    ])
    .unwrap();
    let http = |name: &str, url: String, extra: Value| {
        let mut p = json!({"type": "probe", "name": name,
            "provider": {"type": "http", "url": url, "method": "post",
                         "arguments": {"q": "chaostoolkit"}, "timeout": 30},
            "pauses": {"before": 0, "after": 0.1}});
        if let (Some(p), Some(extra)) = (p["provider"].as_object_mut(), extra.as_object()) {
            p.extend(extra.clone());
        }
        p
    };
    let experiment = json!({"title": "t", "description": "d", "method": [
        // test_run_python_probe_should_return_raw_value: a process here
        // (its output is the raw {status, stdout, stderr}).
        python_module_probe(),
        // test_run_process_probe_should_return_raw_value
        process("version", json!(["-V"])),
        // test_run_process_probe_should_pass_arguments_in_array
        process("array", json!(["-c", "import sys; print(sys.argv)", "--empty", "--number", 1,
                                "--string", "with spaces", "--string", "a second string with the same option"])),
        // test_run_process_probe_can_pass_arguments_as_string
        process("string", json!("-c 'import sys; print(sys.argv)' --empty --number 1 --string 'with spaces' --string 'a second string with the same option'")),
        // test_run_process_probe_can_timeout
        timeout,
        // test_run_http_probe_should_return_parsed_json_value,
        // test_run_http_probe_must_be_serializable_to_json
        http("json", json_server.url(), json!({})),
        // test_run_http_probe_should_return_raw_text_value
        http("text", text_server.url(), json!({})),
        // test_run_http_probe_can_expect_failure
        http("expected 404", not_found.url(), json!({"expected_status": 404})),
        // test_run_http_probe_can_retry
        {"type": "probe", "name": "retried", "tolerance": [200],
         "provider": {"type": "http", "url": aborting.url(), "timeout": 10, "max_retries": 1}},
        // chaoslib's http provider says the same on a timeout.
        {"type": "probe", "name": "slow", "provider": {"type": "http", "url": slow.url(), "timeout": 0.3}},
    ]});
    let (out, j) = run(&experiment, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let runs = &j["run"];
    for (i, entry) in runs.as_array().unwrap().iter().enumerate() {
        let expected = if i == 4 || i == 9 {
            "failed"
        } else {
            "succeeded"
        };
        assert_eq!(entry["status"], expected, "{i}: {entry}");
    }
    assert_eq!(runs[0]["output"]["status"], 0);
    assert_eq!(runs[1]["output"]["status"], 0);
    assert_eq!(runs[1]["output"]["stdout"], python_version);
    assert_eq!(runs[1]["output"]["stderr"], "");
    assert_eq!(runs[2]["output"]["stdout"], echoed);
    assert_eq!(runs[3]["output"]["stdout"], echoed);
    assert!(
        runs[4]["exception"]
            .to_string()
            .contains("process activity took too long to complete"),
        "{}",
        runs[4]
    );
    assert_eq!(runs[5]["output"]["body"], json!(["well done"]));
    assert_eq!(runs[6]["output"]["body"], "['well done']");
    assert_eq!(runs[7]["output"]["status"], 404);
    assert_eq!(runs[8]["output"]["status"], 200);
    assert_eq!(aborting.connections(), 2, "one retry");
    assert!(
        runs[9]["exception"]
            .to_string()
            .contains("activity took too long to complete"),
        "{}",
        runs[9]
    );
}

#[test]
fn test_action_py_and_test_experiment_py_validation() {
    let server =
        FaultServer::start(vec![Reply::status("200 OK", "", "you are number 87")]).unwrap();
    let invalid = [
        // test_empty_action_is_invalid
        (
            with_method(json!({"type": "action"})),
            "$.method[0].name: is required",
        ),
        // test_empty_experiment_is_invalid
        (json!({}), "$.title: is required"),
        // test_experiment_must_have_a_method
        (
            json!({"title": "kaboom", "description": "blah", "steady-state-hypothesis": {"title": "hello"}}),
            "$.method",
        ),
        // test_experiment_must_have_a_title
        (
            json!({"description": "blah", "method": []}),
            "$.title: is required",
        ),
        // test_experiment_must_have_a_description
        (
            json!({"title": "kaboom", "method": []}),
            "$.description: is required",
        ),
        // test_experiment_hypothesis_must_have_a_title
        (
            json!({"title": "kaboom", "description": "blah", "steady-state-hypothesis": {}, "method": []}),
            "$.steady-state-hypothesis.title: is required",
        ),
        // test_experiment_hypothesis_must_have_a_valid_probe
        (
            json!({"title": "t", "description": "d",
                   "steady-state-hypothesis": {"title": "hello", "probes": [
                       {"type": "probe", "name": "a name", "provider": {"type": "python",
                        "module": "chaosprometheus.probes", "func": "query", "arguments": {}}}]},
                   "method": [python_module_probe()]}),
            "missing required argument 'query'",
        ),
        // test_probes_missing_ref_should_fail_the_experiment (chaoslib's
        // test runs it unvalidated and gets "aborted"; `chaos run`
        // refuses it first, as here)
        (
            json!({"title": "t", "description": "d",
                   "steady-state-hypothesis": {"title": "hello", "probes": [bool_tolerance_probe()]},
                   "method": [python_module_probe(), {"ref": "pizza"}]}),
            "pizza",
        ),
    ];
    for (experiment, expected) in invalid {
        let (ok, said) = validate(&experiment);
        assert!(!ok, "{experiment} was accepted");
        assert!(said.contains(expected), "{experiment}: {said}");
    }
    // test_pauses_must_be_numbers_or_substitution_pattern
    for (pauses, valid) in [
        (json!({"before": 1, "after": 0.7}), true),
        (
            json!({"before": "${pause_before}", "after": "${pause_after}"}),
            true,
        ),
        (json!({"before": "hello", "after": 0.9}), false),
        (json!({"before": 0.8, "after": "world"}), false),
    ] {
        let mut probe = python_module_probe();
        probe["pauses"] = pauses.clone();
        let mut experiment = with_method(probe);
        experiment["configuration"] = json!({"pause_before": 1, "pause_after": 0.7});
        let (ok, said) = validate(&experiment);
        assert_eq!(ok, valid, "{pauses}: {said}");
    }
    let valid = [
        // test_experiment_method_without_steps
        json!({"title": "kaboom", "description": "blah", "steady-state-hypothesis": {"title": "hello"}, "method": []}),
        // test_experiment_may_not_have_a_hypothesis
        json!({"title": "kaboom", "description": "blah", "method": [bool_tolerance_probe()]}),
        // test_valid_experiment
        experiment(&server.url()),
        // test_validate_all_tolerance_probes
        json!({"title": "t", "description": "d",
            "steady-state-hypothesis": {"title": "hello", "probes": [
                bool_tolerance_probe(),
                http_probe(&server.url(), json!([200, 301, 302])),
                http_probe(&server.url(), json!({"type": "regex", "target": "body", "pattern": "[0-9]{2}"})),
                {"type": "probe", "name": "status", "tolerance": 0,
                 "provider": {"type": "process", "path": "python3", "arguments": ["-V"], "timeout": 1}},
                {"type": "probe", "name": "failed status", "tolerance": 2,
                 "provider": {"type": "process", "path": "python3", "arguments": ["--burp"], "timeout": 1}},
                {"type": "probe", "name": "stdout", "tolerance": {"type": "regex", "target": "stdout", "pattern": "Python [0-9]\\.[0-9]\\.[0-9]"},
                 "provider": {"type": "process", "path": "python3", "arguments": ["-V"], "timeout": 1}}]},
            "method": [python_module_probe()], "rollbacks": []}),
    ];
    for experiment in valid {
        let (ok, said) = validate(&experiment);
        assert!(ok, "{experiment}: {said}");
    }
}

#[test]
fn validate_reads_the_configuration_and_secrets_from_the_environment_as_chaos_validate_does() {
    // `chaos validate` loads them (test_configuration.py's "Configuration
    // makes reference to an environment key that does not exist"); a
    // file that validated here could not run in the same shell.
    let dir = tempfile::tempdir().unwrap();
    let validate_with = |experiment: &Value, env: &[(&str, &str)]| {
        let file = write(dir.path(), "experiment.json", experiment);
        let mut command = Command::new(common::chaosprom());
        command
            .arg("validate")
            .arg(&file)
            .env_remove("CHAOSPROM_TEST_LIMIT")
            .env_remove("CHAOSPROM_TEST_TOKEN");
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        (
            out.status.success(),
            format!("{}{}", text(&out.stdout), text(&out.stderr)),
        )
    };
    let mut experiment = with_method(json!({"type": "action", "name": "a",
        "provider": {"type": "process", "path": "true"}}));
    experiment["configuration"] =
        json!({"limit": {"type": "env", "key": "CHAOSPROM_TEST_LIMIT", "env_var_type": "int"}});
    let (ok, said) = validate_with(&experiment, &[]);
    assert!(!ok, "{said}");
    assert!(
        said.contains("$.configuration.limit: the environment variable CHAOSPROM_TEST_LIMIT is not set and there is no default"),
        "{said}"
    );
    let (ok, said) = validate_with(&experiment, &[("CHAOSPROM_TEST_LIMIT", "five")]);
    assert!(!ok && said.contains("$.configuration.limit"), "{said}");
    let (ok, said) = validate_with(&experiment, &[("CHAOSPROM_TEST_LIMIT", "5")]);
    assert!(ok, "{said}");
    experiment["secrets"] =
        json!({"prom": {"token": {"type": "env", "key": "CHAOSPROM_TEST_TOKEN"}}});
    let (ok, said) = validate_with(&experiment, &[("CHAOSPROM_TEST_LIMIT", "5")]);
    assert!(!ok, "{said}");
    assert!(
        said.contains("$.secrets.prom.token: the environment variable CHAOSPROM_TEST_TOKEN"),
        "{said}"
    );
    let (ok, said) = validate_with(
        &experiment,
        &[
            ("CHAOSPROM_TEST_LIMIT", "5"),
            ("CHAOSPROM_TEST_TOKEN", "s3cr3t-value"),
        ],
    );
    assert!(ok, "{said}");
    assert!(!said.contains("s3cr3t-value"), "{said}");
}

#[test]
fn an_activity_s_own_timeout_is_checked_and_the_run_says_it_is_not_applied() {
    // chaoslib checks that it is a number and applies it nowhere; the
    // provider's timeout limits the activity. The run says so.
    let (ok, said) = validate(&with_method(json!({"type": "action", "name": "a",
        "timeout": "1", "provider": {"type": "process", "path": "true"}})));
    assert!(
        !ok && said.contains("$.method[0].timeout: expected a number"),
        "{said}"
    );
    let (out, journal) = run(
        &with_method(json!({"type": "action", "name": "slow", "timeout": 0.1,
            "provider": {"type": "process", "path": "sleep", "arguments": "0.3"}})),
        &[],
    );
    assert_eq!(journal["status"], "completed", "{}", text(&out.stderr));
    assert_eq!(journal["run"][0]["status"], "succeeded");
    let said = text(&out.stderr);
    assert!(
        said.contains("activity 'slow' has a `timeout` of its own, which is not applied (nor by chaos run): its provider's `timeout` limits it"),
        "{said}"
    );
}

#[test]
fn test_experiment_py_loading() {
    let dir = tempfile::tempdir().unwrap();
    let server = FaultServer::start(vec![Reply::status("200 OK", "", "")]).unwrap();
    let json_text = experiment(&server.url()).to_string();
    let yaml_text = "---\ntitle: t\ndescription: d\nmethod:\n- type: probe\n  name: p\n  provider:\n    type: process\n    path: \"true\"\n";
    // test_load_yaml, test_load_yml, test_load_json,
    // test_valid_experiment_from_json, test_valid_experiment_from_yaml
    for (name, content) in [
        ("e.yaml", yaml_text),
        ("e.yml", yaml_text),
        ("e.json", json_text.as_str()),
        // The suite's Experiment as YAML (JSON is YAML).
        ("experiment.yaml", json_text.as_str()),
    ] {
        std::fs::write(dir.path().join(name), content).unwrap();
        let out = Command::new(common::chaosprom())
            .args(["validate", name])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    }
    // test_unknown_extension
    std::fs::write(dir.path().join("e.txt"), json_text).unwrap();
    let out = Command::new(common::chaosprom())
        .args(["validate", "e.txt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(".json, .yaml or .yml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn test_experiment_py_runs() {
    let ok = FaultServer::start(vec![Reply::status("200 OK", "", "")]).unwrap();
    let not_found = FaultServer::start(vec![Reply::status("404 Not Found", "", "")]).unwrap();
    let error =
        FaultServer::start(vec![Reply::status("500 Internal Server Error", "", "")]).unwrap();

    // test_experiment_title_substitution
    let mut e = json!({"title": "${project_name}: do cats live in the Internet?", "description": "d",
        "configuration": {"project_name": {"type": "env", "key": "CHAOSPROM_TEST_UNSET_PROJECT_NAME", "default": "Cats in space"}},
        "dry_run": true,
        "steady-state-hypothesis": {"title": "hello", "probes": [bool_tolerance_probe()]},
        "method": [python_module_probe(), {"ref": "path-must-exists"}]});
    let (out, j) = run(&e, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        j["experiment"]["title"],
        "Cats in space: do cats live in the Internet?"
    );
    // test_probes_can_reference_each_other
    assert_eq!(j["status"], "completed");
    assert_eq!(names(&j["run"]), ["path-must-exists", "path-must-exists"]);

    // test_experiment_with_steady_state: met; then not met before the
    // method, which ends the run "completed" without deviating.
    let hypothesis = |url: &str| {
        json!({"title": "t", "description": "d",
               "steady-state-hypothesis": {"title": "hello", "probes": [http_probe(url, json!([200, 301, 302]))]},
               "method": [], "rollbacks": []})
    };
    let (_, j) = run(&hypothesis(&ok.url()), &[]);
    assert_eq!(j["status"], "completed");
    assert_eq!(j["steady_states"]["before"]["steady_state_met"], true);
    let (_, j) = run(&hypothesis(&not_found.url()), &[]);
    assert_eq!(j["status"], "completed");
    assert_eq!(j["deviated"], false);
    assert_eq!(j["steady_states"]["before"]["steady_state_met"], false);

    // test_experiment_with_failing_steady_state: rollbacks still play.
    let (_, j) = run(&experiment(&error.url()), &[]);
    assert_eq!(j["status"], "completed");
    assert_eq!(j["deviated"], false);
    assert_eq!(j["rollbacks"].as_array().unwrap().len(), 1, "{j}");

    // test_experiment_may_run_without_steady_state
    e = experiment(&error.url());
    e.as_object_mut().unwrap().remove("steady-state-hypothesis");
    let (out, j) = run(&e, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(j["status"], "completed");
    assert_eq!(names(&j["run"]), ["path-must-exists", "a-background-probe"]);

    // test_should_bail_experiment_when_env_was_not_found
    e = experiment(&ok.url());
    e["configuration"] = json!({"mykey": {"type": "env", "key": "CHAOSPROM_TEST_DOES_NOT_EXIST"}});
    let (out, j) = run(&e, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(j, Value::Null, "nothing ran");
    assert!(
        text(&out.stderr).contains("CHAOSPROM_TEST_DOES_NOT_EXIST"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn test_experiment_py_rollback_strategies() {
    let failed_in_hypothesis = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "hello", "probes": [failing("probe", "a name")]},
        "method": [{"type": "action", "name": "a name", "provider": {"type": "process", "path": "true"}}],
        "rollbacks": [echo_action()]});
    let failed_in_method = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "hello"},
        "method": [failing("action", "a name")],
        "rollbacks": [echo_action()]});
    for (strategy, in_hypothesis, in_method) in [
        // test_rollback_default_strategy_does_not_run_on_failed_activity_in_ssh,
        // test_rollback_default_strategy_runs_on_failed_activity_in_method
        ("default", 0, 1),
        // test_rollback_always_strategy_runs_on_failed_activity_in_ssh,
        // test_rollback_always_strategy_runs_on_failed_activity_in_method
        ("always", 1, 1),
        // test_rollback_never_strategy_does_not_run_on_failed_activity_in_ssh
        ("never", 0, 0),
    ] {
        let (_, j) = run(&failed_in_hypothesis, &["--rollback-strategy", strategy]);
        assert_eq!(j["status"], "failed", "{strategy}: {j}");
        assert_eq!(
            j["rollbacks"].as_array().unwrap().len(),
            in_hypothesis,
            "{strategy}: {j}"
        );
        let (_, j) = run(&failed_in_method, &["--rollback-strategy", strategy]);
        assert_eq!(j["status"], "completed", "{strategy}: {j}");
        assert_eq!(
            j["rollbacks"].as_array().unwrap().len(),
            in_method,
            "{strategy}: {j}"
        );
    }
}

/// Runs `experiment`, sends `signals` once `marker` exists (a pause
/// apart), and returns the exit code, the journal and the log.
fn interrupted(
    experiment: &Value,
    marker: &Path,
    signals: &[&str],
    args: &[&str],
) -> (Option<i32>, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "experiment.json", experiment);
    let journal = dir.path().join("journal.json");
    let _ = std::fs::remove_file(marker);
    let child = spawn_run(&file, &journal, args);
    wait_for(marker);
    for s in signals {
        signal(&child, s);
        std::thread::sleep(Duration::from_millis(300));
    }
    let out = child.wait_with_output().unwrap();
    let j = serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    (out.status.code(), j, text(&out.stderr))
}

/// `touch MARKER; sleep 60` as a process activity.
fn long(kind: &str, name: &str, marker: &Path) -> Value {
    json!({"type": kind, "name": name, "provider": {"type": "process", "path": "sh",
           "arguments": ["-c", format!("touch {}; sleep 60", marker.display())]}})
}

#[test]
fn test_experiment_py_interruptions() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("started");
    // test_no_rollback_even_on_SIGINT, test_no_rollback_even_on_SystemExit
    // (chaos's SIGTERM): a method in a long pause, a background probe in
    // another.
    let mut pausing = paused_probe("probe-with-long-pause", 0.0, 60.0, false);
    pausing["provider"] = json!({"type": "process", "path": "touch", "arguments": [marker]});
    let long_pause = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "hello"},
        "method": [pausing, paused_probe("background-probe-with-long-pause", 0.0, 60.0, true)],
        "rollbacks": [{"type": "probe", "name": "a-background-probe",
                       "provider": {"type": "process", "path": "true"}}]});
    for sig in ["INT", "TERM"] {
        let (code, j, log) = interrupted(&long_pause, &marker, &[sig], &[]);
        assert_eq!(code, Some(1), "{sig}: {log}");
        assert_eq!(j["status"], "interrupted", "{sig}");
        assert_eq!(j["rollbacks"], json!([]), "{sig}: default strategy");
    }

    // test_can_interrupt_rollbacks, test_can_interrupt_rollbacks_on_SIGINT,
    // test_can_interrupt_rollbacks_on_SystemExit. chaoslib stops the
    // rollbacks at the first interrupt; chaosprom lets them run to their
    // end and stops them at the second.
    let rollback_pause = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "hello"},
        "method": [python_module_probe()],
        "rollbacks": [long("probe", "probe-with-long-pause", &marker)]});
    for signals in [["INT", "INT"], ["TERM", "TERM"], ["INT", "TERM"]] {
        let (code, j, log) = interrupted(&rollback_pause, &marker, &signals, &[]);
        assert_eq!(code, Some(1), "{signals:?}: {log}");
        assert_eq!(j["status"], "interrupted", "{signals:?}");
        assert_eq!(
            names(&j["rollbacks"]),
            ["probe-with-long-pause"],
            "{signals:?}"
        );
        assert!(log.contains("interrupt again to stop them"), "{log}");
    }

    // test_rollback_default_strategy_does_not_run_on_interrupted_experiment_in_method
    // (whose settings say "always"),
    // test_rollback_always_strategy_runs_on_interrupted_experiment_in_method,
    // test_rollback_never_strategy_does_not_run_on_interrupted_experiment_in_method
    let interrupted_method = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "hello"},
        "method": [long("action", "a name", &marker)],
        "rollbacks": [echo_action()]});
    for (strategy, rollbacks) in [("default", 0), ("always", 1), ("never", 0)] {
        let (_, j, log) = interrupted(
            &interrupted_method,
            &marker,
            &["INT"],
            &["--rollback-strategy", strategy],
        );
        assert_eq!(j["status"], "interrupted", "{strategy}: {log}");
        assert_eq!(
            j["rollbacks"].as_array().unwrap().len(),
            rollbacks,
            "{strategy}"
        );
        assert_eq!(names(&j["run"]), ["a name"], "started, so journaled");
    }
}

#[test]
fn test_exit_py_with_http_action() {
    // test_play_rollbacks_on_graceful_exit_with_http_action (SIGUSR1 is
    // chaos's graceful exit) and
    // test_do_not_play_rollbacks_on_graceful_exit_with_http_action
    // (SIGUSR2, its ungraceful one), rollbacks "always": an HTTP action
    // that takes a minute (5 s in chaoslib's).
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("started");
    for (sig, rollbacks) in [("USR1", 1), ("USR2", 0)] {
        let slow = FaultServer::start(vec![
            Reply::status("200 OK", "", "Hello World").after(Duration::from_secs(60)),
        ])
        .unwrap();
        let experiment = json!({"title": "Say hello and kaboom", "description": "n/a",
            "method": [
                {"type": "action", "name": "mark", "provider": {"type": "process", "path": "touch", "arguments": [marker]}},
                {"type": "action", "name": "pretend-we-do-stuff", "provider": {"type": "http", "url": slow.url()}}],
            "rollbacks": [{"type": "action", "name": "echo-rollback-is-done",
                           "provider": {"type": "process", "path": "echo", "arguments": "done!!"}}]});
        let started = Instant::now();
        let (code, j, log) = interrupted(
            &experiment,
            &marker,
            &[sig],
            &["--rollback-strategy", "always"],
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{sig}: waited for the action"
        );
        assert_eq!(code, Some(1), "{sig}: {log}");
        assert_eq!(j["status"], "interrupted", "{sig}");
        assert_eq!(j["rollbacks"].as_array().unwrap().len(), rollbacks, "{sig}");
        assert_eq!(names(&j["run"]), ["mark", "pretend-we-do-stuff"], "{sig}");
        assert!(j["run"][1].get("status").is_none(), "{}", j["run"][1]);
    }
}

#[test]
fn test_experiment_py_dry_runs() {
    // test_can_run_experiment_in_actionless_mode,
    // test_can_run_experiment_in_probeless_mode,
    // test_can_run_experiment_in_pauseless_mode,
    // test_can_run_experiment_with_activity_in_dry_mode, and the eight
    // "should not pause" tests: a dry activity skips its pauses, as
    // "pause" skips every pause.
    let long_pause = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "hello"},
        "method": [paused_probe("probe-with-long-pause", 0.0, 30.0, false),
                   paused_probe("background-probe-with-long-pause", 0.0, 30.0, true)],
        "rollbacks": [python_module_probe()]});
    let mut long_pause_before = long_pause.clone();
    long_pause_before["method"][1] =
        paused_probe("background-probe-with-long-pause", 30.0, 0.0, true);
    let long_pause_action = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "hello"},
        "method": [paused_probe("probe-with-long-pause", 0.0, 1.0, false), long_action()],
        "rollbacks": [long_action()]});
    for (experiment, dry, ran) in [
        (&long_pause, "probes", [false, false]),
        (&long_pause, "activities", [false, false]),
        (&long_pause, "pause", [true, true]),
        (&long_pause_before, "probes", [false, false]),
        (&long_pause_before, "activities", [false, false]),
        (&long_pause_before, "pause", [true, true]),
        // The probe runs and pauses its 1 s; the action neither.
        (&long_pause_action, "actions", [true, false]),
    ] {
        let started = Instant::now();
        let (out, j) = run(experiment, &["--dry", dry]);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{dry}: paused {:?}",
            started.elapsed()
        );
        assert!(out.status.success(), "{dry}: {}", text(&out.stderr));
        assert_eq!(j["status"], "completed", "{dry}");
        assert_eq!(j["experiment"]["dry"], dry);
        for (i, ran) in ran.iter().enumerate() {
            let output = &j["run"][i]["output"];
            assert_eq!(!output.is_null(), *ran, "{dry} {i}: {}", j["run"][i]);
        }
    }
    // test_can_run_experiment_with_activity_in_dry_mode: an activity's own
    // "dry" (chaoslib's test sets it as a Python enum; from a file,
    // chaoslib compares the string with the enum and runs it anyway).
    let bypassed = json!({"title": "do stuff", "description": "n/a", "method": [
        {"type": "action", "name": "say-hello", "dry": "activities",
         "provider": {"type": "process", "path": "echo", "arguments": "hello"}}]});
    let (_, j) = run(&bypassed, &[]);
    assert_eq!(j["run"][0]["output"], Value::Null, "{j}");
    assert_eq!(j["run"][0]["status"], "succeeded");
}

#[test]
fn test_run_py_hypothesis_strategies() {
    let simple = json!({"title": "Hello world!", "description": "Say hello world.",
        "steady-state-hypothesis": {"title": "World needs politeness", "probes": [
            {"type": "probe", "name": "has-world", "tolerance": 0,
             "provider": {"type": "process", "path": "echo", "arguments": "hello"}}]},
        "method": [{"type": "action", "name": "say-hello", "pauses": {"after": 1},
                    "provider": {"type": "process", "path": "echo", "arguments": "world"}}]});
    for (strategy, before, after, during) in [
        // test_run_ssh_before_method_only
        ("before-method-only", true, false, false),
        // test_run_ssh_after_method_only
        ("after-method-only", false, true, false),
        // test_run_ssh_default_strategy
        ("default", true, true, false),
        // test_run_ssh_during_method_only
        ("during-method-only", false, false, true),
        // test_run_ssh_continuous
        ("continuously", true, true, true),
    ] {
        let (out, j) = run(
            &simple,
            &[
                "--hypothesis-strategy",
                strategy,
                "--hypothesis-frequency",
                "0.1",
            ],
        );
        assert!(out.status.success(), "{strategy}: {}", text(&out.stderr));
        let states = &j["steady_states"];
        assert_eq!(!states["before"].is_null(), before, "{strategy}: {states}");
        assert_eq!(!states["after"].is_null(), after, "{strategy}: {states}");
        let checks = states["during"].as_array().unwrap();
        assert_eq!(!checks.is_empty(), during, "{strategy}: {states}");
    }
    // test_do_not_ruin_method_on_failing_before_ssh
    let mut failing = simple.clone();
    failing["steady-state-hypothesis"]["probes"][0]["tolerance"] = json!(1);
    let (out, j) = run(&failing, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(j["steady_states"]["before"]["steady_state_met"], false);
    assert_eq!(j["steady_states"]["after"], Value::Null);
    assert_eq!(j["steady_states"]["during"], json!([]));
    assert_eq!(j["status"], "completed");
    assert_eq!(j["deviated"], false);
    assert_eq!(j["run"], json!([]));
}

#[test]
fn test_deprecation_py_dict_arguments() {
    // test_run_dict_arguments_has_been_deprecated_in_favor_of_list
    // (ExperimentWithDeprecatedProcArgsProbe): warned once, and run.
    let probe = |name: &str| {
        json!({"type": "probe", "name": name,
               "provider": {"type": "process", "path": "python3", "arguments": {"-V": null}, "timeout": 5}})
    };
    let experiment = json!({"title": "t", "description": "d",
        "method": [probe("This probe is a process probe"), probe("another-proc-probe")]});
    let (out, j) = run(&experiment, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = text(&out.stderr);
    assert_eq!(
        log.matches("Dictionary arguments are deprecated for process activities")
            .count(),
        1,
        "{log}"
    );
    for entry in j["run"].as_array().unwrap() {
        assert!(
            entry["output"]["stdout"]
                .as_str()
                .unwrap()
                .starts_with("Python 3"),
            "{entry}"
        );
    }
}

/// The events a notification server got: (method and path, JSON body).
fn events(server: &FaultServer) -> Vec<(String, Value)> {
    server
        .requests()
        .iter()
        .zip(server.bodies())
        .map(|(head, body)| {
            let line = head.lines().next().unwrap_or_default();
            let line = line.rsplit_once(' ').map_or(line, |(l, _)| l).to_owned();
            (line, serde_json::from_slice(&body).unwrap_or(Value::Null))
        })
        .collect()
}

#[test]
fn test_notification_py_through_run_and_validate() {
    // test_notify_calls_notify_with_http_when_type_is_http,
    // test_notify_with_http_will_forward_event_payload,
    // test_notify_with_http_wont_forward_event_payload,
    // test_notify_with_http_handles_400_500_responses,
    // test_notify_with_http_requires_a_url,
    // test_notify_with_http_gracefully_handles_exceptions,
    // test_no_notifications_in_settings_is_okay (every other run here),
    // test_no_settings_is_okay (likewise), and chaos' run and
    // validate commands, which send run-started, run-completed or
    // run-failed, run-deviated, validate-started, validate-completed or
    // validate-failed.
    let ok = || FaultServer::start(vec![Reply::status("200 OK", "", "")]).unwrap();
    let (all, failures, get) = (ok(), ok(), ok());
    let broken =
        FaultServer::start(vec![Reply::status("500 Internal Server Error", "", "")]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.yaml");
    let settings_text = serde_json::to_string(&json!({"notifications": [
        {"type": "http", "url": format!("{}/hook", all.url()), "headers": {"Authorization": "Bearer token"}},
        {"type": "http", "url": failures.url(), "events": ["run-failed", "validate-failed"]},
        {"type": "http", "url": get.url(), "forward_event_payload": false, "events": ["run-started"]},
        {"type": "http", "url": broken.url()},
        {"type": "http", "url": ""},
        {"type": "http", "url": "http://127.0.0.1:1/", "forward_event_payload": false},
        {"type": "plugin", "module": "chaosslack.notification"}
    ]}))
    .unwrap();
    std::fs::write(&settings, settings_text).unwrap();
    let settings = settings.to_str().unwrap();

    // A run that completes and deviates; its secret never leaves.
    let experiment = json!({"title": "t", "description": "d",
        "secrets": {"k8s": {"token": "s3cr3t-value"}},
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "holds once", "tolerance": 0, "provider": {"type": "process", "path": "sh",
             "arguments": ["-c", format!("test ! -e {0}/seen && touch {0}/seen", dir.path().display())]}}]},
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]});
    let (out, j) = run(&experiment, &["--settings", settings]);
    let log = text(&out.stderr);
    assert_eq!(j["status"], "completed", "{log}");
    assert_eq!(j["deviated"], true);
    let got = events(&all);
    let names: Vec<&Value> = got.iter().map(|(_, e)| &e["name"]).collect();
    assert_eq!(
        names,
        ["run-started", "run-completed", "run-deviated"],
        "{got:?}"
    );
    for (line, event) in &got {
        assert_eq!(line, "POST /hook");
        assert_eq!(event["phase"], "run");
        assert!(event["ts"].as_f64().unwrap() > 1.7e9, "{event}");
    }
    assert_eq!(got[0].1["payload"]["title"], "t");
    assert_eq!(got[0].1["payload"]["secrets"]["k8s"]["token"], "***");
    assert_eq!(got[2].1["payload"]["status"], "completed");
    assert!(!all.requests().concat().is_empty());
    assert!(all.requests()[0].contains("Bearer token"));
    assert!(!format!("{got:?}").contains("s3cr3t-value"));
    assert_eq!(events(&failures), []);
    assert_eq!(events(&get), [("GET /".to_owned(), Value::Null)]);
    assert_eq!(broken.requests().len(), 3, "tried for each event");
    assert!(log.contains("a notification could not be sent"), "{log}");
    assert!(log.contains("500"), "{log}");
    assert!(log.contains("the channel has no url"), "{log}");
    assert!(
        log.contains("GET http://127.0.0.1:1/: connection failed"),
        "{log}"
    );
    assert_eq!(
        log.matches("a notification plugin is a Python function")
            .count(),
        1,
        "{log}"
    );
    assert!(!log.contains("s3cr3t-value"));

    // A run that fails: run-failed, to both channels that want it.
    let failing = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [failing("probe", "fails")]},
        "method": []});
    let (_, j) = run(&failing, &["--settings", settings]);
    assert_eq!(j["status"], "failed");
    assert_eq!(events(&failures).len(), 1);
    assert_eq!(events(&failures)[0].1["name"], "run-failed");

    // validate: started, then failed with the problems, or completed.
    let dir2 = tempfile::tempdir().unwrap();
    for (experiment, last) in [
        (json!({"title": "t", "description": "d"}), "validate-failed"),
        (with_method(python_module_probe()), "validate-completed"),
    ] {
        let file = write(dir2.path(), "e.json", &experiment);
        let out = Command::new(common::chaosprom())
            .arg("validate")
            .arg(&file)
            .args(["--settings", settings])
            .output()
            .unwrap();
        let got = events(&all);
        let tail: Vec<&Value> = got[got.len() - 2..]
            .iter()
            .map(|(_, e)| &e["name"])
            .collect();
        assert_eq!(tail, ["validate-started", last], "{}", text(&out.stderr));
        let event = &got.last().unwrap().1;
        assert_eq!(event["phase"], "validate");
        if last == "validate-failed" {
            // chaoslib's encoder's form of an exception, with this
            // runner's problems in it.
            let error = event["error"].as_str().unwrap();
            assert!(
                error.starts_with("An exception was raised: InvalidExperiment('")
                    && error.ends_with("')")
                    && error.contains("$.method"),
                "{event}"
            );
        } else {
            assert!(event.get("error").is_none());
        }
    }
    assert_eq!(
        events(&failures).last().unwrap().1["name"],
        "validate-failed"
    );
}

#[test]
fn test_substitution_py_http_timeout() {
    // test_http_activity_can_substitute_timeout: "${my_timeout}" is the
    // HTTP activity's timeout, a number once substituted.
    let slow = FaultServer::start(vec![
        Reply::status("200 OK", "", "late").after(Duration::from_secs(60)),
    ])
    .unwrap();
    let experiment = json!({"title": "t", "description": "d", "configuration": {"my_timeout": 1},
        "method": [{"type": "probe", "name": "p",
                    "provider": {"type": "http", "url": slow.url(), "timeout": "${my_timeout}"}}]});
    let (out, j) = run(&experiment, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(j["run"][0]["status"], "failed", "{j}");
    assert!(
        j["run"][0]["exception"]
            .to_string()
            .contains("no complete answer within 1s"),
        "{}",
        j["run"][0]
    );
}

#[test]
fn chaos_command_line_flags_are_taken() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let experiment = json!({"title": "t", "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [
            {"type": "probe", "name": "p", "tolerance": 0, "provider": {"type": "process", "path": "true"}}]},
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}]});
    write(&work, "experiment.json", &experiment);
    let gateway = FaultServer::start(vec![Reply::status("200 OK", "", "")]).unwrap();
    let controls = dir.path().join("controls.yaml");
    std::fs::write(
        &controls,
        json!({"metrics": {"provider": {"type": "python", "module": "chaosprometheus.metrics",
            "arguments": {"pushgateway_url": gateway.url(), "pushgateway_format": "text"}}}})
        .to_string(),
    )
    .unwrap();
    let log_file = dir.path().join("chaos.log");
    let chaosprom = |args: &[&str]| {
        Command::new(common::chaosprom())
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    let (work_dir, controls, log_file) = (
        work.to_str().unwrap(),
        controls.to_str().unwrap(),
        log_file.to_str().unwrap(),
    );
    // chaos' spellings and no-op flags, before and after the command;
    // --change-dir makes the relative paths relative to it; the control
    // file's control runs; the log file gets warnings and above only.
    let out = chaosprom(&[
        "--no-version-check",
        "--change-dir",
        work_dir,
        "--log-format",
        "string",
        "--log-file",
        log_file,
        "--log-file-level",
        "warning",
        "run",
        "--hypothesis-strategy",
        "continously",
        "--hypothesis-frequency",
        "0.2",
        "--control-file",
        controls,
        "--journal-path",
        "journal.json",
        "experiment.json",
    ]);
    let log = text(&out.stderr);
    assert!(out.status.success(), "{log}");
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("journal.json")).unwrap()).unwrap();
    assert_eq!(j["status"], "completed");
    assert!(!j["steady_states"]["during"].as_array().unwrap().is_empty());
    assert!(log.contains("WARNING] Moving to"), "{log}");
    assert!(log.contains("'continously' is an old spelling"), "{log}");
    assert!(
        gateway
            .requests()
            .iter()
            .any(|r| r.starts_with("PUT ") || r.starts_with("POST ")),
        "{:?}",
        gateway.requests()
    );
    let file = std::fs::read_to_string(log_file).unwrap();
    assert!(file.contains("Moving to"), "{file}");
    assert!(!file.contains("INFO"), "{file}");

    // A control file naming a control the settings have is refused.
    let settings = dir.path().join("settings.yaml");
    let metrics = json!({"provider": {"type": "python", "module": "chaosprometheus.metrics"}});
    std::fs::write(
        &settings,
        json!({"controls": {"metrics": metrics}}).to_string(),
    )
    .unwrap();
    let out = chaosprom(&[
        "run",
        "--settings",
        settings.to_str().unwrap(),
        "--control-file",
        controls,
        "--journal-path",
        dir.path().join("j2.json").to_str().unwrap(),
        work.join("experiment.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("the control 'metrics' is already declared"),
        "{}",
        text(&out.stderr)
    );

    // Settings or control files whose controls would silently do nothing
    // are refused, naming the file and the path (chaoslib crashes on the
    // first three and passes over the last); an empty control file is
    // skipped, as chaos skips it.
    let bad_settings = dir.path().join("bad-settings.yaml");
    let bad_controls = dir.path().join("bad-controls.yaml");
    let empty_controls = dir.path().join("empty-controls.yaml");
    std::fs::write(&empty_controls, "").unwrap();
    for (settings_text, controls_text, expected) in [
        (
            "- controls\n",
            None,
            "$: expected the settings as a mapping, found a list",
        ),
        (
            "controls: [x]\n",
            None,
            "$.controls: expected a mapping of control names",
        ),
        (
            "controls:\n  x: 1\n",
            None,
            "$.controls.x: expected control 'x' as a mapping",
        ),
        (
            "{}",
            Some("x:\n  scope: after\n"),
            "$.x.provider: control 'x' must have a provider",
        ),
        // Arguments the control cannot be configured with: it would do
        // nothing in every run.
        (
            "{}",
            Some(
                "m:\n  provider:\n    type: python\n    module: chaosprometheus.metrics\n    arguments:\n      pushgateway_url: htp://gw\n",
            ),
            "$.m.provider.arguments: control 'm' cannot run with these arguments: pushgateway_url: invalid URL",
        ),
    ] {
        std::fs::write(&bad_settings, settings_text).unwrap();
        let mut args = vec!["run", "--settings", bad_settings.to_str().unwrap()];
        if let Some(controls_text) = controls_text {
            std::fs::write(&bad_controls, controls_text).unwrap();
            args.extend(["--control-file", bad_controls.to_str().unwrap()]);
        }
        args.extend(["--control-file", empty_controls.to_str().unwrap()]);
        let journal = dir.path().join("j-bad.json");
        args.extend(["--journal-path", journal.to_str().unwrap()]);
        let experiment = work.join("experiment.json");
        args.push(experiment.to_str().unwrap());
        let out = chaosprom(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{settings_text}: {err}");
        let file = if controls_text.is_some() {
            "bad-controls.yaml is not valid"
        } else {
            "bad-settings.yaml is not valid"
        };
        assert!(
            err.contains(file) && err.contains(expected),
            "{settings_text}: {err}"
        );
        assert!(!journal.exists(), "nothing ran");
    }
    std::fs::write(&bad_settings, "").unwrap();
    let out = chaosprom(&[
        "validate",
        "--settings",
        bad_settings.to_str().unwrap(),
        work.join("experiment.json").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "an empty settings file is none: {}",
        text(&out.stderr)
    );
    // A control of the experiment's that the settings declare otherwise:
    // `validate` reads the settings and says so, as `run` does.
    let declared = json!({"metrics": {"provider": {"type": "python", "module": "chaosprometheus.metrics",
        "arguments": {"pushgateway_url": "http://127.0.0.1:1"}}}});
    std::fs::write(&bad_settings, json!({"controls": declared}).to_string()).unwrap();
    let mut clashing = experiment.clone();
    clashing["controls"] = json!([{"name": "metrics", "provider": {"type": "python",
        "module": "chaosprometheus.metrics", "arguments": {"pushgateway_url": "http://127.0.0.1:2"}}}]);
    write(&work, "clashing.json", &clashing);
    let out = chaosprom(&[
        "validate",
        "--settings",
        bad_settings.to_str().unwrap(),
        work.join("clashing.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("$.controls[0].name: the settings declare a control named 'metrics'"),
        "{}",
        text(&out.stdout)
    );

    // --no-validation is taken; the experiment is still checked.
    write(&work, "invalid.json", &json!({"title": "t"}));
    let out = chaosprom(&[
        "--no-log-file",
        "run",
        "--no-validation",
        "--journal-path",
        dir.path().join("j3.json").to_str().unwrap(),
        work.join("invalid.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let log = text(&out.stderr);
    assert!(log.contains("validated all the same"), "{log}");
    assert!(log.contains("$.description"), "{log}");
    // --no-log-file wins over --log-file, as in chaos.
    let quiet_file = dir.path().join("never.log");
    let quiet_file = quiet_file.to_str().unwrap();
    let out = chaosprom(&[
        "--no-log-file",
        "validate",
        "--log-file",
        quiet_file,
        "x.json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!Path::new(quiet_file).exists());
    // chaos' global flags go before the command, as chaos takes them.
    let out = chaosprom(&["validate", "--change-dir", work_dir, "experiment.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn test_configuration_py_var_and_var_file() {
    // test_merge_config_vars_from_cli_override_from_file: `--var` wins
    // over a var file; test_merge_vars_from_keys_only_for_configs: a
    // `--var` is configuration only, never a secret.
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "vars.json",
        &json!({"configuration": {"stuff": "tobedone", "other": "fromfile"}}),
    );
    let experiment = json!({"title": "t", "description": "d",
        "configuration": {"stuff": "declared", "other": "declared"},
        "secrets": {"s": {"stuff": "secret-declared"}},
        "method": [
            {"type": "action", "name": "conf", "provider": {"type": "process", "path": "echo", "arguments": "${stuff} ${other}"}},
            {"type": "action", "name": "secret", "provider": {"type": "process", "path": "sh",
             "arguments": ["-c", "echo $0", "${stuff}"], "secrets": ["s"]}}]});
    let (out, j) = run(
        &experiment,
        &["--var", "stuff=todo", "--var-file", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(j["run"][0]["output"]["stdout"], "todo fromfile\n");
    // The configuration wins in `${}`; the secret scope is unchanged.
    let (_, j) = run(
        &json!({"title": "t", "description": "d",
            "secrets": {"s": {"stuff": "secret-declared"}},
            "method": [{"type": "action", "name": "secret", "provider": {"type": "process", "path": "echo",
                "arguments": "${stuff}", "secrets": ["s"]}}]}),
        &["--var", "stuff=todo"],
    );
    assert_eq!(j["run"][0]["output"]["stdout"], "secret-declared\n", "{j}");
}
