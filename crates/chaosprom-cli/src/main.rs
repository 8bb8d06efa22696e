//! `chaosprom`: the Chaos Toolkit's Prometheus probes and Pushgateway
//! pushes from a shell.
//!
//! Exit codes: 0 success; 1 the query or push failed (the reason on
//! stderr), or a run did not complete without deviating; 2 bad usage, or
//! a time expression or argument that does not parse; 3 `run --strict`
//! whose steady state was not met before or after the method.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chaosprometheus::Error;
use chaosprometheus::probes::{self, ComputeMeanArgs, QueryArgs, QueryIntervalArgs, StepArg};
use chaosprometheus::pushgateway::{PushMethod, Pushgateway};
use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt;

/// Ask Prometheus how a system is doing, and push metrics to a Pushgateway,
/// as the Chaos Toolkit's Prometheus extension does.
#[derive(Debug, Parser)]
#[command(name = "chaosprom", version, about)]
struct Cli {
    /// More logs on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors on stderr (a run's progress too).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Colours in logs: auto (on a terminal, unless NO_COLOR is set),
    /// always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an instant query; print Prometheus' payload as-is.
    Query {
        /// The PromQL expression.
        promql: String,
        /// When to evaluate it: "now", "10 seconds ago", RFC 3339, unix seconds…
        #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
        when: Option<String>,
        /// Prometheus' evaluation timeout: seconds or a duration (30s, 1m30s).
        #[arg(long, value_name = "DURATION", value_parser = seconds_arg, allow_hyphen_values = true)]
        timeout: Option<f64>,
        #[command(flatten)]
        server: Server,
    },
    /// Run a range query; print Prometheus' payload as-is, streamed.
    QueryRange {
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
        #[command(flatten)]
        server: Server,
    },
    /// Print the mean of every point a range query returns over a window.
    Mean {
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
    /// Push text-format metrics from FILE (or stdin) to a Pushgateway.
    Push {
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
        group: Group,
    },
    /// Print the series matching selectors (/api/v1/series), as-is.
    Series {
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
        window: Window,
        #[command(flatten)]
        server: Server,
    },
    /// Print every value of a label (/api/v1/label/NAME/values), as-is.
    LabelValues {
        /// The label name, e.g. job.
        name: String,
        #[command(flatten)]
        window: Window,
        #[command(flatten)]
        server: Server,
    },
    /// Print the scrape targets (/api/v1/targets), as-is.
    Targets {
        /// active, dropped or any.
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Print the active alerts (/api/v1/alerts), as-is.
    Alerts {
        #[command(flatten)]
        server: Server,
    },
    /// Print the alerting and recording rules (/api/v1/rules), as-is.
    Rules {
        /// alert or record.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// Print the extension's activities as JSON, like `chaos discover`.
    Discover,
    /// Run a Chaos Toolkit experiment file (JSON or YAML) and write its
    /// journal; exit 1 unless it completed without deviating.
    Run(RunArgs),
    /// Check an experiment file; print every problem with its JSON path.
    Validate {
        /// The experiment: a .json, .yaml or .yml file, an http(s) URL, or
        /// - for standard input.
        #[arg(value_name = "FILE|URL|-")]
        file: String,
    },
}

/// `chaosprom run`.
#[derive(Debug, Args)]
struct RunArgs {
    /// The experiment: a .json, .yaml or .yml file, an http(s) URL, or -
    /// for standard input.
    #[arg(value_name = "FILE|URL|-")]
    file: String,
    /// Where to write the journal.
    #[arg(long, value_name = "FILE", default_value = "./journal.json")]
    journal_path: PathBuf,
    /// A configuration value, as key=value or key:type=value (type: str,
    /// int, float, bool, json); repeatable.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    vars: Vec<String>,
    /// A JSON or YAML file with `configuration` and `secrets` mappings, or
    /// a .env file of KEY=VALUE environment variables; repeatable.
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// When to play rollbacks: default, always, never, deviated (else the
    /// experiment's or the settings' runtime.rollbacks.strategy).
    #[arg(long, value_name = "STRATEGY")]
    rollback_strategy: Option<chaos_runner::RollbackStrategy>,
    /// When to check the steady-state hypothesis: default,
    /// before-method-only, after-method-only, during-method-only,
    /// continuously (else runtime.hypothesis.strategy).
    #[arg(long, value_name = "STRATEGY")]
    hypothesis_strategy: Option<chaos_runner::HypothesisStrategy>,
    /// Time between hypothesis checks during the method: seconds or a
    /// duration (5s, 1m30s); else runtime.hypothesis.frequency, else 1 s.
    #[arg(long, value_name = "DURATION", value_parser = seconds_arg, allow_hyphen_values = true)]
    hypothesis_frequency: Option<f64>,
    /// Stop the method after the running activity as soon as a check during
    /// it is out of tolerance (else runtime.hypothesis.fail_fast).
    #[arg(long)]
    fail_fast: bool,
    /// Run without executing: probes, actions, activities, or pause (skip
    /// pauses).
    #[arg(long, value_name = "WHAT")]
    dry: Option<chaos_runner::Dry>,
    /// The Chaos Toolkit settings file (its `controls` apply to every run);
    /// default ~/.chaostoolkit/settings.yaml when it exists.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Exit 3 unless the steady state was met both before and after the
    /// method (by default, as with chaos run, a steady state already
    /// broken before the method ends the run "completed", exit 0).
    #[arg(long)]
    strict: bool,
}

/// Where Prometheus is and how to reach it.
#[derive(Debug, Args)]
struct Server {
    /// Prometheus' base URL (may carry a path prefix).
    #[arg(long, env = "PROMETHEUS_URL", default_value = chaosprometheus::DEFAULT_BASE_URL)]
    url: String,
    /// A bearer token [env: PROMETHEUS_TOKEN].
    #[arg(long)]
    token: Option<String>,
    /// Basic auth password [env: PROMETHEUS_PASSWORD].
    #[arg(long, requires = "user")]
    password: Option<String>,
    #[command(flatten)]
    connection: Connection,
}

/// Narrowing a metadata query (series, labels, label values).
#[derive(Debug, Args)]
struct Window {
    /// Only series matching this selector (repeatable; labels and values).
    #[arg(long = "match", value_name = "SELECTOR")]
    matchers: Vec<String>,
    /// Only data from this time on: "1 hour ago", RFC 3339…
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    start: Option<String>,
    /// Only data up to this time.
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    end: Option<String>,
}

impl Window {
    /// Applies the window to a request.
    fn apply<'c, T: serde::de::DeserializeOwned>(
        &self,
        mut request: chaosprometheus::api::Request<'c, chaosprometheus::api::Plain<T>>,
    ) -> Result<chaosprometheus::api::Request<'c, chaosprometheus::api::Plain<T>>, Failure> {
        use chaosprometheus::when::{local_zone, parse_time_from};
        let now = jiff::Timestamp::now();
        let at = |flag: &str, text: &str| {
            parse_time_from(text, now, local_zone).map_err(|e| Failure {
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

/// How to reach a server: auth, TLS, headers, proxy, limits (shared by the
/// Prometheus and Pushgateway commands).
#[derive(Debug, Args)]
struct Connection {
    /// A header for every request, as NAME=VALUE (repeatable).
    #[arg(long = "header", value_name = "K=V", value_parser = key_value)]
    headers: Vec<(String, String)>,
    /// Basic auth user.
    #[arg(long)]
    user: Option<String>,
    /// Do not verify the server's TLS certificate.
    #[arg(long)]
    insecure: bool,
    /// Extra trusted CA certificates (PEM); a self-signed server
    /// certificate in it is trusted as itself.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<String>,
    /// The client's timeout for one attempt: seconds or a duration (5s,
    /// 1m30s); default 30 s (10 s for a Pushgateway), at most one day.
    #[arg(long, value_name = "DURATION", value_parser = seconds_arg, allow_hyphen_values = true)]
    client_timeout: Option<f64>,
    /// An http:// proxy for every request ("" goes direct); default:
    /// HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY.
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
    /// The most bytes an answer held in memory may have (default 256 MiB).
    #[arg(long, value_name = "BYTES")]
    max_body_size: Option<usize>,
}

/// A Pushgateway group, and how to reach the gateway.
#[derive(Debug, Args)]
struct Group {
    /// The Pushgateway's base URL.
    #[arg(long, value_name = "URL", env = "PUSHGATEWAY_URL")]
    gateway: String,
    /// The job.
    #[arg(long, value_name = "J")]
    job: String,
    /// A grouping label, as NAME=VALUE (repeatable).
    #[arg(long = "grouping-key", value_name = "K=V", value_parser = key_value)]
    grouping_key: Vec<(String, String)>,
    /// A bearer token.
    #[arg(long)]
    token: Option<String>,
    /// Basic auth password.
    #[arg(long, requires = "user")]
    password: Option<String>,
    #[command(flatten)]
    connection: Connection,
}

/// `query-range`'s start, end and step, with promtool's defaults: the end
/// is now, the start an hour before the end, and the step a round
/// duration giving about 250 points (never above Prometheus' 11,000).
fn range_defaults(
    start: Option<&str>,
    end: Option<&str>,
    step: Option<String>,
) -> Result<(String, String, String), Failure> {
    use chaosprometheus::when::{local_zone, parse_time_from};
    use jiff::{SignedDuration, Timestamp};
    let now = Timestamp::now();
    let parse = |flag: &str, text: &str| {
        parse_time_from(text, now, local_zone).map_err(|e| Failure {
            code: 2,
            message: format!("{flag}: {e}"),
        })
    };
    let end_at = match end {
        Some(text) => parse("--end", text)?,
        None => now,
    };
    let start_at = match start {
        Some(text) => parse("--start", text)?,
        None => end_at
            .checked_sub(SignedDuration::from_hours(1))
            .map_err(|e| Failure {
                code: 2,
                message: format!("--end: {e}"),
            })?,
    };
    let step = step.unwrap_or_else(|| default_step(end_at.duration_since(start_at).as_secs_f64()));
    Ok((start_at.to_string(), end_at.to_string(), step))
}

/// A round step that cuts `range` seconds into about 250 points, and never
/// into more than 11,000.
fn default_step(range: f64) -> String {
    const ROUND: [(u64, &str); 20] = [
        (1, "1s"),
        (2, "2s"),
        (5, "5s"),
        (10, "10s"),
        (15, "15s"),
        (30, "30s"),
        (60, "1m"),
        (120, "2m"),
        (300, "5m"),
        (600, "10m"),
        (900, "15m"),
        (1800, "30m"),
        (3600, "1h"),
        (7200, "2h"),
        (10800, "3h"),
        (21600, "6h"),
        (43200, "12h"),
        (86400, "1d"),
        (172_800, "2d"),
        (604_800, "1w"),
    ];
    let wanted = (range / 250.0).max(range / 11_000.0).max(1.0);
    ROUND
        .iter()
        .find(|(seconds, _)| *seconds as f64 >= wanted)
        .map_or_else(
            || format!("{}s", wanted.ceil()),
            |(_, text)| (*text).to_owned(),
        )
}

/// A time span flag: seconds (`2.5`) or a duration (`5s`, `1m30s`),
/// positive and at most a day.
fn seconds_arg(s: &str) -> Result<f64, String> {
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

fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected NAME=VALUE, found '{s}'")),
    }
}

impl Server {
    /// A Prometheus client for these flags.
    fn client(&self) -> Result<chaosprometheus::api::Client, Failure> {
        let (configuration, secrets) = self.chaos();
        let settings = chaosprometheus::Settings::from_chaos(&configuration, &secrets)?;
        Ok(settings.shared_client(None)?)
    }

    /// The experiment-style configuration and secrets these flags mean.
    fn chaos(&self) -> (Value, Value) {
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

/// A failure and the exit code it gives.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// The end of a run whose reader went away (`… | head`): nothing to
    /// report, as ripgrep and cat do.
    fn closed_pipe() -> Self {
        Failure {
            code: 0,
            message: String::new(),
        }
    }
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn is_closed_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        current = err.source();
    }
    false
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if is_closed_pipe(&e) {
            return Failure::closed_pipe();
        }
        let code = match e {
            Error::Time { .. }
            | Error::InvalidArgument { .. }
            | Error::WrongType { .. }
            | Error::MissingArgument { .. }
            | Error::UnknownArgument { .. } => 2,
            // A URL, header, CA file or proxy the client refused.
            Error::Client(ref e) if e.is_invalid_argument() => 2,
            _ => 1,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.verbose, cli.quiet, cli.color);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chaosprom: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli.command, cli.quiet)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, message }) => {
            if !message.is_empty() {
                eprintln!("chaosprom: {message}");
            }
            ExitCode::from(code)
        }
    }
}

/// Logs on stderr: `RUST_LOG` when set, else the level -v/-q ask for. (A
/// plain level filter is cheaper to set up than `EnvFilter`, and startup
/// time counts for a command run once per probe.)
fn init_logs(verbose: u8, quiet: bool, color: Color) {
    let ansi = match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::IsTerminal::is_terminal(&std::io::stderr())
        }
    };
    use tracing_subscriber::filter::LevelFilter;
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false);
    if std::env::var_os("RUST_LOG").is_some() {
        builder
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    } else {
        let level = match (quiet, verbose) {
            (true, _) => LevelFilter::ERROR,
            (false, 0) => LevelFilter::WARN,
            (false, 1) => LevelFilter::INFO,
            (false, _) => LevelFilter::DEBUG,
        };
        builder.with_max_level(level).init();
    }
}

