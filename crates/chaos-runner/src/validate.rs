//! Checking an experiment before anything of it runs.

use serde_json::Value;

/// One problem in an experiment, at a JSON path such as
/// `$.method[1].provider.type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What the validator asks of the registered extensions.
pub(crate) struct Catalogue<'a> {
    /// Whether a python module is provided.
    pub(crate) has_module: &'a dyn Fn(&str) -> bool,
    /// Whether a module has a function.
    pub(crate) has_function: &'a dyn Fn(&str, &str) -> bool,
    /// Whether a call's arguments fit the function.
    pub(crate) check_call: &'a dyn Fn(&str, &str, &Value) -> Result<(), String>,
}

/// Every problem of `experiment`; empty when it can run. `has_module` says
/// whether a python provider's module is registered ([`Runner::validate`]
/// also checks functions and their arguments against the extensions).
///
/// [`Runner::validate`]: crate::Runner::validate
pub fn validate(experiment: &Value, has_module: &dyn Fn(&str) -> bool) -> Vec<Problem> {
    validate_with(
        experiment,
        &Catalogue {
            has_module,
            has_function: &|_, _| true,
            check_call: &|_, _, _| Ok(()),
        },
    )
}

/// Every problem of the Chaos Toolkit settings (`settings.yaml`, with the
/// controls of any `--control-file` merged in); empty when a run can use
/// them. The settings must be a mapping (null, an empty file, is none),
/// and their `controls` a mapping of names to declarations, each with a
/// provider as an experiment's control needs. chaoslib crashes on a
/// `controls` that is not a mapping or a declaration that is not one, and
/// passes over a declaration without a provider; the settings' controls
/// apply to every run, so one that would silently do nothing is refused.
pub fn validate_settings(settings: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut add = |path: String, message: String| problems.push(Problem { path, message });
    let root = match settings {
        Value::Null => return problems,
        Value::Object(root) => root,
        other => {
            add(
                "$".into(),
                format!("expected the settings as a mapping, found {}", kind(other)),
            );
            return problems;
        }
    };
    match root.get("controls") {
        None | Some(Value::Null) => {}
        Some(Value::Object(controls)) => {
            for (name, c) in controls {
                let at = format!("$.controls.{name}");
                if c.is_object() {
                    check_declaration(&at, name, c, &mut add);
                } else {
                    add(
                        at,
                        format!(
                            "expected control '{name}' as a mapping (its provider, scope…), found {}",
                            kind(c)
                        ),
                    );
                }
            }
        }
        Some(other) => add(
            "$.controls".into(),
            format!(
                "expected a mapping of control names to declarations, found {}",
                kind(other)
            ),
        ),
    }
    problems
}

