//! The experiment commands: run, validate, discover; the runner with
//! this extension registered.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::Failure;
use crate::flags::{RunArgs, seconds_arg};
use crate::notify::{Event, experiment_payload, notify};

/// `validate`, and with `check_servers` the servers' answers. The
/// settings' notification channels get `validate-started`, then
/// `validate-completed` or `validate-failed`, as from `chaos validate`.
pub(crate) async fn validate(
    file: &str,
    check_servers: bool,
    settings_file: Option<&std::path::Path>,
    verify_tls: bool,
) -> Result<(), Failure> {
    let settings = settings(settings_file)?;
    let experiment = load_experiment(file, &settings, verify_tls).await?;
    let shown = experiment_payload(&settings, &experiment);
    notify(&settings, Event::ValidateStarted, &shown, None).await;
    // With the settings, so that a control of the experiment's that the
    // settings declare otherwise is found here, not only when run.
    let mut problems = runner().settings(settings.clone()).validate(&experiment);
    if problems.is_empty() {
        problems.extend(environment_problems(&experiment));
    }
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        // In the form chaoslib's payload encoder gives an exception.
        let error = format!(
            "An exception was raised: InvalidExperiment('{}')",
            listed.join("\n")
        );
        notify(&settings, Event::ValidateFailed, &shown, Some(&error)).await;
        for p in &listed {
            crate::print_line("the problems", p)?;
        }
        return Err(Failure {
            code: 1,
            message: format!("{} problem(s) in {file}", problems.len()),
        });
    }
    notify(&settings, Event::ValidateCompleted, &shown, None).await;
    if check_servers {
        let failures = check_servers_of(&experiment).await;
        if !failures.is_empty() {
            for f in &failures {
                crate::print_line("the failures", f)?;
            }
            return Err(Failure {
                code: 1,
                message: format!("{} server check(s) failed for {file}", failures.len()),
            });
        }
    }
    crate::print_line("the verdict", &format!("{file} is a valid experiment"))?;
    Ok(())
}

/// What the environment lacks for the experiment's configuration and
/// secrets (an `env` key whose variable is not set and has no default, a
/// value its `env_var_type` cannot read), as `chaos validate` loads them.
fn environment_problems(experiment: &Value) -> Vec<chaos_runner::Problem> {
    let none = serde_json::Map::new();
    let as_problem = |e: chaos_runner::Error| match e {
        chaos_runner::Error::Config { key, reason } => chaos_runner::Problem {
            path: format!("$.{key}"),
            message: reason,
        },
        other => chaos_runner::Problem {
            path: "$".into(),
            message: other.to_string(),
        },
    };
    let mut problems = Vec::new();
    if let Err(e) = chaos_runner::resolve_configuration(experiment.get("configuration"), &none) {
        problems.push(as_problem(e));
    }
    if let Err(e) = chaos_runner::resolve_secrets(experiment.get("secrets"), &none) {
        problems.push(as_problem(e));
    }
    problems
}

/// Sends every `chaosprometheus.probes` activity once (they only read)
/// and asks every metrics control's Pushgateway whether it is ready; what
/// failed, one line each.
async fn check_servers_of(experiment: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    let runner = runner();
    let lists = [
        &experiment["steady-state-hypothesis"]["probes"],
        &experiment["method"],
        &experiment["rollbacks"],
    ];
    let mut names: Vec<&str> = Vec::new();
    for activity in lists.into_iter().filter_map(Value::as_array).flatten() {
        match activity["name"].as_str() {
            Some(name)
                if activity.get("ref").is_none()
                    && activity["provider"]["module"] == chaosprometheus::PROBES_MODULE
                    && !names.contains(&name) =>
            {
                names.push(name);
            }
            _ => {}
        }
    }
    // One preparation (configuration probes run once) for all of them.
    match runner.run_activities(experiment, &names).await {
        Ok(entries) => {
            for (name, entry) in names.iter().zip(&entries) {
                if entry["status"] != "succeeded" {
                    failures.push(format!(
                        "activity '{name}': {}",
                        entry["exception"]
                            .as_array()
                            .and_then(|lines| lines.first())
                            .and_then(Value::as_str)
                            .unwrap_or("failed")
                            .trim()
                    ));
                }
            }
        }
        Err(e) => failures.push(e.to_string()),
    }
    let controls = experiment["controls"].as_array().into_iter().flatten();
    for control in controls.filter(|c| c["provider"]["module"] == chaosprometheus::METRICS_MODULE) {
        let name = control["name"].as_str().unwrap_or("metrics");
        let url = match control["provider"]["arguments"].get("pushgateway_url") {
            // No Pushgateway: the control writes remotely only.
            Some(Value::Null) => continue,
            Some(url) => url.as_str().unwrap_or_default(),
            None => "http://localhost:9091",
        };
        // As the control reads it (without a scheme, http).
        let url = chaosprometheus::pushgateway::gateway_url(url);
        let url = url.as_str();
        let ready = match chaosprometheus::api::Client::new(url) {
            Ok(client) => client.ready().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match ready {
            Ok(true) => {}
            Ok(false) => failures.push(format!(
                "control '{name}': the Pushgateway at {} is not ready",
                chaosprometheus::api::redact_url(url)
            )),
            Err(e) => failures.push(format!("control '{name}': {e}")),
        }
    }
    failures
}

/// `discover`.
pub(crate) fn discover() -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(&chaosprometheus::discover()).unwrap_or_default();
    crate::print_line("the discovery", &text)
}

