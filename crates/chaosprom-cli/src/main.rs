//! `chaosprom`: the Chaos Toolkit's Prometheus probes and Pushgateway
//! pushes from a shell.
//!
//! Exit codes: 0 success; 1 the query or push failed (the reason on
//! stderr), or a run did not complete without deviating; 2 bad usage, or
//! a time expression or argument that does not parse; 3 `run --strict`
//! whose steady state was not met before or after the method.

use std::process::ExitCode;

use chaosprometheus::Error;

mod experiments;
mod flags;
mod junit;
mod logs;
mod notify;
mod prometheus;
mod pushgateway;
mod report;

use flags::{Cli, Command};

/// The static build's allocator. musl's own allocator made a run of 200
/// probes 13 % slower than the glibc build; with mimalloc the static build
/// runs it as fast as the glibc build does. The glibc build keeps glibc's.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A failure and the exit code it gives.
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

/// `eprintln!` that never panics: a stderr that cannot be written (its
/// reader gone) loses the line, as there is nowhere else to say it.
macro_rules! print_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
pub(crate) use print_err;

/// Writes `text` and a newline to stdout: a reader that went away ends
/// the command quietly, any other failure is an error (where `println!`
/// would panic).
pub(crate) fn print_line(what: &str, text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| Failure::writing(what, &e))
}

impl Failure {
    /// The end of a run whose reader went away (`… | head`): nothing to
    /// report, as ripgrep and cat do.
    pub(crate) fn closed_pipe() -> Self {
        Failure {
            code: 0,
            message: String::new(),
        }
    }

    /// A failed write to stdout: quiet when the reader went away.
    pub(crate) fn writing(what: &str, e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::closed_pipe()
        } else {
            Failure {
                code: 1,
                message: format!("writing {what}: {e}"),
            }
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
    let cli = parse_flags();
    let globals = match cli.globals() {
        Ok(globals) => globals,
        Err(e) => e.exit(),
    };
    let logs = logs::LogOptions {
        verbose: globals.verbose,
        quiet: globals.quiet,
        color: globals.color.unwrap_or(flags::Color::Auto),
        format: globals.log_format.unwrap_or(flags::LogFormat::Text),
        file: globals
            .log_file
            .as_deref()
            .filter(|_| !cli.chaos.no_log_file),
        file_level: cli.chaos.log_file_level.unwrap_or(flags::LogLevel::Debug),
    };
    if let Err(Failure { code, message }) = logs::init(&logs) {
        crate::print_err!("chaosprom: {message}");
        return ExitCode::from(code);
    }
    if let Some(dir) = &cli.chaos.change_dir {
        // As `chaos --change-dir`, which says so at warning level.
        tracing::warn!("Moving to {}", dir.display());
        if let Err(e) = std::env::set_current_dir(dir) {
            crate::print_err!("chaosprom: --change-dir {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    }
    // 64 I/O events a turn, not tokio's 1,024: a command waits on a
    // handful of sockets and pipes, and the 12 KB buffer was fresh heap in
    // every one-shot probe.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_io_events_per_tick(64)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            crate::print_err!("chaosprom: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // The command's future lives on the heap, and the flags are parsed out
    // of line: with both inlined, `main` held a 17 KB frame under every
    // call a probe makes.
    match runtime.block_on(Box::pin(run(cli.command, globals.quiet))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, message }) => {
            if !message.is_empty() {
                crate::print_err!("chaosprom: {message}");
            }
            ExitCode::from(code)
        }
    }
}

/// The flags, as `Cli::parse()` reads them, but without freeing clap's
/// command tree: for a one-shot probe, dropping it cost a tenth of the
/// start-up (callgrind), and the process ends soon anyway.
#[inline(never)]
fn parse_flags() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let mut command = std::mem::ManuallyDrop::new(Cli::command());
    // Taken out of the matches rather than from a clone of them, as
    // `from_arg_matches` does: the clone was 2 % of a probe's start-up.
    let mut matches = std::mem::ManuallyDrop::new(command.get_matches_mut());
    match Cli::from_arg_matches_mut(&mut matches) {
        Ok(cli) => cli,
        Err(e) => e.format(&mut command).exit(),
    }
}

/// Runs a command.
async fn run(command: Command, quiet: bool) -> Result<(), Failure> {
    match command {
        Command::Query {
            promql,
            when,
            timeout,
            output,
            server,
            ..
        } => prometheus::query(promql, when, timeout, output, &server).await,
        Command::QueryRange {
            promql,
            start,
            end,
            step,
            timeout,
            output,
            server,
            ..
        } => {
            let range = (start.as_deref(), end.as_deref(), step);
            prometheus::query_range(promql, range, timeout, output, &server).await
        }
        Command::Assert {
            promql,
            below,
            above,
            between,
            for_,
            series,
            no_data,
            nan,
            server,
            ..
        } => {
            let criterion = prometheus::Criterion {
                below,
                above,
                between,
            };
            let choices = [series, no_data, nan];
            prometheus::assert(promql, criterion, choices, for_.as_deref(), &server).await
        }
        Command::AlertState {
            name,
            labels,
            server,
            ..
        } => prometheus::alert_state(&name, &labels, &server).await,
        Command::Mean {
            promql,
            window,
            mean_type,
            server,
            ..
        } => prometheus::mean(promql, window, mean_type, &server).await,
        Command::Series {
            selectors,
            window,
            server,
            ..
        } => prometheus::series(selectors, &window, &server).await,
        Command::Labels { window, server, .. } => prometheus::labels(&window, &server).await,
        Command::LabelValues {
            name,
            window,
            server,
            ..
        } => prometheus::label_values(&name, &window, &server).await,
        Command::Targets { state, server, .. } => prometheus::targets(state, &server).await,
        Command::Alerts { server, .. } => prometheus::alerts(&server).await,
        Command::Rules { kind, server, .. } => prometheus::rules(kind, &server).await,
        Command::Push {
            group,
            method,
            allow_empty,
            file,
            ..
        } => pushgateway::push(&group, method, allow_empty, file).await,
        Command::Delete { group, .. } => pushgateway::delete(&group).await,
        Command::Run(args) => experiments::run_experiment(args).await,
        Command::Validate {
            file,
            check_servers,
            settings,
            no_verify_tls,
            ..
        } => experiments::validate(&file, check_servers, settings.as_deref(), !no_verify_tls).await,
        Command::Probe {
            file,
            name,
            vars,
            var_files,
            ..
        } => experiments::probe(&file, &name, &vars, &var_files, quiet).await,
        Command::Report {
            journal,
            format,
            output,
            url,
            offline,
            ..
        } => {
            experiments::report(&journal, format, output.as_deref(), url.as_deref(), offline).await
        }
        Command::Discover { .. } => experiments::discover(),
        Command::Completions { shell, .. } => {
            // Into memory first: clap_complete panics when stdout fails.
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "chaosprom", &mut script);
            print_line(
                "the completion script",
                String::from_utf8_lossy(&script).trim_end_matches('\n'),
            )
        }
        Command::Man { .. } => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command)
                .render(&mut std::io::stdout())
                .map_err(|e| Failure::writing("the man page", &e))
        }
    }
}
