//! The `Control` trait.

use async_trait::async_trait;
use serde_json::Value;

use crate::{ConfigureContext, HookResult, RunContext};

/// A control: code a runner calls around each step of a chaos experiment.
///
/// Every method has a default that does nothing, so a control implements
/// only the hooks it needs. "Before" hooks get the run and the thing about
/// to run; "after" hooks also get its outcome. A hook that returns
/// [`ControlError::Failed`](crate::ControlError::Failed) is logged and the
/// run goes on; [`ControlError::Interrupt`](crate::ControlError::Interrupt)
/// stops the run with status `interrupted`.
///
/// The order of calls in a default run (CHAOSTOOLKIT.md §3), after the
/// settings' controls got `before_loading_experiment` and
/// `after_loading_experiment` when the runner loaded the experiment:
/// `configure` → `before_experiment` → `before_hypothesis` →
/// (`before_activity` → `after_activity` per probe) → `after_hypothesis` →
/// `before_method` → (per activity) → `after_method` → `before_hypothesis`
/// … `after_hypothesis` → `before_rollback` → (per rollback) →
/// `after_rollback` → `after_experiment` → `cleanup`.
#[async_trait]
pub trait Control: Send + Sync {
    /// Whether `arguments`, the provider's as [`configure`](Self::configure)
    /// will get them, can configure this control: the reason when they
    /// cannot. Called when an experiment or the settings are validated,
    /// before anything runs, so that a control that would do nothing (a
    /// misspelt URL, an argument of the wrong type) is found then and not
    /// in a warning at the start of the run. It must not do I/O beyond
    /// reading a file the arguments name. By default any arguments pass.
    fn check_arguments(&self, arguments: &Value) -> Result<(), String> {
        let _ = arguments;
        Ok(())
    }

    /// Once, before the run, with the control's arguments.
    async fn configure(&self, ctx: &ConfigureContext<'_>) -> HookResult {
        let _ = ctx;
        Ok(())
    }

    /// Before the experiment is loaded, with where it comes from (a path,
    /// a URL, or `-` for standard input). Only the controls the settings
    /// declare are called: the experiment's own are not known yet. An
    /// interrupt stops the load.
    async fn before_loading_experiment(&self, source: &str) -> HookResult {
        let _ = source;
        Ok(())
    }

    /// After the experiment was loaded and before it is validated; the
    /// control may change it (chaoslib's `after_loading_experiment_control`
    /// changes the dictionary it is given). Only the controls the settings
    /// declare are called.
    async fn after_loading_experiment(&self, source: &str, experiment: &mut Value) -> HookResult {
        let _ = (source, experiment);
        Ok(())
    }

    /// Once, at the very end, whatever happened.
    async fn cleanup(&self) -> HookResult {
        Ok(())
    }

    /// Before anything of the experiment runs.
    async fn before_experiment(&self, ctx: &RunContext<'_>) -> HookResult {
        let _ = ctx;
        Ok(())
    }

    /// After the run, with its final journal (`status`, `deviated`,
    /// `steady_states`, `run`, `rollbacks`, `duration`, …).
    async fn after_experiment(&self, ctx: &RunContext<'_>, journal: &Value) -> HookResult {
        let _ = (ctx, journal);
        Ok(())
    }

    /// Before the steady-state hypothesis is checked (before and after the
    /// method). `hypothesis` is the `steady-state-hypothesis` object.
    async fn before_hypothesis(&self, ctx: &RunContext<'_>, hypothesis: &Value) -> HookResult {
        let _ = (ctx, hypothesis);
        Ok(())
    }

    /// After the hypothesis was checked; `result` is
    /// `{"steady_state_met": bool, "probes": [run entries]}`.
    async fn after_hypothesis(
        &self,
        ctx: &RunContext<'_>,
        hypothesis: &Value,
        result: &Value,
    ) -> HookResult {
        let _ = (ctx, hypothesis, result);
        Ok(())
    }

    /// Before the method; `method` is the list of its activities.
    async fn before_method(&self, ctx: &RunContext<'_>, method: &Value) -> HookResult {
        let _ = (ctx, method);
        Ok(())
    }

    /// After the method; `runs` is the list of its run entries.
    async fn after_method(&self, ctx: &RunContext<'_>, method: &Value, runs: &Value) -> HookResult {
        let _ = (ctx, method, runs);
        Ok(())
    }

    /// Before the rollbacks; `rollbacks` is the list of their activities.
    async fn before_rollback(&self, ctx: &RunContext<'_>, rollbacks: &Value) -> HookResult {
        let _ = (ctx, rollbacks);
        Ok(())
    }

    /// After the rollbacks; `runs` is the list of their run entries.
    async fn after_rollback(
        &self,
        ctx: &RunContext<'_>,
        rollbacks: &Value,
        runs: &Value,
    ) -> HookResult {
        let _ = (ctx, rollbacks, runs);
        Ok(())
    }

    /// Before one activity (probe or action) runs.
    async fn before_activity(&self, ctx: &RunContext<'_>, activity: &Value) -> HookResult {
        let _ = (ctx, activity);
        Ok(())
    }

    /// After one activity ran; `run` is its run entry (`activity`, `output`,
    /// `status`, `start`, `end`, `duration`, and `exception` when it
    /// failed).
    async fn after_activity(
        &self,
        ctx: &RunContext<'_>,
        activity: &Value,
        run: &Value,
    ) -> HookResult {
        let _ = (ctx, activity, run);
        Ok(())
    }
}