/// The runner, with this extension's probes and control registered.
fn runner() -> chaos_runner::Runner {
    let metrics: chaos_runner::ControlFactory = std::sync::Arc::new(|| {
        std::sync::Arc::new(chaosprometheus::MetricsControl::new())
            as std::sync::Arc<dyn chaosprometheus::controls::Control>
    });
    chaos_runner::Runner::new()
        .extension(
            chaosprometheus::PROBES_MODULE,
            std::sync::Arc::new(Module(chaosprometheus::PROBES_MODULE)),
        )
        .extension(
            chaosprometheus::TOLERANCES_MODULE,
            std::sync::Arc::new(Module(chaosprometheus::TOLERANCES_MODULE)),
        )
        .control_module(chaosprometheus::METRICS_MODULE, metrics)
        .run_started_key(chaosprometheus::checks::RUN_STARTED_KEY)
}

/// The settings: the file given, or ~/.chaostoolkit/settings.yaml when it
/// exists, or none. Something there that is not a file (a folder, a
/// FIFO) is an error, not settings silently left out: they may hold the
/// run's controls.
fn settings(path: Option<&std::path::Path>) -> Result<Value, Failure> {
    let default = home::home_dir().map(|h| h.join(".chaostoolkit/settings.yaml"));
    let path = match (path, default) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(d)) => match std::fs::metadata(&d) {
            Ok(m) if m.is_file() => d,
            Ok(_) => {
                return Err(Failure {
                    code: 1,
                    message: format!(
                        "cannot load {}: not a regular file (the settings are read from there when it exists)",
                        d.display()
                    ),
                });
            }
            // As `chaos`, which asks `os.path.exists`.
            Err(_) => return Ok(json!({})),
        },
        (None, None) => return Ok(json!({})),
    };
    let loaded = load(&path)?;
    // Their controls' arguments too: a settings' control applies to
    // every run, and one its arguments cannot configure would do nothing.
    let problems = runner().settings(loaded.clone()).settings_problems();
    if !problems.is_empty() {
        return Err(invalid_settings(&path.display().to_string(), &problems, ""));
    }
    Ok(if loaded.is_null() { json!({}) } else { loaded })
}

/// The failure for settings (or a control file, whose paths are under
/// `$.controls` in the settings it joins: `within` is taken off them).
fn invalid_settings(file: &str, problems: &[chaos_runner::Problem], within: &str) -> Failure {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| {
            let path = match p.path.strip_prefix(within) {
                Some(rest) if !within.is_empty() => format!("${rest}"),
                _ => p.path.clone(),
            };
            format!("  {path}: {}", p.message)
        })
        .collect();
    Failure {
        code: 1,
        message: format!("{file} is not valid:\n{}", lines.join("\n")),
    }
}

