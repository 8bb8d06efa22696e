//! The command line's flags (clap derive types) and how they read.
//!
//! The `Args` structs that commands flatten carry plain comments, not doc
//! comments: with deferred commands (`defer`), a struct's doc comment
//! would replace the command's own about.

use std::path::PathBuf;

use chaosprometheus::pushgateway::PushMethod;
use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value, json};

use crate::Failure;

/// Ask Prometheus how a system is doing, and push metrics to a Pushgateway,
/// as the Chaos Toolkit's Prometheus extension does.
#[derive(Debug, Parser)]
#[command(name = "chaosprom", version, about)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) globals: Globals,
    #[command(flatten)]
    pub(crate) chaos: ChaosGlobals,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// `chaos`' own global flags, before the command's name as `chaos` takes
/// them (only there, so that a command's flags are not built twice).
#[derive(Debug, Default, Clone, Args)]
pub(crate) struct ChaosGlobals {
    /// The least level the log file gets (default debug), as `chaos
    /// --log-file-level`.
    #[arg(long, value_name = "LEVEL", display_order = 905)]
    pub(crate) log_file_level: Option<LogLevel>,
    /// Go to this folder first, as `chaos --change-dir` does.
    #[arg(long, value_name = "DIR", display_order = 906)]
    pub(crate) change_dir: Option<PathBuf>,
    /// No log file, even if `--log-file` names one (as `chaos`); without
    /// `--log-file` none is written anyway.
    #[arg(long, display_order = 907)]
    pub(crate) no_log_file: bool,
    /// Taken as `chaos` takes it: chaosprom never looks for a new version.
    #[arg(long, display_order = 908)]
    pub(crate) no_version_check: bool,
}

// The flags every command takes, before its name or after it. They are not
// clap `global` flags: clap copies a global flag into every command when it
// builds the tree, which was a fifth of a one-shot probe's start-up
// (callgrind); here each command's copy is built only when it runs
// (`defer`), and the two are merged by `Cli::globals`.
#[derive(Debug, Default, Clone, Args)]
pub(crate) struct Globals {
    /// More logs on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, display_order = 900)]
    pub(crate) verbose: u8,
    /// Only errors on stderr (a run's progress too).
    #[arg(short, long, conflicts_with = "verbose", display_order = 901)]
    pub(crate) quiet: bool,
    /// Colours in logs: auto (on a terminal, unless NO_COLOR is set; the
    /// default), always, never.
    #[arg(long, value_name = "WHEN", display_order = 902)]
    pub(crate) color: Option<Color>,
    /// Also write every log line, at debug level, to this file (appended),
    /// as `chaos --log-file` does.
    #[arg(long, value_name = "FILE", display_order = 903)]
    pub(crate) log_file: Option<PathBuf>,
    /// Log lines as text (`[time LEVEL] message`, as `chaos` prints them;
    /// the default) or as JSON objects, one a line, for machines.
    #[arg(long, value_name = "FORMAT", display_order = 904)]
    pub(crate) log_format: Option<LogFormat>,
}

impl Globals {
    /// These flags given before the command's name, with `after` (given
    /// after it) added: counts add up, a value given after wins.
    fn merged(&self, after: &Globals) -> Result<Globals, String> {
        let merged = Globals {
            verbose: self.verbose.saturating_add(after.verbose),
            quiet: self.quiet || after.quiet,
            color: after.color.or(self.color),
            log_file: after.log_file.clone().or_else(|| self.log_file.clone()),
            log_format: after.log_format.or(self.log_format),
        };
        if merged.quiet && merged.verbose > 0 {
            return Err("the argument '--quiet' cannot be used with '--verbose'".to_owned());
        }
        Ok(merged)
    }
}

impl Cli {
    /// The global flags, wherever they were given; a `-q` on one side and
    /// a `-v` on the other is refused as clap refuses them side by side.
    pub(crate) fn globals(&self) -> Result<Globals, clap::Error> {
        self.globals
            .merged(self.command.globals())
            .map_err(|message| {
                use clap::CommandFactory;
                Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message)
            })
    }
}

