//! The Prometheus commands: query, query-range, mean, and the metadata
//! endpoints; their answers go to stdout as-is.

use chaosprometheus::Error;
use chaosprometheus::probes::{self, ComputeMeanArgs, QueryArgs, QueryIntervalArgs, StepArg};
use tokio::io::AsyncWriteExt;

use crate::Failure;
use crate::flags::{Output, Server, Window};

/// `query`.
pub(crate) async fn query(
    promql: String,
    when: Option<String>,
    timeout: Option<f64>,
    output: Option<Output>,
    server: &Server,
) -> Result<(), Failure> {
    let (configuration, secrets) = server.chaos();
    let args = QueryArgs {
        query: promql,
        when,
        timeout,
        verify_tls: None,
    };
    let format = Output::or_default(output);
    if format != Output::Json {
        let payload = probes::query(&args, &configuration, &secrets).await?;
        return print_text(&render(&payload, format)).await;
    }
    let mut out = Stdout::new()?;
    probes::query_to(&args, &configuration, &secrets, &mut out).await?;
    newline(&mut out).await
}

/// `query-range`.
pub(crate) async fn query_range(
    promql: String,
    (start, end, step): (Option<&str>, Option<&str>, Option<String>),
    timeout: Option<f64>,
    output: Option<Output>,
    server: &Server,
) -> Result<(), Failure> {
    let (configuration, secrets) = server.chaos();
    let (start, end, step) = range_defaults(start, end, step)?;
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
    let format = Output::or_default(output);
    if format != Output::Json {
        let payload = probes::query_interval(&args, &configuration, &secrets).await?;
        return print_text(&render(&payload, format)).await;
    }
    let mut out = Stdout::new()?;
    probes::query_interval_to(&args, &configuration, &secrets, &mut out).await?;
    newline(&mut out).await
}

/// A query's payload as a table (promtool's `name{labels} => value
/// @[time]`, a matrix's points indented under their series) or as CSV
/// (`series,timestamp,value`).
fn render(payload: &serde_json::Value, format: Output) -> String {
    use serde_json::Value;
    let data = &payload["data"];
    let series_name = |metric: &Value| {
        let mut labels: Vec<(&String, &Value)> = metric
            .as_object()
            .map(|m| m.iter().filter(|(k, _)| *k != "__name__").collect())
            .unwrap_or_default();
        labels.sort_by(|a, b| a.0.cmp(b.0));
        let name = metric["__name__"].as_str().unwrap_or_default();
        let inner: Vec<String> = labels
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    Value::String(v.as_str().unwrap_or_default().to_owned())
                )
            })
            .collect();
        format!("{name}{{{}}}", inner.join(", "))
    };
    let point = |p: &Value| {
        (
            p[0].to_string(),
            p[1].as_str().unwrap_or_default().to_owned(),
        )
    };
    let mut rows: Vec<(String, Vec<(String, String)>)> = Vec::new();
    match data["resultType"].as_str() {
        Some("vector") => {
            for s in data["result"].as_array().into_iter().flatten() {
                rows.push((series_name(&s["metric"]), vec![point(&s["value"])]));
            }
        }
        Some("matrix") => {
            for s in data["result"].as_array().into_iter().flatten() {
                let points = s["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(point)
                    .collect();
                rows.push((series_name(&s["metric"]), points));
            }
        }
        Some("scalar" | "string") => rows.push((String::new(), vec![point(&data["result"])])),
        _ => {}
    }
    if format == Output::Csv {
        let mut csv = csv::Writer::from_writer(Vec::new());
        let _ = csv.write_record(["series", "timestamp", "value"]);
        for (name, points) in &rows {
            for (at, value) in points {
                let _ = csv.write_record([name, at, value]);
            }
        }
        return String::from_utf8_lossy(&csv.into_inner().unwrap_or_default()).into_owned();
    }
    // Columns aligned with elastic tabstops, one space apart.
    let mut table = tabwriter::TabWriter::new(Vec::new()).minwidth(0).padding(1);
    let mut line = |text: String| {
        let _ = std::io::Write::write_all(&mut table, text.as_bytes());
    };
    for (name, points) in &rows {
        match (data["resultType"].as_str(), points.as_slice()) {
            (Some("matrix"), _) => {
                line(format!("{name} =>\n"));
                for (at, value) in points {
                    line(format!("{value}\t@[{at}]\n"));
                }
            }
            (_, [(at, value)]) if name.is_empty() => line(format!("{value}\t@[{at}]\n")),
            (_, [(at, value)]) => line(format!("{name}\t=> {value}\t@[{at}]\n")),
            _ => {}
        }
    }
    let _ = std::io::Write::flush(&mut table);
    String::from_utf8_lossy(&table.into_inner().unwrap_or_default()).into_owned()
}