/// `--control-file`: each file's controls (name → declaration, JSON or
/// YAML) join the settings' `controls`, as `chaos run --control-file`
/// adds them to its global controls. A name declared twice is refused
/// rather than one of the two silently dropped.
fn add_control_files(settings: &mut Value, files: &[PathBuf]) -> Result<(), Failure> {
    for file in files {
        let loaded = load(file)?;
        if loaded.is_null() {
            // An empty file: no controls, as chaos skips it.
            continue;
        }
        let fail = |message: String| Failure {
            code: 1,
            message: format!("--control-file {}: {message}", file.display()),
        };
        let Value::Object(controls) = loaded else {
            return Err(fail(
                "expected a mapping of control names to declarations".into(),
            ));
        };
        let problems = runner()
            .settings(json!({ "controls": controls }))
            .settings_problems();
        if !problems.is_empty() {
            let shown = format!("--control-file {}", file.display());
            return Err(invalid_settings(&shown, &problems, "$.controls"));
        }
        if !settings.is_object() {
            *settings = json!({});
        }
        if !settings["controls"].is_object() {
            settings["controls"] = json!({});
        }
        for (name, declaration) in controls {
            if settings["controls"].get(&name).is_some() {
                return Err(fail(format!("the control '{name}' is already declared")));
            }
            settings["controls"][&name] = declaration;
        }
    }
    Ok(())
}

/// Interrupts the run as `chaos run` does: SIGINT, SIGTERM and SIGUSR1
/// gracefully (rollbacks per strategy; a second one stops rollbacks that
/// hang), SIGUSR2 at once (no rollbacks). Every signal counts, not only
/// the first.
///
/// SIGHUP, which `chaos run` leaves to kill it, is taken and the run goes
/// on: a terminal that went away (an SSH session that dropped) is no
/// request to stop, and dying there would leave the fault injected, with
/// no rollbacks and no journal.
fn on_signals(interrupter: &chaos_runner::Interrupter) {
    use tokio::signal::unix::{SignalKind, signal};
    if let Ok(mut hangups) = signal(SignalKind::hangup()) {
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                tracing::warn!(
                    target: chaos_runner::PROGRESS_TARGET,
                    "received SIGHUP (the terminal went away?): the run goes on to its end, rollbacks and journal included; SIGINT or SIGTERM interrupt it"
                );
            }
        });
    }
    for (kind, name, now) in [
        (SignalKind::interrupt(), "SIGINT", false),
        (SignalKind::terminate(), "SIGTERM", false),
        (SignalKind::user_defined1(), "SIGUSR1", false),
        (SignalKind::user_defined2(), "SIGUSR2", true),
    ] {
        let Ok(mut stream) = signal(kind) else {
            continue;
        };
        let interrupter = interrupter.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                let reason = format!("received {name}");
                if now {
                    interrupter.interrupt_now(reason);
                } else {
                    interrupter.interrupt(reason);
                }
            }
        });
    }
}