/// `-o`: how a query's answer is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Output {
    Json,
    Table,
    Csv,
}

impl Output {
    /// The format asked for, else a table on a terminal and JSON elsewhere.
    pub(crate) fn or_default(format: Option<Output>) -> Output {
        format.unwrap_or_else(|| {
            if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                Output::Table
            } else {
                Output::Json
            }
        })
    }
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// `chaos` calls it `string`.
    #[value(alias = "string")]
    Text,
    Json,
}

/// `--log-file-level`, in `chaos`' words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogLevel {
    Debug,
    Info,
    Warning,
    Error,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

/// Each command's flags are built only when it runs (`defer`): clap then
/// builds one command's flags instead of all of them, which was half of a
/// one-shot probe's start-up (callgrind).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub(crate) enum Command {
    /// Run an instant query; print Prometheus' payload as-is.
    Query {
        #[command(flatten)]
        globals: Globals,
        /// The PromQL expression.
        promql: String,
        /// When to evaluate it: "now", "10 seconds ago", RFC 3339, unix seconds…
        #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
        when: Option<String>,
        /// Prometheus' evaluation timeout: seconds or a duration (30s, 1m30s).
        #[arg(long, value_name = "DURATION", value_parser = seconds_arg, allow_hyphen_values = true)]
        timeout: Option<f64>,
        /// json (Prometheus' payload as-is, the default when stdout is not a
        /// terminal), table (one line per sample, as promtool prints them;
        /// the default on a terminal) or csv.
        #[arg(short = 'o', long = "output", value_name = "FORMAT")]
        output: Option<Output>,
        #[command(flatten)]
        server: Server,
    },
    /// Run a range query; print Prometheus' payload as-is, streamed.
    QueryRange {
        #[command(flatten)]
        globals: Globals,
        /// The PromQL expression.
        promql: String,
        /// Where the range starts: "1 hour ago", RFC 3339… (default: one
        /// hour before the end).
        #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
        start: Option<String>,
        /// Where it ends: "now"… (default: now).
        #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
        end: Option<String>,
        /// Seconds, or a duration such as 15s (default: a round step that
        /// gives about 250 points, never more than Prometheus' 11,000).
        #[arg(long, value_name = "S")]
        step: Option<String>,
        /// Prometheus' evaluation timeout: seconds or a duration (30s, 1m30s).
        #[arg(long, value_name = "DURATION", value_parser = seconds_arg, allow_hyphen_values = true)]
        timeout: Option<f64>,
        /// json (Prometheus' payload as-is, the default when stdout is not a
        /// terminal), table (one line per sample, as promtool prints them;
        /// the default on a terminal) or csv.
        #[arg(short = 'o', long = "output", value_name = "FORMAT")]
        output: Option<Output>,
        #[command(flatten)]
        server: Server,
    },
    /// Print the mean of every point a range query returns over a window.
    Mean {
        #[command(flatten)]
        globals: Globals,
        /// The PromQL expression.
        promql: String,
        /// How far back from now, e.g. 1h or 1d.
        #[arg(
            long,
            value_name = "D",
            default_value = "1d",
            allow_hyphen_values = true
        )]
        window: String,
        /// arithmetic, geometric or harmonic.
        #[arg(long, value_name = "T", default_value = "arithmetic")]
        mean_type: String,
        #[command(flatten)]
        server: Server,
    },
    /// Check that a query's samples meet a threshold: exit 0 when they do,
    /// 1 naming the offending series, value and time when they do not, 2
    /// on bad usage. The check a pipeline wants before and after a fault.
    Assert {
        #[command(flatten)]
        globals: Globals,
        /// The PromQL expression.
        promql: String,
        /// Every sample must be below X.
        #[arg(
            long,
            value_name = "X",
            allow_hyphen_values = true,
            group = "criterion"
        )]
        below: Option<f64>,
        /// Every sample must be above X.
        #[arg(
            long,
            value_name = "X",
            allow_hyphen_values = true,
            group = "criterion"
        )]
        above: Option<f64>,
        /// Every sample must lie between A and B (both included).
        #[arg(long, num_args = 2, value_names = ["A", "B"], allow_hyphen_values = true, group = "criterion")]
        between: Option<Vec<f64>>,
        /// Check every point of the last D (a range query), not only now.
        #[arg(long = "for", value_name = "D")]
        for_: Option<String>,
        /// all (default), any or none of the series must hold.
        #[arg(long, value_name = "WHICH", default_value = "all")]
        series: String,
        /// What an empty result means: fail (default) or pass.
        #[arg(long, value_name = "WHAT", default_value = "fail")]
        no_data: String,
        /// What a NaN sample means: fail (default), pass or ignore.
        #[arg(long, value_name = "WHAT", default_value = "fail")]
        nan: String,
        #[command(flatten)]
        server: Server,
    },
    /// Print the state of the alerts with this name: firing, pending or
    /// inactive.
    AlertState {
        #[command(flatten)]
        globals: Globals,
        /// The alert's name.
        name: String,
        /// Only alerts with this label, as k=v; repeatable.
        #[arg(long = "label", value_name = "K=V")]
        labels: Vec<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Push text-format metrics from FILE (or stdin) to a Pushgateway.
    Push {
        #[command(flatten)]
        globals: Globals,
        #[command(flatten)]
        group: Group,
        /// put replaces the group; post replaces only the families pushed.
        #[arg(long, value_name = "put|post", default_value = "put")]
        method: PushMethod,
        /// Push even when there are no metrics (a PUT of nothing empties the
        /// group).
        #[arg(long)]
        allow_empty: bool,
        /// The metrics, in the Prometheus text format; stdin if absent.
        file: Option<PathBuf>,
    },
    /// Delete a group from a Pushgateway.
    Delete {
        #[command(flatten)]
        globals: Globals,
        #[command(flatten)]
        group: Group,
    },
    /// Print the series matching selectors (/api/v1/series), as-is.
    Series {
        #[command(flatten)]
        globals: Globals,
        /// Series selectors, e.g. 'up{job="api"}'.
        #[arg(required = true)]
        selectors: Vec<String>,
        #[command(flatten)]
        window: Window,
        #[command(flatten)]
        server: Server,
    },
    /// Print every label name (/api/v1/labels), as-is.
    Labels {
        #[command(flatten)]
        globals: Globals,
        #[command(flatten)]
        window: Window,
        #[command(flatten)]
        server: Server,
    },
    /// Print every value of a label (/api/v1/label/NAME/values), as-is.
    LabelValues {
        #[command(flatten)]
        globals: Globals,
        /// The label name, e.g. job.
        name: String,
        #[command(flatten)]
        window: Window,
        #[command(flatten)]
        server: Server,
    },
    /// Print the scrape targets (/api/v1/targets), as-is.
    Targets {
        #[command(flatten)]
        globals: Globals,
        /// active, dropped or any.
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Print the active alerts (/api/v1/alerts), as-is.
    Alerts {
        #[command(flatten)]
        globals: Globals,
        #[command(flatten)]
        server: Server,
    },
    /// Print the alerting and recording rules (/api/v1/rules), as-is.
    Rules {
        #[command(flatten)]
        globals: Globals,
        /// alert or record.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish,
    /// powershell), e.g. `chaosprom completions bash > /etc/bash_completion.d/chaosprom`.
    Completions {
        #[command(flatten)]
        globals: Globals,
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff); `cargo xtask man` writes it to a file.
    #[command(hide = true)]
    Man {
        #[command(flatten)]
        globals: Globals,
    },
    /// Print the extension's activities as JSON, like `chaos discover`.
    Discover {
        #[command(flatten)]
        globals: Globals,
    },
    /// Run a Chaos Toolkit experiment file (JSON or YAML) and write its
    /// journal; exit 1 unless it completed without deviating.
    Run(RunArgs),
    /// Run one probe of an experiment (with its configuration, secrets and
    /// substitution) and print its output and, with a tolerance, the
    /// verdict; nothing else runs, and an action is refused. Exit 1 unless
    /// it succeeded within its tolerance.
    Probe {
        #[command(flatten)]
        globals: Globals,
        /// The experiment: a .json, .yaml or .yml file, an http(s) URL, or -.
        #[arg(value_name = "FILE|URL|-")]
        file: String,
        /// The probe's name.
        name: String,
        /// A configuration value, as key=value or key:type=value; repeatable.
        #[arg(long = "var", value_name = "KEY=VALUE")]
        vars: Vec<String>,
        /// A JSON or YAML var file, or a .env file; repeatable.
        #[arg(long = "var-file", value_name = "FILE")]
        var_files: Vec<PathBuf>,
    },
    /// A run's journal as a self-contained report: status, the steady
    /// state before and after, a timeline, and a chart of each Prometheus
    /// probe's query over the run (re-queried when Prometheus answers,
    /// else drawn from the journal's payloads).
    Report {
        #[command(flatten)]
        globals: Globals,
        /// The journal: a file written by `chaosprom run` or `chaos run`,
        /// or - for standard input.
        #[arg(value_name = "JOURNAL")]
        journal: String,
        /// html (one file, no scripts, nothing fetched) or markdown (charts
        /// as inline SVG images).
        #[arg(long, default_value = "html")]
        format: crate::report::Format,
        /// Write the report to this file instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Prometheus to re-query (default: the experiment's
        /// prometheus_base_url).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Never query Prometheus: draw the charts from the journal.
        #[arg(long)]
        offline: bool,
    },
    /// Check an experiment file; print every problem with its JSON path.
    Validate {
        #[command(flatten)]
        globals: Globals,
        /// The experiment: a .json, .yaml or .yml file, an http(s) URL, or
        /// - for standard input.
        #[arg(value_name = "FILE|URL|-")]
        file: String,
        /// Also send each Prometheus probe's query once (bad PromQL, an
        /// unreachable server or a failing login is reported with the
        /// activity's name) and check that each metrics control's
        /// Pushgateway answers. Nothing is injected.
        #[arg(long)]
        check_servers: bool,
        /// The Chaos Toolkit settings file (its `notifications` get the
        /// validate events, its `auths` log in to an experiment's URL);
        /// default ~/.chaostoolkit/settings.yaml when it exists.
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// Do not check the certificate of an https:// experiment URL.
        #[arg(long)]
        no_verify_tls: bool,
    },
}

impl Command {
    /// The global flags given after the command's name.
    fn globals(&self) -> &Globals {
        match self {
            Command::Query { globals, .. }
            | Command::QueryRange { globals, .. }
            | Command::Mean { globals, .. }
            | Command::Assert { globals, .. }
            | Command::AlertState { globals, .. }
            | Command::Push { globals, .. }
            | Command::Delete { globals, .. }
            | Command::Series { globals, .. }
            | Command::Labels { globals, .. }
            | Command::LabelValues { globals, .. }
            | Command::Targets { globals, .. }
            | Command::Alerts { globals, .. }
            | Command::Rules { globals, .. }
            | Command::Completions { globals, .. }
            | Command::Probe { globals, .. }
            | Command::Report { globals, .. }
            | Command::Validate { globals, .. }
            | Command::Man { globals, .. }
            | Command::Discover { globals, .. } => globals,
            Command::Run(args) => &args.globals,
        }
    }
}

// `chaosprom run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) globals: Globals,
    /// The experiment: a .json, .yaml or .yml file, an http(s) URL, or -
    /// for standard input.
    #[arg(value_name = "FILE|URL|-")]
    pub(crate) file: String,
    /// Where to write the journal.
    #[arg(long, value_name = "FILE", default_value = "./journal.json")]
    pub(crate) journal_path: PathBuf,
    /// A configuration value, as key=value or key:type=value (type: str,
    /// bytes, int, float, bool, json); repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub(crate) vars: Vec<String>,
    /// A JSON or YAML file with `configuration` and `secrets` mappings, or
    /// a .env file of KEY=VALUE environment variables; repeatable.
    #[arg(long = "var-file", value_name = "FILE")]
    pub(crate) var_files: Vec<PathBuf>,
    /// When to play rollbacks: default, always, never, deviated (else the
    /// experiment's or the settings' runtime.rollbacks.strategy).
    #[arg(long, value_name = "STRATEGY")]
    pub(crate) rollback_strategy: Option<chaos_runner::RollbackStrategy>,
    /// When to check the steady-state hypothesis: default,
    /// before-method-only, after-method-only, during-method-only,
    /// continuously (else runtime.hypothesis.strategy).
    #[arg(long, value_name = "STRATEGY", value_parser = hypothesis_strategy_arg)]
    pub(crate) hypothesis_strategy: Option<String>,
    /// Time between hypothesis checks during the method: seconds or a
    /// duration (5s, 1m30s); else runtime.hypothesis.frequency, else 1 s.
    #[arg(long, value_name = "DURATION", value_parser = seconds_arg, allow_hyphen_values = true)]
    pub(crate) hypothesis_frequency: Option<f64>,
    /// Stop the method after the running activity as soon as a check during
    /// it is out of tolerance (else runtime.hypothesis.fail_fast).
    #[arg(long)]
    pub(crate) fail_fast: bool,
    /// Run without executing: probes, actions, activities, or pause (skip
    /// pauses).
    #[arg(long, value_name = "WHAT")]
    pub(crate) dry: Option<chaos_runner::Dry>,
    /// The Chaos Toolkit settings file (its `controls` apply to every run,
    /// its `notifications` get the run's events, its `auths` log in to an
    /// experiment's URL); default ~/.chaostoolkit/settings.yaml when it
    /// exists.
    #[arg(long, value_name = "FILE")]
    pub(crate) settings: Option<PathBuf>,
    /// Do not check the certificate of an https:// experiment URL.
    #[arg(long)]
    pub(crate) no_verify_tls: bool,
    /// A JSON or YAML file of controls (name → declaration), applied to
    /// the run as the settings' `controls` are; repeatable, as `chaos run
    /// --control-file`.
    #[arg(long, value_name = "FILE")]
    pub(crate) control_file: Vec<PathBuf>,
    /// Taken as `chaos run` takes it, but the experiment is validated all
    /// the same (with a warning): nothing runs from an invalid experiment.
    #[arg(long)]
    pub(crate) no_validation: bool,
    /// Also write the run as JUnit XML to FILE: one test case per
    /// steady-state probe and per activity, failures with the value and
    /// the tolerance.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Exit 3 unless the steady state was met both before and after the
    /// method (by default, as with chaos run, a steady state already
    /// broken before the method ends the run "completed", exit 0).
    #[arg(long)]
    pub(crate) strict: bool,
}

// Where Prometheus is and how to reach it.
#[derive(Debug, Args)]
pub(crate) struct Server {
    /// Prometheus' base URL (may carry a path prefix).
    #[arg(long, env = "PROMETHEUS_URL", default_value = chaosprometheus::DEFAULT_BASE_URL)]
    pub(crate) url: String,
    /// A bearer token [env: PROMETHEUS_TOKEN].
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// Basic auth password [env: PROMETHEUS_PASSWORD].
    #[arg(long, requires = "user")]
    pub(crate) password: Option<String>,
    #[command(flatten)]
    pub(crate) connection: Connection,
}

// Narrowing a metadata query (series, labels, label values).
#[derive(Debug, Args)]
pub(crate) struct Window {
    /// Only series matching this selector (repeatable; labels and values).
    #[arg(long = "match", value_name = "SELECTOR")]
    pub(crate) matchers: Vec<String>,
    /// Only data from this time on: "1 hour ago", RFC 3339…
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub(crate) start: Option<String>,
    /// Only data up to this time.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub(crate) end: Option<String>,
}

impl Window {
    /// Applies the window to a request.
    pub(crate) fn apply<'c, T: serde::de::DeserializeOwned>(
        &self,
        mut request: chaosprometheus::api::Request<'c, chaosprometheus::api::Plain<T>>,
    ) -> Result<chaosprometheus::api::Request<'c, chaosprometheus::api::Plain<T>>, Failure> {
        use chaosprometheus::when::{local_zone, parse_time_from};
        let now = jiff::Timestamp::now();
        let at = |flag: &str, text: &str| {
            parse_time_from(text, now, local_zone)
                .map(chaosprometheus::api_time)
                .map_err(|e| Failure {
                    code: 2,
                    message: format!("{flag}: {e}"),
                })
        };
        for m in &self.matchers {
            request = request.matcher(m.clone());
        }
        if let Some(start) = &self.start {
            request = request.start(at("--start", start)?);
        }
        if let Some(end) = &self.end {
            request = request.end(at("--end", end)?);
        }
        Ok(request)
    }
}

