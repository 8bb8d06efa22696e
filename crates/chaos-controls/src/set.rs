//! A set of named controls that a runner drives.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    Changes, ConfigureContext, Control, ControlError, ControlFailure, HookResult, Interrupted,
    RunContext,
};

/// The hooks, in the Chaos Toolkit's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Hook {
    /// `configure_control`.
    Configure,
    /// `cleanup_control`.
    Cleanup,
    /// `before_experiment_control`.
    BeforeExperiment,
    /// `after_experiment_control`.
    AfterExperiment,
    /// `before_hypothesis_control`.
    BeforeHypothesis,
    /// `after_hypothesis_control`.
    AfterHypothesis,
    /// `before_method_control`.
    BeforeMethod,
    /// `after_method_control`.
    AfterMethod,
    /// `before_rollback_control`.
    BeforeRollback,
    /// `after_rollback_control`.
    AfterRollback,
    /// `before_activity_control`.
    BeforeActivity,
    /// `after_activity_control`.
    AfterActivity,
    /// `before_loading_experiment_control`.
    BeforeLoadingExperiment,
    /// `after_loading_experiment_control`.
    AfterLoadingExperiment,
}

impl Hook {
    /// The hook's name without the `_control` suffix, e.g. `before_method`.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Configure => "configure",
            Hook::Cleanup => "cleanup",
            Hook::BeforeExperiment => "before_experiment",
            Hook::AfterExperiment => "after_experiment",
            Hook::BeforeHypothesis => "before_hypothesis",
            Hook::AfterHypothesis => "after_hypothesis",
            Hook::BeforeMethod => "before_method",
            Hook::AfterMethod => "after_method",
            Hook::BeforeRollback => "before_rollback",
            Hook::AfterRollback => "after_rollback",
            Hook::BeforeActivity => "before_activity",
            Hook::AfterActivity => "after_activity",
            Hook::BeforeLoadingExperiment => "before_loading_experiment",
            Hook::AfterLoadingExperiment => "after_loading_experiment",
        }
    }

    /// Which side of a step the hook is on; `None` for configure and
    /// cleanup, which every control gets whatever its scope.
    pub fn side(self) -> Option<Scope> {
        match self {
            Hook::Configure | Hook::Cleanup => None,
            Hook::BeforeExperiment
            | Hook::BeforeHypothesis
            | Hook::BeforeMethod
            | Hook::BeforeRollback
            | Hook::BeforeActivity
            | Hook::BeforeLoadingExperiment => Some(Scope::Before),
            Hook::AfterLoadingExperiment
            | Hook::AfterExperiment
            | Hook::AfterHypothesis
            | Hook::AfterMethod
            | Hook::AfterRollback
            | Hook::AfterActivity => Some(Scope::After),
        }
    }
}

/// A control's `scope`: the only side of each step it is called on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Only `before_*` hooks.
    Before,
    /// Only `after_*` hooks.
    After,
}

#[derive(Clone)]
struct Entry {
    name: String,
    control: Arc<dyn Control>,
    scope: Option<Scope>,
    arguments: Value,
}

impl Entry {
    /// Whether its scope lets `hook` through.
    fn called_on(&self, hook: Hook) -> bool {
        match (hook.side(), self.scope) {
            (Some(side), Some(scope)) => side == scope,
            _ => true,
        }
    }
}

/// Records what one control's hook returned: a failure is logged and kept
/// in `failures`; an interrupt (but in `cleanup`) ends the hook's sequence.
fn settle(
    hook: Hook,
    entry: &Entry,
    outcome: HookResult,
    failures: &mut Vec<ControlFailure>,
) -> Result<(), Interrupted> {
    match outcome {
        Ok(()) => Ok(()),
        Err(ControlError::Interrupt { reason }) if hook != Hook::Cleanup => {
            tracing::warn!(control = %entry.name, hook = hook.name(), %reason, "control interrupts the run");
            Err(Interrupted {
                control: entry.name.clone(),
                hook: hook.name(),
                reason,
            })
        }
        Err(error) => {
            let message = chain(&error);
            tracing::warn!(control = %entry.name, hook = hook.name(), error = %message, "control failed; the run goes on");
            failures.push(ControlFailure {
                control: entry.name.clone(),
                hook: hook.name(),
                message,
            });
            Ok(())
        }
    }
}

