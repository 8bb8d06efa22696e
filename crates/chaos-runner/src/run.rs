//! Running an experiment and writing its journal.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chaos_controls::{Changes, RunContext};

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::controls::{ControlFactory, Controls, Loaded};
use crate::journal::{iso, seconds_between};
use crate::providers::{self, Extension, Extensions, seconds};
use crate::substitute::{Lookup, substitute, substitute_provider};
use crate::{Error, Problem, tolerance, vars};

mod activity;
mod background;
mod hypothesis;
mod interrupt;
mod method;
mod record;
mod strategy;
mod view;

use activity::isolated;
use background::Background;
pub use interrupt::Interrupter;
pub(crate) use interrupt::Interruption;
use interrupt::{Step, Stop};
use record::State;
pub use strategy::{Dry, HypothesisStrategy, RollbackStrategy};
use view::{Activity, Status};

/// The `tracing` target of a run's progress events (see
/// [`Runner::progress`]).
pub const PROGRESS_TARGET: &str = "chaostoolkit";

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
    run_started_key: Option<String>,
    rollback_strategy: RollbackStrategy,
    hypothesis_strategy: HypothesisStrategy,
    hypothesis_frequency: Duration,
    fail_fast: bool,
    dry: Option<Dry>,
    progress: bool,
    interrupt: Arc<tokio::sync::watch::Sender<Interruption>>,
    /// The settings' controls a [`load`](Self::load) called, for the next
    /// run.
    loaded: Arc<Mutex<Loaded>>,
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
            run_started_key: None,
            rollback_strategy: RollbackStrategy::default(),
            hypothesis_strategy: HypothesisStrategy::default(),
            hypothesis_frequency: Duration::from_secs(1),
            fail_fast: false,
            dry: None,
            progress: false,
            interrupt: Arc::new(tokio::sync::watch::channel(Interruption::default()).0),
            loaded: Arc::default(),
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

/// What one run shares with its activities.
struct Context<'a> {
    runner: &'a Runner,
    experiment: &'a Value,
    /// The configuration and secrets as they stand, with the changes
    /// controls asked for applied (see [`Context::resolved`]).
    resolved: std::sync::Mutex<Arc<Resolved>>,
    /// The changes hooks asked for and that are not applied yet.
    changes: Changes,
    controls: Controls,
    interrupt: tokio::sync::watch::Receiver<Interruption>,
    /// Rollbacks run to their end, whatever interrupted the run before.
    rolling_back: std::sync::atomic::AtomicBool,
    /// Whether the user was told that rollbacks run to their end.
    rollback_warned: std::sync::atomic::AtomicBool,
    /// A check during the method failed with fail-fast on.
    fail_fast_tripped: std::sync::atomic::AtomicBool,
}

/// A run's resolved configuration (key → value) and secrets (scope →
/// values), each a JSON object.
struct Resolved {
    configuration: Value,
    secrets: Value,
    /// The configuration key the runner added (the run's start), which the
    /// experiment did not declare.
    injected: Option<String>,
}

impl Resolved {
    fn new(
        configuration: Map<String, Value>,
        secrets: Map<String, Value>,
        injected: Option<String>,
    ) -> Self {
        Resolved {
            configuration: Value::Object(configuration),
            secrets: Value::Object(secrets),
            injected,
        }
    }

    /// Whether providers' arguments are substituted: chaoslib substitutes
    /// them only when the run has a configuration or secrets, and the key
    /// the runner added is not the experiment's.
    fn arguments_substituted(&self) -> bool {
        has_values(
            self.configuration(),
            self.secrets(),
            self.injected.as_deref(),
        )
    }

    /// A provider substituted as chaoslib substitutes it (see
    /// [`substitute_provider`]).
    fn provider(&self, provider: &Value) -> Value {
        substitute_provider(
            provider,
            &self.lookup(),
            self.arguments_substituted(),
            self.injected.as_deref(),
        )
    }

    /// The configuration as a map.
    fn configuration(&self) -> &Map<String, Value> {
        as_map(&self.configuration)
    }

    /// The secrets as a map.
    fn secrets(&self) -> &Map<String, Value> {
        as_map(&self.secrets)
    }

    fn lookup(&self) -> Lookup<'_> {
        Lookup {
            configuration: self.configuration(),
            secrets: self.secrets(),
        }
    }
}

/// Whether a configuration (but for the key the runner added) or secrets
/// hold anything: chaoslib's test before it substitutes a provider's
/// arguments.
fn has_values(
    configuration: &Map<String, Value>,
    secrets: &Map<String, Value>,
    injected: Option<&str>,
) -> bool {
    !secrets.is_empty() || configuration.keys().any(|k| Some(k.as_str()) != injected)
}