/// A module of this extension (`chaosprometheus.probes`,
/// `chaosprometheus.tolerances`) for the runner.
struct Module(&'static str);

#[async_trait::async_trait]
impl chaos_runner::Extension for Module {
    fn has_function(&self, function: &str) -> bool {
        chaosprometheus::has_function(self.0, function)
    }

    fn check_call(&self, function: &str, arguments: &Value) -> Result<(), String> {
        chaosprometheus::check_call(self.0, function, arguments).map_err(|e| e.to_string())
    }

    /// The `prometheus_*` keys given as plain values, checked as a probe
    /// reads them.
    fn check_configuration(&self, configuration: &Value) -> Vec<(String, String)> {
        // The probes' module reads the configuration; checked once, there.
        let Some(map) = configuration
            .as_object()
            .filter(|_| self.0 == chaosprometheus::PROBES_MODULE)
        else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        for (key, value) in map {
            if !key.starts_with("prometheus_") || value.is_object() && key != "prometheus_headers" {
                continue;
            }
            if value.as_str().is_some_and(|s| s.contains('$')) {
                continue;
            }
            let single = json!({ key.clone(): value.clone() });
            if let Err(e) = chaosprometheus::Settings::from_chaos(&single, &json!({})) {
                problems.push((key.clone(), e.to_string()));
            }
        }
        problems
    }

    async fn call(
        &self,
        function: &str,
        arguments: &Value,
        configuration: &Value,
        secrets: &Value,
    ) -> Result<Value, String> {
        match chaosprometheus::dispatch(self.0, function, arguments, configuration, secrets).await {
            Ok(chaosprometheus::Activity::Output(v)) => Ok(v),
            Ok(_) => Err(format!("{function} is not a probe")),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// How a run goes: each from its flag, else the experiment's `runtime`,
/// else the settings' `runtime`, else the default (as `chaos run`).
struct Runtime {
    rollback_strategy: chaos_runner::RollbackStrategy,
    hypothesis_strategy: chaos_runner::HypothesisStrategy,
    hypothesis_frequency: f64,
    fail_fast: bool,
}

impl Runtime {
    fn read(experiment: &Value, settings: &Value, args: &RunArgs) -> Result<Self, Failure> {
        let get = |path: &[&str]| -> Option<(String, &Value)> {
            for (source, root) in [
                ("the experiment's", experiment),
                ("the settings'", settings),
            ] {
                let mut value = root.get("runtime");
                for key in path {
                    value = value.and_then(|v| v.get(*key));
                }
                if let Some(v) = value.filter(|v| !v.is_null()) {
                    return Some((format!("{source} runtime.{}", path.join(".")), v));
                }
            }
            None
        };
        let bad = |name: &str, reason: String| Failure {
            code: 2,
            message: format!("{name}: {reason}"),
        };
        let parse = |path: &[&str]| -> Result<Option<(String, String)>, Failure> {
            match get(path) {
                None => Ok(None),
                Some((name, Value::String(s))) => Ok(Some((name, s.clone()))),
                Some((name, other)) => Err(bad(&name, format!("expected a string, found {other}"))),
            }
        };
        let rollback_strategy = match (args.rollback_strategy, parse(&["rollbacks", "strategy"])?) {
            (Some(flag), _) => flag,
            (None, Some((name, text))) => text.parse().map_err(|e| bad(&name, e))?,
            (None, None) => chaos_runner::RollbackStrategy::default(),
        };
        let hypothesis_strategy = match (
            args.hypothesis_strategy.as_deref(),
            parse(&["hypothesis", "strategy"])?,
        ) {
            (Some(flag), _) => flag.parse().map_err(|e| bad("--hypothesis-strategy", e))?,
            (None, Some((name, text))) => text.parse().map_err(|e| bad(&name, e))?,
            (None, None) => chaos_runner::HypothesisStrategy::default(),
        };
        let hypothesis_frequency =
            match (args.hypothesis_frequency, get(&["hypothesis", "frequency"])) {
                (Some(flag), _) => flag,
                (None, Some((name, value))) => {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    seconds_arg(&text).map_err(|e| bad(&name, e))?
                }
                (None, None) => 1.0,
            };
        let fail_fast = args.fail_fast
            || match get(&["hypothesis", "fail_fast"]) {
                None => false,
                Some((_, Value::Bool(b))) => *b,
                Some((name, other)) => {
                    return Err(bad(&name, format!("expected true or false, found {other}")));
                }
            };
        Ok(Self {
            rollback_strategy,
            hypothesis_strategy,
            hypothesis_frequency,
            fail_fast,
        })
    }
}

/// Where the journal (or another report of the run) goes: checked before
/// the run (so that nothing is injected when it could not be written), and
/// written after it. A regular file is written atomically (a temporary
/// file in the same folder, then renamed over it), so that a crash or a
/// second run never leaves a truncated journal; through a symbolic link,
/// the file it points to is (the link stays). What is not a regular file
/// (`/dev/stdout`, a named pipe, a terminal) is written in place: renaming
/// over it would replace the device's name with a file. A block device
/// (a disk) or a socket is refused.
struct OutputFile {
    what: &'static str,
    /// The path as given, for messages.
    path: PathBuf,
    target: Target,
}

/// How an [`OutputFile`] is written.
enum Target {
    /// A regular file, new or not, at its real path: written beside it,
    /// then renamed over it.
    Replace { file: PathBuf, folder: PathBuf },
    /// Anything else, opened and written where it is.
    InPlace,
}

impl OutputFile {
    /// Where `path` leads, and whether a file can be written there.
    fn new(what: &'static str, path: &std::path::Path) -> Result<Self, String> {
        let replace = |file: PathBuf| {
            let folder = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            // Proves the folder takes a new file (the rename needs it).
            tempfile::Builder::new()
                .prefix(".chaosprom-journal-")
                .tempfile_in(&folder)
                .map_err(|e| format!("cannot create a file in {}: {e}", folder.display()))?;
            Ok::<_, String>(Target::Replace { file, folder })
        };
        let target = match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => return Err("it is a folder".into()),
            Ok(m) if m.is_file() => {
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(|e| e.to_string())?;
                replace(std::fs::canonicalize(path).map_err(|e| e.to_string())?)?
            }
            Ok(m) => {
                use std::os::unix::fs::FileTypeExt as _;
                let kind = m.file_type();
                if !(kind.is_char_device() || kind.is_fifo()) {
                    // A disk (`/dev/sda`) or a socket: written in place, a
                    // journal would overwrite what the disk holds.
                    return Err("it is neither a regular file, a pipe nor a terminal".into());
                }
                Target::InPlace
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A new file; a link to a file yet to be is made where it
                // points.
                let file = match std::fs::read_link(path) {
                    Ok(to) => path.parent().unwrap_or(std::path::Path::new(".")).join(to),
                    Err(_) => path.to_path_buf(),
                };
                replace(file)?
            }
            Err(e) => return Err(e.to_string()),
        };
        Ok(Self {
            what,
            path: path.to_path_buf(),
            target,
        })
    }

    /// Refuses to be the experiment's own file (`--journal-path
    /// experiment.json`), which the run would overwrite.
    fn not_the_experiment(&self, experiment: &str) -> Result<(), Failure> {
        let Target::Replace { file, .. } = &self.target else {
            return Ok(());
        };
        let same = std::fs::canonicalize(experiment)
            .is_ok_and(|e| std::fs::canonicalize(file).is_ok_and(|f| f == e));
        if same {
            return Err(Failure {
                code: 1,
                message: format!(
                    "cannot write {} to {}: it is the experiment's file, which it would overwrite; nothing was run",
                    self.what,
                    self.path.display()
                ),
            });
        }
        Ok(())
    }

    /// [`Self::new`] before a run: a failure says that nothing was run.
    fn check(what: &'static str, path: &std::path::Path) -> Result<Self, Failure> {
        Self::new(what, path).map_err(|reason| Failure {
            code: 1,
            message: format!(
                "cannot write {what} to {}: {reason}; nothing was run",
                path.display()
            ),
        })
    }

    fn write(&self, text: &[u8]) -> Result<(), Failure> {
        use std::io::Write as _;
        let fail = |reason: String| Failure {
            code: 1,
            message: format!(
                "cannot write {} to {}: {reason}",
                self.what,
                self.path.display()
            ),
        };
        let Target::Replace { file: path, folder } = &self.target else {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(&self.path)
                .and_then(|mut out| out.write_all(text))
                .map_err(|e| fail(e.to_string()));
        };
        let mut file = tempfile::Builder::new()
            .prefix(".chaosprom-journal-")
            .tempfile_in(folder)
            .map_err(|e| fail(e.to_string()))?;
        // A file replaced keeps its permissions.
        if let Ok(existing) = std::fs::metadata(path) {
            let _ = file.as_file().set_permissions(existing.permissions());
        }
        file.write_all(text)
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| fail(e.to_string()))?;
        file.persist(path).map_err(|e| fail(e.error.to_string()))?;
        Ok(())
    }

    /// [`Self::write`], and when that fails (a disk filled during the
    /// run), the same bytes in a new file of the temporary folder, so that
    /// the record of what was injected is not lost; the failure names
    /// where they went.
    fn write_or_keep(&self, text: &[u8]) -> Result<(), Failure> {
        use std::io::Write as _;
        let Err(failure) = self.write(text) else {
            return Ok(());
        };
        let kept = tempfile::Builder::new()
            .prefix("chaosprom-journal-")
            .suffix(".json")
            .tempfile()
            .and_then(|mut file| {
                file.write_all(text)?;
                file.as_file().sync_all()?;
                file.keep().map_err(|e| e.error)
            });
        Err(match kept {
            Ok((_, path)) => Failure {
                code: 1,
                message: format!(
                    "{}; it was written to {} instead",
                    failure.message,
                    path.display()
                ),
            },
            Err(_) => failure,
        })
    }
}

/// The experiment from a file, `-` or a URL (fetched with the settings'
/// `auths`, and without checking certificates under `--no-verify-tls`).
async fn load_experiment(
    source: &str,
    settings: &Value,
    verify_tls: bool,
) -> Result<Value, Failure> {
    chaos_runner::load_experiment_with(source, settings, verify_tls)
        .await
        .map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })
}