// How to reach a server: auth, TLS, headers, proxy, limits (shared by the
// Prometheus and Pushgateway commands).
#[derive(Debug, Args)]
pub(crate) struct Connection {
    /// A header for every request, as NAME=VALUE or 'NAME: VALUE'
    /// (repeatable).
    #[arg(long = "header", value_name = "K=V", value_parser = HeaderParser)]
    pub(crate) headers: Vec<(String, String)>,
    /// Basic auth user.
    #[arg(long)]
    pub(crate) user: Option<String>,
    /// Do not verify the server's TLS certificate.
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Extra trusted CA certificates (PEM); a self-signed server
    /// certificate in it is trusted as itself.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_file: Option<String>,
    /// The client's timeout for one attempt: seconds or a duration (5s,
    /// 1m30s); default 30 s (10 s for a Pushgateway), at most one day.
    #[arg(long, value_name = "DURATION", value_parser = seconds_arg, allow_hyphen_values = true)]
    pub(crate) client_timeout: Option<f64>,
    /// An http:// proxy for every request ("" goes direct); default:
    /// HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY.
    #[arg(long, value_name = "URL")]
    pub(crate) proxy: Option<String>,
    /// The most bytes an answer held in memory may have (default 256 MiB).
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_body_size: Option<usize>,
}