/// Named controls, called in the order they were added.
///
/// Each hook method calls that hook on every control whose scope allows it.
/// An ordinary failure is logged (with the control's name) and passed over:
/// the remaining controls are still called and the failure is returned in
/// the list. An interrupt stops the sequence at once and is returned as
/// [`Interrupted`]. `cleanup` is called on every control, whatever happened.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use async_trait::async_trait;
/// use chaos_controls::{Control, ControlSet, HookResult, RunContext};
/// use serde_json::{Value, json};
///
/// /// Counts the activities of a run.
/// #[derive(Default)]
/// struct Counter(AtomicUsize);
///
/// #[async_trait]
/// impl Control for Counter {
///     async fn after_activity(&self, _: &RunContext<'_>, _: &Value, _: &Value) -> HookResult {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let counter = Arc::new(Counter::default());
/// let mut set = ControlSet::new();
/// set.add("counter", counter.clone(), None, json!({}));
///
/// let (experiment, empty) = (json!({"title": "t"}), json!({}));
/// let run = RunContext { experiment: &experiment, configuration: &empty, secrets: &empty, settings: &empty, changes: None };
/// let probe = json!({"type": "probe", "name": "p"});
/// set.before_activity(&run, &probe).await.unwrap();
/// set.after_activity(&run, &probe, &json!({"status": "succeeded"})).await.unwrap();
/// assert_eq!(counter.0.load(Ordering::Relaxed), 1);
/// # });
/// ```
#[derive(Clone, Default)]
pub struct ControlSet {
    entries: Vec<Entry>,
}

impl fmt::Debug for ControlSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| (&e.name, e.scope)))
            .finish()
    }
}

type HookFuture<'a> = Pin<Box<dyn Future<Output = HookResult> + Send + 'a>>;

/// The outcome of one hook over the set: the failures passed over, or the
/// interrupt that stopped it.
pub type SetResult = Result<Vec<ControlFailure>, Interrupted>;