fn load(file: &std::path::Path) -> Result<Value, Failure> {
    chaos_runner::load_file(file).map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
    })
}

/// The configuration, secrets and environment of `--var` and
/// `--var-file` flags (a `--var` wins over a file).
fn vars(vars: &[String], files: &[PathBuf]) -> Result<chaos_runner::VarFile, Failure> {
    let mut all = chaos_runner::VarFile::default();
    for file in files {
        let loaded = chaos_runner::load_var_file(file).map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })?;
        all.configuration.extend(loaded.configuration);
        all.secrets.extend(loaded.secrets);
        all.environment.extend(loaded.environment);
    }
    for var in vars {
        let (key, value) = chaos_runner::parse_var(var).map_err(|e| Failure {
            code: 2,
            message: e.to_string(),
        })?;
        all.configuration.insert(key, value);
    }
    Ok(all)
}

/// `probe`: one activity, with what a run would give it; its output on
/// stdout, the verdict on stderr.
pub(crate) async fn probe(
    file: &str,
    name: &str,
    var_flags: &[String],
    var_files: &[PathBuf],
    quiet: bool,
) -> Result<(), Failure> {
    let experiment = load_experiment(file, &Value::Null, true).await?;
    let vars = vars(var_flags, var_files)?;
    let runner = runner()
        .configuration(vars.configuration)
        .secrets(vars.secrets)
        .environment(vars.environment)
        .progress(true);
    on_signals(&runner.interrupter());
    let is_action = ["steady-state-hypothesis", "method", "rollbacks"]
        .iter()
        .filter_map(|key| match *key {
            "steady-state-hypothesis" => experiment[key]["probes"].as_array(),
            _ => experiment[key].as_array(),
        })
        .flatten()
        .any(|a| a.get("ref").is_none() && a["name"] == name && a["type"] == "action");
    if is_action {
        // Run alone, an action would inject its fault with no rollback.
        return Err(Failure {
            code: 2,
            message: format!(
                "'{name}' is an action: probe runs only probes (use run for the whole experiment)"
            ),
        });
    }
    let entry = runner
        .run_activity(&experiment, name)
        .await
        .map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })?;
    let shown = if entry["status"] == "succeeded" {
        &entry["output"]
    } else {
        &entry["exception"]
    };
    crate::print_line(
        "the probe's output",
        &serde_json::to_string_pretty(shown).unwrap_or_default(),
    )?;
    match (entry["status"].as_str(), entry.get("tolerance_met")) {
        (Some("succeeded"), None | Some(Value::Bool(true))) => {
            if entry.get("tolerance_met").is_some() && !quiet {
                crate::print_err!("chaosprom: '{name}' is within its tolerance");
            }
            Ok(())
        }
        (Some("succeeded"), _) => Err(Failure {
            code: 1,
            message: format!("'{name}' is not within its tolerance"),
        }),
        _ => Err(Failure {
            code: 1,
            message: format!("'{name}' failed"),
        }),
    }
}

