//! Logs: one line format for a run's progress and every other event, on
//! stderr and in `--log-file`; JSON lines with `--log-format json`.

use std::fmt;
use std::path::Path;

use chaos_runner::PROGRESS_TARGET;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::Failure;
use crate::flags::{Color, LogFormat, LogLevel};

/// What the logs look like and where they go.
pub(crate) struct LogOptions<'a> {
    pub(crate) verbose: u8,
    pub(crate) quiet: bool,
    pub(crate) color: Color,
    pub(crate) format: LogFormat,
    pub(crate) file: Option<&'a Path>,
    /// The least level the file gets.
    pub(crate) file_level: LogLevel,
}

/// Installs the logger. stderr: `RUST_LOG` when set; else a run's progress
/// at INFO (none with `-q`) and the rest at WARN, INFO with `-v`, DEBUG
/// with `-vv`, only errors with `-q`. The log file, when asked for, gets
/// everything at DEBUG (or from `--log-file-level`), as `chaos --log-file`
/// does, in the same format and never in colour. A plain `Targets` filter costs less to set up than
/// `EnvFilter`, and start-up counts for a command run once per probe.
pub(crate) fn init(options: &LogOptions<'_>) -> Result<(), Failure> {
    let ansi = options.format == LogFormat::Text
        && match options.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::IsTerminal::is_terminal(&std::io::stderr())
            }
        };
    let file = match options.file {
        None => None,
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| Failure {
                    code: 2,
                    message: format!("--log-file {}: {e}", path.display()),
                })?,
        ),
    };
    let stderr = layer(options.format, ansi, std::io::stderr);
    let stderr = if std::env::var_os("RUST_LOG").is_some() {
        stderr
            .with_filter(tracing_subscriber::EnvFilter::from_default_env())
            .boxed()
    } else {
        let level = match (options.quiet, options.verbose) {
            (true, _) => LevelFilter::ERROR,
            (false, 0) => LevelFilter::WARN,
            (false, 1) => LevelFilter::INFO,
            (false, _) => LevelFilter::DEBUG,
        };
        let progress = if options.quiet {
            LevelFilter::ERROR
        } else {
            level.max(LevelFilter::INFO)
        };
        stderr
            .with_filter(
                Targets::new()
                    .with_default(level)
                    .with_target(PROGRESS_TARGET, progress),
            )
            .boxed()
    };
    let file = file.map(|f| {
        layer(options.format, false, std::sync::Mutex::new(f))
            .with_filter(match options.file_level {
                LogLevel::Debug => LevelFilter::DEBUG,
                LogLevel::Info => LevelFilter::INFO,
                LogLevel::Warning => LevelFilter::WARN,
                LogLevel::Error => LevelFilter::ERROR,
            })
            .boxed()
    });
    let mut layers = vec![stderr];
    layers.extend(file);
    tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .map_err(|e| Failure {
            code: 1,
            message: format!("cannot start logging: {e}"),
        })
}

/// A formatting layer writing to `writer`: chaos' line format, or JSON.
fn layer<W>(
    format: LogFormat,
    ansi: bool,
    writer: W,
) -> Box<dyn Layer<Registry> + Send + Sync + 'static>
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(ansi)
            .event_format(Lines)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .boxed(),
    }
}

/// `[2026-11-25 10:00:00 INFO] message key=value`: the line `chaos run`
/// prints, in UTC, for every event.
struct Lines;

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let now = jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%S");
        let level = *event.metadata().level();
        let name = match level {
            Level::ERROR => "ERROR",
            Level::WARN => "WARNING",
            Level::INFO => "INFO",
            Level::DEBUG => "DEBUG",
            Level::TRACE => "TRACE",
        };
        if writer.has_ansi_escapes() {
            let colour = match level {
                Level::ERROR => "31",
                Level::WARN => "33",
                Level::INFO => "32",
                _ => "2",
            };
            write!(writer, "\x1b[{colour}m[{now} {name}]\x1b[0m ")?;
        } else {
            write!(writer, "[{now} {name}] ")?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
