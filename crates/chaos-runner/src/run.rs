//! Running an experiment and writing its journal.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chaos_controls::RunContext;

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::controls::{ControlFactory, Controls};
use crate::journal::{iso, node, platform, seconds_between};
use crate::providers::{self, Extension, Extensions, seconds};
use crate::substitute::{Lookup, substitute};
use crate::{Error, Problem, tolerance, vars};

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

/// When the steady-state hypothesis is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HypothesisStrategy {
    /// Before and after the method.
    #[default]
    Default,
    /// Only before the method.
    BeforeMethodOnly,
    /// Only after the method.
    AfterMethodOnly,
    /// Only repeatedly while the method runs.
    DuringMethodOnly,
    /// Before, repeatedly during, and after the method.
    Continuously,
}

impl FromStr for HypothesisStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Self::Default),
            "before-method-only" => Ok(Self::BeforeMethodOnly),
            "after-method-only" => Ok(Self::AfterMethodOnly),
            "during-method-only" => Ok(Self::DuringMethodOnly),
            "continuously" => Ok(Self::Continuously),
            other => Err(format!(
                "invalid hypothesis strategy '{other}': expected default, before-method-only, \
                 after-method-only, during-method-only or continuously"
            )),
        }
    }
}

impl HypothesisStrategy {
    fn before(self) -> bool {
        matches!(
            self,
            Self::Default | Self::BeforeMethodOnly | Self::Continuously
        )
    }

    fn during(self) -> bool {
        matches!(self, Self::DuringMethodOnly | Self::Continuously)
    }

    fn after(self) -> bool {
        matches!(
            self,
            Self::Default | Self::AfterMethodOnly | Self::Continuously
        )
    }
}

/// What a dry run skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dry {
    /// Probes are not run (and tolerances not checked).
    Probes,
    /// Actions are not run.
    Actions,
    /// No activity is run.
    Activities,
    /// Pauses are skipped.
    Pause,
}

impl FromStr for Dry {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "probes" => Ok(Self::Probes),
            "actions" => Ok(Self::Actions),
            "activities" => Ok(Self::Activities),
            "pause" => Ok(Self::Pause),
            other => Err(format!(
                "invalid dry mode '{other}': expected probes, actions, activities or pause"
            )),
        }
    }
}

/// Stops a running experiment from another task (a signal handler).
///
/// [`interrupt`](Self::interrupt) (SIGINT, SIGTERM, SIGUSR1) ends the run
/// with status `interrupted`: rollbacks per strategy, after-hooks and
/// cleanup, and its journal. Rollbacks, once started, run to their end
/// unless interrupted a second time. [`interrupt_now`](Self::interrupt_now)
/// (SIGUSR2) does the same but skips the rollbacks, and stops them if they
/// are running.
#[derive(Debug, Clone)]
pub struct Interrupter(Arc<tokio::sync::watch::Sender<Interruption>>);

/// What the interrupter has been told so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interruption {
    /// The first reason given.
    reason: Option<String>,
    /// How many interrupts came.
    count: u32,
    /// Whether rollbacks are to be skipped.
    skip_rollbacks: bool,
}

impl Interrupter {
    /// Interrupts the run gracefully, giving a reason for the log; a second
    /// call stops rollbacks that are running.
    pub fn interrupt(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.0.send_modify(|i| {
            i.reason.get_or_insert(reason);
            i.count += 1;
        });
    }

