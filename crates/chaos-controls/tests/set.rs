//! The set drives controls in the Chaos Toolkit's order, isolates failures,
//! stops at an interrupt, honours scope and always cleans up.

use std::sync::{Arc, Mutex};

use chaos_controls::{
    ConfigureContext, Control, ControlError, ControlSet, HookResult, RunContext, Scope, async_trait,
};
use serde_json::{Value, json};

/// Records every hook it sees, with the name of the step.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    fail_on: Option<&'static str>,
    interrupt_on: Option<&'static str>,
}

impl Recorder {
    fn failing(hook: &'static str) -> Self {
        Self {
            fail_on: Some(hook),
            ..Self::default()
        }
    }

    fn interrupting(hook: &'static str) -> Self {
        Self {
            interrupt_on: Some(hook),
            ..Self::default()
        }
    }

    fn record(&self, hook: &'static str, what: &Value) -> HookResult {
        let name = what["name"]
            .as_str()
            .map(|n| format!(":{n}"))
            .unwrap_or_default();
        self.seen.lock().unwrap().push(format!("{hook}{name}"));
        if self.fail_on == Some(hook) {
            return Err(ControlError::failed_with(
                format!("{hook} broke"),
                std::io::Error::other("disk full"),
            ));
        }
        if self.interrupt_on == Some(hook) {
            return Err(ControlError::interrupt("enough"));
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
        self.record("configure", &json!({"name": ctx.arguments["tag"]}))
    }
    async fn cleanup(&self) -> HookResult {
        self.record("cleanup", &Value::Null)
    }
    async fn before_experiment(&self, ctx: &RunContext<'_>) -> HookResult {
        self.record(
            "before_experiment",
            &json!({"name": ctx.experiment["title"]}),
        )
    }
    async fn after_experiment(&self, _: &RunContext<'_>, journal: &Value) -> HookResult {
        self.record("after_experiment", &json!({"name": journal["status"]}))
    }
    async fn before_hypothesis(&self, _: &RunContext<'_>, h: &Value) -> HookResult {
        self.record("before_hypothesis", &json!({"name": h["title"]}))
    }
    async fn after_hypothesis(&self, _: &RunContext<'_>, h: &Value, _: &Value) -> HookResult {
        self.record("after_hypothesis", &json!({"name": h["title"]}))
    }
    async fn before_method(&self, _: &RunContext<'_>, _: &Value) -> HookResult {
        self.record("before_method", &Value::Null)
    }
    async fn after_method(&self, _: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
        self.record("after_method", &Value::Null)
    }
    async fn before_rollback(&self, _: &RunContext<'_>, _: &Value) -> HookResult {
        self.record("before_rollback", &Value::Null)
    }
    async fn after_rollback(&self, _: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
        self.record("after_rollback", &Value::Null)
    }
    async fn before_activity(&self, _: &RunContext<'_>, a: &Value) -> HookResult {
        self.record("before_activity", a)
    }
    async fn after_activity(&self, _: &RunContext<'_>, a: &Value, _: &Value) -> HookResult {
        self.record("after_activity", a)
    }
}

fn experiment() -> Value {
    json!({
        "title": "exp",
        "steady-state-hypothesis": {"title": "ssh", "probes": [
            {"type": "probe", "name": "p1"}, {"type": "probe", "name": "p2"}
        ]},
        "method": [{"type": "action", "name": "a1"}, {"type": "probe", "name": "a2"}],
        "rollbacks": [{"type": "action", "name": "r1"}]
    })
}

type Step = Result<(), chaos_controls::Interrupted>;

/// The hooks of one steady-state hypothesis check.
async fn hypothesis(set: &ControlSet, run: &RunContext<'_>, hypothesis: &Value) -> Step {
    let ok = json!({"status": "succeeded"});
    set.before_hypothesis(run, hypothesis).await?;
    for probe in hypothesis["probes"].as_array().unwrap() {
        set.before_activity(run, probe).await?;
        set.after_activity(run, probe, &ok).await?;
    }
    set.after_hypothesis(run, hypothesis, &json!({"steady_state_met": true}))
        .await?;
    Ok(())
}

/// The hooks around a list of activities (the method or the rollbacks).
async fn activities(set: &ControlSet, run: &RunContext<'_>, list: &Value, rollback: bool) -> Step {
    let ok = json!({"status": "succeeded"});
    if rollback {
        set.before_rollback(run, list).await?;
    } else {
        set.before_method(run, list).await?;
    }
    for activity in list.as_array().unwrap() {
        set.before_activity(run, activity).await?;
        set.after_activity(run, activity, &ok).await?;
    }
    if rollback {
        set.after_rollback(run, list, &json!([])).await?;
    } else {
        set.after_method(run, list, &json!([])).await?;
    }
    Ok(())
}

/// Drives the set the way a default run does, stopping at an interrupt but
/// always cleaning up. Returns the interrupt's message, if any.
async fn simulated_run(set: &ControlSet) -> Option<String> {
    let experiment = experiment();
    let empty = json!({});
    let run = RunContext {
        experiment: &experiment,
        configuration: &empty,
        secrets: &empty,
        settings: &empty,
        changes: None,
    };
    let ssh = &experiment["steady-state-hypothesis"];
    let steps = async {
        set.configure(&run).await?;
        set.before_experiment(&run).await?;
        hypothesis(set, &run, ssh).await?;
        activities(set, &run, &experiment["method"], false).await?;
        hypothesis(set, &run, ssh).await?;
        activities(set, &run, &experiment["rollbacks"], true).await?;
        set.after_experiment(&run, &json!({"status": "completed"}))
            .await?;
        Ok::<(), chaos_controls::Interrupted>(())
    };
    let outcome = steps.await;
    set.cleanup().await;
    outcome.err().map(|i| i.to_string())
}

const DEFAULT_ORDER: &[&str] = &[
    "configure:c",
    "before_experiment:exp",
    "before_hypothesis:ssh",
    "before_activity:p1",
    "after_activity:p1",
    "before_activity:p2",
    "after_activity:p2",
    "after_hypothesis:ssh",
    "before_method",
    "before_activity:a1",
    "after_activity:a1",
    "before_activity:a2",
    "after_activity:a2",
    "after_method",
    "before_hypothesis:ssh",
    "before_activity:p1",
    "after_activity:p1",
    "before_activity:p2",
    "after_activity:p2",
    "after_hypothesis:ssh",
    "before_rollback",
    "before_activity:r1",
    "after_activity:r1",
    "after_rollback",
    "after_experiment:completed",
    "cleanup",
];

fn set_of(controls: &[(&str, Arc<Recorder>, Option<Scope>)]) -> ControlSet {
    let mut set = ControlSet::new();
    for (name, control, scope) in controls {
        set.add(*name, control.clone(), *scope, json!({"tag": "c"}));
    }
    set
}

#[tokio::test(flavor = "current_thread")]
async fn a_recording_control_sees_the_chaos_toolkit_order() {
    let recorder = Arc::new(Recorder::default());
    let set = set_of(&[("rec", recorder.clone(), None)]);
    assert_eq!(simulated_run(&set).await, None);
    assert_eq!(recorder.seen(), DEFAULT_ORDER);
}

#[tokio::test(flavor = "current_thread")]
async fn a_failing_control_does_not_stop_the_others() {
    let broken = Arc::new(Recorder::failing("before_activity"));
    let after = Arc::new(Recorder::default());
    let set = set_of(&[
        ("broken", broken.clone(), None),
        ("after", after.clone(), None),
    ]);
    assert_eq!(simulated_run(&set).await, None);
    assert_eq!(broken.seen(), DEFAULT_ORDER);
    assert_eq!(after.seen(), DEFAULT_ORDER);

    let experiment = experiment();
    let run = RunContext {
        experiment: &experiment,
        configuration: &Value::Null,
        secrets: &Value::Null,
        settings: &Value::Null,
        changes: None,
    };
    let failures = set
        .before_activity(&run, &json!({"name": "x"}))
        .await
        .unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].control, "broken");
    assert_eq!(failures[0].hook, "before_activity");
    assert_eq!(failures[0].message, "before_activity broke: disk full");
}

