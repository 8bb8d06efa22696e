//! The probes of `chaosprometheus.probes`, with the Chaos Toolkit's names,
//! arguments, defaults and request format.

use std::time::Duration;

use bytes::Bytes;
use chaosprom_api::{Client, Instant, QueryData, Range, Request, Step};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use tokio::io::AsyncWrite;

use crate::mean::{MeanType, mean};
use crate::{Error, Settings};

/// The query `nodes_cpu_usage_mean` averages.
pub const NODES_CPU_USAGE_QUERY: &str =
    r#"100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[1m])))"#;

/// Arguments of `query`: an instant query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryArgs {
    /// The PromQL expression.
    pub query: String,
    /// When to evaluate it (`"2 minutes ago"`, RFC 3339, …); default: now,
    /// as the server sees it.
    pub when: Option<String>,
    /// Prometheus' evaluation timeout in seconds, sent as given.
    pub timeout: Option<f64>,
    /// Whether to verify TLS; overrides `prometheus_verify_tls`.
    pub verify_tls: Option<bool>,
}

impl QueryArgs {
    /// An instant query of `promql`, now.
    pub fn new(promql: impl Into<String>) -> Self {
        Self {
            query: promql.into(),
            ..Self::default()
        }
    }
}

/// A range query's step: seconds or a Prometheus duration (`"15s"`).
#[derive(Debug, Clone, PartialEq)]
pub enum StepArg {
    /// Seconds, e.g. `1` or `0.5`.
    Seconds(f64),
    /// A duration, e.g. `"15s"`.
    Duration(String),
}

impl Default for StepArg {
    fn default() -> Self {
        StepArg::Seconds(1.0)
    }
}

/// Arguments of `query_interval`: a range query.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryIntervalArgs {
    /// The PromQL expression.
    pub query: String,
    /// Where the range starts (`"5 minutes ago"`, RFC 3339, …).
    pub start: String,
    /// Where it ends (`"now"`, …).
    pub end: String,
    /// The step (default 1 second). Zero is refused.
    pub step: StepArg,
    /// Prometheus' evaluation timeout in seconds, sent as given.
    pub timeout: Option<f64>,
    /// Whether to verify TLS; overrides `prometheus_verify_tls`.
    pub verify_tls: Option<bool>,
}

impl QueryIntervalArgs {
    /// A range query of `promql` from `start` to `end`, every second.
    pub fn new(
        promql: impl Into<String>,
        start: impl Into<String>,
        end: impl Into<String>,
    ) -> Self {
        Self {
            query: promql.into(),
            start: start.into(),
            end: end.into(),
            ..Self::default()
        }
    }
}

/// Arguments of `compute_mean`.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputeMeanArgs {
    /// The PromQL expression.
    pub query: String,
    /// How far back from now (default `"1d"`).
    pub window: String,
    /// `arithmetic` (default), `geometric` or `harmonic`.
    pub mean_type: String,
}

impl ComputeMeanArgs {
    /// The arithmetic mean of `promql` over the last day.
    pub fn new(promql: impl Into<String>) -> Self {
        Self {
            query: promql.into(),
            window: "1d".to_owned(),
            mean_type: "arithmetic".to_owned(),
        }
    }
}

/// Runs an instant query and returns Prometheus' JSON payload unchanged.
///
/// ```no_run
/// # async fn run() -> Result<(), chaosprometheus::Error> {
/// use chaosprometheus::probes::{QueryArgs, query};
/// use serde_json::json;
///
/// let mut args = QueryArgs::new("up");
/// args.when = Some("2 minutes ago".into());
/// let configuration = json!({"prometheus_base_url": "http://127.0.0.1:9090"});
/// let payload = query(&args, &configuration, &json!(null)).await?;
/// assert_eq!(payload["status"], "success");
/// # Ok(()) }
/// ```
pub async fn query(
    args: &QueryArgs,
    configuration: &Value,
    secrets: &Value,
) -> Result<Value, Error> {
    let bytes = query_raw(args, configuration, secrets).await?;
    to_json(&bytes).map_err(|source| query_error(args, source))
}

/// [`query`]'s payload as the exact bytes Prometheus sent.
pub async fn query_raw(
    args: &QueryArgs,
    configuration: &Value,
    secrets: &Value,
) -> Result<Bytes, Error> {
    let client = Settings::from_chaos(configuration, secrets)?.shared_client(args.verify_tls)?;
    instant(&client, args)?
        .raw()
        .await
        .map_err(|source| query_error(args, source))
}

/// [`query`]'s payload streamed into `writer` as it arrives; returns the
/// bytes written.
pub async fn query_to<W: AsyncWrite + Unpin>(
    args: &QueryArgs,
    configuration: &Value,
    secrets: &Value,
    writer: &mut W,
) -> Result<u64, Error> {
    let client = Settings::from_chaos(configuration, secrets)?.shared_client(args.verify_tls)?;
    instant(&client, args)?
        .write_to(writer)
        .await
        .map_err(|source| query_error(args, source))
}