pub(crate) async fn run_experiment(args: RunArgs) -> Result<(), Failure> {
    let config_error = |e: chaos_runner::Error| Failure {
        code: 1,
        message: e.to_string(),
    };
    let mut settings = settings(args.settings.as_deref())?;
    add_control_files(&mut settings, &args.control_file)?;
    if args.no_validation {
        tracing::warn!(
            target: chaos_runner::PROGRESS_TARGET,
            "--no-validation is taken, but the experiment is validated all the same: nothing runs from an invalid experiment"
        );
    }
    // With the loader hooks of the settings' controls, as `chaos run`.
    let experiment = runner()
        .settings(settings.clone())
        .load(&args.file, !args.no_verify_tls)
        .await
        .map_err(config_error)?;
    let journal_file = OutputFile::check("the journal", &args.journal_path)?;
    let junit_file = args
        .junit
        .as_deref()
        .map(|path| OutputFile::check("the JUnit report", path))
        .transpose()?;
    for output in std::iter::once(&journal_file).chain(junit_file.as_ref()) {
        output.not_the_experiment(&args.file)?;
    }
    let vars = vars(&args.vars, &args.var_files)?;
    // As `chaos run`: before validation, with the experiment as loaded
    // (its secrets shown as the journal shows them).
    notify(
        &settings,
        Event::RunStarted,
        &experiment_payload(&settings, &experiment),
        None,
    )
    .await;
    let runtime = Runtime::read(&experiment, &settings, &args)?;
    let runner = runner()
        .settings(settings.clone())
        .configuration(vars.configuration)
        .secrets(vars.secrets)
        .environment(vars.environment)
        .rollback_strategy(runtime.rollback_strategy)
        .hypothesis_strategy(
            runtime.hypothesis_strategy,
            std::time::Duration::try_from_secs_f64(runtime.hypothesis_frequency)
                .unwrap_or(chaosprometheus::MAX_TIMEOUT),
            runtime.fail_fast,
        )
        .dry(args.dry)
        .progress(true);
    on_signals(&runner.interrupter());
    let journal = runner.run(&experiment).await.map_err(config_error)?;
    journal_file.write_or_keep(&serde_json::to_vec_pretty(&journal).unwrap_or_default())?;
    if let Some(file) = junit_file {
        file.write(crate::junit::junit(&journal).as_bytes())?;
    }
    tracing::info!(
        target: chaos_runner::PROGRESS_TARGET,
        "The journal is in {}",
        args.journal_path.display()
    );
    // As `chaos run`: completed or failed, then deviated.
    if journal["status"] == "completed" {
        notify(&settings, Event::RunCompleted, &journal, None).await;
    } else {
        notify(&settings, Event::RunFailed, &journal, None).await;
    }
    if journal["deviated"] == json!(true) {
        notify(&settings, Event::RunDeviated, &journal, None).await;
    }
    let unmet = |phase: &str| journal["steady_states"][phase]["steady_state_met"] == json!(false);
    if args.strict && journal["status"] == "completed" && (unmet("before") || unmet("after")) {
        return Err(Failure {
            code: 3,
            message: format!(
                "--strict: the steady state was not met {} the method",
                if unmet("before") { "before" } else { "after" }
            ),
        });
    }
    if journal["status"] == "completed" && journal["deviated"] == json!(false) {
        Ok(())
    } else {
        Err(Failure {
            code: 1,
            message: format!(
                "the experiment ended with status {}{}",
                journal["status"].as_str().unwrap_or("unknown"),
                if journal["deviated"] == json!(true) {
                    " and deviated"
                } else {
                    ""
                }
            ),
        })
    }
}

