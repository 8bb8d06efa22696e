//! Cases of chaoslib 1.44.0's `test_control.py`, and those of
//! `test_run.py` that need a control, with Rust controls registered under
//! its fixtures' module names in place of its Python ones
//! (`fixtures.controls.dummy` and the like).

use std::sync::{Arc, Mutex};

use chaos_controls::{
    ConfigureContext, Control, ControlError, HookResult, RunContext, async_trait,
};
use chaos_runner::{ControlFactory, Dry, Runner};
use serde_json::{Value, json};

/// What the controls saw, in order: `module.hook[:activity]`.
type Log = Arc<Mutex<Vec<String>>>;

/// A control that logs its hooks and what they were given.
struct Dummy {
    module: &'static str,
    log: Log,
    /// The secrets each hook got.
    secrets: Arc<Mutex<Vec<(String, Value)>>>,
    /// What the after-side hooks got: the hypothesis' result, the journal.
    states: Arc<Mutex<Vec<(String, Value)>>>,
    fail_configure: bool,
    fail_cleanup: bool,
}

impl Dummy {
    fn hit(&self, hook: &str, run: Option<&RunContext<'_>>, activity: Option<&Value>) {
        let name = activity
            .and_then(|a| a.get("name"))
            .and_then(Value::as_str)
            .map(|n| format!(":{n}"))
            .unwrap_or_default();
        self.log
            .lock()
            .unwrap()
            .push(format!("{}.{hook}{name}", self.module));
        if let Some(run) = run {
            self.secrets
                .lock()
                .unwrap()
                .push((hook.to_owned(), run.secrets.clone()));
        }
    }

    fn state(&self, hook: &str, state: &Value) {
        self.states
            .lock()
            .unwrap()
            .push((hook.to_owned(), state.clone()));
    }
}

#[async_trait]
impl Control for Dummy {
    async fn configure(&self, ctx: &ConfigureContext<'_>) -> HookResult {
        self.hit("configure", Some(&ctx.run), None);
        self.state("configure", ctx.arguments);
        if self.fail_configure {
            return Err(ControlError::failed("init control"));
        }
        Ok(())
    }
    async fn cleanup(&self) -> HookResult {
        self.hit("cleanup", None, None);
        if self.fail_cleanup {
            return Err(ControlError::failed("cleanup control"));
        }
        Ok(())
    }
    async fn before_experiment(&self, run: &RunContext<'_>) -> HookResult {
        self.hit("before_experiment", Some(run), None);
        Ok(())
    }
    async fn after_experiment(&self, run: &RunContext<'_>, journal: &Value) -> HookResult {
        self.hit("after_experiment", Some(run), None);
        self.state("after_experiment", journal);
        Ok(())
    }
    async fn before_hypothesis(&self, run: &RunContext<'_>, _: &Value) -> HookResult {
        self.hit("before_hypothesis", Some(run), None);
        Ok(())
    }
    async fn after_hypothesis(&self, run: &RunContext<'_>, _: &Value, state: &Value) -> HookResult {
        self.hit("after_hypothesis", Some(run), None);
        self.state("after_hypothesis", state);
        Ok(())
    }
    async fn before_method(&self, run: &RunContext<'_>, _: &Value) -> HookResult {
        self.hit("before_method", Some(run), None);
        Ok(())
    }
    async fn after_method(&self, run: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
        self.hit("after_method", Some(run), None);
        Ok(())
    }
    async fn before_rollback(&self, run: &RunContext<'_>, _: &Value) -> HookResult {
        self.hit("before_rollback", Some(run), None);
        Ok(())
    }
    async fn after_rollback(&self, run: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
        self.hit("after_rollback", Some(run), None);
        Ok(())
    }
    async fn before_activity(&self, run: &RunContext<'_>, activity: &Value) -> HookResult {
        self.hit("before_activity", Some(run), Some(activity));
        Ok(())
    }
    async fn after_activity(
        &self,
        run: &RunContext<'_>,
        activity: &Value,
        _: &Value,
    ) -> HookResult {
        self.hit("after_activity", Some(run), Some(activity));
        Ok(())
    }
}

