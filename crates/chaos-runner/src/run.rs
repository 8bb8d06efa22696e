//! Running an experiment and writing its journal.

use std::str::FromStr;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::journal::{iso, node, platform, seconds_between};
use crate::providers::{self, Extension, Extensions, seconds};
use crate::substitute::{Lookup, substitute};
use crate::{Error, Problem, tolerance, validate, vars};

/// When rollbacks are played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RollbackStrategy {
    /// Unless the run failed or was interrupted.
    #[default]
    Default,
    /// Always.
    Always,
    /// Never.
    Never,
    /// Only when the run deviated.
    Deviated,
}

impl FromStr for RollbackStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Self::Default),
            "always" => Ok(Self::Always),
            "never" => Ok(Self::Never),
            "deviated" => Ok(Self::Deviated),
            other => Err(format!(
                "invalid rollback strategy '{other}': expected default, always, never or deviated"
            )),
        }
    }
}

/// Runs Chaos Toolkit experiments.
///
/// ```no_run
/// # async fn run() -> Result<(), chaos_runner::Error> {
/// let experiment = chaos_runner::load_file("experiment.json".as_ref())?;
/// let journal = chaos_runner::Runner::new().run(&experiment).await?;
/// println!("{} deviated={}", journal["status"], journal["deviated"]);
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Runner {
    extensions: Extensions,
    configuration: Map<String, Value>,
    secrets: Map<String, Value>,
    rollback_strategy: RollbackStrategy,
    progress: bool,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("extensions", &self.extensions.keys().collect::<Vec<_>>())
            .field(
                "configuration_overrides",
                &self.configuration.keys().collect::<Vec<_>>(),
            )
            .field("rollback_strategy", &self.rollback_strategy)
            .finish_non_exhaustive()
    }
}

/// What one run shares with its activities.
struct Context<'a> {
    runner: &'a Runner,
    experiment: &'a Value,
    configuration: Map<String, Value>,
    secrets: Map<String, Value>,
}

impl Runner {
    /// A runner with no extensions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the extension that provides `module` for python providers.
    pub fn extension(mut self, module: impl Into<String>, extension: Arc<dyn Extension>) -> Self {
        self.extensions.insert(module.into(), extension);
        self
    }

    /// Configuration values that win over the experiment's (`--var`).
    pub fn configuration(mut self, values: Map<String, Value>) -> Self {
        self.configuration.extend(values);
        self
    }

    /// Secrets (scope → values) that win over the experiment's.
    pub fn secrets(mut self, scopes: Map<String, Value>) -> Self {
        self.secrets.extend(scopes);
        self
    }

    /// When rollbacks are played.
    pub fn rollback_strategy(mut self, strategy: RollbackStrategy) -> Self {
        self.rollback_strategy = strategy;
        self
    }

    /// Prints the run's progress on stderr, as `chaos run` does.
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Every problem of the experiment, checked against the registered
    /// extensions.
    pub fn validate(&self, experiment: &Value) -> Vec<Problem> {
        validate(experiment, &|module| self.extensions.contains_key(module))
    }

    fn say(&self, level: &str, message: &str) {
        if self.progress {
            let now = Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
            eprintln!("[{} {level}] {message}", now.strftime("%Y-%m-%d %H:%M:%S"));
        }
    }

    /// Runs the experiment and returns its journal. An error means it could
    /// not start (invalid, or configuration missing); whatever happens once
    /// it runs is in the journal.
    pub async fn run(&self, experiment: &Value) -> Result<Value, Error> {
        let problems = self.validate(experiment);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let configuration =
            vars::resolve_configuration(experiment.get("configuration"), &self.configuration)?;
        let secrets = vars::resolve_secrets(experiment.get("secrets"), &self.secrets)?;
        let lookup = Lookup {
            configuration: &configuration,
            secrets: &secrets,
        };
        // The experiment as Python runs it: title substituted, "dry" added.
        let mut as_run = experiment.clone();
        if let Some(title) = experiment.get("title") {
            as_run["title"] = substitute(title, &lookup);
        }
        as_run["dry"] = Value::Null;
        let ctx = Context {
            runner: self,
            experiment: &as_run,
            configuration,
            secrets,
        };
        Ok(ctx.run().await)
    }
}