impl ControlSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a control under `name`, with an optional scope and the
    /// arguments `configure` will get. Controls are deduplicated by name:
    /// if one of that name is already in, this one is left out and `false`
    /// is returned.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        control: Arc<dyn Control>,
        scope: Option<Scope>,
        arguments: Value,
    ) -> bool {
        let name = name.into();
        if self.entries.iter().any(|e| e.name == name) {
            return false;
        }
        self.entries.push(Entry {
            name,
            control,
            scope,
            arguments,
        });
        true
    }

    /// A set with this set's controls, then those of `other` whose names
    /// are not in this one.
    pub fn merged(&self, other: &ControlSet) -> ControlSet {
        let mut set = self.clone();
        for e in &other.entries {
            set.add(
                e.name.clone(),
                e.control.clone(),
                e.scope,
                e.arguments.clone(),
            );
        }
        set
    }

    /// The controls' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// How many controls there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Calls `call` on each control the hook applies to.
    async fn each<'a>(
        &'a self,
        hook: Hook,
        call: impl Fn(&'a Entry) -> HookFuture<'a>,
    ) -> SetResult {
        let mut failures = Vec::new();
        for entry in self.entries.iter().filter(|e| e.called_on(hook)) {
            settle(hook, entry, call(entry).await, &mut failures)?;
        }
        Ok(failures)
    }

    /// `before_loading_experiment` on every control, with where the
    /// experiment comes from. An interrupt stops the load.
    pub async fn before_loading_experiment(&self, source: &str) -> SetResult {
        self.each(Hook::BeforeLoadingExperiment, |e| {
            e.control.before_loading_experiment(source)
        })
        .await
    }

    /// `after_loading_experiment` on every control, in order, each given
    /// the experiment as the ones before it left it.
    pub async fn after_loading_experiment(
        &self,
        source: &str,
        experiment: &mut Value,
    ) -> SetResult {
        let hook = Hook::AfterLoadingExperiment;
        let mut failures = Vec::new();
        for entry in self.entries.iter().filter(|e| e.called_on(hook)) {
            let outcome = entry
                .control
                .after_loading_experiment(source, experiment)
                .await;
            settle(hook, entry, outcome, &mut failures)?;
        }
        Ok(failures)
    }

    /// `configure` on every control, each with its own arguments.
    pub async fn configure(&self, run: &RunContext<'_>) -> SetResult {
        self.in_run(run, Call::Configure).await
    }

    /// `cleanup` on every control, whatever any of them returns (an
    /// interrupt here is only logged).
    pub async fn cleanup(&self) -> Vec<ControlFailure> {
        self.each(Hook::Cleanup, |e| e.control.cleanup())
            .await
            .unwrap_or_default()
    }

    /// `before_experiment` on every control.
    pub async fn before_experiment(&self, run: &RunContext<'_>) -> SetResult {
        self.in_run(run, Call::BeforeExperiment).await
    }

    /// `after_experiment` on every control. The Chaos Toolkit ignores an
    /// interrupt here; it is returned all the same, for the runner to log.
    pub async fn after_experiment(&self, run: &RunContext<'_>, journal: &Value) -> SetResult {
        self.in_run(run, Call::AfterExperiment { journal }).await
    }

    /// `before_hypothesis` on every control.
    pub async fn before_hypothesis(&self, run: &RunContext<'_>, hypothesis: &Value) -> SetResult {
        self.in_run(run, Call::BeforeHypothesis { hypothesis })
            .await
    }

    /// `after_hypothesis` on every control.
    pub async fn after_hypothesis(
        &self,
        run: &RunContext<'_>,
        hypothesis: &Value,
        result: &Value,
    ) -> SetResult {
        self.in_run(run, Call::AfterHypothesis { hypothesis, result })
            .await
    }

    /// `before_method` on every control.
    pub async fn before_method(&self, run: &RunContext<'_>, method: &Value) -> SetResult {
        self.in_run(run, Call::BeforeMethod { method }).await
    }

    /// `after_method` on every control.
    pub async fn after_method(
        &self,
        run: &RunContext<'_>,
        method: &Value,
        runs: &Value,
    ) -> SetResult {
        self.in_run(run, Call::AfterMethod { method, runs }).await
    }

    /// `before_rollback` on every control.
    pub async fn before_rollback(&self, run: &RunContext<'_>, rollbacks: &Value) -> SetResult {
        self.in_run(run, Call::BeforeRollback { rollbacks }).await
    }

    /// `after_rollback` on every control.
    pub async fn after_rollback(
        &self,
        run: &RunContext<'_>,
        rollbacks: &Value,
        runs: &Value,
    ) -> SetResult {
        self.in_run(run, Call::AfterRollback { rollbacks, runs })
            .await
    }

    /// `before_activity` on every control.
    pub async fn before_activity(&self, run: &RunContext<'_>, activity: &Value) -> SetResult {
        self.in_run(run, Call::BeforeActivity { activity }).await
    }

    /// `after_activity` on every control.
    pub async fn after_activity(
        &self,
        run: &RunContext<'_>,
        activity: &Value,
        entry: &Value,
    ) -> SetResult {
        self.in_run(run, Call::AfterActivity { activity, entry })
            .await
    }

    /// Calls a hook of the run on each control it applies to. Each control
    /// gets the configuration and secrets as the controls before it left
    /// them: a change one records (in `run.changes`) is in what the next
    /// one sees, as chaoslib hands one dictionary from control to control.
    /// The changes stay recorded for the runner to take.
    async fn in_run(&self, run: &RunContext<'_>, call: Call<'_>) -> SetResult {
        let hook = call.hook();
        let mut failures = Vec::new();
        let mut seen = run.changes.map_or(0, Changes::len);
        // The configuration and secrets once a control has changed them.
        let mut changed: Option<(Value, Value)> = None;
        for entry in self.entries.iter().filter(|e| e.called_on(hook)) {
            let outcome = match &changed {
                Some((configuration, secrets)) => {
                    let run = RunContext {
                        configuration,
                        secrets,
                        ..*run
                    };
                    call.on(entry, &run).await
                }
                None => call.on(entry, run).await,
            };
            settle(hook, entry, outcome, &mut failures)?;
            let new = run.changes.map(|c| c.since(seen)).unwrap_or_default();
            if new.is_empty() {
                continue;
            }
            seen += new.len();
            let (configuration, secrets) = changed.get_or_insert_with(|| {
                let object = |v: &Value| Value::Object(v.as_object().cloned().unwrap_or_default());
                (object(run.configuration), object(run.secrets))
            });
            if let (Value::Object(configuration), Value::Object(secrets)) = (configuration, secrets)
            {
                for change in new {
                    change.apply(configuration, secrets);
                }
            }
        }
        Ok(failures)
    }
}