/// A runner with every fixture module registered, and what they saw.
struct Fixture {
    runner: Runner,
    log: Log,
    secrets: Arc<Mutex<Vec<(String, Value)>>>,
    states: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Fixture {
    fn new() -> Self {
        let log = Log::default();
        let secrets = Arc::default();
        let states = Arc::default();
        let mut runner = Runner::new();
        for (module, fail_configure, fail_cleanup) in [
            ("fixtures.controls.dummy", false, false),
            ("fixtures.controls.dummy_with_failing_init", true, false),
            ("fixtures.controls.dummy_with_failing_cleanup", false, true),
            ("fixtures.controls.dummy_position_1", false, false),
            ("fixtures.controls.dummy_position_2", false, false),
            ("fixtures.controls.dummy_position_3", false, false),
            ("fixtures.controls.dummy_sums", false, false),
            ("fixtures.controls.dummy_with_secrets", false, false),
            (
                "fixtures.controls.dummy_need_access_to_end_state",
                false,
                false,
            ),
        ] {
            let (log, secrets, states) =
                (Arc::clone(&log), Arc::clone(&secrets), Arc::clone(&states));
            let factory: ControlFactory = Arc::new(move || {
                Arc::new(Dummy {
                    module: module.rsplit('.').next().unwrap_or(module),
                    log: Arc::clone(&log),
                    secrets: Arc::clone(&secrets),
                    states: Arc::clone(&states),
                    fail_configure,
                    fail_cleanup,
                }) as Arc<dyn Control>
            });
            runner = runner.control_module(module, factory);
        }
        Self {
            runner,
            log,
            secrets,
            states,
        }
    }

    fn settings(mut self, settings: Value) -> Self {
        self.runner = self.runner.settings(settings);
        self
    }

    async fn run(&self, experiment: &Value) -> Value {
        self.runner.run(experiment).await.unwrap()
    }

    fn seen(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The hooks `module` saw, without its prefix.
    fn seen_by(&self, module: &str) -> Vec<String> {
        let prefix = format!("{module}.");
        self.seen()
            .iter()
            .filter_map(|h| h.strip_prefix(&prefix).map(str::to_owned))
            .collect()
    }
}

fn control(name: &str, module: &str) -> Value {
    json!({"name": name, "provider": {"type": "python", "module": format!("fixtures.controls.{module}")}})
}

/// `PythonModuleProbe` (a process here) with a boolean-like tolerance.
fn probe(name: &str) -> Value {
    json!({"type": "probe", "name": name, "tolerance": 0,
           "provider": {"type": "process", "path": "true"}})
}

/// `ExperimentNoControls`: one hypothesis probe, one method probe, one
/// rollback.
fn no_controls() -> Value {
    json!({"title": "do cats live in the Internet?", "description": "an experiment of importance",
           "steady-state-hypothesis": {"title": "hello", "probes": [probe("boolean-probe")]},
           "method": [probe("path-must-exists")],
           "rollbacks": [probe("boolean-probe")]})
}

/// `ExperimentWithControls`: the same with the dummy at the top.
fn with_controls() -> Value {
    let mut e = no_controls();
    e["controls"] = json!([control("dummy", "dummy")]);
    e
}

#[tokio::test]
async fn configure_cleanup_and_every_level() {
    // test_initialize_controls_will_configure_a_control,
    // test_initialize_controls_will_cleanup_a_control,
    // test_controls_are_applied_before_and_after_experiment,
    // test_controls_are_applied_before_and_after_hypothesis,
    // test_controls_are_applied_before_and_after_method,
    // test_controls_are_applied_before_and_after_rollbacks,
    // test_controls_are_applied_before_and_after_activities,
    // test_automatic_goes_deep_down_the_tree
    let f = Fixture::new();
    let j = f.run(&with_controls()).await;
    assert_eq!(j["status"], "completed");
    let seen = f.seen_by("dummy");
    for hook in [
        "configure",
        "before_experiment",
        "before_hypothesis",
        "after_hypothesis",
        "before_method",
        "before_activity:path-must-exists",
        "after_activity:path-must-exists",
        "after_method",
        "before_rollback",
        "before_activity:boolean-probe",
        "after_rollback",
        "after_experiment",
        "cleanup",
    ] {
        assert!(seen.contains(&hook.to_owned()), "{hook} in {seen:?}");
    }
    assert_eq!(seen.first().map(String::as_str), Some("configure"));
    assert_eq!(seen.last().map(String::as_str), Some("cleanup"));

    // test_no_controls_get_applied_when_none_defined
    let f = Fixture::new();
    f.run(&no_controls()).await;
    assert_eq!(f.seen(), Vec::<String>::new());
}

#[tokio::test]
async fn scope_and_automatic() {
    // test_controls_are_applied_before_and_but_not_after_experiment,
    // test_controls_are_applied_not_before_and_but_after_experiment
    for (scope, side, other) in [
        ("before", "before_", "after_"),
        ("after", "after_", "before_"),
    ] {
        let f = Fixture::new();
        let mut e = with_controls();
        e["controls"][0]["scope"] = json!(scope);
        f.run(&e).await;
        let seen = f.seen_by("dummy");
        assert!(
            seen.iter().any(|h| h.starts_with(side)),
            "{scope}: {seen:?}"
        );
        assert!(
            !seen.iter().any(|h| h.starts_with(other)),
            "{scope}: {seen:?}"
        );
    }
    // test_not_automatic_does_not_go_deep_down_the_tree: the experiment
    // level only.
    let f = Fixture::new();
    let mut e = with_controls();
    e["controls"][0]["automatic"] = json!(false);
    f.run(&e).await;
    assert_eq!(
        f.seen_by("dummy"),
        [
            "configure",
            "before_experiment",
            "after_experiment",
            "cleanup"
        ]
    );
}

#[tokio::test]
async fn controls_below_the_top() {
    // test_controls_are_applied_at_various_levels
    let f = Fixture::new();
    let mut e = with_controls();
    e["method"][0]["controls"] = json!([control("dummy-two", "dummy")]);
    e["dry"] = json!("activities");
    f.run(&e).await;
    let seen = f.seen_by("dummy");
    let on_method_probe = seen
        .iter()
        .filter(|h| *h == "before_activity:path-must-exists")
        .count();
    assert_eq!(on_method_probe, 2, "the top one and its own: {seen:?}");

    // test_controls_are_applied_when_they_are_not_top_level
    let f = Fixture::new();
    let mut e = no_controls();
    e["method"][0]["controls"] = json!([control("dummy", "dummy")]);
    f.run(&e).await;
    assert_eq!(
        f.seen_by("dummy"),
        [
            "configure",
            "before_activity:path-must-exists",
            "after_activity:path-must-exists",
            "cleanup"
        ]
    );

    // test_apply_controls_even_on_background_activity
    let f = Fixture::new().settings(json!({"controls": {"dummy": {"provider": {"type": "python", "module": "fixtures.controls.dummy"}}}}));
    let mut e = no_controls();
    e["method"][0]["background"] = json!(true);
    e["method"][0]["pauses"] = json!({"after": 0.2});
    f.run(&e).await;
    let seen = f.seen_by("dummy");
    for hook in [
        "before_activity:path-must-exists",
        "after_activity:path-must-exists",
    ] {
        assert!(seen.contains(&hook.to_owned()), "{hook} in {seen:?}");
    }
}

#[tokio::test]
async fn a_broken_control_never_fails_the_experiment() {
    // test_control_cleanup_cannot_fail_the_experiment
    let f = Fixture::new().settings(json!({"controls": {"dummy": {"provider": {"type": "python", "module": "fixtures.controls.dummy_with_failing_cleanup"}}}}));
    let j = f.run(&no_controls()).await;
    assert_eq!(j["status"], "completed");
    assert_eq!(
        f.seen_by("dummy_with_failing_cleanup").last().unwrap(),
        "cleanup"
    );

    // test_control_initialization_cannot_fail_the_experiment,
    // test_control_failing_its_initialization_must_not_be_registered: the
    // failed one is never called again; the other applies everywhere.
    let f = Fixture::new().settings(json!({"controls": {
        "dummy-failed": {"provider": {"type": "python", "module": "fixtures.controls.dummy_with_failing_init"}},
        "dummy": {"provider": {"type": "python", "module": "fixtures.controls.dummy"}}}}));
    let j = f.run(&no_controls()).await;
    assert_eq!(j["status"], "completed");
    assert_eq!(f.seen_by("dummy_with_failing_init"), ["configure"]);
    let seen = f.seen_by("dummy");
    for hook in [
        "before_experiment",
        "before_activity:boolean-probe",
        "after_activity:path-must-exists",
        "after_experiment",
    ] {
        assert!(seen.contains(&hook.to_owned()), "{hook} in {seen:?}");
    }
}

#[tokio::test]
async fn what_controls_are_given() {
    // test_control_must_not_rest_state_before_calling_the_after_side
    // (ExperimentNoControlsWithDeviation: the hypothesis is not met)
    let f = Fixture::new().settings(json!({"controls": {"dummy": {"provider": {"type": "python", "module": "fixtures.controls.dummy_need_access_to_end_state"}}}}));
    let mut e = no_controls();
    e["steady-state-hypothesis"]["probes"][0]["tolerance"] = json!(1);
    let j = f.run(&e).await;
    let states = f.states.lock().unwrap().clone();
    let hypothesis = states
        .iter()
        .find(|(h, _)| h == "after_hypothesis")
        .unwrap();
    assert_eq!(hypothesis.1["steady_state_met"], false, "{states:?}");
    assert_eq!(hypothesis.1, j["steady_states"]["before"]);
    let journal = states
        .iter()
        .find(|(h, _)| h == "after_experiment")
        .unwrap();
    assert_eq!(journal.1["status"], j["status"]);
    assert_eq!(journal.1["steady_states"], j["steady_states"]);

    // test_controls_can_take_arguments_at_initialization
    let f = Fixture::new();
    let mut e = no_controls();
    e["controls"] = json!([{"name": "dummy", "provider": {"type": "python",
        "module": "fixtures.controls.dummy", "arguments": {"joke": "onyou"}}}]);
    f.run(&e).await;
    let states = f.states.lock().unwrap().clone();
    assert_eq!(
        states[0],
        ("configure".to_owned(), json!({"joke": "onyou"}))
    );

    // test_secrets_are_passed_to_all_control_hookpoints
    let f = Fixture::new();
    let mut e = with_controls();
    e["secrets"] = json!({"mystuff": {"somesecret": "somevalue"}});
    e["controls"][0]["provider"]["module"] = json!("fixtures.controls.dummy_with_secrets");
    e["controls"][0]["provider"]["secrets"] = json!(["mystuff"]);
    f.run(&e).await;
    let secrets = f.secrets.lock().unwrap().clone();
    let hooks: Vec<&str> = secrets.iter().map(|(h, _)| h.as_str()).collect();
    for hook in [
        "configure",
        "before_experiment",
        "after_experiment",
        "before_method",
        "after_method",
        "before_rollback",
        "after_rollback",
        "before_hypothesis",
        "after_hypothesis",
        "before_activity",
        "after_activity",
    ] {
        assert!(hooks.contains(&hook), "{hook} in {hooks:?}");
    }
    for (hook, given) in &secrets {
        assert_eq!(
            given,
            &json!({"mystuff": {"somesecret": "somevalue"}}),
            "{hook}"
        );
    }
}

#[tokio::test]
async fn order() {
    // test_running_in_order: the settings' controls, then the
    // experiment's.
    let f = Fixture::new().settings(json!({"controls": {
        "dummy_position_1": {"provider": {"type": "python", "module": "fixtures.controls.dummy_position_1"}},
        "dummy_position_2": {"provider": {"type": "python", "module": "fixtures.controls.dummy_position_2"}}}}));
    let mut e = no_controls();
    e["controls"] = json!([control("dummy_position_3", "dummy_position_3")]);
    f.run(&e).await;
    let before: Vec<String> = f
        .seen()
        .into_iter()
        .filter(|h| h.ends_with(".before_experiment"))
        .collect();
    assert_eq!(
        before,
        [
            "dummy_position_1.before_experiment",
            "dummy_position_2.before_experiment",
            "dummy_position_3.before_experiment"
        ]
    );

    // test_activity_level_controls_are_merged_to_top_level_controls: the
    // top level's automatic ones (tc1, tc3), then the activity's own (lc1).
    // test_experiment_level_controls_played_only_one_each_in_the_after_phase:
    // each of the three once after the experiment, tc2 too.
    let sums = |name: &str| json!({"name": name, "provider": {"type": "python", "module": "fixtures.controls.dummy_sums"}});
    let f = Fixture::new();
    let mut tc2 = sums("tc2");
    tc2["automatic"] = json!(false);
    let e = json!({"title": "Hello world!", "description": "Say hello world.",
        "controls": [sums("tc1"), tc2, sums("tc3")],
        "method": [{"type": "action", "name": "pretend-we-do-stuff",
                    "provider": {"type": "process", "path": "true"},
                    "controls": [sums("lc1")]}]});
    f.run(&e).await;
    let seen = f.seen();
    assert_eq!(
        seen.iter()
            .filter(|h| h.ends_with(".before_activity:pretend-we-do-stuff"))
            .count(),
        3,
        "tc1, tc3 and lc1: {seen:?}"
    );
    assert_eq!(
        seen.iter()
            .filter(|h| h.ends_with(".after_experiment"))
            .count(),
        3,
        "{seen:?}"
    );
}

#[tokio::test]
async fn merged_order_names_the_controls() {
    // The same merge, by name: a control that records which declaration
    // called it cannot tell tc1 from lc1 (one module), so the order is read
    // from a runner whose modules differ.
    let log = Log::default();
    let mut runner = Runner::new().dry(Some(Dry::Activities));
    for name in ["tc1", "tc2", "tc3", "lc1"] {
        let module: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let log = Arc::clone(&log);
        let factory: ControlFactory = Arc::new(move || {
            Arc::new(Dummy {
                module,
                log: Arc::clone(&log),
                secrets: Arc::default(),
                states: Arc::default(),
                fail_configure: false,
                fail_cleanup: false,
            }) as Arc<dyn Control>
        });
        runner = runner.control_module(format!("fixtures.{name}"), factory);
    }
    let declare = |name: &str| json!({"name": name, "provider": {"type": "python", "module": format!("fixtures.{name}")}});
    let mut tc2 = declare("tc2");
    tc2["automatic"] = json!(false);
    let e = json!({"title": "t", "description": "d",
        "controls": [declare("tc1"), tc2, declare("tc3")],
        "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"},
                    "controls": [declare("lc1")]}]});
    runner.run(&e).await.unwrap();
    let before: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.ends_with(".before_activity:a"))
        .cloned()
        .collect();
    assert_eq!(
        before,
        [
            "tc1.before_activity:a",
            "tc3.before_activity:a",
            "lc1.before_activity:a"
        ]
    );
}