#[tokio::test(flavor = "current_thread")]
async fn an_interrupt_stops_the_sequence_and_is_returned() {
    let first = Arc::new(Recorder::interrupting("before_method"));
    let second = Arc::new(Recorder::default());
    let set = set_of(&[
        ("stopper", first.clone(), None),
        ("second", second.clone(), None),
    ]);
    let interrupted = simulated_run(&set).await;
    assert_eq!(
        interrupted.as_deref(),
        Some("control 'stopper' interrupted the run in before_method: enough")
    );
    // The second control never saw before_method, nor anything after it,
    // but both were cleaned up.
    let seen = second.seen();
    assert!(!seen.contains(&"before_method".to_owned()), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("cleanup"));
    assert_eq!(first.seen().last().map(String::as_str), Some("cleanup"));
}

#[tokio::test(flavor = "current_thread")]
async fn scope_limits_a_control_to_one_side() {
    let before = Arc::new(Recorder::default());
    let after = Arc::new(Recorder::default());
    let set = set_of(&[
        ("b", before.clone(), Some(Scope::Before)),
        ("a", after.clone(), Some(Scope::After)),
    ]);
    simulated_run(&set).await;
    let is_before = |h: &String| h.starts_with("before_");
    let is_after = |h: &String| h.starts_with("after_");
    let b = before.seen();
    let a = after.seen();
    assert!(b.iter().all(|h| !is_after(h)), "{b:?}");
    assert!(a.iter().all(|h| !is_before(h)), "{a:?}");
    // configure and cleanup reach every control.
    for seen in [&a, &b] {
        assert_eq!(seen.first().map(String::as_str), Some("configure:c"));
        assert_eq!(seen.last().map(String::as_str), Some("cleanup"));
    }
    assert_eq!(b.iter().filter(|h| is_before(h)).count(), 12);
    assert_eq!(a.iter().filter(|h| is_after(h)).count(), 12);
}

