//! Controls inside a run, hypothesis strategies, dry runs and interruption.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chaos_controls::{
    ConfigureContext, Control, ControlError, HookResult, RunContext, async_trait,
};
use chaos_runner::{ControlFactory, Dry, HypothesisStrategy, RollbackStrategy, Runner};
use serde_json::{Value, json};

/// Records the hooks it sees; may interrupt at one.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    interrupt_on: Option<&'static str>,
}

impl Recorder {
    fn hit(&self, hook: &str, what: &Value) -> HookResult {
        let name = what
            .get("name")
            .and_then(Value::as_str)
            .map(|n| format!(":{n}"))
            .unwrap_or_default();
        self.seen.lock().unwrap().push(format!("{hook}{name}"));
        if self.interrupt_on == Some(hook) {
            return Err(ControlError::interrupt("stop here"));
        }
        Ok(())
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl Control for Recorder {
    async fn configure(&self, ctx: &ConfigureContext<'_>) -> HookResult {
        self.hit("configure", ctx.arguments)
    }
    async fn cleanup(&self) -> HookResult {
        self.hit("cleanup", &Value::Null)
    }
    async fn before_experiment(&self, _: &RunContext<'_>) -> HookResult {
        self.hit("before_experiment", &Value::Null)
    }
    async fn after_experiment(&self, _: &RunContext<'_>, journal: &Value) -> HookResult {
        self.hit("after_experiment", &json!({"name": journal["status"]}))
    }
    async fn before_hypothesis(&self, _: &RunContext<'_>, _: &Value) -> HookResult {
        self.hit("before_hypothesis", &Value::Null)
    }
    async fn after_hypothesis(&self, _: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
        self.hit("after_hypothesis", &Value::Null)
    }
    async fn before_method(&self, _: &RunContext<'_>, _: &Value) -> HookResult {
        self.hit("before_method", &Value::Null)
    }
    async fn after_method(&self, _: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
        self.hit("after_method", &Value::Null)
    }
    async fn before_rollback(&self, _: &RunContext<'_>, _: &Value) -> HookResult {
        self.hit("before_rollback", &Value::Null)
    }
    async fn after_rollback(&self, _: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
        self.hit("after_rollback", &Value::Null)
    }
    async fn before_activity(&self, _: &RunContext<'_>, a: &Value) -> HookResult {
        self.hit("before_activity", a)
    }
    async fn after_activity(&self, _: &RunContext<'_>, a: &Value, _: &Value) -> HookResult {
        self.hit("after_activity", a)
    }
}

fn runner_with(recorder: Arc<Recorder>) -> Runner {
    let factory: ControlFactory = Arc::new(move || recorder.clone() as Arc<dyn Control>);
    Runner::new().control_module("test.recorder", factory)
}

fn process(name: &str, kind: &str, command: &str) -> Value {
    json!({"type": kind, "name": name, "provider": {"type": "process", "path": "sh", "arguments": format!("-c '{command}'")}})
}

fn probe(name: &str) -> Value {
    let mut p = process(name, "probe", "exit 0");
    p["tolerance"] = json!(0);
    p
}

/// Two hypothesis probes, two method activities, one rollback, and the
/// recorder as an experiment-level control.
fn experiment(controls: &Value) -> Value {
    json!({
        "title": "hooks",
        "description": "hook order",
        "controls": controls,
        "steady-state-hypothesis": {"title": "ok", "probes": [probe("p1"), probe("p2")]},
        "method": [process("a1", "action", "true"), process("a2", "probe", "true")],
        "rollbacks": [process("r1", "action", "true")],
    })
}

fn recorder_control(extra: &Value) -> Value {
    let mut c = json!({"name": "recorder", "provider": {"type": "python", "module": "test.recorder", "arguments": {"name": "args"}}});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    c
}

#[tokio::test]
async fn a_recording_control_sees_the_chaos_toolkit_hook_order() {
    let recorder = Arc::new(Recorder::default());
    let journal = runner_with(recorder.clone())
        .rollback_strategy(RollbackStrategy::Always)
        .run(&experiment(&json!([recorder_control(&json!({}))])))
        .await
        .unwrap();
    assert_eq!(journal["status"], "completed");
    let hypothesis = [
        "before_hypothesis",
        "before_activity:p1",
        "after_activity:p1",
        "before_activity:p2",
        "after_activity:p2",
        "after_hypothesis",
    ];
    let mut expected = vec!["configure:args", "before_experiment"];
    expected.extend(hypothesis);
    expected.extend([
        "before_method",
        "before_activity:a1",
        "after_activity:a1",
        "before_activity:a2",
        "after_activity:a2",
        "after_method",
    ]);
    expected.extend(hypothesis);
    expected.extend([
        "before_rollback",
        "before_activity:r1",
        "after_activity:r1",
        "after_rollback",
        "after_experiment:completed",
        "cleanup",
    ]);
    assert_eq!(recorder.seen(), expected);
}

#[tokio::test]
async fn scope_and_non_automatic_controls() {
    let recorder = Arc::new(Recorder::default());
    runner_with(recorder.clone())
        .run(&experiment(&json!([recorder_control(
            &json!({"scope": "after"})
        )])))
        .await
        .unwrap();
    let seen = recorder.seen();
    assert!(seen.iter().all(|h| !h.starts_with("before_")), "{seen:?}");
    assert!(seen.contains(&"after_activity:a1".to_owned()));

    // automatic: false applies only at the experiment level and where a
    // `ref` names it.
    let recorder = Arc::new(Recorder::default());
    let mut exp = experiment(&json!([recorder_control(&json!({"automatic": false}))]));
    exp["method"][1]["controls"] = json!([{"ref": "recorder"}]);
    runner_with(recorder.clone()).run(&exp).await.unwrap();
    let seen = recorder.seen();
    assert!(seen.contains(&"before_activity:a2".to_owned()), "{seen:?}");
    assert!(!seen.contains(&"before_activity:a1".to_owned()), "{seen:?}");
    assert!(!seen.contains(&"before_method".to_owned()), "{seen:?}");
    assert!(seen.contains(&"before_experiment".to_owned()));
}

#[tokio::test]
async fn settings_controls_apply_at_experiment_hypothesis_and_activity_levels() {
    let recorder = Arc::new(Recorder::default());
    let settings = json!({"controls": {"recorder": {"provider": {"type": "python", "module": "test.recorder"}}}});
    runner_with(recorder.clone())
        .settings(settings)
        .run(&experiment(&json!([])))
        .await
        .unwrap();
    let seen = recorder.seen();
    for hook in [
        "before_experiment",
        "before_hypothesis",
        "before_activity:a1",
        "after_experiment:completed",
        "cleanup",
    ] {
        assert!(seen.contains(&hook.to_owned()), "{hook} in {seen:?}");
    }
    for hook in ["before_method", "before_rollback"] {
        assert!(!seen.contains(&hook.to_owned()), "{hook} in {seen:?}");
    }
}

#[tokio::test]
async fn a_settings_control_is_named_by_its_key_as_chaoslib_names_it() {
    // chaoslib's load_global_controls sets `control["name"] = name`: the
    // declared name does not count, so this control is not the
    // experiment's "recorder" (which would then be dropped as a second
    // declaration of one name) but a control of its own.
    let recorder = Arc::new(Recorder::default());
    let settings = json!({"controls": {"global": {
        "name": "recorder",
        "provider": {"type": "python", "module": "test.recorder"},
    }}});
    let exp = experiment(&json!([{
        "name": "recorder",
        "scope": "after",
        "provider": {"type": "python", "module": "test.recorder"},
    }]));
    runner_with(recorder.clone())
        .settings(settings)
        .run(&exp)
        .await
        .unwrap();
    let seen = recorder.seen();
    let configured = seen.iter().filter(|h| h.starts_with("configure")).count();
    assert_eq!(configured, 2, "two controls configured: {seen:?}");
}

#[tokio::test]
async fn settings_whose_controls_would_silently_do_nothing_stop_the_run() {
    // chaoslib crashes on the first two and passes over the third; the
    // settings' controls apply to every run, so each is refused, by path.
    for (settings, path) in [
        (json!(["controls"]), "$"),
        (json!({"controls": [{"name": "recorder"}]}), "$.controls"),
        (json!({"controls": {"recorder": 1}}), "$.controls.recorder"),
        (
            json!({"controls": {"recorder": {"scope": "after"}}}),
            "$.controls.recorder.provider",
        ),
    ] {
        let recorder = Arc::new(Recorder::default());
        let runner = runner_with(recorder.clone()).settings(settings.clone());
        let error = runner.run(&experiment(&json!([]))).await.unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(&error, chaos_runner::Error::Settings(p) if p[0].path == path),
            "{settings}: {text}"
        );
        assert!(text.starts_with("the settings are not valid"), "{text}");
        assert!(recorder.seen().is_empty(), "nothing ran for {settings}");
        let error = runner.load("no-such-file.json", true).await.unwrap_err();
        assert!(
            matches!(error, chaos_runner::Error::Settings(_)),
            "{settings}: a load refuses them too"
        );
    }
}

#[tokio::test]
async fn a_name_declaring_two_controls_is_refused_before_anything_runs() {
    // One control per name here, configured with its first declaration's
    // arguments: an activity's own "recorder" with other arguments would
    // have run as the top level's (chaoslib runs the activity's there).
    let recorder = Arc::new(Recorder::default());
    let declared = |who: &str| json!({"name": "recorder", "provider": {"type": "python", "module": "test.recorder", "arguments": {"who": who}}});
    let mut exp = experiment(&json!([declared("top")]));
    exp["method"][0]["controls"] = json!([declared("activity")]);
    let error = runner_with(recorder.clone()).run(&exp).await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(
            "$.method[0].controls[0].name: the control 'recorder' is declared at $.controls[0]"
        ),
        "{text}"
    );
    assert!(recorder.seen().is_empty());

