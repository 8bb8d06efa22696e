//! chaoslib 1.44.0's `tests/test_tolerance.py`, ported: every
//! `within_tolerance` assertion as a row (tolerance, value, configuration,
//! verdict), and every `ensure_hypothesis_tolerance_is_valid` failure as a
//! validation problem. The probe-tolerance case, which needs a Python
//! fixture module, is ported end to end in the CLI's `chaoslib` tests.

use chaos_runner::{Lookup, within};
use serde_json::{Map, Value, json};

/// (test name, tolerance, value, configuration, expected verdict).
fn rows() -> Vec<(&'static str, Value, Value, Value, bool)> {
    let none = json!({});
    let http = |body: &str| json!({"status": 200, "headers": {"Content-Type": "text/plain"}, "body": body});
    let process =
        |stdout: &str, stderr: &str| json!({"status": 0, "stdout": stdout, "stderr": stderr});
    vec![
        ("test_tolerance_int", json!(6), json!(6), none.clone(), true),
        (
            "test_tolerance_int_returns_false_when_different",
            json!(6),
            json!(7),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_int_from_process_status",
            json!(6),
            json!({"status": 6}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_int_from_process_status_returns_false_when_different",
            json!(6),
            json!({"status": 7}),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_int_from_http_status",
            json!(6),
            json!({"status": 6}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_int_from_http_status_returns_false_when_different",
            json!(6),
            json!({"status": 7}),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_list_int_from_process_status",
            json!([5, 6]),
            json!({"status": 6}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_list_int_from_process_status_returns_false_when_different",
            json!([5, 7]),
            json!({"status": 6}),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_list_int_from_http_status",
            json!([5, 6]),
            json!({"status": 6}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_list_int_from_http_status_returns_false_when_different",
            json!([5, 7]),
            json!({"status": 6}),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_bool",
            json!(true),
            json!(true),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_bool_returns_false_when_different",
            json!(true),
            json!(false),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_string",
            json!("hello"),
            json!("hello"),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_string_returns_false_when_different",
            json!("hello"),
            json!("not hello"),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_regex_true",
            json!({"type": "regex", "pattern": "[0-9]{2}"}),
            json!("you are number 87"),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_regex_false",
            json!({"type": "regex", "pattern": "[0-9]{2}"}),
            json!("you are number 8"),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_jsonpath_from_dict",
            json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz)]"}),
            json!({"foo": [{"baz": 1}, {"baz": 2}]}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_must_find_items_to_succeed",
            json!({"type": "jsonpath", "path": "$.notsofoo.*[?(@.baz)].baz"}),
            json!({"foo": [{"baz": 1}, {"baz": 2}]}),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_jsonpath_must_match_expected_value (1)",
            json!({"type": "jsonpath", "path": "$.foo[?(@.baz)].baz", "expect": "hello"}),
            json!({"foo": {"baz": "hello"}}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_must_match_expected_value (2)",
            json!({"type": "jsonpath", "path": "$.foo[?(@.baz)].baz", "expect": [["hello", "bonjour"]]}),
            json!({"foo": {"baz": ["hello", "bonjour"]}}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_must_match_expected_value (3)",
            json!({"type": "jsonpath", "path": "$.foo[?(@.baz)].baz", "expect": [[["hello"], ["bonjour"]]]}),
            json!({"foo": {"baz": [["hello"], ["bonjour"]]}}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_must_match_expected_value (4)",
            json!({"type": "jsonpath", "path": "$.foo[?(@.baz)].baz", "expect": []}),
            json!({"foo": {"jon": "boom"}}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_can_be_filter_by_value (1)",
            json!({"type": "jsonpath", "path": "$.foo[?(@.baz=\"hello\")]", "count": 1}),
            json!({"foo": {"baz": "hello"}}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_can_be_filter_by_value (2)",
            json!({"type": "jsonpath", "path": "$.foo[?(@.baz=\"bonjour\")]", "count": 1}),
            json!({"foo": {"baz": "hello"}}),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_jsonpath_must_match_expected_values",
            json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz)].baz", "expect": ["hello", "bonjour"]}),
            json!({"foo": [{"baz": "hello"}, {"baz": "bonjour"}]}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_must_find_items_with_a_given_value_to_succeed (1)",
            json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz=2)]", "count": 1}),
            json!({"foo": [{"baz": 1}, {"baz": 2}]}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_must_find_items_with_a_given_value_to_succeed (2)",
            json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz)]", "count": 2}),
            json!({"foo": [{"baz": 1}, {"baz": 2}]}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_must_find_items_with_a_given_value_to_succeed (3)",
            json!({"type": "jsonpath", "path": "$.foo.*[?(@.baz=4)]", "count": 2}),
            json!({"foo": [{"baz": 4}, {"baz": 4}]}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_jsonpath_from_jsonstring",
            json!({"type": "jsonpath", "path": "$.foo[*].baz"}),
            json!("{\"foo\": [{\"baz\": 1}, {\"baz\": 2}]}"),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_regex_stdout_process",
            json!({"type": "regex", "target": "stdout", "pattern": "[0-9]{2}"}),
            process("you are number 87", ""),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_regex_stdout_process_needs_to_match",
            json!({"type": "regex", "target": "stdout", "pattern": "[0-9]{2}"}),
            process("you are number 8", ""),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_regex_stderr_process",
            json!({"type": "regex", "target": "stderr", "pattern": "[0-9]{2}"}),
            process("", "you are number 87"),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_regex_stderr_process_needs_to_match",
            json!({"type": "regex", "target": "stderr", "pattern": "[0-9]{2}"}),
            process("", "you are number 8"),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_regex_process_only_match_stdout_or_stderr",
            json!({"type": "regex", "target": "stdout", "pattern": "[0-9]{2}"}),
            process("you are number 87", "you are number 8"),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_regex_body_http",
            json!({"type": "regex", "target": "body", "pattern": "[0-9]{2}"}),
            json!({"status": 200, "headers": {"Content-Type": "application/json"}, "body": "you are number 87"}),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_range_integer (1)",
            json!({"type": "range", "target": "body", "range": [10, 800]}),
            http("580"),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_range_integer (2)",
            json!({"type": "range", "target": "body", "range": [10, 800]}),
            http("1230"),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_range_float (1)",
            json!({"type": "range", "target": "body", "range": [10.5, 800.89]}),
            http("580.5"),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_range_float (2)",
            json!({"type": "range", "target": "body", "range": [10.5, 800.89]}),
            http("1230.7"),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_range_mix_integer_and_float (1)",
            json!({"type": "range", "target": "body", "range": [10, 800.8]}),
            http("580.4"),
            none.clone(),
            true,
        ),
        (
            "test_tolerance_range_mix_integer_and_float (2)",
            json!({"type": "range", "target": "body", "range": [10.5, 800]}),
            http("1230"),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_range_checked_value_must_be_a_number",
            json!({"type": "range", "target": "body", "range": [6, 8]}),
            http("bad"),
            none.clone(),
            false,
        ),
        (
            "test_tolerance_jsonpath_can_contain_variable_to_be_substituted (1)",
            json!({"type": "jsonpath", "path": "$.foo[?(@.baz=\"${msg}\")]", "count": 1}),
            json!({"foo": {"baz": "hello"}}),
            json!({"msg": "hello"}),
            true,
        ),
        (
            "test_tolerance_jsonpath_can_contain_variable_to_be_substituted (2)",
            json!({"type": "jsonpath", "path": "$.foo[?(@.baz=\"${msg}\")]", "count": 1}),
            json!({"foo": {"baz": "hello"}}),
            json!({"msg": "bonjour"}),
            false,
        ),
        (
            "test_tolerance_regex_can_contain_variable_to_be_substituted (1)",
            json!({"type": "regex", "pattern": "${msg}"}),
            json!("jane said hello at sunrise"),
            json!({"msg": "hello"}),
            true,
        ),
        (
            "test_tolerance_regex_can_contain_variable_to_be_substituted (2)",
            json!({"type": "regex", "pattern": "${msg}"}),
            json!("jane said hello at sunrise"),
            json!({"msg": "bonjour"}),
            false,
        ),
        (
            "test_tolerance_complex_regex_can_contain_variable_to_be_substituted",
            json!({"type": "regex", "pattern": "^[0-9] \\$\\{level\\} ${msg} - done$"}),
            json!("1 ${level} hello - done"),
            json!({"msg": "hello"}),
            true,
        ),
    ]
}

#[tokio::test]
async fn every_within_tolerance_assertion_of_chaoslib() {
    let rows = rows();
    let secrets = Map::new();
    let no_probe = |_: Value| -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
        Box::pin(async { false })
    };
    for (name, tolerance, value, configuration, expected) in &rows {
        let configuration = configuration.as_object().cloned().unwrap_or_default();
        let lookup = Lookup {
            configuration: &configuration,
            secrets: &secrets,
        };
        let verdict = within(tolerance, value, &lookup, &no_probe).await;
        assert_eq!(verdict, *expected, "{name}");
    }
    assert_eq!(rows.len(), 47);
}

/// `ensure_hypothesis_tolerance_is_valid` failures, as validation problems.
#[test]
fn every_invalid_tolerance_of_chaoslib_is_a_validation_problem() {
    let cases = [
        (
            "test_tolerance_jsonpath_cannot_be_empty",
            json!({"type": "jsonpath", "path": ""}),
            "cannot be empty",
        ),
        (
            "test_tolerance_regex_must_have_a_pattern",
            json!({"type": "regex", "target": "stdout"}),
            "pattern",
        ),
        (
            "test_tolerance_regex_must_have_a_valid_pattern_type",
            json!({"type": "regex", "target": "stdout", "pattern": null}),
            "pattern",
        ),
        (
            "test_tolerance_regex_must_have_a_valid_pattern",
            json!({"type": "regex", "target": "stdout", "pattern": "[0-9"}),
            "invalid regular expression",
        ),
        (
            "test_tolerance_unsupported_type",
            json!({"type": "boom"}),
            "found 'boom'",
        ),
        (
            "test_tolerance_range_lower_boundary_must_be_a_number",
            json!({"type": "range", "target": "body", "range": ["a", 6]}),
            "two numbers",
        ),
        (
            "test_tolerance_range_upper_boundary_must_be_a_number",
            json!({"type": "range", "target": "body", "range": [6, "b"]}),
            "two numbers",
        ),
    ];
    for (name, tolerance, message) in cases {
        let experiment = json!({
            "title": "t", "description": "d",
            "steady-state-hypothesis": {"title": "h", "probes": [{"type": "probe", "name": "p", "tolerance": tolerance,
                "provider": {"type": "process", "path": "true"}}]},
            "method": []
        });
        let problems = chaos_runner::Runner::new().validate(&experiment);
        assert!(
            problems.iter().any(|p| p
                .path
                .starts_with("$.steady-state-hypothesis.probes[0].tolerance")
                && p.to_string().contains(message)),
            "{name}: {problems:?}"
        );
    }
}

/// A tolerance that substitutes to a number compares with a process
/// probe's exit status (as chaoslib substitutes a string tolerance, then
/// judges what it became); a pattern that only breaks once substituted is
/// not a silent "not met": the journal and the log say why.
#[tokio::test]
async fn substituted_tolerances_are_judged_as_what_they_become() {
    let run = |tolerance: Value, configuration: Value| async move {
        let experiment = json!({
            "title": "t", "description": "d", "configuration": configuration,
            "steady-state-hypothesis": {"title": "h", "probes": [{"type": "probe", "name": "p", "tolerance": tolerance,
                "provider": {"type": "process", "path": "sh", "arguments": ["-c", "echo 42; exit 3"]}}]},
            "method": []
        });
        chaos_runner::Runner::new().run(&experiment).await.unwrap()["steady_states"]["before"]
            .clone()
    };
    assert_eq!(
        run(json!("${code}"), json!({"code": 3})).await["steady_state_met"],
        true
    );
    assert_eq!(
        run(json!("${code}"), json!({"code": 0})).await["steady_state_met"],
        false
    );
    let broken = run(
        json!({"type": "regex", "target": "stdout", "pattern": "${p}"}),
        json!({"p": "[0-9"}),
    )
    .await;
    assert_eq!(broken["steady_state_met"], false);
    let error = broken["probes"][0]["tolerance_error"]
        .as_str()
        .unwrap_or_default();
    assert!(
        error.contains("invalid regular expression '[0-9'"),
        "{broken}"
    );
    let path = run(
        json!({"type": "jsonpath", "target": "stdout", "path": "${p}"}),
        json!({"p": "$.["}),
    )
    .await;
    assert!(path["probes"][0]["tolerance_error"].is_string(), "{path}");
}

#[tokio::test]
async fn a_target_the_output_does_not_have_is_never_judged_in_its_place() {
    // chaoslib reads a target with `value.get(target, value)`: a JSON path
    // then runs on the whole output, but its regex and range checks crash
    // on a mapping, and `.get` crashes on anything else. Judging the whole
    // output there would say a check passed that never ran.
    let secrets = Map::new();
    let configuration = Map::new();
    let lookup = Lookup {
        configuration: &configuration,
        secrets: &secrets,
    };
    let no_probe = |_: Value| -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
        Box::pin(async { false })
    };
    let process = json!({"status": 0, "stdout": "oook\n", "stderr": ""});
    for (tolerance, output, expected) in [
        // a key the mapping lacks (a typo, or `body` on a process probe)
        (
            json!({"type": "regex", "pattern": "o{2,}", "target": "body"}),
            &process,
            false,
        ),
        (
            json!({"type": "range", "range": [0, 1], "target": "code"}),
            &process,
            false,
        ),
        (
            json!({"type": "jsonpath", "path": "$.status", "target": "body"}),
            &process,
            true,
        ),
        // the key it has
        (
            json!({"type": "regex", "pattern": "o{2,}", "target": "stdout"}),
            &process,
            true,
        ),
        (
            json!({"type": "range", "range": [0, 1], "target": "status"}),
            &process,
            true,
        ),
        // an output that is no mapping
        (
            json!({"type": "range", "range": [1, 5], "target": "value"}),
            &json!(2),
            false,
        ),
        (
            json!({"type": "regex", "pattern": "ok", "target": "stdout"}),
            &json!("ok"),
            false,
        ),
        (
            json!({"type": "jsonpath", "path": "$[0]", "target": "items"}),
            &json!([1]),
            false,
        ),
        // an empty target is none, as Python's `if target:` reads it
        (
            json!({"type": "range", "range": [1, 5], "target": ""}),
            &json!(2),
            true,
        ),
    ] {
        let verdict = within(&tolerance, output, &lookup, &no_probe).await;
        assert_eq!(verdict, expected, "{tolerance} on {output}");
    }
}