/// Runs a range query and returns Prometheus' JSON payload unchanged.
pub async fn query_interval(
    args: &QueryIntervalArgs,
    configuration: &Value,
    secrets: &Value,
) -> Result<Value, Error> {
    let bytes = query_interval_raw(args, configuration, secrets).await?;
    to_json(&bytes).map_err(|source| range_error(args, source))
}

/// [`query_interval`]'s payload as the exact bytes Prometheus sent.
pub async fn query_interval_raw(
    args: &QueryIntervalArgs,
    configuration: &Value,
    secrets: &Value,
) -> Result<Bytes, Error> {
    let client = Settings::from_chaos(configuration, secrets)?.shared_client(args.verify_tls)?;
    range(&client, args)?
        .raw()
        .await
        .map_err(|source| range_error(args, source))
}

/// [`query_interval`]'s payload streamed into `writer` as it arrives.
pub async fn query_interval_to<W: AsyncWrite + Unpin>(
    args: &QueryIntervalArgs,
    configuration: &Value,
    secrets: &Value,
    writer: &mut W,
) -> Result<u64, Error> {
    let client = Settings::from_chaos(configuration, secrets)?.shared_client(args.verify_tls)?;
    range(&client, args)?
        .write_to(writer)
        .await
        .map_err(|source| range_error(args, source))
}

/// The mean of every point of every series a range query returns over the
/// last `window`, with a step of `window / 300`.
///
/// Python's 0.6.0 always fails here; this does what its documentation
/// promises, and refuses an empty result, an unknown mean type, and values
/// the chosen mean cannot take.
pub async fn compute_mean(
    args: &ComputeMeanArgs,
    configuration: &Value,
    secrets: &Value,
) -> Result<f64, Error> {
    let mean_type: MeanType = args.mean_type.parse()?;
    let window = chaosprom_when::parse_duration(&args.window).map_err(|source| Error::Time {
        name: "window",
        source,
    })?;
    if window <= SignedDuration::ZERO {
        return Err(Error::invalid(
            "window",
            format!("expected a positive duration, found '{}'", args.window),
        ));
    }
    let end = Timestamp::now();
    let start = end
        .checked_sub(window)
        .map_err(|e| Error::invalid("window", e.to_string()))?;
    let step = window.as_secs_f64() / 300.0;
    let client = Settings::from_chaos(configuration, secrets)?.shared_client(None)?;
    let describe = || format!("'{}' over the last {}", args.query, args.window);
    let answer = client
        .query_range(args.query.clone(), start, end, step)
        .send()
        .await
        .map_err(|source| Error::QueryRange {
            query: describe(),
            source: Box::new(source),
        })?;
    let values = match &answer.data {
        QueryData::Matrix(_) | QueryData::Vector(_) | QueryData::Scalar(_) => {
            answer.data.float_values()
        }
        QueryData::String(_) => Vec::new(),
    };
    if tracing::enabled!(tracing::Level::INFO) {
        if let QueryData::Matrix(series) = &answer.data {
            for s in series {
                tracing::info!(
                    "averaging {} ({} points)",
                    chaosprom_api::series_name(&s.metric),
                    s.values.len()
                );
            }
        }
        tracing::info!(
            "{} points in all, every {step}s from {start} to {end}",
            values.len()
        );
    }
    mean(&values, mean_type).map_err(|reason| Error::Mean {
        query: describe(),
        mean_type: args.mean_type.clone(),
        reason,
    })
}

/// The arithmetic mean of the nodes' CPU usage (percent) over the last
/// `window`, from `node_cpu_seconds_total`.
pub async fn nodes_cpu_usage_mean(
    window: &str,
    configuration: &Value,
    secrets: &Value,
) -> Result<f64, Error> {
    let mut args = ComputeMeanArgs::new(NODES_CPU_USAGE_QUERY);
    args.window = window.to_owned();
    compute_mean(&args, configuration, secrets).await
}

/// A time argument as an instant, relative to `now`; the local zone is
/// looked up only for a date without a zone, once per call.
fn time(
    name: &'static str,
    input: &str,
    now: Timestamp,
    zone: &std::cell::OnceCell<jiff::tz::TimeZone>,
) -> Result<chaosprom_api::Time, Error> {
    ambiguous_number(name, input)?;
    let at = chaosprom_when::parse_time_from(input, now, || {
        zone.get_or_init(chaosprom_when::local_zone).clone()
    })
    .map_err(|source| Error::Time { name, source })?;
    Ok(crate::api_time(at))
}