impl Context<'_> {
    fn lookup(&self) -> Lookup<'_> {
        Lookup {
            configuration: &self.configuration,
            secrets: &self.secrets,
        }
    }

    async fn run(&self) -> Value {
        let say = |level: &str, m: &str| self.runner.say(level, m);
        let started = Timestamp::now();
        say(
            "INFO",
            &format!("Running experiment: {}", text(&self.experiment["title"])),
        );
        let mut status: Option<&str> = None;
        let mut deviated = false;
        let hypothesis = self
            .experiment
            .get("steady-state-hypothesis")
            .filter(|h| h.is_object());

        let before = match hypothesis {
            Some(h) => Some(self.hypothesis(h).await),
            None => None,
        };
        let gate_failed = before
            .as_ref()
            .is_some_and(|s| s["steady_state_met"] != json!(true));
        let mut runs = Vec::new();
        let mut after = Value::Null;
        if gate_failed {
            let state = before.as_ref().unwrap_or(&Value::Null);
            status = Some(if any_failed(state) {
                "failed"
            } else {
                "completed"
            });
            say(
                "CRITICAL",
                &format!(
                    "Steady state probe '{}' is not in the given tolerance so failing this experiment",
                    last_probe(state)
                ),
            );
        } else {
            say("INFO", "Playing your experiment's method now...");
            runs = self.method().await;
            if let Some(h) = hypothesis {
                let state = self.hypothesis(h).await;
                if state["steady_state_met"] != json!(true) {
                    deviated = true;
                    status = Some(if any_failed(&state) {
                        "failed"
                    } else {
                        "completed"
                    });
                    say(
                        "CRITICAL",
                        &format!(
                            "Steady state probe '{}' is not in the given tolerance so failing this experiment",
                            last_probe(&state)
                        ),
                    );
                }
                after = state;
            }
        }
        let status = status.unwrap_or("completed");
        let play = match self.runner.rollback_strategy {
            RollbackStrategy::Always => true,
            RollbackStrategy::Never => false,
            RollbackStrategy::Default => !matches!(status, "failed" | "interrupted"),
            RollbackStrategy::Deviated => deviated,
        };
        let rollbacks = if play {
            self.rollbacks().await
        } else {
            Vec::new()
        };
        let ended = Timestamp::now();
        say(
            "INFO",
            &format!(
                "Experiment ended with status: {}",
                if deviated { "deviated" } else { status }
            ),
        );

        let mut journal = Map::new();
        journal.insert("chaoslib-version".into(), json!(env!("CARGO_PKG_VERSION")));
        journal.insert("platform".into(), json!(platform()));
        journal.insert("node".into(), json!(node()));
        journal.insert("experiment".into(), self.experiment.clone());
        journal.insert("start".into(), json!(iso(started)));
        journal.insert("status".into(), json!(status));
        journal.insert("deviated".into(), json!(deviated));
        journal.insert(
            "steady_states".into(),
            json!({"before": before.unwrap_or(Value::Null), "after": after, "during": []}),
        );
        journal.insert("run".into(), Value::Array(runs));
        journal.insert("rollbacks".into(), Value::Array(rollbacks));
        journal.insert("end".into(), json!(iso(ended)));
        journal.insert(
            "duration".into(),
            json!(ended.duration_since(started).as_secs_f64()),
        );
        Value::Object(journal)
    }

    /// Runs the hypothesis' probes, stopping at the first out of tolerance.
    async fn hypothesis(&self, hypothesis: &Value) -> Value {
        self.runner.say(
            "INFO",
            &format!("Steady state hypothesis: {}", text(&hypothesis["title"])),
        );
        let mut probes = Vec::new();
        let mut met = true;
        for probe in hypothesis["probes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let definition = self.resolve(probe);
            let mut entry = self.execute(&definition).await;
            let within = if entry["status"] == "failed" {
                self.runner.say(
                    "WARNING",
                    "Probe terminated unexpectedly, so its tolerance could not be validated",
                );
                false
            } else {
                let tolerance = definition.get("tolerance").unwrap_or(&Value::Null);
                let probe_tolerance = |value: Value| -> std::pin::Pin<
                    Box<dyn std::future::Future<Output = bool> + Send + '_>,
                > {
                    Box::pin(self.probe_tolerance(tolerance, value))
                };
                tolerance::within(
                    tolerance,
                    &entry["output"],
                    &self.lookup(),
                    &probe_tolerance,
                )
                .await
            };
            entry["tolerance_met"] = json!(within);
            probes.push(entry);
            if !within {
                met = false;
                break;
            }
        }
        if met {
            self.runner.say("INFO", "Steady state hypothesis is met!");
        }
        json!({"steady_state_met": met, "probes": probes})
    }

    /// A `"type": "probe"` tolerance: the probe runs with the output as its
    /// `value` argument, and a truthy result accepts it.
    async fn probe_tolerance(&self, tolerance: &Value, value: Value) -> bool {
        let mut provider = tolerance["provider"].clone();
        if provider.get("arguments").is_none_or(|a| !a.is_object()) {
            provider["arguments"] = json!({});
        }
        provider["arguments"]["value"] = value;
        let provider = substitute(&provider, &self.lookup());
        let secrets = self.secrets_for(tolerance);
        let configuration = Value::Object(self.configuration.clone());
        match providers::run(&provider, &self.runner.extensions, &configuration, &secrets).await {
            Ok(v) => truthy(&v),
            Err(_) => false,
        }
    }

    /// Runs the method; background activities run concurrently and are
    /// awaited at its end.
    async fn method(&self) -> Vec<Value> {
        let mut runs = Vec::new();
        let mut background = Vec::new();
        for activity in self.experiment["method"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let definition = self.resolve(activity);
            if definition.get("background").and_then(Value::as_bool) == Some(true) {
                background.push(self.execute_owned(definition));
            } else {
                runs.push(self.execute(&definition).await);
            }
        }
        if !background.is_empty() {
            runs.extend(join_all(background).await);
        }
        runs
    }

    async fn rollbacks(&self) -> Vec<Value> {
        let list = self.experiment["rollbacks"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        if list.is_empty() {
            self.runner
                .say("INFO", "No declared rollbacks, let's move on.");
            return Vec::new();
        }
        self.runner.say("INFO", "Let's rollback...");
        let mut runs = Vec::new();
        for activity in list {
            let definition = self.resolve(activity);
            runs.push(self.execute(&definition).await);
        }
        runs
    }

    /// An activity, or the one its `ref` names.
    fn resolve(&self, activity: &Value) -> Value {
        let Some(name) = activity.get("ref").and_then(Value::as_str) else {
            return activity.clone();
        };
        let hypothesis = self.experiment["steady-state-hypothesis"]["probes"].as_array();
        let lists = [
            hypothesis,
            self.experiment["method"].as_array(),
            self.experiment["rollbacks"].as_array(),
        ];
        lists
            .into_iter()
            .flatten()
            .flatten()
            .find(|a| a.get("ref").is_none() && a["name"] == name)
            .cloned()
            .unwrap_or_else(|| activity.clone())
    }

    /// The values of the secret scopes an activity names, merged.
    fn secrets_for(&self, activity: &Value) -> Value {
        let mut merged = Map::new();
        let scopes: Vec<&str> = match activity.get("secrets") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for scope in scopes {
            if let Some(Value::Object(values)) = self.secrets.get(scope) {
                merged.extend(values.clone());
            }
        }
        Value::Object(merged)
    }

    async fn execute_owned(&self, activity: Value) -> Value {
        self.execute(&activity).await
    }

    /// Runs one activity with its pauses; the run entry.
    async fn execute(&self, activity: &Value) -> Value {
        let lookup = self.lookup();
        let name = text(&activity["name"]);
        let pauses = substitute(activity.get("pauses").unwrap_or(&Value::Null), &lookup);
        if let Some(pause) = seconds(pauses.get("before")) {
            self.runner.say(
                "INFO",
                &format!("Pausing before activity for {}s...", pause.as_secs_f64()),
            );
            tokio::time::sleep(pause).await;
        }
        let kind = if activity["type"] == "action" {
            "Action"
        } else {
            "Probe"
        };
        self.runner.say("INFO", &format!("{kind}: {name}"));
        let provider = substitute(&activity["provider"], &lookup);
        let secrets = self.secrets_for(activity);
        let configuration = Value::Object(self.configuration.clone());
        let start = Timestamp::now();
        let outcome =
            providers::run(&provider, &self.runner.extensions, &configuration, &secrets).await;
        let end = Timestamp::now();
        let duration = seconds_between(start, end);
        let mut entry = Map::new();
        entry.insert("activity".into(), activity.clone());
        match outcome {
            Ok(output) => {
                entry.insert("output".into(), output);
                entry.insert("start".into(), json!(iso(start)));
                entry.insert("status".into(), json!("succeeded"));
                self.runner.say(
                    "INFO",
                    &format!("  {kind} '{name}' succeeded in {duration:.3}s"),
                );
            }
            Err(reason) => {
                entry.insert("output".into(), Value::Null);
                entry.insert("start".into(), json!(iso(start)));
                entry.insert("status".into(), json!("failed"));
                let lines: Vec<Value> = format!("activity '{name}' failed: {reason}")
                    .lines()
                    .map(|l| json!(format!("{l}\n")))
                    .collect();
                entry.insert("exception".into(), Value::Array(lines));
                self.runner.say(
                    "ERROR",
                    &format!("  {kind} '{name}' failed in {duration:.3}s: {reason}"),
                );
            }
        }
        entry.insert("end".into(), json!(iso(end)));
        entry.insert("duration".into(), json!(duration));
        if let Some(pause) = seconds(pauses.get("after")) {
            self.runner.say(
                "INFO",
                &format!("Pausing after activity for {}s...", pause.as_secs_f64()),
            );
            tokio::time::sleep(pause).await;
        }
        Value::Object(entry)
    }
}

/// Awaits futures concurrently, keeping their order.
async fn join_all<F: std::future::Future<Output = Value>>(futures: Vec<F>) -> Vec<Value> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<Value>> = vec![None; pinned.len()];
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

fn any_failed(state: &Value) -> bool {
    state["probes"]
        .as_array()
        .is_some_and(|p| p.iter().any(|r| r["status"] != "succeeded"))
}

fn last_probe(state: &Value) -> String {
    state["probes"]
        .as_array()
        .and_then(|p| p.last())
        .map(|r| text(&r["activity"]["name"]))
        .unwrap_or_default()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Python's truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}