    // The same declaration again, or a ref, is one control.
    exp["method"][0]["controls"] = json!([declared("top")]);
    exp["method"][1]["controls"] = json!([{"ref": "recorder"}]);
    runner_with(recorder.clone()).run(&exp).await.unwrap();

    // A name the settings declare otherwise: the settings' would run in
    // the experiment's place.
    let exp = experiment(&json!([declared("experiment")]));
    let settings = json!({"controls": {"recorder": declared("settings")}});
    let error = runner_with(recorder.clone())
        .settings(settings)
        .run(&exp)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("$.controls[0].name: the settings declare a control named 'recorder'"),
        "{error}"
    );
}

#[tokio::test]
async fn an_interrupt_from_a_control_stops_the_run() {
    let recorder = Arc::new(Recorder {
        interrupt_on: Some("before_method"),
        ..Recorder::default()
    });
    let journal = runner_with(recorder.clone())
        .run(&experiment(&json!([recorder_control(&json!({}))])))
        .await
        .unwrap();
    assert_eq!(journal["status"], "interrupted");
    assert!(journal["run"].as_array().unwrap().is_empty());
    assert!(journal["steady_states"]["after"].is_null());
    assert!(
        journal["rollbacks"].as_array().unwrap().is_empty(),
        "default strategy: no rollbacks when interrupted"
    );
    let seen = recorder.seen();
    assert_eq!(
        &seen[seen.len() - 2..],
        ["after_experiment:interrupted", "cleanup"]
    );
}