/// The largest journal `report` reads: 1 GiB.
const MAX_JOURNAL: u64 = 1 << 30;

/// `report`: reads the journal (a file or -), writes the report to stdout
/// or, atomically, to `output`.
pub(crate) async fn report(
    journal: &str,
    format: crate::report::Format,
    output: Option<&std::path::Path>,
    url: Option<&str>,
    offline: bool,
) -> Result<(), Failure> {
    let too_large = || Failure {
        code: 2,
        message: format!(
            "cannot read the journal {journal}: more than the {MAX_JOURNAL} bytes a report reads"
        ),
    };
    let source: Box<dyn std::io::Read> = if journal == "-" {
        Box::new(std::io::stdin())
    } else {
        let file = std::fs::File::open(journal).map_err(|e| Failure {
            code: 2,
            message: format!("cannot read the journal {journal}: {e}"),
        })?;
        // A file that says its size is refused before it is read.
        if file.metadata().is_ok_and(|m| m.len() > MAX_JOURNAL) {
            return Err(too_large());
        }
        Box::new(file)
    };
    // Parsed as it is read: what is not JSON (`/dev/zero`) fails at its
    // first byte, and no more than the cap is ever read.
    let mut reader = std::io::BufReader::new(std::io::Read::take(source, MAX_JOURNAL + 1));
    let parsed = serde_json::from_reader::<_, Value>(&mut reader);
    if reader.get_ref().limit() == 0 {
        return Err(too_large());
    }
    let parsed = parsed.map_err(|e| Failure {
        code: 2,
        message: if e.is_io() {
            format!("cannot read the journal {journal}: {e}")
        } else {
            format!("{journal} is not a journal: {e}")
        },
    })?;
    let report = crate::report::report(journal, &parsed, format, url, offline).await?;
    let Some(path) = output else {
        return crate::prometheus::print_text(&report).await;
    };
    OutputFile::new("the report", path)
        .map_err(|reason| Failure {
            code: 1,
            message: format!("cannot write the report to {}: {reason}", path.display()),
        })?
        .write(report.as_bytes())
}