/// Prints text as it is.
pub(crate) async fn print_text(text: &str) -> Result<(), Failure> {
    let mut out = Stdout::new()?;
    out.write_all(text.as_bytes())
        .await
        .and(out.flush().await)
        .map_err(|e| Failure::writing("to stdout", &e))
}

/// `mean`.
pub(crate) async fn mean(
    promql: String,
    window: String,
    mean_type: String,
    server: &Server,
) -> Result<(), Failure> {
    let (configuration, secrets) = server.chaos();
    let args = ComputeMeanArgs {
        query: promql,
        window,
        mean_type,
    };
    let mean = probes::compute_mean(&args, &configuration, &secrets).await?;
    crate::print_line("the mean", &mean.to_string())
}

/// `series`.
pub(crate) async fn series(
    selectors: Vec<String>,
    window: &Window,
    server: &Server,
) -> Result<(), Failure> {
    let client = server.client()?;
    let request = window.apply(client.series(selectors))?;
    print_answer(request.raw().await).await
}

/// `labels`.
pub(crate) async fn labels(window: &Window, server: &Server) -> Result<(), Failure> {
    let client = server.client()?;
    let request = window.apply(client.labels())?;
    print_answer(request.raw().await).await
}

/// `label-values`.
pub(crate) async fn label_values(
    name: &str,
    window: &Window,
    server: &Server,
) -> Result<(), Failure> {
    let client = server.client()?;
    let request = window.apply(client.label_values(name))?;
    print_answer(request.raw().await).await
}

/// `targets`.
pub(crate) async fn targets(state: Option<String>, server: &Server) -> Result<(), Failure> {
    let client = server.client()?;
    let mut request = client.targets();
    if let Some(state) = state {
        request = request.param("state", state);
    }
    print_answer(request.raw().await).await
}

/// `alerts`.
pub(crate) async fn alerts(server: &Server) -> Result<(), Failure> {
    let client = server.client()?;
    print_answer(client.alerts().raw().await).await
}

/// `rules`.
pub(crate) async fn rules(kind: Option<String>, server: &Server) -> Result<(), Failure> {
    let client = server.client()?;
    let mut request = client.rules();
    if let Some(kind) = kind {
        request = request.param("type", kind);
    }
    print_answer(request.raw().await).await
}