/// A hook of the run, with what it passes besides the run.
#[derive(Clone, Copy)]
enum Call<'v> {
    Configure,
    BeforeExperiment,
    AfterExperiment {
        journal: &'v Value,
    },
    BeforeHypothesis {
        hypothesis: &'v Value,
    },
    AfterHypothesis {
        hypothesis: &'v Value,
        result: &'v Value,
    },
    BeforeMethod {
        method: &'v Value,
    },
    AfterMethod {
        method: &'v Value,
        runs: &'v Value,
    },
    BeforeRollback {
        rollbacks: &'v Value,
    },
    AfterRollback {
        rollbacks: &'v Value,
        runs: &'v Value,
    },
    BeforeActivity {
        activity: &'v Value,
    },
    AfterActivity {
        activity: &'v Value,
        entry: &'v Value,
    },
}

impl Call<'_> {
    fn hook(self) -> Hook {
        match self {
            Call::Configure => Hook::Configure,
            Call::BeforeExperiment => Hook::BeforeExperiment,
            Call::AfterExperiment { .. } => Hook::AfterExperiment,
            Call::BeforeHypothesis { .. } => Hook::BeforeHypothesis,
            Call::AfterHypothesis { .. } => Hook::AfterHypothesis,
            Call::BeforeMethod { .. } => Hook::BeforeMethod,
            Call::AfterMethod { .. } => Hook::AfterMethod,
            Call::BeforeRollback { .. } => Hook::BeforeRollback,
            Call::AfterRollback { .. } => Hook::AfterRollback,
            Call::BeforeActivity { .. } => Hook::BeforeActivity,
            Call::AfterActivity { .. } => Hook::AfterActivity,
        }
    }

    /// Calls the hook on one control.
    async fn on(self, entry: &Entry, run: &RunContext<'_>) -> HookResult {
        let control = &entry.control;
        match self {
            Call::Configure => {
                let ctx = ConfigureContext {
                    run: *run,
                    arguments: &entry.arguments,
                };
                control.configure(&ctx).await
            }
            Call::BeforeExperiment => control.before_experiment(run).await,
            Call::AfterExperiment { journal } => control.after_experiment(run, journal).await,
            Call::BeforeHypothesis { hypothesis } => {
                control.before_hypothesis(run, hypothesis).await
            }
            Call::AfterHypothesis { hypothesis, result } => {
                control.after_hypothesis(run, hypothesis, result).await
            }
            Call::BeforeMethod { method } => control.before_method(run, method).await,
            Call::AfterMethod { method, runs } => control.after_method(run, method, runs).await,
            Call::BeforeRollback { rollbacks } => control.before_rollback(run, rollbacks).await,
            Call::AfterRollback { rollbacks, runs } => {
                control.after_rollback(run, rollbacks, runs).await
            }
            Call::BeforeActivity { activity } => control.before_activity(run, activity).await,
            Call::AfterActivity { activity, entry } => {
                control.after_activity(run, activity, entry).await
            }
        }
    }
}

/// An error and its sources, joined with `: `.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