// A Pushgateway group, and how to reach the gateway.
#[derive(Debug, Args)]
pub(crate) struct Group {
    /// The Pushgateway's base URL.
    #[arg(long, value_name = "URL", env = "PUSHGATEWAY_URL")]
    pub(crate) gateway: String,
    /// The job.
    #[arg(long, value_name = "J")]
    pub(crate) job: String,
    /// A grouping label, as NAME=VALUE (repeatable).
    #[arg(long = "grouping-key", value_name = "K=V", value_parser = key_value)]
    pub(crate) grouping_key: Vec<(String, String)>,
    /// A bearer token.
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// Basic auth password.
    #[arg(long, requires = "user")]
    pub(crate) password: Option<String>,
    #[command(flatten)]
    pub(crate) connection: Connection,
}

/// A hypothesis strategy, checked when the flags are read and read again
/// once logging is up (chaos' old spelling `continously` is taken, with a
/// warning the log then shows).
fn hypothesis_strategy_arg(s: &str) -> Result<String, String> {
    s.parse::<chaos_runner::HypothesisStrategy>()?;
    Ok(s.to_owned())
}

/// A time span flag: seconds (`2.5`) or a duration (`5s`, `1m30s`),
/// positive and at most a day.
pub(crate) fn seconds_arg(s: &str) -> Result<f64, String> {
    let max = chaosprometheus::MAX_TIMEOUT;
    let seconds = match s.trim().parse::<f64>() {
        Ok(seconds) => seconds,
        Err(_) => match chaosprometheus::when::parse_duration(s) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => {
                return Err(format!(
                    "expected seconds or a duration such as 30s or 1m30s: {e}"
                ));
            }
        },
    };
    match std::time::Duration::try_from_secs_f64(seconds) {
        Ok(d) if !d.is_zero() && d <= max => Ok(seconds),
        _ => Err(format!(
            "expected a positive time span of at most {} s (one day), found '{s}'",
            max.as_secs()
        )),
    }
}