/// `query-range`'s start, end and step, with promtool's defaults: the end
/// is now, the start an hour before the end, and the step a round
/// duration giving about 250 points (never above Prometheus' 11,000).
fn range_defaults(
    start: Option<&str>,
    end: Option<&str>,
    step: Option<String>,
) -> Result<(String, String, String), Failure> {
    use chaosprometheus::when::{Instant, local_zone, parse_time_from};
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
        None => Instant::from_timestamp(now).unwrap_or(Instant::MAX),
    };
    let start_at = match start {
        Some(text) => parse("--start", text)?,
        None => end_at
            .checked_sub(SignedDuration::from_hours(1))
            .ok_or_else(|| Failure {
                code: 2,
                message: format!("--end: {end_at} is less than an hour after 0000-01-01"),
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

/// Stdout as an `AsyncWrite` that writes directly. tokio's own `stdout()`
/// hands every write to a blocking-pool thread; a CLI with one task has
/// nothing to block, and the thread costs more than the write. It writes
/// to a copy of the descriptor rather than through std's line-buffered
/// handle, which searched every chunk of a 66 MB answer for a newline (4 %
/// of the command's time, perf).
struct Stdout(std::fs::File);

impl Stdout {
    fn new() -> Result<Self, Failure> {
        use std::io::Write as _;
        use std::os::fd::AsFd as _;
        let stdout = std::io::stdout();
        // Whatever std's handle still holds goes first.
        stdout
            .lock()
            .flush()
            .and_then(|()| stdout.as_fd().try_clone_to_owned())
            .map(|fd| Self(std::fs::File::from(fd)))
            .map_err(|e| Failure::writing("to stdout", &e))
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

/// Prints an answer's payload as-is, with a newline.
async fn print_answer(
    answer: Result<chaosprometheus::api::Bytes, chaosprometheus::api::Error>,
) -> Result<(), Failure> {
    let bytes = answer.map_err(|e| Failure::from(Error::Client(Box::new(e))))?;
    let mut out = Stdout::new()?;
    out.write_all(&bytes)
        .await
        .map_err(|e| Failure::writing("to stdout", &e))?;
    newline(&mut out).await
}

/// Ends the payload with a newline, as a shell expects.
async fn newline(out: &mut Stdout) -> Result<(), Failure> {
    out.write_all(b"\n")
        .await
        .and(out.flush().await)
        .map_err(|e| Failure::writing("to stdout", &e))
}

/// `assert`'s criterion flags (clap lets at most one through).
pub(crate) struct Criterion {
    pub(crate) below: Option<f64>,
    pub(crate) above: Option<f64>,
    pub(crate) between: Option<Vec<f64>>,
}

/// `assert`: the tolerance the criterion names, with `[series, no_data,
/// nan]`, over the query now or over every point of the last `window`.
pub(crate) async fn assert(
    promql: String,
    criterion: Criterion,
    [series, no_data, nan]: [String; 3],
    window: Option<&str>,
    server: &Server,
) -> Result<(), Failure> {
    use chaosprometheus::tolerances::{check_from_arguments, judge};
    use serde_json::json;
    let usage = |message: String| Failure {
        code: 2,
        message: format!("assert: {message}"),
    };
    // JSON has no NaN or infinities (serde_json makes them null): they go
    // as Prometheus writes them, for the tolerance to judge.
    let number = |x: f64| -> serde_json::Value {
        if x.is_finite() {
            json!(x)
        } else if x.is_nan() {
            json!("NaN")
        } else if x > 0.0 {
            json!("+Inf")
        } else {
            json!("-Inf")
        }
    };
    let (function, mut args) = match (
        criterion.below,
        criterion.above,
        criterion.between.as_deref(),
    ) {
        (Some(x), _, _) => ("below", json!({"threshold": number(x)})),
        (_, Some(x), _) => ("above", json!({"threshold": number(x)})),
        (_, _, Some([a, b])) => ("between", json!({"lower": number(*a), "upper": number(*b)})),
        _ => return Err(usage("give --below X, --above X or --between A B".into())),
    };
    args["series"] = series.into();
    args["no_data"] = no_data.into();
    args["nan"] = nan.into();
    let check = check_from_arguments(function, &args).map_err(|e| usage(e.to_string()))?;
    let (configuration, secrets) = server.chaos();
    let payload = match window {
        None => probes::query(&QueryArgs::new(promql.clone()), &configuration, &secrets).await?,
        Some(window) => {
            let start = format!("{window} ago");
            let (start, end, step) =
                range_defaults(Some(&start), None, None).map_err(|f| Failure {
                    code: 2,
                    message: format!("--for {window}: {}", f.message),
                })?;
            let args = QueryIntervalArgs {
                query: promql.clone(),
                start,
                end,
                step: StepArg::Duration(step),
                timeout: None,
                verify_tls: None,
            };
            probes::query_interval(&args, &configuration, &secrets).await?
        }
    };
    let verdict = judge(&payload, &check).map_err(|e| Failure {
        code: 1,
        message: format!("{promql}: {e}"),
    })?;
    if verdict.holds {
        print_text(&format!("ok: {promql} holds\n")).await
    } else {
        Err(Failure {
            code: 1,
            message: format!("{promql}: {}", verdict.reason.unwrap_or_default()),
        })
    }
}

/// `alert-state`.
pub(crate) async fn alert_state(
    name: &str,
    labels: &[String],
    server: &Server,
) -> Result<(), Failure> {
    let mut wanted = serde_json::Map::new();
    for label in labels {
        let Some((k, v)) = label.split_once('=') else {
            return Err(Failure {
                code: 2,
                message: format!("--label {label}: expected K=V"),
            });
        };
        wanted.insert(k.trim().to_owned(), v.into());
    }
    let (configuration, secrets) = server.chaos();
    let state =
        chaosprometheus::checks::alert_state(name, &wanted, None, &configuration, &secrets).await?;
    print_text(&format!("{state}\n")).await
}