#[test]
fn validating_controls() {
    let runner = Fixture::new().runner;
    // test_validate_python_control_needs_a_module
    let mut e = no_controls();
    e["controls"] = json!([{"name": "a-python-control", "provider": {"type": "python"}}]);
    let problems = runner.validate(&e);
    assert!(
        problems.iter().any(|p| p.path.starts_with("$.controls[0]")),
        "{problems:?}"
    );
    // test_validate_python_control_must_be_loadable: chaoslib only warns;
    // so does this runner, when it runs (a module it does not have is
    // skipped).
    e["controls"] = json!([{"name": "a-python-control", "provider": {"type": "python", "module": "blah.blah"}}]);
    let problems = runner.validate(&e);
    assert!(problems.is_empty(), "{problems:?}");
    // A provider without a type passes chaoslib's validation and crashes
    // its run (`provider["type"]`, no journal): refused here.
    e["controls"] = json!([{"name": "c", "provider": {"module": "fixtures.controls.dummy"}}]);
    let problems = runner.validate(&e);
    assert!(
        problems.iter().any(|p| p.to_string()
            == "$.controls[0].provider.type: control 'c' needs a provider type: python"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn a_control_whose_provider_is_not_python_is_passed_over() {
    // chaoslib runs only `type: python` controls; another type is valid
    // and does nothing, even with a module that names a control.
    let f = Fixture::new();
    let mut e = no_controls();
    e["controls"] = json!([{"name": "dummy", "provider": {"type": "process", "module": "fixtures.controls.dummy"}}]);
    assert!(f.runner.validate(&e).is_empty());
    let j = f.run(&e).await;
    assert_eq!(j["status"], "completed");
    assert_eq!(f.seen(), Vec::<String>::new());
}

/// `dummy_changed_configuration` and `dummy_changed_secrets`: after the
/// `generate-token` probe, its output becomes `my_token`.
struct ChangesToken {
    in_secrets: bool,
}

#[async_trait]
impl Control for ChangesToken {
    async fn before_activity(&self, run: &RunContext<'_>, activity: &Value) -> HookResult {
        // A change made before an activity is what that activity sees.
        if activity["name"] == "use-token-late" {
            return run.set_configuration("my_token", json!("GREEN"));
        }
        Ok(())
    }
    async fn after_activity(
        &self,
        run: &RunContext<'_>,
        activity: &Value,
        state: &Value,
    ) -> HookResult {
        if activity["name"] != "generate-token" {
            return Ok(());
        }
        let token = json!(state["output"]["stdout"].as_str().unwrap_or("").trim());
        if self.in_secrets {
            run.set_secret("mytokens", "my_token", token)
        } else {
            run.set_configuration("my_token", token)
        }
    }
}

#[tokio::test]
async fn controls_change_the_configuration_and_secrets_of_what_runs_next() {
    // test_control_can_update_configuration, test_control_can_update_secrets
    for in_secrets in [false, true] {
        let module = if in_secrets {
            "fixtures.controls.dummy_changed_secrets"
        } else {
            "fixtures.controls.dummy_changed_configuration"
        };
        let factory: ControlFactory =
            Arc::new(move || Arc::new(ChangesToken { in_secrets }) as Arc<dyn Control>);
        let runner = Runner::new().control_module(module, factory);
        let mut use_token = json!({"type": "action", "name": "use-token",
            "provider": {"type": "process", "path": "echo", "arguments": "${my_token}"}});
        let mut e = json!({"title": "t", "description": "d",
            "method": [
                {"type": "probe", "name": "generate-token",
                 "provider": {"type": "process", "path": "sh", "arguments": ["-c", "echo BLUE"]}},
            ],
            "controls": [{"name": "dummy", "provider": {"type": "python", "module": module}}]});
        if in_secrets {
            e["secrets"] = json!({"mytokens": {"my_token": "UNSET"}});
            use_token["provider"]["secrets"] = json!(["mytokens"]);
        } else {
            e["configuration"] = json!({"my_token": "UNSET"});
        }
        e["method"].as_array_mut().unwrap().push(use_token);
        // The change holds for the rest of the run, rollbacks included.
        let mut rollback = e["method"][1].clone();
        rollback["name"] = json!("use-token-again");
        let mut late = e["method"][1].clone();
        late["name"] = json!("use-token-late");
        e["rollbacks"] = json!([rollback, late]);
        let j = runner.run(&e).await.unwrap();
        assert_eq!(j["status"], "completed", "{j:#}");
        assert_eq!(j["run"][1]["output"]["stdout"], "BLUE\n", "{module}");
        assert_eq!(j["rollbacks"][0]["output"]["stdout"], "BLUE\n", "{module}");
        // The configuration wins over the secrets in `${}`, as in chaoslib.
        assert_eq!(j["rollbacks"][1]["output"]["stdout"], "GREEN\n", "{module}");
        // The journal's experiment is the experiment as declared.
        if in_secrets {
            assert_eq!(j["experiment"]["secrets"]["mytokens"]["my_token"], "***");
        } else {
            assert_eq!(j["experiment"]["configuration"]["my_token"], "UNSET");
        }
    }
}

/// Records the `my_token` configuration each `after_activity` sees.
#[derive(Default)]
struct TokenReader(Mutex<Vec<Value>>);

#[async_trait]
impl Control for TokenReader {
    async fn after_activity(&self, run: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
        self.0
            .lock()
            .unwrap()
            .push(run.configuration["my_token"].clone());
        Ok(())
    }
}

#[tokio::test]
async fn a_control_sees_what_the_one_before_it_changed_at_the_same_hook() {
    // chaoslib passes one configuration dictionary to each control of a
    // hook in turn, so the one declared after the changer reads the token
    // at the very hook the token was set.
    let reader = Arc::new(TokenReader::default());
    let shared = reader.clone();
    let runner = Runner::new()
        .control_module(
            "changer",
            Arc::new(|| Arc::new(ChangesToken { in_secrets: false }) as Arc<dyn Control>),
        )
        .control_module(
            "reader",
            Arc::new(move || shared.clone() as Arc<dyn Control>),
        );
    let e = json!({"title": "t", "description": "d",
        "configuration": {"my_token": "UNSET"},
        "method": [
            {"type": "probe", "name": "generate-token",
             "provider": {"type": "process", "path": "sh", "arguments": ["-c", "echo BLUE"]}},
            {"type": "action", "name": "use-token",
             "provider": {"type": "process", "path": "echo", "arguments": "${my_token}"}}],
        "controls": [
            {"name": "changer", "provider": {"type": "python", "module": "changer"}},
            {"name": "reader", "provider": {"type": "python", "module": "reader"}}]});
    let j = runner.run(&e).await.unwrap();
    assert_eq!(j["status"], "completed", "{j:#}");
    assert_eq!(*reader.0.lock().unwrap(), [json!("BLUE"), json!("BLUE")]);
    assert_eq!(j["run"][1]["output"]["stdout"], "BLUE\n");
}

/// `dummy_with_interrupted_activity` and `dummy_with_exited_activity`:
/// interrupt the run before the activity its `target_activity_name`
/// argument names (chaoslib's `InterruptExecution` and `SystemExit` are one
/// interrupt here).
#[derive(Default)]
struct Interrupter {
    target: Mutex<Option<String>>,
}

#[async_trait]
impl Control for Interrupter {
    async fn configure(&self, ctx: &ConfigureContext<'_>) -> HookResult {
        *self.target.lock().unwrap() = ctx.arguments["target_activity_name"]
            .as_str()
            .map(str::to_owned);
        Ok(())
    }
    async fn before_activity(&self, _: &RunContext<'_>, activity: &Value) -> HookResult {
        if activity["name"].as_str() == self.target.lock().unwrap().as_deref() {
            return Err(ControlError::interrupt("let's blow this up"));
        }
        Ok(())
    }
}

/// Fails every call, as `fixtures.badstuff.raise_exception` does.
struct Badstuff;

#[async_trait]
impl chaos_runner::Extension for Badstuff {
    async fn call(&self, _: &str, _: &Value, _: &Value, _: &Value) -> Result<Value, String> {
        Err("oops".into())
    }
}

/// `SimpleExperiment`, run with the continuous strategy every 0.1 s.
fn simple() -> (Value, Runner) {
    let e = json!({"title": "Hello world!", "description": "Say hello world.",
        "steady-state-hypothesis": {"title": "World needs politeness", "probes": [
            {"type": "probe", "name": "has-world", "tolerance": 0,
             "provider": {"type": "process", "path": "echo", "arguments": "hello"}}]},
        "method": [{"type": "action", "name": "say-hello", "pauses": {"after": 1},
                    "provider": {"type": "process", "path": "echo", "arguments": "world"}}]});
    let runner = Runner::new().hypothesis_strategy(
        chaos_runner::HypothesisStrategy::Continuously,
        std::time::Duration::from_millis(100),
        false,
    );
    (e, runner)
}

#[tokio::test]
async fn continuous_checks_when_a_control_interrupts_or_an_activity_fails() {
    // test_exit_continuous_ssh_continuous_when_experiment_is_interrupted,
    // test_exit_continuous_ssh_continuous_when_experiment_is_exited (not
    // their Python event handlers)
    for module in [
        "fixtures.controls.dummy_with_interrupted_activity",
        "fixtures.controls.dummy_with_exited_activity",
    ] {
        let (mut e, runner) = simple();
        let factory: ControlFactory =
            Arc::new(|| Arc::new(Interrupter::default()) as Arc<dyn Control>);
        let runner = runner.control_module(module, factory);
        e["controls"] = json!([{"name": "dummy", "provider": {"type": "python", "module": module,
            "arguments": {"target_activity_name": "say-hello"}}}]);
        let j = runner.run(&e).await.unwrap();
        let states = &j["steady_states"];
        assert!(!states["before"].is_null(), "{module}: {states}");
        assert!(states["after"].is_null(), "{module}: {states}");
        assert!(!states["during"].is_null(), "{module}: {states}");
        assert_eq!(j["deviated"], false, "{module}");
        assert_eq!(j["status"], "interrupted", "{module}");
    }

    // test_exit_continuous_ssh_continuous_when_activity_raises_unknown_exception
    let (mut e, runner) = simple();
    let runner = runner
        .extension("fixtures.badstuff", Arc::new(Badstuff))
        .rollback_strategy(chaos_runner::RollbackStrategy::Always);
    e["method"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "action", "name": "boom",
        "provider": {"type": "python", "module": "fixtures.badstuff", "func": "raise_exception"}}));
    let j = runner.run(&e).await.unwrap();
    let states = &j["steady_states"];
    assert!(!states["before"].is_null(), "{states}");
    assert!(!states["after"].is_null(), "{states}");
    assert!(!states["during"].is_null(), "{states}");
    assert_eq!(j["deviated"], false);
    assert_eq!(j["status"], "completed");
    let runs = j["run"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["status"], "failed");
    let exception = runs[1]["exception"].as_array().unwrap();
    assert!(
        exception
            .last()
            .and_then(Value::as_str)
            .is_some_and(|l| l.contains("oops")),
        "{exception:?}"
    );
}

/// `dummy_fail_loading_experiment` (interrupts before the load) and
/// `dummy_retitle_experiment_on_loading` (retitles the loaded experiment).
struct Loader {
    fail: bool,
    sources: Log,
}

#[async_trait]
impl Control for Loader {
    async fn before_loading_experiment(&self, source: &str) -> HookResult {
        self.sources
            .lock()
            .unwrap()
            .push(format!("before:{source}"));
        if self.fail {
            return Err(ControlError::interrupt(format!("failed to load: {source}")));
        }
        Ok(())
    }
    async fn after_loading_experiment(&self, source: &str, experiment: &mut Value) -> HookResult {
        self.sources.lock().unwrap().push(format!("after:{source}"));
        experiment["title"] = json!("BOOM I changed it");
        Ok(())
    }
}

#[tokio::test]
async fn loader_hooks_of_the_settings_controls() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("experiment.json");
    std::fs::write(&file, no_controls().to_string()).unwrap();
    let source = file.to_str().unwrap();
    for (module, fail) in [
        ("fixtures.controls.dummy_fail_loading_experiment", true),
        (
            "fixtures.controls.dummy_retitle_experiment_on_loading",
            false,
        ),
    ] {
        let sources = Log::default();
        let seen = Arc::clone(&sources);
        let factory: ControlFactory = Arc::new(move || {
            Arc::new(Loader {
                fail,
                sources: Arc::clone(&seen),
            }) as Arc<dyn Control>
        });
        let runner = Runner::new().control_module(module, factory).settings(
            json!({"controls": {"dummy": {"provider": {"type": "python", "module": module}}}}),
        );
        let loaded = runner.load(source, true).await;
        if fail {
            // test_controls_on_loading_experiment
            let e = loaded.unwrap_err().to_string();
            assert!(
                e.contains("control 'dummy' interrupted the load in before_loading_experiment")
                    && e.contains("failed to load: "),
                "{e}"
            );
            assert_eq!(*sources.lock().unwrap(), [format!("before:{source}")]);
        } else {
            // test_controls_on_loaded_experiment
            let experiment = loaded.unwrap();
            assert_eq!(experiment["title"], "BOOM I changed it");
            assert_eq!(
                *sources.lock().unwrap(),
                [format!("before:{source}"), format!("after:{source}")]
            );
        }
    }
    // The experiment's own controls are not known before it is loaded,
    // and a runner without settings' controls loads as the loader does.
    let mut declared = no_controls();
    declared["controls"] = json!([control("dummy", "dummy_retitle_experiment_on_loading")]);
    std::fs::write(&file, declared.to_string()).unwrap();
    let factory: ControlFactory = Arc::new(|| {
        Arc::new(Loader {
            fail: true,
            sources: Log::default(),
        }) as Arc<dyn Control>
    });
    let runner = Runner::new().control_module(
        "fixtures.controls.dummy_retitle_experiment_on_loading",
        factory,
    );
    assert_eq!(runner.load(source, true).await.unwrap(), declared);
}