/// Stdout as an `AsyncWrite` that writes directly. tokio's own `stdout()`
/// hands every write to a blocking-pool thread; a CLI with one task has
/// nothing to block, and the thread costs more than the write.
struct Stdout(std::io::StdoutLock<'static>);

impl Stdout {
    fn new() -> Self {
        Self(std::io::stdout().lock())
    }
}

impl tokio::io::AsyncWrite for Stdout {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(std::io::Write::write(&mut self.0, buf))
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(std::io::Write::flush(&mut self.0))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.poll_flush(cx)
    }
}

async fn run(command: Command, quiet: bool) -> Result<(), Failure> {
    match command {
        Command::Query {
            promql,
            when,
            timeout,
            server,
        } => {
            let (configuration, secrets) = server.chaos();
            let args = QueryArgs {
                query: promql,
                when,
                timeout,
                verify_tls: None,
            };
            let mut out = Stdout::new();
            probes::query_to(&args, &configuration, &secrets, &mut out).await?;
            newline(&mut out).await
        }
        Command::QueryRange {
            promql,
            start,
            end,
            step,
            timeout,
            server,
        } => {
            let (configuration, secrets) = server.chaos();
            let (start, end, step) = range_defaults(start.as_deref(), end.as_deref(), step)?;
            let step = match step.trim().parse::<f64>() {
                Ok(seconds) => StepArg::Seconds(seconds),
                Err(_) => StepArg::Duration(step),
            };
            let args = QueryIntervalArgs {
                query: promql,
                start,
                end,
                step,
                timeout,
                verify_tls: None,
            };
            let mut out = Stdout::new();
            probes::query_interval_to(&args, &configuration, &secrets, &mut out).await?;
            newline(&mut out).await
        }
        Command::Mean {
            promql,
            window,
            mean_type,
            server,
        } => {
            let (configuration, secrets) = server.chaos();
            let args = ComputeMeanArgs {
                query: promql,
                window,
                mean_type,
            };
            let mean = probes::compute_mean(&args, &configuration, &secrets).await?;
            println!("{mean}");
            Ok(())
        }
        Command::Push {
            group,
            method,
            allow_empty,
            file,
        } => {
            let text = match &file {
                Some(path) => tokio::fs::read(path).await.map_err(|e| Failure {
                    code: 2,
                    message: format!("cannot read {}: {e}", path.display()),
                })?,
                None => {
                    let stdin = std::io::stdin();
                    if std::io::IsTerminal::is_terminal(&stdin) {
                        eprintln!(
                            "chaosprom: reading metrics from standard input (end with Ctrl-D)"
                        );
                    }
                    let mut text = Vec::new();
                    stdin.lock().read_to_end(&mut text).map_err(|e| Failure {
                        code: 2,
                        message: format!("cannot read stdin: {e}"),
                    })?;
                    text
                }
            };
            if !allow_empty && text.iter().all(u8::is_ascii_whitespace) {
                let source = file
                    .as_ref()
                    .map_or_else(|| "standard input".to_owned(), |p| p.display().to_string());
                return Err(Failure {
                    code: 2,
                    message: format!(
                        "no metrics in {source}: a push of nothing would empty the group \
                         (pass --allow-empty to do that on purpose)"
                    ),
                });
            }
            let gateway = gateway(&group)?;
            gateway
                .push_text(method, &group.job, group.grouping_key.clone(), text)
                .await
                .map_err(|e| push_failure("push", &e, &group.gateway))?;
            tracing::info!(gateway = gateway.url(), job = group.job, "pushed");
            Ok(())
        }
        Command::Delete { group } => {
            let gateway = gateway(&group)?;
            gateway
                .delete(&group.job, group.grouping_key.clone())
                .await
                .map_err(|e| push_failure("delete", &e, &group.gateway))
        }
        Command::Run(args) => run_experiment(args, quiet).await,
        Command::Validate { file } => {
            let experiment = load_experiment(&file).await?;
            let problems = runner().validate(&experiment);
            if problems.is_empty() {
                println!("{file} is a valid experiment");
                Ok(())
            } else {
                for p in &problems {
                    println!("{p}");
                }
                Err(Failure {
                    code: 1,
                    message: format!("{} problem(s) in {file}", problems.len()),
                })
            }
        }
        Command::Series {
            selectors,
            window,
            server,
        } => {
            let client = server.client()?;
            let request = window.apply(client.series(selectors))?;
            print_answer(request.raw().await).await
        }
        Command::Labels { window, server } => {
            let client = server.client()?;
            let request = window.apply(client.labels())?;
            print_answer(request.raw().await).await
        }
        Command::LabelValues {
            name,
            window,
            server,
        } => {
            let client = server.client()?;
            let request = window.apply(client.label_values(&name))?;
            print_answer(request.raw().await).await
        }
        Command::Targets { state, server } => {
            let client = server.client()?;
            let mut request = client.targets();
            if let Some(state) = state {
                request = request.param("state", state);
            }
            print_answer(request.raw().await).await
        }
        Command::Alerts { server } => {
            let client = server.client()?;
            print_answer(client.alerts().raw().await).await
        }
        Command::Rules { kind, server } => {
            let client = server.client()?;
            let mut request = client.rules();
            if let Some(kind) = kind {
                request = request.param("type", kind);
            }
            print_answer(request.raw().await).await
        }
        Command::Discover => {
            let text =
                serde_json::to_string_pretty(&chaosprometheus::discover()).unwrap_or_default();
            println!("{text}");
            Ok(())
        }
    }
}