#[tokio::test(flavor = "current_thread")]
async fn cleanup_runs_on_every_control_even_when_some_fail() {
    let broken = Arc::new(Recorder::failing("cleanup"));
    let stopper = Arc::new(Recorder::interrupting("cleanup"));
    let last = Arc::new(Recorder::default());
    let set = set_of(&[
        ("broken", broken.clone(), None),
        ("stopper", stopper.clone(), None),
        ("last", last.clone(), Some(Scope::After)),
    ]);
    let failures = set.cleanup().await;
    let names: Vec<_> = failures.iter().map(|f| f.control.as_str()).collect();
    assert_eq!(names, ["broken", "stopper"]);
    assert_eq!(last.seen(), ["cleanup"]);
}

#[tokio::test(flavor = "current_thread")]
async fn controls_are_deduplicated_by_name() {
    let one = Arc::new(Recorder::default());
    let two = Arc::new(Recorder::default());
    let mut set = ControlSet::new();
    assert!(set.add("prometheus", one.clone(), None, json!({})));
    assert!(!set.add("prometheus", two.clone(), None, json!({})));
    let mut other = ControlSet::new();
    other.add("prometheus", two.clone(), None, json!({}));
    other.add("extra", two.clone(), None, json!({}));
    let merged = set.merged(&other);
    assert_eq!(merged.names().collect::<Vec<_>>(), ["prometheus", "extra"]);
    assert_eq!(
        format!("{merged:?}"),
        r#"[("prometheus", None), ("extra", None)]"#
    );
}

#[test]
fn changes_are_recorded_for_the_runner_and_refused_without_one() {
    use chaos_controls::{Change, Changes};
    use serde_json::Map;

    let (experiment, empty) = (json!({"title": "t"}), json!({}));
    let mut run = RunContext {
        experiment: &experiment,
        configuration: &empty,
        secrets: &empty,
        settings: &empty,
        changes: None,
    };
    // A caller that takes no changes says so: the change is not lost
    // silently.
    let refused = run.set_configuration("token", json!("abc")).unwrap_err();
    assert!(!refused.is_interrupt());
    assert_eq!(
        refused.to_string(),
        "cannot set configuration 'token': this hook's caller takes no changes"
    );
    let refused = run.set_secret("k8s", "token", json!("s3cr3t")).unwrap_err();
    assert!(!refused.to_string().contains("s3cr3t"), "{refused}");

    let changes = Changes::new();
    run.changes = Some(&changes);
    run.set_configuration("token", json!("one")).unwrap();
    run.set_configuration("token", json!("two")).unwrap();
    run.set_secret("new-scope", "token", json!(1)).unwrap();
    run.set_secret("flat", "token", json!(2)).unwrap();
    let taken = changes.take();
    assert_eq!(taken.len(), 4);
    assert_eq!(taken[3].name(), "secret 'flat.token'");
    assert!(changes.take().is_empty());

    let mut configuration = Map::new();
    let mut secrets = json!({"flat": "not a scope"}).as_object().unwrap().clone();
    for change in taken {
        change.apply(&mut configuration, &mut secrets);
    }
    // The last change wins; a missing scope is made; a scope that is not
    // a mapping becomes one.
    assert_eq!(Value::Object(configuration), json!({"token": "two"}));
    assert_eq!(
        Value::Object(secrets),
        json!({"flat": {"token": 2}, "new-scope": {"token": 1}})
    );
    assert_eq!(
        Change::Configuration {
            key: "k".into(),
            value: json!(null)
        }
        .name(),
        "configuration 'k'"
    );
}