/// `--header`: `NAME=VALUE`, or `NAME: VALUE` as curl takes it (a header
/// name holds neither `=` nor `:`, so the first of them ends it). An error
/// never shows the value, which is often a token.
pub(crate) fn header(s: &str) -> Result<(String, String), String> {
    match s.find(['=', ':']) {
        Some(at) if !s[..at].trim().is_empty() => {
            let (name, value) = (s[..at].trim(), &s[at + 1..]);
            let value = if s.as_bytes()[at] == b':' {
                value.trim_start()
            } else {
                value
            };
            Ok((name.to_owned(), value.to_owned()))
        }
        _ => Err("expected NAME=VALUE or 'NAME: VALUE' (the value is not shown here)".to_owned()),
    }
}

/// `--header`'s parser: clap's own error for a refused value quotes it,
/// and a header's value is often a token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderParser;

impl clap::builder::TypedValueParser for HeaderParser {
    type Value = (String, String);

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let refused = |reason: &str| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for '--header <K=V>': {reason}\n"),
            )
            .with_cmd(cmd)
        };
        let text = value.to_str().ok_or_else(|| refused("not UTF-8"))?;
        header(text).map_err(|reason| refused(&reason))
    }
}

pub(crate) fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected NAME=VALUE, found '{s}'")),
    }
}