/// An object's map; an empty one for anything else (never the case for
/// [`Resolved`], which only holds objects).
fn as_map(value: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    value
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// What a hook is given: the run as it stands when the hook is called.
struct Hooks<'c, 'a> {
    ctx: &'c Context<'a>,
    resolved: Arc<Resolved>,
}

impl Hooks<'_, '_> {
    fn run(&self) -> RunContext<'_> {
        RunContext {
            experiment: self.ctx.experiment,
            configuration: &self.resolved.configuration,
            secrets: &self.resolved.secrets,
            settings: &self.ctx.runner.settings,
            changes: Some(&self.ctx.changes),
        }
    }
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
    /// applies at the experiment, hypothesis and activity levels. A run or
    /// load with settings that [`validate_settings`](crate::validate_settings)
    /// finds problems in stops with [`Error::Settings`].
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

    /// Passes the time the run started (RFC 3339, UTC) to every provider
    /// as the configuration value `key`, unless the experiment's
    /// configuration declares that key itself; the experiment (and its
    /// hash) is left as it is. Extensions that compare with "before the
    /// run" read it (`chaosprom_run_started` for `compare_to_baseline`).
    pub fn run_started_key(mut self, key: impl Into<String>) -> Self {
        self.run_started_key = Some(key.into());
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

    /// Reports the run's progress, the lines `chaos run` prints, as
    /// [`tracing`] events with the target [`PROGRESS_TARGET`]: INFO,
    /// WARN, and ERROR where `chaos run` says CRITICAL. Whatever
    /// subscriber the program installs shows them (the `chaosprom` command
    /// prints them on stderr unless `-q`, and in its `--log-file`).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// A handle that interrupts this runner's runs (for signal handlers).
    pub fn interrupter(&self) -> Interrupter {
        Interrupter(self.interrupt.clone())
    }

    /// The settings' problems ([`validate_settings`](crate::validate_settings)'s),
    /// and, when there are none, those of their controls' arguments, as
    /// the registered controls check them (paths under the settings' root).
    pub fn settings_problems(&self) -> Vec<Problem> {
        let mut problems = crate::validate_settings(&self.settings);
        if problems.is_empty() {
            let controls = self.settings.get("controls").and_then(Value::as_object);
            for (name, control) in controls.into_iter().flatten() {
                let at = format!("$.controls.{name}");
                problems.extend(self.control_arguments(&at, name, control));
            }
        }
        problems
    }

    /// The settings' problems as an error, if they have any.
    fn check_settings(&self) -> Result<(), Error> {
        let problems = self.settings_problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Settings(problems))
        }
    }

    /// The problem of a control declaration (at `path`) whose registered
    /// control says its arguments cannot configure it: it would do
    /// nothing in the run.
    fn control_arguments(&self, path: &str, name: &str, control: &Value) -> Option<Problem> {
        let provider = control.get("provider")?;
        if provider.get("type").and_then(Value::as_str) != Some("python") {
            return None;
        }
        let factory = self
            .control_factories
            .get(provider.get("module").and_then(Value::as_str)?)?;
        let arguments = provider.get("arguments").unwrap_or(&Value::Null);
        let reason = factory().check_arguments(arguments).err()?;
        Some(Problem {
            path: format!("{path}.provider.arguments"),
            message: format!("control '{name}' cannot run with these arguments: {reason}"),
        })
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
        for problem in crate::validate::clashes_with_settings(experiment, &self.settings) {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
        for (path, control) in crate::validate::declared_controls(experiment) {
            let name = control
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some(problem) = self.control_arguments(&path, name, control) {
                problems.push(problem);
            }
        }
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
    /// configuration does: a process' standard output, stripped; an HTTP
    /// answer's body; a function's result. Each probe sees the
    /// configuration resolved so far, as chaoslib's does: the keys before
    /// its own, in the file's order, with the outputs of the probes among
    /// them. A probe that fails, or a process that exits with another
    /// status than 0, stops the run before it starts.
    async fn dynamic_configuration(
        &self,
        configuration: &mut Map<String, Value>,
        secrets: &Map<String, Value>,
        injected: Option<&str>,
    ) -> Result<(), Error> {
        if !configuration
            .values()
            .any(|v| v.get("type").and_then(Value::as_str) == Some("probe"))
        {
            return Ok(());
        }
        let declared = std::mem::take(configuration);
        for (key, probe) in declared {
            if probe.get("type").and_then(Value::as_str) != Some("probe") {
                configuration.insert(key, probe);
                continue;
            }
            let lookup = Lookup {
                configuration,
                secrets,
            };
            let arguments = has_values(configuration, secrets, injected);
            let provider = substitute_provider(&probe["provider"], &lookup, arguments, injected);
            let merged = activity::provider_secrets(&provider, secrets);
            let output = isolated(
                provider,
                self.extensions.clone(),
                Value::Object(configuration.clone()),
                merged,
                self.environment.clone(),
            )
            .await
            .map_err(|reason| Error::Config {
                key: format!("configuration.{key}"),
                reason: format!(
                    "its probe failed: {}",
                    crate::journal::mask_secrets(&reason, secrets)
                ),
            })?;
            let value = match probe["provider"]["type"].as_str() {
                Some("process") => {
                    if output["status"] != 0 {
                        return Err(Error::Config {
                            key: format!("configuration.{key}"),
                            // Masked before the cut, which could leave
                            // the start of a secret.
                            reason: match cut(
                                crate::journal::mask_secrets(
                                    &text(&output["stderr"])
                                        .split_whitespace()
                                        .collect::<Vec<_>>()
                                        .join(" "),
                                    secrets,
                                ),
                                300,
                            ) {
                                stderr if stderr.is_empty() => format!(
                                    "its process exited with status {}, with nothing on standard error",
                                    output["status"]
                                ),
                                stderr => format!(
                                    "its process exited with status {}: {stderr}",
                                    output["status"]
                                ),
                            },
                        });
                    }
                    json!(crate::pystr::strip(
                        output["stdout"].as_str().unwrap_or_default()
                    ))
                }
                Some("http") => output.get("body").cloned().unwrap_or(Value::Null),
                _ => output,
            };
            configuration.insert(key, value);
        }
        Ok(())
    }

    fn say(&self, level: &str, message: &str) {
        if self.progress {
            match level {
                "INFO" => tracing::info!(target: PROGRESS_TARGET, "{message}"),
                "WARNING" => tracing::warn!(target: PROGRESS_TARGET, "{message}"),
                _ => tracing::error!(target: PROGRESS_TARGET, "{message}"),
            }
        }
    }

    /// Loads an experiment as `chaos run` loads it: from a file, a URL or
    /// `-` ([`load_experiment_with`](crate::load_experiment_with), with this
    /// runner's settings), with the loader hooks of the controls the
    /// settings declare: `before_loading_experiment`, then
    /// `after_loading_experiment`, which may change it. They are called
    /// before `configure`, as chaoslib calls its global controls' loader
    /// hooks before it initializes them, and the next [`run`](Self::run)
    /// of this runner (or of a clone of it) configures and drives the same
    /// instances, as a Python control module keeps its state from the load
    /// to the run. A control that interrupts stops the load with an error;
    /// one that fails is logged and passed over.
    pub async fn load(&self, source: &str, verify_tls: bool) -> Result<Value, Error> {
        self.check_settings()?;
        let controls = Controls::new(
            &json!({}),
            &self.settings["controls"],
            &self.control_factories,
            Loaded::new(),
        );
        let set = controls.experiment_level();
        let interrupted = |i: chaos_controls::Interrupted| Error::Load {
            path: chaosprom_http::redact(source),
            reason: format!(
                "control '{}' interrupted the load in {}: {}",
                i.control, i.hook, i.reason
            ),
        };
        set.before_loading_experiment(source)
            .await
            .map_err(interrupted)?;
        let mut experiment =
            crate::load_experiment_with(source, &self.settings, verify_tls).await?;
        set.after_loading_experiment(source, &mut experiment)
            .await
            .map_err(interrupted)?;
        *self.loaded.lock().unwrap_or_else(PoisonError::into_inner) = controls.into_loaded();
        Ok(experiment)
    }

    /// Runs the experiment and returns its journal. An error means it could
    /// not start (invalid, or configuration missing); whatever happens once
    /// it runs is in the journal.
    pub async fn run(&self, experiment: &Value) -> Result<Value, Error> {
        let (as_run, resolved) = self.prepare(experiment).await?;
        let loaded =
            std::mem::take(&mut *self.loaded.lock().unwrap_or_else(PoisonError::into_inner));
        let controls = Controls::new(
            &as_run,
            &self.settings["controls"],
            &self.control_factories,
            loaded,
        );
        let ctx = self.context(&as_run, resolved, controls);
        Ok(ctx.run().await)
    }

    /// Runs one activity of the experiment, named `name` in its hypothesis,
    /// method or rollbacks, with the configuration, secrets and substitution
    /// a run gives it, and, for a probe with a tolerance, judges its output;
    /// nothing else runs: no other activity, no control, no pause. Returns
    /// the activity's run entry (with `tolerance_met` when it has a
    /// tolerance). The quickest way to debug a tolerance.
    pub async fn run_activity(&self, experiment: &Value, name: &str) -> Result<Value, Error> {
        let mut entries = self.run_activities(experiment, &[name]).await?;
        Ok(entries.pop().unwrap_or(Value::Null))
    }

    /// [`run_activity`](Self::run_activity) for several activities, in
    /// order, with the experiment validated and its configuration and
    /// secrets resolved (configuration probes run) once for all of them.
    pub async fn run_activities(
        &self,
        experiment: &Value,
        names: &[&str],
    ) -> Result<Vec<Value>, Error> {
        let (as_run, resolved) = self.prepare(experiment).await?;
        let mut activities = Vec::new();
        for name in names {
            let Some(found) =
                view::declared(&as_run).find(|a| a.get("ref").is_none() && a["name"] == *name)
            else {
                return Err(Error::Invalid(vec![Problem {
                    path: "$".into(),
                    message: format!("no activity is named '{name}'"),
                }]));
            };
            let mut activity = found.clone();
            if let Some(map) = activity.as_object_mut() {
                map.remove("pauses");
                map.remove("background");
            }
            activities.push(activity);
        }
        let controls = Controls::new(
            &json!({}),
            &json!({}),
            &self.control_factories,
            Loaded::new(),
        );
        let ctx = self.context(&as_run, resolved, controls);
        let mut entries = Vec::new();
        for activity in &activities {
            let mut runs = Vec::new();
            if let Err(Stop::Interrupted(reason)) = ctx.activity(activity, &mut runs).await {
                return Err(Error::Config {
                    key: activity["name"].as_str().unwrap_or_default().to_owned(),
                    reason: format!("interrupted: {reason}"),
                });
            }
            let mut entry = runs.pop().unwrap_or(Value::Null);
            if activity.get("tolerance").is_some() {
                ctx.judge(activity, &mut entry, false).await;
            }
            entries.push(entry);
        }
        Ok(entries)
    }

    /// What a run starts from: the experiment as it runs (title
    /// substituted, `dry` set), its configuration and its secrets.
    async fn prepare(&self, experiment: &Value) -> Result<(Value, Resolved), Error> {
        self.check_settings()?;
        let problems = self.validate(experiment);
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        if any_process_with_mapping_arguments(experiment) {
            // chaoslib's words, once a run.
            self.say(
                "WARNING",
                "Process arguments should now be a list to keep the ordering of the arguments. \
                 Dictionary arguments are deprecated for process activities.",
            );
        }
        for name in activities_with_own_timeout(experiment) {
            self.say(
                "WARNING",
                &format!(
                    "activity '{name}' has a `timeout` of its own, which is not applied (nor by chaos run): its provider's `timeout` limits it"
                ),
            );
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
        // First, so that every configuration probe sees it.
        let injected = self
            .run_started_key
            .as_deref()
            .filter(|key| !configuration.contains_key(*key));
        if let Some(key) = injected {
            configuration.shift_insert(0, key.to_owned(), json!(Timestamp::now().to_string()));
        }
        self.dynamic_configuration(&mut configuration, &secrets, injected)
            .await?;
        let lookup = Lookup {
            configuration: &configuration,
            secrets: &secrets,
        };
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
        let injected = injected.map(str::to_owned);
        Ok((as_run, Resolved::new(configuration, secrets, injected)))
    }

    fn context<'a>(
        &'a self,
        as_run: &'a Value,
        resolved: Resolved,
        controls: Controls,
    ) -> Context<'a> {
        Context {
            runner: self,
            experiment: as_run,
            resolved: std::sync::Mutex::new(Arc::new(resolved)),
            changes: Changes::new(),
            controls,
            interrupt: self.interrupt.subscribe(),
            rolling_back: std::sync::atomic::AtomicBool::new(false),
            rollback_warned: std::sync::atomic::AtomicBool::new(false),
            fail_fast_tripped: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl<'a> Context<'a> {
    /// The configuration and secrets as they stand now: the changes hooks
    /// asked for so far are applied first, so what starts after a hook
    /// returned sees them (a Python control changes the dictionaries
    /// chaoslib gives every later activity).
    fn resolved(&self) -> Arc<Resolved> {
        let changes = self.changes.take();
        let mut current = self
            .resolved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !changes.is_empty() {
            let mut configuration = current.configuration().clone();
            let mut secrets = current.secrets().clone();
            for change in changes {
                // The name only: the value may be a secret.
                tracing::debug!("a control set the {}", change.name());
                change.apply(&mut configuration, &mut secrets);
            }
            *current = Arc::new(Resolved::new(
                configuration,
                secrets,
                current.injected.clone(),
            ));
        }
        Arc::clone(&current)
    }

    /// What hooks are given now: `self.hooks().run()`.
    fn hooks(&self) -> Hooks<'_, 'a> {
        Hooks {
            ctx: self,
            resolved: self.resolved(),
        }
    }

    fn say(&self, level: &str, m: &str) {
        self.runner.say(level, m);
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
                state.status = Some(Status::Interrupted);
                self.say("CRITICAL", &format!("Experiment interrupted: {reason}"));
            }
        }
        let status = state.status.unwrap_or(Status::Completed);
        let skip = self.interrupt.borrow().skip_rollbacks;
        if skip {
            self.say("WARNING", "Ignoring rollbacks as per signal");
        }
        let mut play = !skip
            && match self.runner.rollback_strategy {
                RollbackStrategy::Always => true,
                RollbackStrategy::Never => false,
                RollbackStrategy::Default => status == Status::Completed,
                RollbackStrategy::Deviated => state.deviated,
            };
        let mut status = status;
        self.rolling_back
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if play && self.check_interrupt().is_err() {
            // Interrupted twice, or now, before the rollbacks began.
            play = false;
            status = Status::Interrupted;
        }
        if play {
            if let Err(Stop::Interrupted(reason)) = self.rollbacks(&mut state.rollbacks).await {
                status = Status::Interrupted;
                self.say("CRITICAL", &format!("Rollbacks interrupted: {reason}"));
            }
        }
        let ended = Timestamp::now();
        self.say(
            "INFO",
            &format!(
                "Experiment ended with status: {}",
                if state.deviated {
                    "deviated"
                } else {
                    status.as_str()
                }
            ),
        );

        let journal = state.into_journal(self.experiment, started, ended, status);
        // An interrupt here is ignored, as in the Chaos Toolkit.
        let _ = self
            .controls
            .experiment_level()
            .after_experiment(&self.hooks().run(), &journal)
            .await;
        self.controls.cleanup().await;
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
        self.controls.configure(&self.hooks().run()).await?;
        self.controls
            .experiment_level()
            .before_experiment(&self.hooks().run())
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
                    Status::Failed
                } else {
                    Status::Completed
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
            state.status = Some(Status::Failed);
        }
        if let (Some(h), true) = (hypothesis, strategy.after()) {
            state.after = self.hypothesis(h).await?;
            if state.after["steady_state_met"] != json!(true) {
                state.deviated = true;
                state.status = Some(if any_failed(&state.after) {
                    Status::Failed
                } else {
                    Status::Completed
                });
                self.say("CRITICAL", &format!("Steady state probe '{}' is not in the given tolerance so failing this experiment", last_probe(&state.after)));
            }
        }
        Ok(())
    }
}

/// Whether a process activity anywhere has its `arguments` as a mapping,
/// which chaoslib deprecates.
fn any_process_with_mapping_arguments(experiment: &Value) -> bool {
    view::declared(experiment)
        .any(|a| a["provider"]["type"] == "process" && a["provider"]["arguments"].is_object())
}

/// The names of the activities with a `timeout` beside their provider,
/// which chaoslib checks is a number and applies nowhere.
fn activities_with_own_timeout(experiment: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for a in view::declared(experiment) {
        if a.get("timeout").is_some_and(Value::is_number) {
            let name = text(&a["name"]);
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn any_failed(state: &Value) -> bool {
    state["probes"]
        .as_array()
        .is_some_and(|p| p.iter().any(|r| r["status"] != view::SUCCEEDED))
}

fn last_probe(state: &Value) -> String {
    state["probes"]
        .as_array()
        .and_then(|p| p.last())
        .map(|r| text(&r["activity"]["name"]))
        .unwrap_or_default()
}

/// `text` cut to `max` characters, saying how long it was.
fn cut(text: String, max: usize) -> String {
    let length = text.chars().count();
    if length <= max {
        return text;
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… ({length} characters)")
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Python's truthiness of a JSON value.
pub(crate) use chaos_controls::python::truthy;