/// The runner, with this extension's probes and control registered.
fn runner() -> chaos_runner::Runner {
    let metrics: chaos_runner::ControlFactory = std::sync::Arc::new(|| {
        std::sync::Arc::new(chaosprometheus::MetricsControl::new())
            as std::sync::Arc<dyn chaosprometheus::controls::Control>
    });
    chaos_runner::Runner::new()
        .extension(chaosprometheus::PROBES_MODULE, std::sync::Arc::new(Probes))
        .control_module(chaosprometheus::METRICS_MODULE, metrics)
}

/// The settings: the file given, or ~/.chaostoolkit/settings.yaml when it
/// exists, or none.
fn settings(path: Option<&std::path::Path>) -> Result<Value, Failure> {
    let default =
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".chaostoolkit/settings.yaml"));
    let path = match (path, default) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(d)) if d.is_file() => d,
        _ => return Ok(json!({})),
    };
    load(&path)
}

/// Interrupts the run as `chaos run` does: SIGINT, SIGTERM and SIGUSR1
/// gracefully (rollbacks per strategy; a second one stops rollbacks that
/// hang), SIGUSR2 at once (no rollbacks). Every signal counts, not only
/// the first.
fn on_signals(interrupter: &chaos_runner::Interrupter) {
    use tokio::signal::unix::{SignalKind, signal};
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

/// `chaosprometheus.probes` for the runner.
struct Probes;

#[async_trait::async_trait]
impl chaos_runner::Extension for Probes {
    fn has_function(&self, function: &str) -> bool {
        chaosprometheus::has_function(chaosprometheus::PROBES_MODULE, function)
    }

    fn check_call(&self, function: &str, arguments: &Value) -> Result<(), String> {
        chaosprometheus::check_call(chaosprometheus::PROBES_MODULE, function, arguments)
            .map_err(|e| e.to_string())
    }

    /// The `prometheus_*` keys given as plain values, checked as a probe
    /// reads them.
    fn check_configuration(&self, configuration: &Value) -> Vec<(String, String)> {
        let Some(map) = configuration.as_object() else {
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
        match chaosprometheus::dispatch(
            chaosprometheus::PROBES_MODULE,
            function,
            arguments,
            configuration,
            secrets,
        )
        .await
        {
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
            args.hypothesis_strategy,
            parse(&["hypothesis", "strategy"])?,
        ) {
            (Some(flag), _) => flag,
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

/// Where the journal goes: checked before the run (so that nothing is
/// injected when it could not be written), written atomically after it (a
/// temporary file in the same folder, then renamed over the path), so that
/// a crash or a second run never leaves a truncated journal.
struct JournalFile {
    path: PathBuf,
    folder: PathBuf,
}

impl JournalFile {
    fn check(path: &std::path::Path) -> Result<Self, Failure> {
        let fail = |reason: String| Failure {
            code: 1,
            message: format!(
                "cannot write the journal to {}: {reason}; nothing was run",
                path.display()
            ),
        };
        if path.is_dir() {
            return Err(fail("it is a folder".into()));
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if path.exists() {
            std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .map_err(|e| fail(e.to_string()))?;
        }
        // Proves the folder takes a new file (the rename needs it).
        tempfile::Builder::new()
            .prefix(".chaosprom-journal-")
            .tempfile_in(&folder)
            .map_err(|e| fail(format!("cannot create a file in {}: {e}", folder.display())))?;
        Ok(Self {
            path: path.to_path_buf(),
            folder,
        })
    }

    fn write(&self, journal: &Value) -> Result<(), Failure> {
        use std::io::Write as _;
        let fail = |reason: String| Failure {
            code: 1,
            message: format!(
                "cannot write the journal to {}: {reason}",
                self.path.display()
            ),
        };
        let text = serde_json::to_vec_pretty(journal).map_err(|e| fail(e.to_string()))?;
        let mut file = tempfile::Builder::new()
            .prefix(".chaosprom-journal-")
            .tempfile_in(&self.folder)
            .map_err(|e| fail(e.to_string()))?;
        file.write_all(&text)
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| fail(e.to_string()))?;
        file.persist(&self.path)
            .map_err(|e| fail(e.error.to_string()))?;
        Ok(())
    }
}

async fn load_experiment(source: &str) -> Result<Value, Failure> {
    chaos_runner::load_experiment(source)
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

async fn run_experiment(args: RunArgs, quiet: bool) -> Result<(), Failure> {
    let config_error = |e: chaos_runner::Error| Failure {
        code: 1,
        message: e.to_string(),
    };
    let experiment = load_experiment(&args.file).await?;
    let journal_file = JournalFile::check(&args.journal_path)?;
    let mut configuration = Map::new();
    let mut secrets = Map::new();
    let mut environment = Map::new();
    for file in &args.var_files {
        let vars = chaos_runner::load_var_file(file).map_err(config_error)?;
        configuration.extend(vars.configuration);
        secrets.extend(vars.secrets);
        environment.extend(vars.environment);
    }
    for var in &args.vars {
        let (key, value) = chaos_runner::parse_var(var).map_err(|e| Failure {
            code: 2,
            message: e.to_string(),
        })?;
        configuration.insert(key, value);
    }
    let settings = settings(args.settings.as_deref())?;
    let runtime = Runtime::read(&experiment, &settings, &args)?;
    let runner = runner()
        .settings(settings)
        .configuration(configuration)
        .secrets(secrets)
        .environment(environment)
        .rollback_strategy(runtime.rollback_strategy)
        .hypothesis_strategy(
            runtime.hypothesis_strategy,
            std::time::Duration::try_from_secs_f64(runtime.hypothesis_frequency)
                .unwrap_or(chaosprometheus::MAX_TIMEOUT),
            runtime.fail_fast,
        )
        .dry(args.dry)
        .progress(!quiet);
    on_signals(&runner.interrupter());
    let journal = runner.run(&experiment).await.map_err(config_error)?;
    journal_file.write(&journal)?;
    if !quiet {
        eprintln!("The journal is in {}", args.journal_path.display());
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

/// A Pushgateway client for the group's flags.
fn gateway(group: &Group) -> Result<Pushgateway, Failure> {
    let c = &group.connection;
    if group.gateway.trim_end_matches('/').ends_with("/metrics") {
        tracing::warn!(
            "--gateway {} ends in /metrics, but the path /metrics/job/… is added for you: \
             give the gateway's base URL",
            chaosprometheus::api::redact_url(&group.gateway)
        );
    }
    let mut builder = Pushgateway::builder(group.gateway.clone()).verify_tls(!c.insecure);
    for (name, value) in &c.headers {
        builder = builder.header(name.clone(), value.clone());
    }
    if let Some(user) = &c.user {
        builder = builder.basic_auth(user.clone(), group.password.clone().unwrap_or_default());
    }
    if let Some(token) = &group.token {
        builder = builder.bearer_token(token.clone());
    }
    if let Some(ca) = &c.ca_file {
        builder = builder.ca_file(ca);
    }
    if let Some(seconds) = c.client_timeout {
        builder = builder.timeout(
            std::time::Duration::try_from_secs_f64(seconds).unwrap_or(chaosprometheus::MAX_TIMEOUT),
        );
    }
    if let Some(proxy) = &c.proxy {
        builder = builder.proxy_setting(chaosprometheus::pushgateway::Proxy::from_setting(proxy));
    }
    if let Some(limit) = c.max_body_size {
        builder = builder.max_body_size(limit);
    }
    builder.build().map_err(|e| Failure {
        code: 2,
        message: e.to_string(),
    })
}

fn push_failure(what: &str, e: &chaosprometheus::pushgateway::Error, gateway: &str) -> Failure {
    let hint = if gateway.trim_end_matches('/').ends_with("/metrics") {
        " (hint: --gateway ends in /metrics; give the gateway's base URL, the \
         /metrics/job/… path is added for you)"
    } else {
        ""
    };
    Failure {
        code: if e.is_invalid_input() { 2 } else { 1 },
        message: format!("{what} failed: {e}{hint}"),
    }
}

/// Prints an answer's payload as-is, with a newline.
async fn print_answer(
    answer: Result<chaosprometheus::api::Bytes, chaosprometheus::api::Error>,
) -> Result<(), Failure> {
    let bytes = answer.map_err(|e| Failure::from(Error::Client(Box::new(e))))?;
    let mut out = Stdout::new();
    out.write_all(&bytes).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::closed_pipe()
        } else {
            Failure {
                code: 1,
                message: format!("writing to stdout: {e}"),
            }
        }
    })?;
    newline(&mut out).await
}

/// Ends the payload with a newline, as a shell expects.
async fn newline(out: &mut Stdout) -> Result<(), Failure> {
    out.write_all(b"\n")
        .await
        .and(out.flush().await)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                Failure::closed_pipe()
            } else {
                Failure {
                    code: 1,
                    message: format!("writing to stdout: {e}"),
                }
            }
        })
}