impl Server {
    /// A Prometheus client for these flags.
    pub(crate) fn client(&self) -> Result<chaosprometheus::api::Client, Failure> {
        let (configuration, secrets) = self.chaos();
        let settings = chaosprometheus::Settings::from_chaos(&configuration, &secrets)?;
        Ok(settings.shared_client(None)?)
    }

    /// The experiment-style configuration and secrets these flags mean.
    pub(crate) fn chaos(&self) -> (Value, Value) {
        let mut configuration = Map::new();
        configuration.insert("prometheus_base_url".into(), json!(self.url));
        let c = &self.connection;
        if let Some(t) = c.client_timeout {
            configuration.insert("prometheus_timeout".into(), json!(t));
        }
        if !c.headers.is_empty() {
            let headers: Map<String, Value> = c
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            configuration.insert("prometheus_headers".into(), Value::Object(headers));
        }
        if let Some(ca) = &c.ca_file {
            configuration.insert("prometheus_ca_file".into(), json!(ca));
        }
        if c.insecure {
            configuration.insert("prometheus_verify_tls".into(), json!(false));
        }
        if let Some(proxy) = &c.proxy {
            configuration.insert("prometheus_proxy".into(), json!(proxy));
        }
        if let Some(limit) = c.max_body_size {
            configuration.insert("prometheus_max_body_size".into(), json!(limit));
        }
        let mut secrets = Map::new();
        let from_env = |flag: &Option<String>, var: &str| {
            flag.clone()
                .or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty()))
        };
        if let Some(token) = from_env(&self.token, "PROMETHEUS_TOKEN") {
            secrets.insert("prometheus_token".into(), json!(token));
        }
        if let Some(user) = &c.user {
            secrets.insert("prometheus_username".into(), json!(user));
            secrets.insert(
                "prometheus_password".into(),
                json!(from_env(&self.password, "PROMETHEUS_PASSWORD").unwrap_or_default()),
            );
        }
        (Value::Object(configuration), Value::Object(secrets))
    }
}