#[tokio::test]
async fn an_interrupter_stops_a_running_activity() {
    let runner = Runner::new().rollback_strategy(RollbackStrategy::Always);
    let interrupter = runner.interrupter();
    let exp = json!({
        "title": "long", "description": "a long action",
        "method": [process("long", "action", "sleep 30")],
        "rollbacks": [process("undo", "action", "true")],
    });
    let started = Instant::now();
    let (journal, ()) = tokio::join!(runner.run(&exp), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        interrupter.interrupt("received SIGTERM");
    });
    let journal = journal.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(journal["status"], "interrupted");
    assert_eq!(journal["rollbacks"][0]["activity"]["name"], "undo");
}

#[tokio::test]
async fn dry_runs_skip_what_they_say() {
    // The method: an action with pauses, and a probe.
    let mut method_only = experiment(&json!([]));
    method_only
        .as_object_mut()
        .unwrap()
        .remove("steady-state-hypothesis");
    method_only["method"][0]["pauses"] = json!({"before": 0.5, "after": 0.5});
    // A hypothesis whose probe is out of tolerance when it is checked.
    let mut gate = experiment(&json!([]));
    gate["steady-state-hypothesis"]["probes"][0]["tolerance"] = json!(42);
    for (dry, probes_run, actions_run) in [
        (Dry::Probes, false, true),
        (Dry::Actions, true, false),
        (Dry::Activities, false, false),
        (Dry::Pause, true, true),
    ] {
        let started = Instant::now();
        let journal = Runner::new()
            .dry(Some(dry))
            .run(&method_only)
            .await
            .unwrap();
        // The action's pauses are kept only when it runs and pauses are not
        // skipped: with --dry probes, as in the Chaos Toolkit.
        let paused = started.elapsed() >= Duration::from_millis(1000);
        assert_eq!(
            paused,
            dry == Dry::Probes,
            "{dry:?}: {:?}",
            started.elapsed()
        );
        assert!(journal["experiment"]["dry"].is_string());
        let (action, probe) = (&journal["run"][0], &journal["run"][1]);
        assert_eq!(
            (&action["status"], &probe["status"]),
            (&json!("succeeded"), &json!("succeeded")),
            "{dry:?}"
        );
        assert_eq!(action["output"].is_null(), !actions_run, "{dry:?}");
        assert_eq!(probe["output"].is_null(), !probes_run, "{dry:?}");

        // Dry probes are not checked against their tolerance.
        let journal = Runner::new().dry(Some(dry)).run(&gate).await.unwrap();
        let met = journal["steady_states"]["before"]["probes"][0]["tolerance_met"].as_bool();
        assert_eq!(met, Some(!probes_run), "{dry:?}");
    }
}

