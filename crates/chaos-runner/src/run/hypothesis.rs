//! The steady-state hypothesis: its probes against their tolerances,
//! before, during and after the method.

use super::view::{self, Activity};
use super::*;

impl Context<'_> {
    /// The method, with the hypothesis checked every `frequency` while it
    /// runs. With fail-fast, a check out of tolerance lets the running
    /// activity finish and stops the method there (status `failed`, as in
    /// chaoslib).
    pub(super) async fn method_with_checks(&self, hypothesis: &Value, state: &mut State) -> Step {
        let (done_tx, done_rx) = tokio::sync::watch::channel(false);
        let frequency = self.runner.hypothesis_frequency;
        self.say(
            "INFO",
            &format!(
                "Executing the steady-state hypothesis continuously every {}s",
                frequency.as_secs_f64()
            ),
        );
        let runs = &mut state.runs;
        let method = async {
            let outcome = self.method(runs).await;
            let _ = done_tx.send(true);
            outcome
        };
        let checks = async {
            let mut states = Vec::new();
            let mut done = done_rx.clone();
            loop {
                if *done.borrow() {
                    break;
                }
                let checked = self.hypothesis(hypothesis).await;
                let Ok(checked) = checked else { break };
                let met = checked["steady_state_met"] == json!(true);
                states.push(checked);
                if !met {
                    self.say("WARNING", "Continuous steady state hypothesis is not met");
                    if self.runner.fail_fast {
                        self.say("INFO", "Terminating immediately the experiment");
                        self.fail_fast_tripped
                            .store(true, std::sync::atomic::Ordering::Relaxed);
                        break;
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(frequency) => {}
                    _ = done.changed() => break,
                }
            }
            states
        };
        let (outcome, during) = tokio::join!(method, checks);
        state.during = during;
        if state
            .during
            .iter()
            .any(|s| s["steady_state_met"] != json!(true))
        {
            state.deviated = true;
        }
        outcome
    }

    /// Runs the hypothesis' probes, stopping at the first out of tolerance.
    pub(super) async fn hypothesis(&self, hypothesis: &Value) -> Step<Value> {
        self.say(
            "INFO",
            &format!("Steady state hypothesis: {}", text(&hypothesis["title"])),
        );
        let controls = self.controls.context_level(hypothesis);
        controls
            .before_hypothesis(&self.hooks().run(), hypothesis)
            .await?;
        let mut probes = Vec::new();
        let mut met = true;
        let skip_tolerance = matches!(self.runner.dry, Some(Dry::Probes | Dry::Activities));
        for probe in hypothesis["probes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let definition = self.resolve(probe);
            self.activity(&definition, &mut probes).await?;
            let Some(entry) = probes.last_mut() else {
                break;
            };
            let within = self.judge(&definition, entry, skip_tolerance).await;
            if !within {
                met = false;
                break;
            }
        }
        if met {
            self.say("INFO", "Steady state hypothesis is met!");
        }
        let result = crate::journal::object([
            ("steady_state_met", Value::Bool(met)),
            ("probes", Value::Array(probes)),
        ]);
        controls
            .after_hypothesis(&self.hooks().run(), hypothesis, &result)
            .await?;
        Ok(result)
    }

    /// Judges a probe's run entry against its tolerance and records the
    /// verdict in it (`tolerance_met`, and `tolerance_error` when the
    /// tolerance cannot be used); a miss is logged with the value.
    pub(super) async fn judge(&self, definition: &Value, entry: &mut Value, skip: bool) -> bool {
        let within = if entry["status"] == view::FAILED {
            self.say(
                "WARNING",
                "Probe terminated unexpectedly, so its tolerance could not be validated",
            );
            false
        } else if skip {
            true
        } else {
            let tolerance = Activity(definition).tolerance();
            let probe_tolerance = |value: Value| -> std::pin::Pin<
                Box<dyn std::future::Future<Output = bool> + Send + '_>,
            > {
                Box::pin(self.probe_tolerance(tolerance, value))
            };
            let resolved = self.resolved();
            match tolerance::compile_error(tolerance, &resolved.lookup()) {
                Some(reason) => {
                    // Not a silent "not met": the journal and the log say why.
                    self.say(
                        "ERROR",
                        &format!(
                            "the tolerance of probe '{}' cannot be used: {reason}",
                            Activity(definition).name()
                        ),
                    );
                    entry["tolerance_error"] = json!(reason);
                    false
                }
                None => {
                    tolerance::within(
                        tolerance,
                        &entry["output"],
                        &resolved.lookup(),
                        &probe_tolerance,
                    )
                    .await
                }
            }
        };
        entry["tolerance_met"] = json!(within);
        if !within && entry["status"] != view::FAILED && entry.get("tolerance_error").is_none() {
            self.say(
                "WARNING",
                &format!(
                    "Probe '{}' returned {}, which is not within the tolerance {}",
                    Activity(definition).name(),
                    one_line(&entry["output"], 160),
                    one_line(Activity(definition).tolerance(), 160)
                ),
            );
        }
        within
    }

    /// A `"type": "probe"` tolerance: the probe runs with the output as its
    /// `value` argument, and a truthy result accepts it.
    pub(super) async fn probe_tolerance(&self, tolerance: &Value, value: Value) -> bool {
        let mut provider = tolerance["provider"].clone();
        if provider.get("arguments").is_none_or(|a| !a.is_object()) {
            provider["arguments"] = json!({});
        }
        provider["arguments"]["value"] = value;
        let resolved = self.resolved();
        let provider = resolved.provider(&provider);
        match self.call(&resolved, provider, &tolerance["provider"]).await {
            Ok(v) => truthy(&v),
            Err(_) => false,
        }
    }
}

/// A JSON value on one line, cut to `max` characters.
fn one_line(value: &Value, max: usize) -> String {
    cut(value.to_string(), max)
}
