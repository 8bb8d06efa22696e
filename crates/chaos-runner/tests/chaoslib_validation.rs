//! Validation against chaoslib 1.44.0's `ensure_experiment_is_valid`,
//! case by case: found by validating 3,000 generated experiments (the
//! fixtures of chaoslib's test-suite and this project's, mutated) through
//! chaoslib and through [`chaos_runner::validate`]. Each row is one that
//! answered differently; chaoslib's verdict is the expected one unless the
//! row says why not (and the README's compatibility table lists it).

use chaos_runner::validate;
use serde_json::{Value, json};

/// An experiment around one method activity, with `extra` merged into it.
fn experiment(activity: Value, extra: Value) -> Value {
    let mut e = json!({"title": "t", "description": "d"});
    e["method"] = Value::Array(vec![activity]);
    merged(e, extra)
}

fn action(extra: Value) -> Value {
    merged(
        json!({"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}),
        extra,
    )
}

/// `base` with the keys of `extra` set in it.
fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

fn problems(e: &Value) -> String {
    validate(e, &|m| {
        m == "chaosprometheus.metrics" || m == "chaosprometheus.tolerances"
    })
    .iter()
    .map(ToString::to_string)
    .collect::<Vec<_>>()
    .join("\n")
}

#[test]
fn what_chaoslib_refuses_is_refused_with_its_path() {
    let control =
        json!([{"name": "c", "provider": {"type": "python", "module": "chaosprometheus.metrics"}}]);
    let cases = [
        // `pauses.get(...)` on a number or a string: AttributeError in
        // chaoslib; the pause was silently skipped here.
        (
            experiment(action(json!({"pauses": 5})), json!({})),
            "$.method[0].pauses: expected a mapping with a `before` and/or an `after` number of seconds, found a number",
        ),
        (
            experiment(action(json!({"pauses": "after"})), json!({})),
            "$.method[0].pauses: expected a mapping",
        ),
        // "activity timeout must be a number"
        (
            experiment(action(json!({"timeout": "5"})), json!({})),
            "$.method[0].timeout: expected a number, found a string (an activity's own timeout is not applied: set the provider's `timeout`)",
        ),
        (
            experiment(action(json!({"timeout": {}})), json!({})),
            "$.method[0].timeout: expected a number, found a mapping",
        ),
        // "hypothesis requires a title"
        (
            experiment(
                action(json!({})),
                json!({"steady-state-hypothesis": {"title": ""}}),
            ),
            "$.steady-state-hypothesis.title: must not be empty",
        ),
        // A probe tolerance is an activity: "an activity must have a name".
        (
            experiment(
                action(json!({})),
                json!({"steady-state-hypothesis": {"title": "h", "probes": [
                    {"type": "probe", "name": "p", "provider": {"type": "process", "path": "true"},
                     "tolerance": {"type": "probe", "provider": {"type": "process", "path": "true"}}}]}}),
            ),
            "$.steady-state-hypothesis.probes[0].tolerance.name: is required (a string)",
        ),
        (
            experiment(
                action(json!({})),
                json!({"steady-state-hypothesis": {"title": "h", "probes": [
                    {"type": "probe", "name": "p", "provider": {"type": "process", "path": "true"},
                     "tolerance": {"type": "probe", "name": "t", "pauses": {"after": "soon"},
                                   "provider": {"type": "process", "path": "true"}}}]}}),
            ),
            "$.steady-state-hypothesis.probes[0].tolerance.pauses.after:",
        ),
        // Not chaoslib's verdict: a probe tolerance accepts the value when
        // its return is truthy, and a process' or an HTTP call's output
        // always is, so chaos run says it is met whatever the process did.
        (
            experiment(
                action(json!({})),
                json!({"steady-state-hypothesis": {"title": "h", "probes": [
                    {"type": "probe", "name": "p", "provider": {"type": "process", "path": "true"},
                     "tolerance": {"type": "probe", "name": "t",
                                   "provider": {"type": "process", "path": "false", "arguments": {}}}}]}}),
            ),
            "$.steady-state-hypothesis.probes[0].tolerance.provider.type: a probe tolerance accepts the value when its return is truthy, and a process provider's output",
        ),
        // "Control 'c' must have a module path"
        (
            experiment(
                action(json!({})),
                json!({"controls": [{"name": "c", "provider": {"type": "python", "module": ""}}]}),
            ),
            "$.controls[0].provider.module: control 'c' needs a module",
        ),
        // "Control reference ... declaration cannot be found": a typo in a
        // ref silently dropped the control at that activity.
        (
            experiment(
                action(json!({"controls": [{"ref": "cc"}]})),
                json!({"controls": control}),
            ),
            "$.method[0].controls[0].ref: no control named 'cc' is declared in the experiment",
        ),
        (
            experiment(
                action(json!({"controls": [{"ref": true}]})),
                json!({"controls": control}),
            ),
            "$.method[0].controls[0].ref: expected the name of a control, found a boolean",
        ),
        // `value.items()` on a scope that is not a mapping.
        (
            experiment(action(json!({})), json!({"secrets": {"k8s": "token"}})),
            "$.secrets.k8s: expected a mapping of secret names to values (a scope), found a string",
        ),
        // "experiment tags must be a non-empty string"
        (
            experiment(action(json!({})), json!({"tags": ["a", ""]})),
            "$.tags[1]: must not be empty",
        ),
        (
            experiment(action(json!({})), json!({"tags": ["a", 5]})),
            "$.tags[1]: expected a string, found a number",
        ),
        // Not chaoslib's verdict (it accepts them): a present title, name
        // or tags of another type are named as such, not as missing.
        (
            experiment(action(json!({"name": [3, 4]})), json!({})),
            "$.method[0].name: expected a string, found a list",
        ),
        (
            experiment(
                action(json!({})),
                json!({"steady-state-hypothesis": {"title": 5}}),
            ),
            "$.steady-state-hypothesis.title: expected a string, found a number",
        ),
        (
            experiment(action(json!({})), json!({"tags": "a,b"})),
            "$.tags: expected a list of strings, found a string",
        ),
    ];
    for (e, expected) in cases {
        let said = problems(&e);
        assert!(
            said.contains(expected),
            "{e}\nexpected {expected}\nsaid {said}"
        );
    }
}

#[test]
fn what_chaoslib_accepts_is_accepted() {
    let control =
        json!([{"name": "c", "provider": {"type": "python", "module": "chaosprometheus.metrics"}}]);
    let cases = [
        // chaoslib asks for a truthy title, description and hypothesis
        // title: " " is one.
        json!({"title": " ", "description": " ", "steady-state-hypothesis": {"title": " "}, "method": []}),
        // null is no hypothesis, no pauses, no tags, no secrets scope.
        experiment(
            action(json!({"pauses": null, "timeout": null})),
            json!({"steady-state-hypothesis": null, "tags": null, "secrets": {"s": null}}),
        ),
        // An activity's own timeout, when a number (checked, applied by
        // neither runner; a run warns).
        experiment(action(json!({"timeout": 2.5})), json!({})),
        // A ref to a control declared anywhere in the experiment.
        experiment(
            action(json!({"controls": [{"ref": "c"}]})),
            json!({"controls": control}),
        ),
        // A probe tolerance that is a whole activity.
        experiment(
            action(json!({})),
            json!({"steady-state-hypothesis": {"title": "h", "probes": [
                {"type": "probe", "name": "p", "provider": {"type": "process", "path": "true"},
                 "tolerance": {"type": "probe", "name": "t", "pauses": {"after": 0},
                               "provider": {"type": "python", "module": "chaosprometheus.tolerances",
                                            "func": "above", "arguments": {"threshold": 0}}}}]},
                   "tags": ["a", "b"]}),
        ),
    ];
    for e in cases {
        let said = problems(&e);
        assert!(said.is_empty(), "{e}\nsaid {said}");
    }
}