#[tokio::test]
async fn hypothesis_strategies() {
    let exp = json!({
        "title": "s", "description": "strategies",
        "steady-state-hypothesis": {"title": "ok", "probes": [probe("p1")]},
        "method": [process("slow", "action", "sleep 0.6")],
    });
    let run = |strategy| {
        let exp = exp.clone();
        async move {
            Runner::new()
                .hypothesis_strategy(strategy, Duration::from_millis(100), false)
                .run(&exp)
                .await
                .unwrap()
        }
    };
    let j = run(HypothesisStrategy::BeforeMethodOnly).await;
    assert!(j["steady_states"]["before"].is_object() && j["steady_states"]["after"].is_null());
    let j = run(HypothesisStrategy::AfterMethodOnly).await;
    assert!(j["steady_states"]["before"].is_null() && j["steady_states"]["after"].is_object());
    let j = run(HypothesisStrategy::DuringMethodOnly).await;
    assert!(j["steady_states"]["before"].is_null() && j["steady_states"]["after"].is_null());
    let during = j["steady_states"]["during"].as_array().unwrap().len();
    assert!(during >= 2, "{during} checks during a 0.6 s method");
    let j = run(HypothesisStrategy::Continuously).await;
    assert!(j["steady_states"]["before"].is_object() && j["steady_states"]["after"].is_object());
    assert!(!j["steady_states"]["during"].as_array().unwrap().is_empty());
    assert_eq!(j["status"], "completed");
}

/// chaoslib's `SimpleExperimentWithSSHFailingAtSomePoint`: a hypothesis
/// probe that holds for its first two calls only, a first action with a
/// 2 s pause after it, a second with a 1 s pause before, and a rollback.
fn failing_at_some_point(dir: &std::path::Path, background: bool) -> Value {
    let counter = dir.join("counter");
    let count = format!(
        "n=$(cat {c} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {c}; [ $n -le 2 ]",
        c = counter.display()
    );
    let probe = json!({"type": "probe", "name": "fail-at-somepoint", "tolerance": 0,
        "provider": {"type": "process", "path": "sh", "arguments": ["-c", count]}});
    let mut first = process("say-hello", "action", "echo hello");
    first["pauses"] = json!({"after": 2});
    first["background"] = json!(background);
    let mut second = process("say-hello-in-french", "action", "echo bonjour");
    second["pauses"] = json!({"before": 1});
    json!({
        "title": "s", "description": "failing at some point",
        "steady-state-hypothesis": {"title": "h", "probes": [probe]},
        "method": [first, second],
        "rollbacks": [process("cleanup", "action", "true")],
    })
}

async fn continuously(experiment: &Value, fail_fast: bool) -> Value {
    Runner::new()
        .rollback_strategy(chaos_runner::RollbackStrategy::Always)
        .hypothesis_strategy(
            HypothesisStrategy::Continuously,
            Duration::from_millis(100),
            fail_fast,
        )
        .run(experiment)
        .await
        .unwrap()
}

/// chaoslib's `test_exit_immediately_when_continuous_ssh_fails_and_failfast`.
#[tokio::test]
async fn fail_fast_lets_the_running_activity_finish_and_the_after_hypothesis_run() {
    let dir = tempfile::tempdir().unwrap();
    let j = continuously(&failing_at_some_point(dir.path(), false), true).await;
    assert!(j["steady_states"]["before"].is_object(), "{j}");
    assert!(j["steady_states"]["after"].is_object(), "{j}");
    assert!(j["steady_states"]["during"].is_array(), "{j}");
    assert_eq!(j["status"], "completed");
    assert_eq!(j["deviated"], true);
    assert_eq!(j["run"].as_array().unwrap().len(), 1, "{j}");
    assert_eq!(j["rollbacks"][0]["status"], "succeeded");
}