/// [`validate`], with a full catalogue.
pub(crate) fn validate_with(experiment: &Value, cat: &Catalogue<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut add = |path: String, message: String| problems.push(Problem { path, message });
    let Some(root) = experiment.as_object() else {
        add("$".into(), "expected the experiment as a mapping".into());
        return problems;
    };
    for key in ["title", "description"] {
        check_text(&format!("$.{key}"), root.get(key), &mut add);
    }
    match root.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tags)) => {
            for (i, tag) in tags.iter().enumerate() {
                check_text(&format!("$.tags[{i}]"), Some(tag), &mut add);
            }
        }
        Some(other) => add(
            "$.tags".into(),
            format!("expected a list of strings, found {}", kind(other)),
        ),
    }
    // Names of every activity, for `ref`s.
    let mut names: Vec<String> = Vec::new();
    let mut lists: Vec<(String, &Vec<Value>, bool)> = Vec::new();
    // null is no hypothesis (chaoslib's hypothesis check reads it so, and
    // its control check then crashes on it).
    if let Some(h) = root.get("steady-state-hypothesis").filter(|h| !h.is_null()) {
        match h.as_object() {
            None => add(
                "$.steady-state-hypothesis".into(),
                "expected a mapping".into(),
            ),
            Some(h) => {
                check_text("$.steady-state-hypothesis.title", h.get("title"), &mut add);
                match h.get("probes") {
                    None => {}
                    Some(Value::Array(probes)) => {
                        lists.push(("$.steady-state-hypothesis.probes".into(), probes, true));
                    }
                    Some(other) => add(
                        "$.steady-state-hypothesis.probes".into(),
                        format!("expected a list, found {}", kind(other)),
                    ),
                }
            }
        }
    }
    match root.get("method") {
        Some(Value::Array(method)) => lists.push(("$.method".into(), method, false)),
        Some(other) => add(
            "$.method".into(),
            format!("expected a list, found {}", kind(other)),
        ),
        None => add("$.method".into(), "is required".into()),
    }
    match root.get("rollbacks") {
        None | Some(Value::Null) => {}
        Some(Value::Array(rollbacks)) => lists.push(("$.rollbacks".into(), rollbacks, false)),
        Some(other) => add(
            "$.rollbacks".into(),
            format!("expected a list, found {}", kind(other)),
        ),
    }
    for (_, list, _) in &lists {
        for a in list.iter() {
            if let Some(name) = a.get("name").and_then(Value::as_str) {
                names.push(name.to_owned());
            }
        }
    }
    let declared = declared_controls(experiment);
    let control_names: Vec<&str> = declared
        .iter()
        .filter_map(|(_, c)| c.get("name").and_then(Value::as_str))
        .collect();
    check_controls("$.controls", root.get("controls"), &control_names, &mut add);
    check_control_names(&declared, &mut add);
    let known = Known {
        activities: &names,
        controls: &control_names,
    };
    for (base, list, hypothesis) in &lists {
        for (i, activity) in list.iter().enumerate() {
            let path = format!("{base}[{i}]");
            check_activity(&path, activity, *hypothesis, &known, cat, &mut add);
        }
    }
    if let Some(h) = root.get("steady-state-hypothesis") {
        check_controls(
            "$.steady-state-hypothesis.controls",
            h.get("controls"),
            &control_names,
            &mut add,
        );
    }
    match root.get("extensions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(extensions)) => {
            for (i, e) in extensions.iter().enumerate() {
                if e.get("name")
                    .and_then(Value::as_str)
                    .is_none_or(|n| n.trim().is_empty())
                {
                    add(
                        format!("$.extensions[{i}].name"),
                        "every extension needs a non-empty name".into(),
                    );
                }
            }
        }
        Some(other) => add(
            "$.extensions".into(),
            format!("expected a list, found {}", kind(other)),
        ),
    }
    if let Some(Value::Object(scopes)) = root.get("secrets") {
        for (scope, values) in scopes {
            if !values.is_object() && !values.is_null() {
                add(
                    format!("$.secrets.{scope}"),
                    format!(
                        "expected a mapping of secret names to values (a scope), found {}",
                        kind(values)
                    ),
                );
            }
        }
        check_secret_types("$.secrets", scopes, &mut add);
    }
    if let Some(Value::Object(values)) = root.get("configuration") {
        for (key, value) in values {
            if let Some(lookup) = value.as_object() {
                if lookup.get("type").and_then(Value::as_str) == Some("env") {
                    check_env_key(&format!("$.configuration.{key}"), lookup, &mut add);
                }
            }
        }
    }
    for key in ["configuration", "secrets"] {
        if let Some(v) = root.get(key) {
            if !v.is_object() && !v.is_null() {
                add(
                    format!("$.{key}"),
                    format!("expected a mapping, found {}", kind(v)),
                );
            }
        }
    }
    problems
}

/// The names an experiment declares, for its `ref`s.
struct Known<'a> {
    /// Every activity's.
    activities: &'a [String],
    /// Every control's declared inline.
    controls: &'a [&'a str],
}

/// A title, a description, a name or a tag: a string, and not an empty
/// one (chaoslib asks for a truthy value, so `" "` passes there too).
fn check_text(path: &str, value: Option<&Value>, add: &mut dyn FnMut(String, String)) {
    match value {
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(Value::String(_)) => add(path.into(), "must not be empty".into()),
        None | Some(Value::Null) => add(path.into(), "is required (a string)".into()),
        Some(other) => add(
            path.into(),
            format!("expected a string, found {}", kind(other)),
        ),
    }
}