/// Remembers the source it saw loaded, and says at each later hook
/// whether it is the instance that saw it.
#[derive(Default)]
struct Remembers {
    source: Mutex<Option<String>>,
    log: Log,
}

impl Remembers {
    fn note(&self, hook: &str) -> HookResult {
        let source = self.source.lock().unwrap().clone();
        let line = format!("{hook}:{}", source.as_deref().unwrap_or("new instance"));
        self.log.lock().unwrap().push(line);
        Ok(())
    }
}

#[async_trait]
impl Control for Remembers {
    async fn after_loading_experiment(&self, source: &str, _: &mut Value) -> HookResult {
        *self.source.lock().unwrap() = Some(source.rsplit('/').next().unwrap_or("").into());
        Ok(())
    }
    async fn configure(&self, _: &ConfigureContext<'_>) -> HookResult {
        self.note("configure")
    }
    async fn after_experiment(&self, _: &RunContext<'_>, _: &Value) -> HookResult {
        self.note("after_experiment")
    }
}

#[tokio::test]
async fn the_run_after_a_load_drives_the_instances_that_saw_it() {
    // A Python control module keeps what its loader hook stored until the
    // run is over; the instance a factory made for the load is the one the
    // run configures and calls.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("experiment.json");
    std::fs::write(&file, no_controls().to_string()).unwrap();
    let log = Log::default();
    let shared = Arc::clone(&log);
    let factory: ControlFactory = Arc::new(move || {
        Arc::new(Remembers {
            log: Arc::clone(&shared),
            ..Remembers::default()
        }) as Arc<dyn Control>
    });
    let runner = Runner::new().control_module("remembers", factory).settings(
        json!({"controls": {"keeper": {"provider": {"type": "python", "module": "remembers"}}}}),
    );
    let experiment = runner.load(file.to_str().unwrap(), true).await.unwrap();
    let j = runner.run(&experiment).await.unwrap();
    assert_eq!(j["status"], "completed", "{j:#}");
    // A second run without a load starts from new instances.
    runner.run(&experiment).await.unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "configure:experiment.json",
            "after_experiment:experiment.json",
            "configure:new instance",
            "after_experiment:new instance",
        ]
    );
}