/// Sets `token` in the configuration and the `vault` secrets at
/// `before_activity`, and records what it saw there.
#[derive(Default)]
struct Setter {
    value: &'static str,
    saw: Mutex<Vec<(Value, Value)>>,
}

#[async_trait]
impl Control for Setter {
    async fn before_activity(&self, run: &RunContext<'_>, _: &Value) -> HookResult {
        self.saw.lock().unwrap().push((
            run.configuration.get("token").cloned().unwrap_or_default(),
            run.secrets["vault"]
                .get("token")
                .cloned()
                .unwrap_or_default(),
        ));
        if !self.value.is_empty() {
            run.set_configuration("token", json!(self.value))?;
            run.set_secret("vault", "token", json!(self.value))?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn the_controls_after_one_at_the_same_hook_see_its_changes() {
    use chaos_controls::Changes;

    // chaoslib hands one configuration dictionary from control to control,
    // so what a control writes into it is what the next one reads.
    let quiet = || Arc::new(Setter::default());
    let setter = |value| {
        Arc::new(Setter {
            value,
            ..Setter::default()
        })
    };
    let (before, first, between, second, after) =
        (quiet(), setter("one"), quiet(), setter("two"), quiet());
    let mut set = ControlSet::new();
    for (name, control) in [
        ("before", &before),
        ("first", &first),
        ("between", &between),
        ("second", &second),
        ("after", &after),
    ] {
        set.add(name, control.clone(), None, json!({}));
    }
    let experiment = json!({"title": "t"});
    let configuration = json!({"token": "declared", "other": 1});
    let secrets = json!({"vault": {"token": "declared"}, "k8s": {"a": "b"}});
    let changes = Changes::new();
    let run = RunContext {
        experiment: &experiment,
        configuration: &configuration,
        secrets: &secrets,
        settings: &json!({}),
        changes: Some(&changes),
    };
    let activity = json!({"type": "action", "name": "a"});
    assert!(
        set.before_activity(&run, &activity)
            .await
            .unwrap()
            .is_empty()
    );

    let saw = |c: &Setter| c.saw.lock().unwrap().clone();
    let both = |v: &str| vec![(json!(v), json!(v))];
    assert_eq!(saw(&before), both("declared"));
    assert_eq!(saw(&first), both("declared"));
    assert_eq!(saw(&between), both("one"));
    assert_eq!(saw(&second), both("one"));
    assert_eq!(saw(&after), both("two"));
    // The caller's own values are untouched; the changes stay recorded,
    // in order, for the runner to apply.
    assert_eq!(configuration["token"], "declared");
    assert_eq!(changes.take().len(), 4);

    // Changes the runner has not taken yet are its own to apply: the
    // controls see only what this hook's controls change.
    run.set_configuration("token", json!("earlier")).unwrap();
    let lone = setter("");
    let mut set = ControlSet::new();
    set.add("lone", lone.clone(), None, json!({}));
    set.before_activity(&run, &activity).await.unwrap();
    assert_eq!(saw(&lone), both("declared"));

    // Without a place for changes, the setter's hook fails and the next
    // control sees the declared values.
    let run = RunContext {
        changes: None,
        ..run
    };
    let (first, next) = (setter("one"), quiet());
    let mut set = ControlSet::new();
    set.add("first", first.clone(), None, json!({}));
    set.add("next", next.clone(), None, json!({}));
    let failures = set.before_activity(&run, &activity).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(saw(&next), both("declared"));
}