fn check_activity(
    path: &str,
    activity: &Value,
    in_hypothesis: bool,
    known: &Known<'_>,
    cat: &Catalogue<'_>,
    add: &mut dyn FnMut(String, String),
) {
    let Some(a) = activity.as_object() else {
        add(
            path.into(),
            format!("expected an activity mapping, found {}", kind(activity)),
        );
        return;
    };
    if let Some(reference) = a.get("ref") {
        match reference.as_str() {
            Some(r) if known.activities.iter().any(|n| n == r) => {}
            Some(r) => add(format!("{path}.ref"), format!("no activity is named '{r}'")),
            None => add(
                format!("{path}.ref"),
                "expected the name of an activity".into(),
            ),
        }
        return;
    }
    match a.get("type").and_then(Value::as_str) {
        Some("probe") => {}
        Some("action") if !in_hypothesis => {}
        Some("action") => add(
            format!("{path}.type"),
            "a hypothesis holds probes, not actions".into(),
        ),
        Some(other) => add(
            format!("{path}.type"),
            format!("expected probe or action, found '{other}'"),
        ),
        None => add(
            format!("{path}.type"),
            "is required: probe or action".into(),
        ),
    }
    check_text(&format!("{path}.name"), a.get("name"), add);
    check_controls(
        &format!("{path}.controls"),
        a.get("controls"),
        known.controls,
        add,
    );
    if a.contains_key("secrets") {
        add(
            format!("{path}.secrets"),
            "secrets are named in the provider (provider.secrets), as chaoslib reads them".into(),
        );
    }
    check_provider(&format!("{path}.provider"), a.get("provider"), cat, add);
    if in_hypothesis {
        match a.get("tolerance") {
            None => add(
                format!("{path}.tolerance"),
                "a hypothesis probe needs a tolerance".into(),
            ),
            Some(t) => check_tolerance(&format!("{path}.tolerance"), t, known, cat, add),
        }
    }
    if a.get("background").is_some_and(|b| !b.is_boolean()) {
        add(
            format!("{path}.background"),
            "must be true or false, as chaoslib checks".into(),
        );
    }
    match a.get("pauses") {
        None | Some(Value::Null) => {}
        Some(Value::Object(pauses)) => {
            for side in ["before", "after"] {
                check_seconds(&format!("{path}.pauses.{side}"), pauses.get(side), add);
            }
        }
        Some(other) => add(
            format!("{path}.pauses"),
            format!(
                "expected a mapping with a `before` and/or an `after` number of seconds, found {}",
                kind(other)
            ),
        ),
    }
    // chaoslib checks an activity's own `timeout` and applies it nowhere,
    // nor does this runner: the provider's `timeout` limits the activity
    // (the run warns about it).
    match a.get("timeout") {
        None | Some(Value::Null | Value::Number(_)) => {}
        Some(other) => add(
            format!("{path}.timeout"),
            format!(
                "expected a number, found {} (an activity's own timeout is not applied: set the provider's `timeout`)",
                kind(other)
            ),
        ),
    }
}

/// A pause or timeout: a number of seconds from 0 to a day, or a string
/// that substitutes to one (`${…}`, checked when it runs; chaoslib refuses
/// a pause such as `$name` or `$.a` that is not a `${…}` pattern).
fn check_seconds(path: &str, value: Option<&Value>, add: &mut dyn FnMut(String, String)) {
    let Some(value) = value else { return };
    if value.as_str().is_some_and(|s| s.contains("${")) {
        return;
    }
    if let Err(reason) = crate::providers::seconds(Some(value), "") {
        add(path.into(), reason.trim_start_matches(": ").to_owned());
    }
}