/// chaoslib's `test_do_not_exit_when_continuous_ssh_fails_and_no_failfast`.
#[tokio::test]
async fn without_fail_fast_the_method_runs_on() {
    let dir = tempfile::tempdir().unwrap();
    let j = continuously(&failing_at_some_point(dir.path(), false), false).await;
    assert!(j["steady_states"]["before"].is_object(), "{j}");
    assert!(j["steady_states"]["after"].is_object(), "{j}");
    assert_eq!(j["status"], "completed");
    assert_eq!(j["deviated"], true);
    assert_eq!(j["run"].as_array().unwrap().len(), 2, "{j}");
}

/// chaoslib's
/// `test_exit_immediately_when_continuous_ssh_fails_and_failfast_when_background_activity`.
#[tokio::test]
async fn fail_fast_with_a_background_activity() {
    let dir = tempfile::tempdir().unwrap();
    let j = continuously(&failing_at_some_point(dir.path(), true), true).await;
    assert!(j["steady_states"]["after"].is_object(), "{j}");
    assert_eq!(j["status"], "completed");
    assert_eq!(j["deviated"], true);
    assert_eq!(j["run"].as_array().unwrap().len(), 2, "{j}");
}

/// chaoslib's `ExperimentWithRegularRollback`: a hypothesis with a title
/// and no probes is not run at all.
#[tokio::test]
async fn a_hypothesis_without_probes_is_skipped() {
    let exp = json!({
        "title": "do cats live in the Internet?", "description": "an experiment of importance",
        "steady-state-hypothesis": {"title": "hello"},
        "method": [process("echo", "action", "echo hello")],
        "rollbacks": [process("echo", "action", "echo hello")],
    });
    let j = Runner::new().run(&exp).await.unwrap();
    assert!(j["steady_states"]["before"].is_null(), "{j}");
    assert!(j["steady_states"]["after"].is_null(), "{j}");
    assert_eq!(j["status"], "completed");
    assert_eq!(j["rollbacks"].as_array().unwrap().len(), 1);
}

/// A control whose `url` argument must be a string.
struct Picky;

#[async_trait]
impl Control for Picky {
    fn check_arguments(&self, arguments: &Value) -> Result<(), String> {
        match arguments.get("url") {
            Some(Value::String(_)) => Ok(()),
            other => Err(format!("argument 'url' must be a string, found {other:?}")),
        }
    }
}

#[tokio::test]
async fn a_control_its_arguments_cannot_configure_is_refused_before_anything_runs() {
    // It would do nothing in the run, with a warning once the run had
    // started (chaoslib logs the control's error and goes on).
    let picky: ControlFactory = Arc::new(|| Arc::new(Picky) as Arc<dyn Control>);
    let runner = || Runner::new().control_module("test.picky", picky.clone());
    let declared = |url: Value| json!({"name": "picky", "provider": {"type": "python", "module": "test.picky", "arguments": {"url": url}}});
    let mut exp = experiment(&json!([]));
    exp["method"][1]["controls"] = json!([declared(json!(5))]);
    let problems = runner().validate(&exp);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].path,
        "$.method[1].controls[0].provider.arguments"
    );
    assert_eq!(
        problems[0].message,
        "control 'picky' cannot run with these arguments: argument 'url' must be a string, found Some(Number(5))"
    );
    let marker = tempfile::NamedTempFile::new().unwrap();
    std::fs::remove_file(marker.path()).unwrap();
    exp["method"][0] = process(
        "a1",
        "action",
        &format!("touch {}", marker.path().display()),
    );
    assert!(runner().run(&exp).await.is_err());
    assert!(!marker.path().exists(), "nothing ran");
    exp["method"][1]["controls"] = json!([declared(json!("http://gw"))]);
    assert!(runner().validate(&exp).is_empty());

    // Declared in the settings, it would do nothing in every run.
    let mut settings = json!({"controls": {"picky": declared(json!(null))}});
    // A settings' control is named by its key, as chaoslib names it.
    settings["controls"]["picky"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let error = runner()
        .settings(settings)
        .run(&experiment(&json!([])))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, chaos_runner::Error::Settings(p) if p[0].path == "$.controls.picky.provider.arguments"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("control 'picky' cannot run with these arguments"),
        "{error}"
    );
}
