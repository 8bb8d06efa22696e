//! One activity: `ref`s, secrets, controls, pauses, and its provider
//! called in a task of its own.

use super::view::{self, Kind};
use super::*;

impl Context<'_> {
    /// An activity, or the one its `ref` names.
    pub(super) fn resolve(&self, activity: &Value) -> Value {
        let Some(name) = Activity(activity).reference() else {
            return activity.clone();
        };
        view::declared(self.experiment)
            .find(|a| Activity(a).reference().is_none() && Activity(a).name() == name)
            .cloned()
            .unwrap_or_else(|| activity.clone())
    }

    pub(super) async fn activity_owned(&self, activity: Value) -> (Vec<Value>, Step) {
        let mut entries = Vec::new();
        let step = self.activity(&activity, &mut entries).await;
        (entries, step)
    }

    /// One activity with its controls: the entry goes into `sink` before
    /// the after-hook runs.
    pub(super) async fn activity(&self, activity: &Value, sink: &mut Vec<Value>) -> Step {
        self.check_interrupt()?;
        let controls = self.controls.context_level(activity);
        controls
            .before_activity(&self.hooks().run(), activity)
            .await?;
        // An activity that started stays in the journal even when it or the
        // pause after it is interrupted.
        let (entry, step) = self.execute(activity).await?;
        sink.push(entry);
        step?;
        if let Some(entry) = sink.last() {
            controls
                .after_activity(&self.hooks().run(), activity, entry)
                .await?;
        }
        Ok(())
    }

    /// Sleeps, unless interrupted.
    pub(super) async fn pause(&self, pause: Duration) -> Step {
        tokio::select! {
            () = tokio::time::sleep(pause) => Ok(()),
            reason = self.interrupted() => Err(Stop::Interrupted(reason)),
        }
    }

    /// Runs one activity with its pauses: its run entry, and whether it or
    /// the pause after it was interrupted (an interrupt before it started
    /// is an error instead, and leaves no entry).
    pub(super) async fn execute(&self, activity: &Value) -> Step<(Value, Step)> {
        // As the run stands when the activity starts: with what controls
        // changed before it.
        let resolved = self.resolved();
        let lookup = resolved.lookup();
        let view = Activity(activity);
        let name = view.name();
        let kind = view.kind().label();
        let dry = view.dry().or(self.runner.dry);
        let is_dry = match dry {
            Some(Dry::Actions) => view.kind() == Kind::Action,
            Some(Dry::Probes) => view.kind() == Kind::Probe,
            Some(Dry::Activities) => true,
            Some(Dry::Pause) | None => false,
        };
        let skip_pauses = is_dry || dry == Some(Dry::Pause);
        let pauses = substitute(view.pauses(), &lookup);
        let before = seconds(pauses.get("before"), "pauses.before");
        let after = seconds(pauses.get("after"), "pauses.after");
        if let Ok(Some(pause)) = before {
            self.say(
                "INFO",
                &format!("Pausing before activity for {}s...", pause.as_secs_f64()),
            );
            if !skip_pauses {
                self.pause(pause).await?;
            }
        }
        self.say("INFO", &format!("{kind}: {name}"));
        let start = Timestamp::now();
        let outcome = if let Err(reason) = before.as_ref().and(after.as_ref()) {
            Err(reason.clone())
        } else if is_dry {
            Ok(Value::Null)
        } else {
            let provider = resolved.provider(view.provider());
            tokio::select! {
                r = self.call(&resolved, provider, &activity["provider"]) => r,
                reason = self.interrupted() => {
                    // Started, so it goes into the journal, as chaoslib
                    // records it: no status, no output.
                    let end = Timestamp::now();
                    let duration = seconds_between(start, end);
                    self.say(
                        "WARNING",
                        &format!("  {kind} '{name}' interrupted after {duration:.3}s"),
                    );
                    let entry = crate::journal::object([
                        ("activity", activity.clone()),
                        ("output", Value::Null),
                        ("start", json!(iso(start))),
                        ("end", json!(iso(end))),
                        ("duration", json!(duration)),
                    ]);
                    return Ok((entry, Err(Stop::Interrupted(reason))));
                }
            }
        };
        let end = Timestamp::now();
        let duration = seconds_between(start, end);
        let mut entry = Map::new();
        entry.insert("activity".into(), activity.clone());
        match outcome {
            Ok(output) => {
                if view.provider()["type"] == "process" && output["status"] != 0 {
                    self.say(
                        "WARNING",
                        "This process returned a non-zero exit code. This may indicate some error \
                         and not what you expected. Please have a look at the logs.",
                    );
                }
                entry.insert("output".into(), output);
                entry.insert("start".into(), json!(iso(start)));
                entry.insert("status".into(), json!(view::SUCCEEDED));
                self.say(
                    "INFO",
                    &format!("  {kind} '{name}' succeeded in {duration:.3}s"),
                );
            }
            Err(reason) => {
                let reason = crate::journal::mask_secrets(&reason, resolved.secrets());
                entry.insert("output".into(), Value::Null);
                entry.insert("start".into(), json!(iso(start)));
                entry.insert("status".into(), json!(view::FAILED));
                let lines: Vec<Value> = format!("activity '{name}' failed: {reason}")
                    .lines()
                    .map(|l| json!(format!("{l}\n")))
                    .collect();
                entry.insert("exception".into(), Value::Array(lines));
                self.say(
                    "ERROR",
                    &format!("  {kind} '{name}' failed in {duration:.3}s: {reason}"),
                );
            }
        }
        entry.insert("end".into(), json!(iso(end)));
        entry.insert("duration".into(), json!(duration));
        let mut step = Ok(());
        if let Ok(Some(pause)) = after {
            self.say(
                "INFO",
                &format!("Pausing after activity for {}s...", pause.as_secs_f64()),
            );
            if !skip_pauses {
                step = self.pause(pause).await;
            }
        }
        Ok((Value::Object(entry), step))
    }

    /// Calls a provider in a task of its own, so that a panic in it (an
    /// extension's bug) fails the activity instead of the run: the
    /// rollbacks, after-hooks and journal still come. Dropping the future
    /// (an interrupt) aborts the task, which ends a process provider's
    /// process group.
    /// `declared` is the provider as declared, whose `secrets` name the
    /// scopes it is given (as chaoslib reads them), merged.
    pub(super) async fn call(
        &self,
        resolved: &Resolved,
        provider: Value,
        declared: &Value,
    ) -> Result<Value, String> {
        isolated(
            provider,
            self.runner.extensions.clone(),
            resolved.configuration.clone(),
            provider_secrets(declared, resolved.secrets()),
            self.runner.environment.clone(),
        )
        .await
    }
}

/// Runs a provider in a task of its own (see [`Context::call`]).
pub(super) async fn isolated(
    provider: Value,
    extensions: Extensions,
    configuration: Value,
    secrets: Value,
    environment: Map<String, Value>,
) -> Result<Value, String> {
    let mut task = AbortOnDrop(tokio::spawn(async move {
        providers::run(
            &provider,
            &extensions,
            &configuration,
            &secrets,
            &environment,
        )
        .await
    }));
    match (&mut task.0).await {
        Ok(outcome) => outcome,
        Err(e) if e.is_panic() => {
            let panic = e.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            Err(format!("the provider panicked: {message}"))
        }
        Err(e) => Err(format!("the provider was cancelled: {e}")),
    }
}

/// Aborts a task when dropped.
pub(super) struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The values of the secret scopes a provider names (`provider.secrets`,
/// one scope or a list), merged.
pub(super) fn provider_secrets(provider: &Value, secrets: &Map<String, Value>) -> Value {
    let mut merged = Map::new();
    let scopes: Vec<&str> = match provider.get("secrets") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    for scope in scopes {
        if let Some(Value::Object(values)) = secrets.get(scope) {
            merged.extend(values.clone());
        }
    }
    Value::Object(merged)
}