fn check_provider(
    path: &str,
    provider: Option<&Value>,
    cat: &Catalogue<'_>,
    add: &mut dyn FnMut(String, String),
) {
    let Some(p) = provider.and_then(Value::as_object) else {
        add(path.into(), "is required: a mapping with a type".into());
        return;
    };
    match p.get("type").and_then(Value::as_str) {
        Some("python") => {
            match p.get("module").and_then(Value::as_str) {
                Some(m) if (cat.has_module)(m) => {}
                Some(m) => add(
                    format!("{path}.module"),
                    format!("no extension provides module '{m}'"),
                ),
                None => add(format!("{path}.module"), "is required (a string)".into()),
            }
            match (
                p.get("module").and_then(Value::as_str),
                p.get("func").and_then(Value::as_str),
            ) {
                (_, None) => add(format!("{path}.func"), "is required (a string)".into()),
                (Some(m), Some(f)) if (cat.has_module)(m) => {
                    if !(cat.has_function)(m, f) {
                        add(
                            format!("{path}.func"),
                            format!("module '{m}' has no function '{f}'"),
                        );
                    } else if let Err(e) =
                        (cat.check_call)(m, f, p.get("arguments").unwrap_or(&Value::Null))
                    {
                        add(format!("{path}.arguments"), e);
                    }
                }
                _ => {}
            }
        }
        Some("process") => {
            match p.get("path").and_then(Value::as_str) {
                None => add(format!("{path}.path"), "is required (a string)".into()),
                Some(program) if program.contains('$') => {}
                Some(program) => {
                    if crate::providers::which(program).is_none() {
                        add(
                            format!("{path}.path"),
                            format!(
                                "cannot find the executable '{program}' (a path, with ~ expanded, or a name on PATH)"
                            ),
                        );
                    }
                }
            }
            check_seconds(&format!("{path}.timeout"), p.get("timeout"), add);
        }
        Some("http") => {
            if !p.get("url").is_some_and(Value::is_string) {
                add(format!("{path}.url"), "is required (a string)".into());
            }
            match p.get("timeout") {
                Some(Value::Array(pair)) => {
                    if let Err(reason) = crate::providers::http_timeouts(p.get("timeout")) {
                        if !pair
                            .iter()
                            .any(|v| v.as_str().is_some_and(|s| s.contains('$')))
                        {
                            add(format!("{path}.timeout"), reason);
                        }
                    }
                }
                other => check_seconds(&format!("{path}.timeout"), other, add),
            }
            if let Some(retries) = p.get("max_retries").filter(|v| !v.is_null()) {
                if retries.as_u64().is_none_or(|n| n > 100) {
                    add(
                        format!("{path}.max_retries"),
                        format!("expected a whole number from 0 to 100, found {retries}"),
                    );
                }
            }
        }
        Some(other) => add(
            format!("{path}.type"),
            format!("expected python, process or http, found '{other}'"),
        ),
        None => add(
            format!("{path}.type"),
            "is required: python, process or http".into(),
        ),
    }
}

fn check_tolerance(
    path: &str,
    t: &Value,
    known: &Known<'_>,
    cat: &Catalogue<'_>,
    add: &mut dyn FnMut(String, String),
) {
    match t {
        Value::Bool(_) | Value::String(_) | Value::Array(_) => {}
        Value::Number(n) if n.is_i64() || n.is_u64() => {}
        Value::Number(_) => add(
            path.into(),
            "expected an integer, a boolean, a string, a list or a mapping; found a float".into(),
        ),
        Value::Object(m) => match m.get("type").and_then(Value::as_str) {
            Some("regex") if m.get("pattern").is_some_and(Value::is_string) => {
                if let Some(Err(e)) = m
                    .get("pattern")
                    .and_then(Value::as_str)
                    .filter(|p| !p.contains("${"))
                    .map(crate::tolerance::compile_regex)
                {
                    add(format!("{path}.pattern"), e);
                }
            }
            Some("regex") => add(format!("{path}.pattern"), "is required (a string)".into()),
            Some("jsonpath") if m.get("path").is_some_and(Value::is_string) => {
                let p = m.get("path").and_then(Value::as_str).unwrap_or_default();
                if p.trim().is_empty() {
                    add(format!("{path}.path"), "a JSON path cannot be empty".into());
                } else if !p.contains("${") {
                    if let Err(e) = crate::tolerance::compile_jsonpath(p) {
                        add(format!("{path}.path"), e);
                    }
                }
            }
            Some("jsonpath") => add(format!("{path}.path"), "is required (a string)".into()),
            Some("range") => match m.get("range").and_then(Value::as_array) {
                Some(r) if r.len() == 2 && r.iter().all(Value::is_number) => {}
                _ => add(
                    format!("{path}.range"),
                    "expected a list of two numbers".into(),
                ),
            },
            // An activity of its own, as chaoslib validates it. Its
            // return accepts the value when truthy: a process' or an HTTP
            // call's output is a mapping, truthy whatever it holds, so
            // chaos run says such a tolerance is met even when the process
            // fails or the server answers 500.
            Some("probe") => {
                check_activity(path, t, false, known, cat, add);
                if let Some(kind @ ("process" | "http")) = t["provider"]["type"].as_str() {
                    add(
                        format!("{path}.provider.type"),
                        format!(
                            "a probe tolerance accepts the value when its return is truthy, and a {kind} provider's output (status, output…) always is, so it could never fail (chaos run would say it is met whatever the {kind} answered): use a python tolerance function, or a regex, jsonpath or range tolerance on the probe's output"
                        ),
                    );
                }
            }
            Some(other) => add(
                format!("{path}.type"),
                format!("expected regex, jsonpath, range or probe, found '{other}'"),
            ),
            None => add(
                format!("{path}.type"),
                "is required: regex, jsonpath, range or probe".into(),
            ),
        },
        Value::Null => add(path.into(), "must not be null".into()),
    }
}