    /// Interrupts the run now: no rollbacks (running ones stop), no waiting
    /// for background activities; after-hooks, cleanup and the journal
    /// still happen.
    pub fn interrupt_now(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.0.send_modify(|i| {
            i.reason.get_or_insert(reason);
            i.count += 1;
            i.skip_rollbacks = true;
        });
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
#[derive(Clone)]
pub struct Runner {
    extensions: Extensions,
    control_factories: HashMap<String, ControlFactory>,
    settings: Value,
    configuration: Map<String, Value>,
    secrets: Map<String, Value>,
    environment: Map<String, Value>,
    rollback_strategy: RollbackStrategy,
    hypothesis_strategy: HypothesisStrategy,
    hypothesis_frequency: Duration,
    fail_fast: bool,
    dry: Option<Dry>,
    progress: bool,
    interrupt: Arc<tokio::sync::watch::Sender<Interruption>>,
}

impl Default for Runner {
    fn default() -> Self {
        Self {
            extensions: Extensions::new(),
            control_factories: HashMap::new(),
            settings: json!({}),
            configuration: Map::new(),
            secrets: Map::new(),
            environment: Map::new(),
            rollback_strategy: RollbackStrategy::default(),
            hypothesis_strategy: HypothesisStrategy::default(),
            hypothesis_frequency: Duration::from_secs(1),
            fail_fast: false,
            dry: None,
            progress: false,
            interrupt: Arc::new(tokio::sync::watch::channel(Interruption::default()).0),
        }
    }
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("extensions", &self.extensions.keys().collect::<Vec<_>>())
            .field(
                "control_modules",
                &self.control_factories.keys().collect::<Vec<_>>(),
            )
            .field(
                "configuration_overrides",
                &self.configuration.keys().collect::<Vec<_>>(),
            )
            .field("rollback_strategy", &self.rollback_strategy)
            .field("hypothesis_strategy", &self.hypothesis_strategy)
            .field("dry", &self.dry)
            .finish_non_exhaustive()
    }
}

/// Why a run stopped early: a control or a signal interrupted it.
enum Stop {
    /// With the reason.
    Interrupted(String),
}

type Step<T = ()> = Result<T, Stop>;

impl From<chaos_controls::Interrupted> for Stop {
    fn from(i: chaos_controls::Interrupted) -> Self {
        Stop::Interrupted(i.to_string())
    }
}

/// What one run shares with its activities.
struct Context<'a> {
    runner: &'a Runner,
    experiment: &'a Value,
    configuration: Map<String, Value>,
    secrets: Map<String, Value>,
    configuration_value: Value,
    secrets_value: Value,
    controls: Controls,
    interrupt: tokio::sync::watch::Receiver<Interruption>,
    /// Rollbacks run to their end, whatever interrupted the run before.
    rolling_back: std::sync::atomic::AtomicBool,
    /// A check during the method failed with fail-fast on.
    fail_fast_tripped: std::sync::atomic::AtomicBool,
}

/// The parts of the journal a run fills in.
#[derive(Default)]
struct State {
    status: Option<&'static str>,
    deviated: bool,
    before: Value,
    after: Value,
    during: Vec<Value>,
    runs: Vec<Value>,
    rollbacks: Vec<Value>,
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

    /// Registers the control of a python control provider's `module`; the
    /// factory makes one instance per declared control.
    pub fn control_module(mut self, module: impl Into<String>, factory: ControlFactory) -> Self {
        self.control_factories.insert(module.into(), factory);
        self
    }

