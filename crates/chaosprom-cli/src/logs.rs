//! Logs: one line format for a run's progress and every other event, on
//! stderr and in `--log-file`; JSON lines with `--log-format json`.

use std::fmt;
use std::path::Path;

use chaos_runner::PROGRESS_TARGET;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber, span};
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
/// does, in the same format and never in colour. A plain `Targets` filter
/// costs less to set up than `EnvFilter`, and start-up counts for a
/// command run once per probe: without `RUST_LOG` the subscriber itself is
/// built only when a first event or span could get through (see [`Lazy`]).
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
        Some(path) => {
            let fail = |message: String| Failure {
                code: 2,
                message: format!("--log-file {}: {message}", path.display()),
            };
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| fail(e.to_string()))?;
            // Lines appended to a disk (`/dev/sda`) would overwrite what
            // it holds; a file, a pipe or a terminal takes them.
            use std::os::unix::fs::FileTypeExt as _;
            let kind = file
                .metadata()
                .map_err(|e| fail(e.to_string()))?
                .file_type();
            if !(kind.is_file() || kind.is_char_device() || kind.is_fifo()) {
                return Err(fail(
                    "it is neither a regular file, a pipe nor a terminal".into(),
                ));
            }
            Some(LogFile {
                file,
                path: path.to_owned(),
                warned: false,
            })
        }
    };
    let file_level = match options.file_level {
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Warning => LevelFilter::WARN,
        LogLevel::Error => LevelFilter::ERROR,
    };
    let format = options.format;
    let file_layer = move |file: Option<LogFile>| {
        file.map(|f| {
            layer(format, false, std::sync::Mutex::new(f))
                .with_filter(file_level)
                .boxed()
        })
    };
    let installed = if std::env::var_os("RUST_LOG").is_some() {
        let stderr = layer(format, ansi, std::io::stderr)
            .with_filter(tracing_subscriber::EnvFilter::from_default_env())
            .boxed();
        let mut layers = vec![stderr];
        layers.extend(file_layer(file));
        tracing_subscriber::registry().with(layers).try_init()
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
        let targets = Targets::new()
            .with_default(level)
            .with_target(PROGRESS_TARGET, progress);
        let to_file = file.is_some().then_some(file_level);
        let gate = targets.clone();
        let make = move || {
            let stderr = layer(format, ansi, std::io::stderr)
                .with_filter(targets)
                .boxed();
            let mut layers = vec![stderr];
            layers.extend(file_layer(file));
            Box::new(tracing_subscriber::registry().with(layers))
                as Box<dyn Subscriber + Send + Sync>
        };
        Lazy {
            gate,
            to_file,
            max: level.max(progress).max(to_file.unwrap_or(LevelFilter::OFF)),
            make: std::sync::Mutex::new(Some(Box::new(make))),
            inner: std::sync::OnceLock::new(),
        }
        .try_init()
    };
    installed.map_err(|e| Failure {
        code: 1,
        message: format!("cannot start logging: {e}"),
    })
}

/// The subscriber of [`init`], built the first time an event or a span
/// could get through its filters: a probe at the default level logs
/// nothing, and building the registry and its layers was 4 % of its
/// start-up (callgrind). Until then, a callsite none of the filters admits
/// is refused here; once built, everything goes to it, so what is logged
/// and how is the same as with the subscriber installed at once (`Dispatch`
/// checks an event's own filters in `event`; `Span::current()` is not
/// forwarded, and no log line shows spans).
struct Lazy {
    /// The stderr filter.
    gate: Targets,
    /// The file's level, when there is a file.
    to_file: Option<LevelFilter>,
    /// The most verbose level either lets through.
    max: LevelFilter,
    make: std::sync::Mutex<Option<Box<dyn FnOnce() -> Inner + Send>>>,
    /// The subscriber itself: held, not registered as a `Dispatch` of its
    /// own, whose registration would ask this one about every callsite
    /// while it is being built.
    inner: std::sync::OnceLock<Inner>,
}

std::thread_local! {
    /// Whether this thread is building [`Lazy`]'s subscriber: what it logs
    /// meanwhile is dropped rather than waiting for itself (other threads
    /// wait for the subscriber).
    static BUILDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn building() -> bool {
    BUILDING.with(std::cell::Cell::get)
}

type Inner = Box<dyn Subscriber + Send + Sync>;

impl Lazy {
    fn inner(&self) -> &Inner {
        self.inner.get_or_init(|| {
            BUILDING.with(|b| b.set(true));
            let make = self.make.lock().ok().and_then(|mut make| make.take());
            let inner = make.map_or_else(
                || Box::new(tracing::subscriber::NoSubscriber::default()) as Inner,
                |make| make(),
            );
            BUILDING.with(|b| b.set(false));
            inner
        })
    }

    /// Whether any filter admits this callsite (and the subscriber is not
    /// being built).
    fn admits(&self, meta: &Metadata<'_>) -> bool {
        (self.gate.would_enable(meta.target(), meta.level())
            || self.to_file.is_some_and(|level| *meta.level() <= level))
            && (self.inner.get().is_some() || !building())
    }
}

impl Subscriber for Lazy {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if building() && self.inner.get().is_none() {
            // Asked again later, once built.
            Interest::sometimes()
        } else if self.admits(meta) {
            self.inner().register_callsite(meta)
        } else {
            Interest::never()
        }
    }
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        self.admits(meta) && self.inner().enabled(meta)
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max)
    }
    fn new_span(&self, span: &span::Attributes<'_>) -> span::Id {
        self.inner().new_span(span)
    }
    fn record(&self, span: &span::Id, values: &span::Record<'_>) {
        self.inner().record(span, values);
    }
    fn record_follows_from(&self, span: &span::Id, follows: &span::Id) {
        self.inner().record_follows_from(span, follows);
    }
    fn event(&self, event: &Event<'_>) {
        self.inner().event(event);
    }
    fn enter(&self, span: &span::Id) {
        self.inner().enter(span);
    }
    fn exit(&self, span: &span::Id) {
        self.inner().exit(span);
    }
    fn clone_span(&self, id: &span::Id) -> span::Id {
        self.inner().clone_span(id)
    }
    fn try_close(&self, id: span::Id) -> bool {
        self.inner().try_close(id)
    }
}

/// The `--log-file`. A line that cannot be written there is lost, not
/// the run; the first such failure is said on stderr, as Python's logging
/// prints its own.
struct LogFile {
    file: std::fs::File,
    path: std::path::PathBuf,
    warned: bool,
}

impl LogFile {
    fn check<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            if !self.warned && e.kind() != std::io::ErrorKind::Interrupted {
                self.warned = true;
                crate::print_err!(
                    "chaosprom: --log-file {}: {e}; the lines that cannot be written there are lost",
                    self.path.display()
                );
            }
        }
        result
    }
}

impl std::io::Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.file.write(buf);
        self.check(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.file.flush();
        self.check(result)
    }
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