/// Secrets are plain values, `env` lookups, or mappings of those at any
/// depth: a `vault` secret (no Vault client here) or another type is named.
fn check_secret_types(
    path: &str,
    values: &serde_json::Map<String, Value>,
    add: &mut dyn FnMut(String, String),
) {
    for (key, value) in values {
        let at = format!("{path}.{key}");
        let Some(map) = value.as_object() else {
            continue;
        };
        match map.get("type").and_then(Value::as_str) {
            None => check_secret_types(&at, map, add),
            Some("env") => check_env_key(&at, map, add),
            Some("vault") => add(
                at,
                "a vault secret: this runner reads secrets from the experiment and the \
                 environment only; pass it through an environment variable or a var file"
                    .into(),
            ),
            Some(other) => add(
                at,
                format!("unsupported secret type '{other}': expected env"),
            ),
        }
    }
}

/// An `env` lookup names its variable in `key` (chaoslib fails on a
/// missing one with a `KeyError`).
fn check_env_key(
    path: &str,
    lookup: &serde_json::Map<String, Value>,
    add: &mut dyn FnMut(String, String),
) {
    if !lookup.get("key").is_some_and(Value::is_string) {
        add(
            format!("{path}.key"),
            "is required: the name of the environment variable (a string)".into(),
        );
    }
}

/// A `controls` list: each needs a name and a provider (a python one
/// needs a module), or is a `ref` to a control declared in `declared`;
/// `scope` is `before` or `after`.
fn check_controls(
    path: &str,
    controls: Option<&Value>,
    declared: &[&str],
    add: &mut dyn FnMut(String, String),
) {
    let Some(controls) = controls.filter(|c| !c.is_null()) else {
        return;
    };
    let Some(list) = controls.as_array() else {
        add(
            path.into(),
            format!("expected a list, found {}", kind(controls)),
        );
        return;
    };
    for (i, c) in list.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if let Some(reference) = c.get("ref") {
            match reference.as_str() {
                Some(r) if declared.contains(&r) => {}
                Some(r) => add(
                    format!("{at}.ref"),
                    format!("no control named '{r}' is declared in the experiment"),
                ),
                None => add(
                    format!("{at}.ref"),
                    format!("expected the name of a control, found {}", kind(reference)),
                ),
            }
            continue;
        }
        let Some(name) = c.get("name").and_then(Value::as_str) else {
            match c.get("name") {
                None | Some(Value::Null) => {
                    add(format!("{at}.name"), "a control must have a name".into());
                }
                Some(other) => add(
                    format!("{at}.name"),
                    format!("expected a string, found {}", kind(other)),
                ),
            }
            continue;
        };
        check_declaration(&at, name, c, add);
    }
}