/// Checks a time argument when an experiment is validated, so that a
/// misspelt `when` fails before any fault is injected, not in a rollback.
pub(crate) fn check_time(name: &'static str, input: &str) -> Result<(), Error> {
    time(name, input, Timestamp::now(), &std::cell::OnceCell::new()).map(|_| ())
}

/// Checks a range's two times together when an experiment is validated:
/// an end before the start (`"start": "5 minutes ago", "end": "1 hour
/// ago"`) would fail every run.
pub(crate) fn check_span(start: &str, end: &str) -> Result<(), Error> {
    let (now, zone) = (Timestamp::now(), std::cell::OnceCell::new());
    let from = time("start", start, now, &zone)?;
    let to = time("end", end, now, &zone)?;
    if to < from {
        return Err(Error::invalid(
            "end",
            format!(
                "expected an end after the start, found '{end}' ({to}) before '{start}' ({from})"
            ),
        ));
    }
    Ok(())
}

/// Refuses a bare number that Python's extension and Prometheus would
/// read as different instants. dateparser, which Python's `query` and
/// `query_interval` parse times with, reads a number of 10 digits as Unix
/// seconds, as Prometheus does, but guesses at the others: `5` is the
/// 26th of May, `2026` today's date in 2026, `99` a date in 1999, 13
/// digits milliseconds. Here every bare number would be Unix seconds (the
/// year 1970 for `2026`): an answer about another time than the
/// experiment's author meant, in one of the two runners.
fn ambiguous_number(name: &'static str, input: &str) -> Result<(), Error> {
    let text = input.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !whole.is_empty() && digits(whole) && digits(fraction) && whole.len() != 10 {
        return Err(Error::invalid(
            name,
            format!(
                "'{input}' is ambiguous: Python's extension reads a bare number of other than \
                 10 digits as a date (2026 a year, 5 a month) or as milliseconds, and Prometheus \
                 as Unix seconds; write Unix seconds in 10 digits or an RFC 3339 time \
                 (2026-01-01T00:00:00Z)"
            ),
        ));
    }
    Ok(())
}

fn timeout(value: Option<f64>) -> Result<Option<Duration>, Error> {
    value
        .map(|s| crate::config::timeout_seconds("timeout", s))
        .transpose()
}

fn instant<'c>(client: &'c Client, args: &QueryArgs) -> Result<Request<'c, Instant>, Error> {
    let mut request = client.query(args.query.clone());
    if let Some(t) = timeout(args.timeout)? {
        request = request.timeout(t);
    }
    if let Some(when) = &args.when {
        request = request.time(time("when", when, Timestamp::now(), &Default::default())?);
    }
    Ok(request)
}

fn range<'c>(client: &'c Client, args: &QueryIntervalArgs) -> Result<Request<'c, Range>, Error> {
    let (now, zone) = (Timestamp::now(), std::cell::OnceCell::new());
    let start = time("start", &args.start, now, &zone)?;
    let end = time("end", &args.end, now, &zone)?;
    let step = match &args.step {
        StepArg::Seconds(s) if *s == 0.0 => {
            return Err(Error::invalid(
                "step",
                "expected a positive step, found 0 (Prometheus would refuse it)",
            ));
        }
        StepArg::Seconds(s) => Step::Seconds(*s),
        StepArg::Duration(d) => Step::Duration(d.clone()),
    };
    let mut request = client.query_range(args.query.clone(), start, end, step);
    if let Some(t) = timeout(args.timeout)? {
        request = request.timeout(t);
    }
    Ok(request)
}

fn describe_query(args: &QueryArgs) -> String {
    let mut text = format!("'{}'", args.query);
    if let Some(when) = &args.when {
        text.push_str(&format!(" at '{when}'"));
    }
    text
}

fn describe_range(args: &QueryIntervalArgs) -> String {
    format!("'{}' from '{}' to '{}'", args.query, args.start, args.end)
}

fn query_error(args: &QueryArgs, source: chaosprom_api::Error) -> Error {
    if let chaosprom_api::Error::InvalidArgument { name, reason } = &source {
        return Error::invalid(*name, reason.clone());
    }
    Error::Query {
        query: describe_query(args),
        source: Box::new(source),
    }
}

fn range_error(args: &QueryIntervalArgs, source: chaosprom_api::Error) -> Error {
    if let chaosprom_api::Error::InvalidArgument { name, reason } = &source {
        return Error::invalid(*name, reason.clone());
    }
    Error::QueryRange {
        query: describe_range(args),
        source: Box::new(source),
    }
}

/// The payload of a 200 JSON answer, parsed.
fn to_json(bytes: &[u8]) -> Result<Value, chaosprom_api::Error> {
    serde_json::from_slice(bytes).map_err(|e| chaosprom_api::Error::Decode {
        method: "parse".to_owned(),
        url: "payload".to_owned(),
        offset: bytes.len().min(e.column()),
        reason: e.to_string(),
    })
}