    /// The Chaos Toolkit settings (`settings.yaml`); its `controls` map
    /// applies at the experiment, hypothesis and activity levels.
    pub fn settings(mut self, settings: Value) -> Self {
        self.settings = settings;
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

    /// Environment variables (from `.env` var files) that win over the
    /// process' own for `env` values, and that process providers get.
    pub fn environment(mut self, variables: Map<String, Value>) -> Self {
        self.environment.extend(variables);
        self
    }

    /// When rollbacks are played.
    pub fn rollback_strategy(mut self, strategy: RollbackStrategy) -> Self {
        self.rollback_strategy = strategy;
        self
    }

    /// When the hypothesis is checked; `frequency` is the pause between
    /// checks during the method; with `fail_fast`, a check out of tolerance
    /// during the method lets the running activity finish and stops the
    /// method there (status `failed`, unless the hypothesis after the
    /// method deviates), as chaoslib does.
    pub fn hypothesis_strategy(
        mut self,
        strategy: HypothesisStrategy,
        frequency: Duration,
        fail_fast: bool,
    ) -> Self {
        self.hypothesis_strategy = strategy;
        self.hypothesis_frequency = frequency;
        self.fail_fast = fail_fast;
        self
    }

    /// A dry run: what to skip.
    pub fn dry(mut self, dry: Option<Dry>) -> Self {
        self.dry = dry;
        self
    }

    /// Prints the run's progress on stderr, as `chaos run` does.
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// A handle that interrupts this runner's runs (for signal handlers).
    pub fn interrupter(&self) -> Interrupter {
        Interrupter(self.interrupt.clone())
    }

    /// Every problem of the experiment, checked against the registered
    /// extensions.
    pub fn validate(&self, experiment: &Value) -> Vec<Problem> {
        let extension = |m: &str| self.extensions.get(m);
        let mut problems = crate::validate::validate_with(
            experiment,
            &crate::validate::Catalogue {
                has_module: &|m| extension(m).is_some(),
                has_function: &|m, f| extension(m).is_some_and(|e| e.has_function(f)),
                check_call: &|m, f, a| extension(m).map_or(Ok(()), |e| e.check_call(f, a)),
            },
        );
        if let Some(configuration) = experiment.get("configuration").filter(|c| c.is_object()) {
            let mut modules: Vec<&String> = self.extensions.keys().collect();
            modules.sort();
            for module in modules {
                for (key, message) in self.extensions[module].check_configuration(configuration) {
                    let problem = Problem {
                        path: format!("$.configuration.{key}"),
                        message,
                    };
                    if !problems.contains(&problem) {
                        problems.push(problem);
                    }
                }
            }
        }
        problems
    }

    /// Configuration values given as a probe (`{"type": "probe",
    /// "provider": …}`) take the probe's output, as chaoslib's dynamic
    /// configuration does; each probe sees the configuration resolved so
    /// far. A probe that fails stops the run before it starts.
    async fn dynamic_configuration(
        &self,
        configuration: &mut Map<String, Value>,
        secrets: &Map<String, Value>,
    ) -> Result<(), Error> {
        let keys: Vec<String> = configuration
            .iter()
            .filter(|(_, v)| v.get("type").and_then(Value::as_str) == Some("probe"))
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys {
            let probe = configuration[&key].clone();
            let lookup = Lookup {
                configuration,
                secrets,
            };
            let provider = substitute(&probe["provider"], &lookup);
            let mut merged = Map::new();
            if let Some(Value::Array(scopes)) = provider.get("secrets") {
                for scope in scopes.iter().filter_map(Value::as_str) {
                    if let Some(Value::Object(values)) = secrets.get(scope) {
                        merged.extend(values.clone());
                    }
                }
            }
            let output = isolated(
                provider,
                self.extensions.clone(),
                Value::Object(configuration.clone()),
                Value::Object(merged),
                self.environment.clone(),
            )
            .await
            .map_err(|reason| Error::Config {
                key: format!("configuration.{key}"),
                reason: format!("its probe failed: {reason}"),
            })?;
            configuration.insert(key, output);
        }
        Ok(())
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
        let declared = experiment.get("configuration").and_then(Value::as_object);
        for key in self.configuration.keys() {
            if !declared.is_some_and(|d| d.contains_key(key)) {
                self.say(
                    "WARNING",
                    &format!(
                        "the variable '{key}' is not in the experiment's configuration: ignored, as chaos run ignores it"
                    ),
                );
            }
        }
        let mut configuration = vars::resolve_configuration_in(
            experiment.get("configuration"),
            &self.configuration,
            &self.environment,
        )?;
        let secrets =
            vars::resolve_secrets_in(experiment.get("secrets"), &self.secrets, &self.environment)?;
        self.dynamic_configuration(&mut configuration, &secrets)
            .await?;
        let lookup = Lookup {
            configuration: &configuration,
            secrets: &secrets,
        };
        // The experiment as Python runs it: title substituted, "dry" added.
        let mut as_run = experiment.clone();
        if let Some(title) = experiment.get("title") {
            as_run["title"] = substitute(title, &lookup);
        }
        as_run["dry"] = match self.dry {
            None => Value::Null,
            Some(Dry::Probes) => json!("probes"),
            Some(Dry::Actions) => json!("actions"),
            Some(Dry::Activities) => json!("activities"),
            Some(Dry::Pause) => json!("pause"),
        };
        let controls = Controls::new(&as_run, &self.settings["controls"], &self.control_factories);
        let ctx = Context {
            runner: self,
            experiment: &as_run,
            configuration_value: Value::Object(configuration.clone()),
            secrets_value: Value::Object(secrets.clone()),
            configuration,
            secrets,
            controls,
            interrupt: self.interrupt.subscribe(),
            rolling_back: std::sync::atomic::AtomicBool::new(false),
            fail_fast_tripped: std::sync::atomic::AtomicBool::new(false),
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

    fn hooks(&self) -> RunContext<'_> {
        RunContext {
            experiment: self.experiment,
            configuration: &self.configuration_value,
            secrets: &self.secrets_value,
            settings: &self.runner.settings,
        }
    }

    fn say(&self, level: &str, m: &str) {
        self.runner.say(level, m);
    }

    fn is_rolling_back(&self) -> bool {
        self.rolling_back.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Why the run must stop now, if it must: an interrupt, or, while
    /// rolling back, a second interrupt or an immediate one.
    fn stop_reason(&self, i: &Interruption) -> Option<String> {
        let reason = || i.reason.clone().unwrap_or_else(|| "interrupted".into());
        if self.is_rolling_back() {
            (i.count >= 2 || i.skip_rollbacks).then(reason)
        } else {
            i.reason.as_ref().map(|_| reason())
        }
    }

    /// Resolves when the run must stop (see [`Self::stop_reason`]).
    async fn interrupted(&self) -> String {
        let mut rx = self.interrupt.clone();
        let mut warned = false;
        loop {
            let now = rx.borrow_and_update().clone();
            if let Some(reason) = self.stop_reason(&now) {
                return reason;
            }
            if self.is_rolling_back() && now.count == 1 && !warned {
                warned = true;
                self.say(
                    "WARNING",
                    "Rollbacks are running and will run to their end: interrupt again to stop them",
                );
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    fn check_interrupt(&self) -> Step {
        match self.stop_reason(&self.interrupt.borrow()) {
            Some(reason) => Err(Stop::Interrupted(reason)),
            None => Ok(()),
        }
    }

    async fn run(&self) -> Value {
        let started = Timestamp::now();
        self.say(
            "INFO",
            &format!("Running experiment: {}", text(&self.experiment["title"])),
        );
        let mut state = State::default();
        let outcome = self.main(&mut state).await;
        match outcome {
            Ok(()) => {}
            Err(Stop::Interrupted(reason)) => {
                state.status = Some("interrupted");
                self.say("CRITICAL", &format!("Experiment interrupted: {reason}"));
            }
        }
        let status = state.status.unwrap_or("completed");
        let skip = self.interrupt.borrow().skip_rollbacks;
        if skip {
            self.say("WARNING", "Ignoring rollbacks as per signal");
        }
        let mut play = !skip
            && match self.runner.rollback_strategy {
                RollbackStrategy::Always => true,
                RollbackStrategy::Never => false,
                RollbackStrategy::Default => !matches!(status, "failed" | "interrupted"),
                RollbackStrategy::Deviated => state.deviated,
            };
        let mut status = status;
        self.rolling_back
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if play && self.check_interrupt().is_err() {
            // Interrupted twice, or now, before the rollbacks began.
            play = false;
            status = "interrupted";
        }
        if play {
            if let Err(Stop::Interrupted(reason)) = self.rollbacks(&mut state.rollbacks).await {
                status = "interrupted";
                self.say("CRITICAL", &format!("Rollbacks interrupted: {reason}"));
            }
        }
        let ended = Timestamp::now();
        self.say(
            "INFO",
            &format!(
                "Experiment ended with status: {}",
                if state.deviated { "deviated" } else { status }
            ),
        );

        let mut journal = Map::new();
        journal.insert("chaoslib-version".into(), json!(env!("CARGO_PKG_VERSION")));
        journal.insert("platform".into(), json!(platform()));
        journal.insert("node".into(), json!(node()));
        journal.insert("experiment".into(), redact_secrets(self.experiment));
        journal.insert("start".into(), json!(iso(started)));
        journal.insert("status".into(), json!(status));
        journal.insert("deviated".into(), json!(state.deviated));
        journal.insert(
            "steady_states".into(),
            json!({"before": state.before, "after": state.after, "during": state.during}),
        );
        journal.insert("run".into(), Value::Array(state.runs));
        journal.insert("rollbacks".into(), Value::Array(state.rollbacks));
        journal.insert("end".into(), json!(iso(ended)));
        journal.insert(
            "duration".into(),
            json!(ended.duration_since(started).as_secs_f64()),
        );
        let journal = Value::Object(journal);
        // An interrupt here is ignored, as in the Chaos Toolkit.
        let _ = self
            .controls
            .experiment_level()
            .after_experiment(&self.hooks(), &journal)
            .await;
        self.controls.all.cleanup().await;
        journal
    }

    /// Everything up to the rollbacks.
    async fn main(&self, state: &mut State) -> Step {
        if self.controls.is_empty()
            && self.experiment["controls"]
                .as_array()
                .is_some_and(|c| !c.is_empty())
        {
            self.say("WARNING", "none of the experiment's controls is registered with this runner: they are ignored");
        }
        self.controls.all.configure(&self.hooks()).await?;
        self.controls
            .experiment_level()
            .before_experiment(&self.hooks())
            .await?;
        let strategy = self.runner.hypothesis_strategy;
        // A hypothesis without probes is skipped, as chaoslib skips it.
        let hypothesis = self
            .experiment
            .get("steady-state-hypothesis")
            .filter(|h| h["probes"].as_array().is_some_and(|p| !p.is_empty()));
        if hypothesis.is_none() {
            self.say(
                "INFO",
                "No steady state hypothesis defined. That's ok, just exploring.",
            );
        }
        if let (Some(h), true) = (hypothesis, strategy.before()) {
            state.before = self.hypothesis(h).await?;
            if state.before["steady_state_met"] != json!(true) {
                state.status = Some(if any_failed(&state.before) {
                    "failed"
                } else {
                    "completed"
                });
                self.say("CRITICAL", &format!("Steady state probe '{}' is not in the given tolerance so failing this experiment", last_probe(&state.before)));
                return Ok(());
            }
        }
        self.say("INFO", "Playing your experiment's method now...");
        match (hypothesis, strategy.during()) {
            (Some(h), true) => self.method_with_checks(h, state).await?,
            _ => self.method(&mut state.runs).await?,
        }
        if self
            .fail_fast_tripped
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            // As chaoslib: the run is failed, unless the hypothesis after
            // the method says more.
            state.status = Some("failed");
        }
        if let (Some(h), true) = (hypothesis, strategy.after()) {
            state.after = self.hypothesis(h).await?;
            if state.after["steady_state_met"] != json!(true) {
                state.deviated = true;
                state.status = Some(if any_failed(&state.after) {
                    "failed"
                } else {
                    "completed"
                });
                self.say("CRITICAL", &format!("Steady state probe '{}' is not in the given tolerance so failing this experiment", last_probe(&state.after)));
            }
        }
        Ok(())
    }

    /// The method, with the hypothesis checked every `frequency` while it
    /// runs. With fail-fast, a check out of tolerance lets the running
    /// activity finish and stops the method there (status `failed`, as in
    /// chaoslib).
    async fn method_with_checks(&self, hypothesis: &Value, state: &mut State) -> Step {
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
    async fn hypothesis(&self, hypothesis: &Value) -> Step<Value> {
        self.say(
            "INFO",
            &format!("Steady state hypothesis: {}", text(&hypothesis["title"])),
        );
        let controls = self.controls.context_level(hypothesis);
        controls
            .before_hypothesis(&self.hooks(), hypothesis)
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
            let within = if entry["status"] == "failed" {
                self.say(
                    "WARNING",
                    "Probe terminated unexpectedly, so its tolerance could not be validated",
                );
                false
            } else if skip_tolerance {
                true
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
            if !within {
                met = false;
                break;
            }
        }
        if met {
            self.say("INFO", "Steady state hypothesis is met!");
        }
        let result = json!({"steady_state_met": met, "probes": probes});
        controls
            .after_hypothesis(&self.hooks(), hypothesis, &result)
            .await?;
        Ok(result)
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
        match self.call(provider, secrets).await {
            Ok(v) => truthy(&v),
            Err(_) => false,
        }
    }

    /// Runs the method into `runs`. A background activity starts where it
    /// stands and runs alongside the activities after it; all are awaited
    /// at the end of the method.
    async fn method(&self, runs: &mut Vec<Value>) -> Step {
        let method = &self.experiment["method"];
        let controls = self.controls.method_level();
        controls.before_method(&self.hooks(), method).await?;
        let mut background = Background::default();
        let mut outcome = Ok(());
        for activity in method.as_array().map(Vec::as_slice).unwrap_or_default() {
            if self
                .fail_fast_tripped
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                break;
            }
            let definition = self.resolve(activity);
            if definition.get("background").and_then(Value::as_bool) == Some(true) {
                self.say(
                    "INFO",
                    &format!(
                        "{}: {} [in background]",
                        kind(&definition),
                        text(&definition["name"])
                    ),
                );
                background.start(self.activity_owned(definition));
            } else if let Err(stop) = background.alongside(self.activity(&definition, runs)).await {
                outcome = Err(stop);
                break;
            }
        }
        for (entries, step) in background.finish().await {
            runs.extend(entries);
            if outcome.is_ok() {
                outcome = step;
            }
        }
        outcome?;
        controls
            .after_method(&self.hooks(), method, &Value::Array(runs.clone()))
            .await?;
        Ok(())
    }

    async fn rollbacks(&self, runs: &mut Vec<Value>) -> Step {
        let rollbacks = &self.experiment["rollbacks"];
        let list = rollbacks.as_array().map(Vec::as_slice).unwrap_or_default();
        let controls = self.controls.method_level();
        controls.before_rollback(&self.hooks(), rollbacks).await?;
        if list.is_empty() {
            self.say("INFO", "No declared rollbacks, let's move on.");
        } else {
            self.say("INFO", "Let's rollback...");
        }
        for activity in list {
            let definition = self.resolve(activity);
            self.activity(&definition, runs).await?;
        }
        controls
            .after_rollback(&self.hooks(), rollbacks, &Value::Array(runs.clone()))
            .await?;
        Ok(())
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

    /// The values of the secret scopes an activity's provider names
    /// (`provider.secrets`, as chaoslib reads them), merged.
    fn secrets_for(&self, activity: &Value) -> Value {
        let mut merged = Map::new();
        let scopes: Vec<&str> = match activity.get("provider").and_then(|p| p.get("secrets")) {
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

    async fn activity_owned(&self, activity: Value) -> (Vec<Value>, Step) {
        let mut entries = Vec::new();
        let step = self.activity(&activity, &mut entries).await;
        (entries, step)
    }

    /// One activity with its controls: the entry goes into `sink` before
    /// the after-hook runs.
    async fn activity(&self, activity: &Value, sink: &mut Vec<Value>) -> Step {
        self.check_interrupt()?;
        let controls = self.controls.context_level(activity);
        controls.before_activity(&self.hooks(), activity).await?;
        // An activity that ran stays in the journal even when the pause
        // after it is interrupted.
        let (entry, step) = self.execute(activity).await?;
        sink.push(entry.clone());
        step?;
        controls
            .after_activity(&self.hooks(), activity, &entry)
            .await?;
        Ok(())
    }

    /// Sleeps, unless interrupted.
    async fn pause(&self, pause: Duration) -> Step {
        tokio::select! {
            () = tokio::time::sleep(pause) => Ok(()),
            reason = self.interrupted() => Err(Stop::Interrupted(reason)),
        }
    }

    /// Runs one activity with its pauses: its run entry, and whether the
    /// pause after it was interrupted (an interrupt before it ran is an
    /// error instead).
    async fn execute(&self, activity: &Value) -> Step<(Value, Step)> {
        let lookup = self.lookup();
        let name = text(&activity["name"]);
        let kind = kind(activity);
        let dry = activity
            .get("dry")
            .and_then(Value::as_str)
            .and_then(|d| d.parse().ok())
            .or(self.runner.dry);
        let is_dry = match dry {
            Some(Dry::Actions) => activity["type"] == "action",
            Some(Dry::Probes) => activity["type"] == "probe",
            Some(Dry::Activities) => true,
            Some(Dry::Pause) | None => false,
        };
        let skip_pauses = is_dry || dry == Some(Dry::Pause);
        let pauses = substitute(activity.get("pauses").unwrap_or(&Value::Null), &lookup);
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
            let provider = substitute(&activity["provider"], &lookup);
            let secrets = self.secrets_for(activity);
            tokio::select! {
                r = self.call(provider, secrets) => r,
                reason = self.interrupted() => return Err(Stop::Interrupted(reason)),
            }
        };
        let end = Timestamp::now();
        let duration = seconds_between(start, end);
        let mut entry = Map::new();
        entry.insert("activity".into(), activity.clone());
        match outcome {
            Ok(output) => {
                entry.insert("output".into(), output);
                entry.insert("start".into(), json!(iso(start)));
                entry.insert("status".into(), json!("succeeded"));
                self.say(
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
    async fn call(&self, provider: Value, secrets: Value) -> Result<Value, String> {
        isolated(
            provider,
            self.runner.extensions.clone(),
            self.configuration_value.clone(),
            secrets,
            self.runner.environment.clone(),
        )
        .await
    }
}

/// Runs a provider in a task of its own (see [`Context::call`]).
async fn isolated(
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
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn kind(activity: &Value) -> &'static str {
    if activity["type"] == "action" {
        "Action"
    } else {
        "Probe"
    }
}

/// Background activities: each is polled from the moment it starts, while
/// the foreground runs, until all are done.
struct Background<F: std::future::Future> {
    running: Vec<Slot<F>>,
}

/// A background future and, once it is done, its output.
type Slot<F> = (
    std::pin::Pin<Box<F>>,
    Option<<F as std::future::Future>::Output>,
);

impl<F: std::future::Future> Default for Background<F> {
    fn default() -> Self {
        Self {
            running: Vec::new(),
        }
    }
}

impl<F: std::future::Future> Background<F> {
    fn start(&mut self, future: F) {
        self.running.push((Box::pin(future), None));
    }

    /// Polls every unfinished one; whether all are done.
    fn poll_all(&mut self, cx: &mut std::task::Context<'_>) -> bool {
        let mut done = true;
        for (future, result) in &mut self.running {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *result = Some(v),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        done
    }

    /// Runs `foreground` to its end while the background ones go on.
    async fn alongside<G: std::future::Future>(&mut self, foreground: G) -> G::Output {
        let mut foreground = std::pin::pin!(foreground);
        std::future::poll_fn(|cx| {
            self.poll_all(cx);
            foreground.as_mut().poll(cx)
        })
        .await
    }

    /// Waits for all of them; their outputs in the order they started.
    async fn finish(mut self) -> Vec<F::Output> {
        std::future::poll_fn(|cx| {
            if self.poll_all(cx) {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        self.running
            .into_iter()
            .filter_map(|(_, result)| result)
            .collect()
    }
}

/// The experiment with every value under `secrets` replaced by `"***"`,
/// for the journal (the Python runner writes them in clear).
fn redact_secrets(experiment: &Value) -> Value {
    let mut copy = experiment.clone();
    if let Some(Value::Object(scopes)) = copy.get_mut("secrets") {
        for values in scopes.values_mut() {
            match values {
                Value::Object(values) => {
                    for value in values.values_mut() {
                        *value = json!("***");
                    }
                }
                other => *other = json!("***"),
            }
        }
    }
    copy
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
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}