/// Every control declared inline in the experiment (not a `ref`), with
/// its path, in the order the runner instantiates them: the top level,
/// the hypothesis, its probes, the method's activities, the rollbacks'.
pub(crate) fn declared_controls(experiment: &Value) -> Vec<(String, &Value)> {
    fn push<'a>(places: &mut Vec<(String, &'a Value)>, path: &str, controls: Option<&'a Value>) {
        for (i, c) in controls
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if c.get("ref").is_none() {
                places.push((format!("{path}[{i}]"), c));
            }
        }
    }
    let mut places = Vec::new();
    push(&mut places, "$.controls", experiment.get("controls"));
    let hypothesis = experiment.get("steady-state-hypothesis");
    push(
        &mut places,
        "$.steady-state-hypothesis.controls",
        hypothesis.and_then(|h| h.get("controls")),
    );
    let probes = hypothesis
        .and_then(|h| h.get("probes"))
        .and_then(Value::as_array);
    for (i, probe) in probes.into_iter().flatten().enumerate() {
        let path = format!("$.steady-state-hypothesis.probes[{i}].controls");
        push(&mut places, &path, probe.get("controls"));
    }
    for key in ["method", "rollbacks"] {
        let activities = experiment.get(key).and_then(Value::as_array);
        for (i, activity) in activities.into_iter().flatten().enumerate() {
            push(
                &mut places,
                &format!("$.{key}[{i}].controls"),
                activity.get("controls"),
            );
        }
    }
    places
}

/// Whether two declarations of one name declare different controls.
fn differ(a: &Value, b: &Value) -> bool {
    a.get("provider") != b.get("provider") || a.get("scope") != b.get("scope")
}

/// A name declares one control here: the runner makes one control per
/// name, configured with the first declaration's arguments. A later
/// declaration of the name with another provider or scope would be run as
/// the first one (chaoslib runs an activity's own declaration in place of
/// the top level's, with its arguments at every hook, which a control
/// configured once cannot take), so it is refused rather than silently
/// replaced.
fn check_control_names(declared: &[(String, &Value)], add: &mut dyn FnMut(String, String)) {
    let mut first: std::collections::HashMap<&str, (&str, &Value)> = Default::default();
    for (path, c) in declared {
        let Some(name) = c.get("name").and_then(Value::as_str) else {
            continue;
        };
        match first.get(name) {
            None => {
                first.insert(name, (path, c));
            }
            Some((at, earlier)) if differ(earlier, c) => add(
                format!("{path}.name"),
                format!(
                    "the control '{name}' is declared at {at} with another provider or scope, and a name declares one control: apply that one here with {{\"ref\": \"{name}\"}}, or give this one a name of its own"
                ),
            ),
            Some(_) => {}
        }
    }
}

/// The experiment's control declarations that the settings' `controls`
/// declare under the same name with another provider or scope: the
/// settings' would be run in their place (chaoslib runs both at the
/// experiment level, and the settings' only below it).
pub(crate) fn clashes_with_settings(experiment: &Value, settings: &Value) -> Vec<Problem> {
    let Some(global) = settings.get("controls").and_then(Value::as_object) else {
        return Vec::new();
    };
    declared_controls(experiment)
        .into_iter()
        .filter_map(|(path, c)| {
            let name = c.get("name").and_then(Value::as_str)?;
            global.get(name).filter(|g| differ(g, c))?;
            Some(Problem {
                path: format!("{path}.name"),
                message: format!(
                    "the settings declare a control named '{name}' with another provider or scope, and a name declares one control: the settings' would run in this one's place; give this one a name of its own"
                ),
            })
        })
        .collect()
}

/// A control declaration's provider and scope.
fn check_declaration(at: &str, name: &str, c: &Value, add: &mut dyn FnMut(String, String)) {
    match c.get("provider") {
        Some(Value::Object(p)) => match p.get("type") {
            // chaoslib's run crashes on it (`provider["type"]`).
            None | Some(Value::Null) => add(
                format!("{at}.provider.type"),
                format!("control '{name}' needs a provider type: python"),
            ),
            Some(t) if t == "python" => {
                if p.get("module")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    add(
                        format!("{at}.provider.module"),
                        format!("control '{name}' needs a module"),
                    );
                }
            }
            // Passed over when run, as chaoslib passes over it.
            Some(_) => {}
        },
        _ => add(
            format!("{at}.provider"),
            format!("control '{name}' must have a provider"),
        ),
    }
    if let Some(scope) = c.get("scope") {
        if !matches!(scope.as_str(), Some("before" | "after")) {
            add(format!("{at}.scope"), "expected before or after".into());
        }
    }
}

/// What a value is, for an error.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}
