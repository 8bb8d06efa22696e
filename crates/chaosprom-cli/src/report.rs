//! `chaosprom report JOURNAL`: a run's journal as a self-contained HTML or
//! Markdown report: status, the steady state before and after, a timeline
//! of the activities, and a chart of every Prometheus probe's query over
//! the run, re-queried from Prometheus when it answers, else drawn from
//! the payloads in the journal.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine as _;
use chaosprometheus::api::{Client, QueryData, Time};
use jiff::Timestamp;
use serde_json::Value;

use crate::Failure;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Html,
    Markdown,
}

/// At most this many series are drawn in one chart.
const MAX_SERIES: usize = 12;
/// Series colours (colour-blind-safe, Okabe and Ito).
const COLOURS: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000",
];

/// One activity as the journal recorded it, with its phase.
struct Entry<'a> {
    phase: &'static str,
    value: &'a Value,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

impl Entry<'_> {
    fn name(&self) -> &str {
        self.value["activity"]["name"].as_str().unwrap_or("?")
    }
    fn kind(&self) -> &str {
        self.value["activity"]["type"].as_str().unwrap_or("?")
    }
    /// Its status; an entry without one is an activity an interrupt
    /// stopped, as chaoslib journals it.
    fn status(&self) -> &str {
        match self.value.get("status") {
            None => "interrupted",
            Some(status) => status.as_str().unwrap_or("?"),
        }
    }
    /// succeeded, failed, or "missed" for a probe out of its tolerance.
    fn verdict(&self) -> &str {
        if self.value["tolerance_met"] == Value::Bool(false) {
            "missed"
        } else {
            self.status()
        }
    }
}

/// A series of a chart: its name and its points (Unix seconds, value).
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

/// A Prometheus probe's chart.
struct Chart {
    name: String,
    query: String,
    source: String,
    series: Vec<Series>,
    hidden: usize,
}

/// The report's inputs, read once.
struct Run<'a> {
    journal: &'a Value,
    title: String,
    status: String,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    entries: Vec<Entry<'a>>,
    charts: Vec<Chart>,
}

/// Writes the report of `journal` (read from the file named `path`).
pub(crate) async fn report(
    path: &str,
    journal: &Value,
    format: Format,
    url: Option<&str>,
    offline: bool,
) -> Result<String, Failure> {
    if !journal.is_object() || journal.get("experiment").is_none() {
        return Err(Failure {
            code: 2,
            message: format!("{path} is not a journal: expected an object with an \"experiment\""),
        });
    }
    let mut entries = Vec::new();
    for (phase, items) in [
        (
            "hypothesis_before",
            &journal["steady_states"]["before"]["probes"],
        ),
        ("method", &journal["run"]),
        (
            "hypothesis_after",
            &journal["steady_states"]["after"]["probes"],
        ),
        ("rollback", &journal["rollbacks"]),
    ] {
        for value in items.as_array().map(Vec::as_slice).unwrap_or_default() {
            entries.push(Entry {
                phase,
                value,
                start: time(&value["start"]),
                end: time(&value["end"]),
            });
        }
    }
    let start = time(&journal["start"]).or_else(|| entries.iter().filter_map(|e| e.start).min());
    let end = time(&journal["end"]).or_else(|| entries.iter().filter_map(|e| e.end).max());
    let mut run = Run {
        journal,
        title: journal["experiment"]["title"]
            .as_str()
            .unwrap_or("(untitled)")
            .to_owned(),
        status: journal["status"].as_str().unwrap_or("unknown").to_owned(),
        start,
        end,
        entries,
        charts: Vec::new(),
    };
    let url = url.map(str::to_owned).or_else(|| {
        journal["experiment"]["configuration"]["prometheus_base_url"]
            .as_str()
            .map(str::to_owned)
    });
    run.charts = charts(&run, if offline { None } else { url.as_deref() }).await;
    Ok(match format {
        Format::Html => html(&run),
        Format::Markdown => markdown(&run),
    })
}

/// An ISO 8601 time as the journal writes it, with or without an offset
/// (chaoslib writes UTC without one).
fn time(v: &Value) -> Option<Timestamp> {
    let s = v.as_str()?;
    s.parse::<Timestamp>().ok().or_else(|| {
        s.parse::<jiff::civil::DateTime>()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    })
}

/// The Prometheus probes: module `chaosprometheus.probes`, a `query`
/// argument. One chart per distinct probe name, in order of appearance.
async fn charts(run: &Run<'_>, url: Option<&str>) -> Vec<Chart> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for e in &run.entries {
        let provider = &e.value["activity"]["provider"];
        if provider["module"] != "chaosprometheus.probes" {
            continue;
        }
        let Some(query) = provider["arguments"]["query"].as_str() else {
            continue;
        };
        if !seen.iter().any(|(n, _)| n == e.name()) {
            seen.push((e.name().to_owned(), query.to_owned()));
        }
    }
    let client = url.and_then(|u| {
        Client::builder(u)
            .timeout(Duration::from_secs(3))
            .retries(0)
            .build()
            .ok()
    });
    let mut charts = Vec::new();
    for (name, query) in seen {
        let requeried = match (&client, run.start, run.end) {
            (Some(client), Some(start), Some(end)) => requery(client, &query, start, end).await,
            _ => None,
        };
        let (source, mut series) = match requeried {
            Some(series) => (
                format!(
                    "re-queried from {} over the run",
                    chaosprometheus::api::redact_url(url.unwrap_or_default())
                ),
                series,
            ),
            None => (
                "drawn from the payloads in the journal".to_owned(),
                from_payloads(run, &name),
            ),
        };
        series.sort_by(|a, b| a.name.cmp(&b.name));
        let hidden = series.len().saturating_sub(MAX_SERIES);
        series.truncate(MAX_SERIES);
        charts.push(Chart {
            name,
            query,
            source,
            series,
            hidden,
        });
    }
    charts
}

/// The query over the run, padded on both sides, about 250 points.
async fn requery(
    client: &Client,
    query: &str,
    start: Timestamp,
    end: Timestamp,
) -> Option<Vec<Series>> {
    let span = end.duration_since(start).as_secs_f64().max(1.0);
    let pad = (span * 0.1).max(30.0);
    let from = start.as_second() as f64 - pad;
    let to = (end.as_second() as f64 + pad).min(Timestamp::now().as_second() as f64);
    let step = ((to - from) / 250.0).max(1.0).ceil();
    let at = |s: f64| Time::from_unix(s.floor() as i64, 0);
    let answer = client
        .query_range(query, at(from)?, at(to)?, step)
        .send()
        .await
        .ok()?;
    let series = match answer.data {
        QueryData::Matrix(m) => m
            .into_iter()
            .map(|s| Series {
                name: chaosprometheus::api::series_name(&s.metric),
                points: s.values.iter().map(|p| (p.timestamp, p.value)).collect(),
            })
            .collect(),
        _ => return None,
    };
    Some(series)
}

/// Every point the probe's payloads hold, across its runs.
fn from_payloads(run: &Run<'_>, name: &str) -> Vec<Series> {
    let mut by_series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for e in run.entries.iter().filter(|e| e.name() == name) {
        let data = &e.value["output"]["data"];
        let result = data["result"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut add = |metric: &Value, point: &Value| {
            let labels = metric
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            if let (Some(t), Some(v)) = (point[0].as_f64(), number(&point[1])) {
                by_series
                    .entry(chaosprometheus::api::series_name(&labels))
                    .or_default()
                    .push((t, v));
            }
        };
        match data["resultType"].as_str() {
            Some("vector") => {
                for s in result {
                    add(&s["metric"], &s["value"]);
                }
            }
            Some("matrix") => {
                for s in result {
                    for p in s["values"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                    {
                        add(&s["metric"], p);
                    }
                }
            }
            Some("scalar") => add(&Value::Null, &data["result"]),
            _ => {}
        }
    }
    by_series
        .into_iter()
        .map(|(name, mut points)| {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            Series { name, points }
        })
        .collect()
}

/// A sample value as Prometheus writes it: a string such as "1.5" or
/// "+Inf"; only finite numbers are drawn.
fn number(v: &Value) -> Option<f64> {
    let x = match v {
        Value::String(s) => s.parse::<f64>().ok()?,
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

// ------------------------------------------------------------------ text

/// A value cut to one line of at most `max` characters.
fn one_line(v: &Value, max: usize) -> String {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > max {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// What a probe returned, on one line: a Prometheus answer summed up
/// (`up{job="a"} = 1`, `3 series, 180 points`), anything else cut.
fn value_text(output: &Value) -> String {
    let data = &output["data"];
    if output["status"] != "success" || !data.is_object() {
        return one_line(output, 120);
    }
    let result = data["result"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let labels = |m: &Value| {
        chaosprometheus::api::series_name(
            &m.as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
        )
    };
    let text = match data["resultType"].as_str() {
        Some("vector") if result.is_empty() => "no data (an empty vector)".to_owned(),
        Some("vector") => {
            let first = &result[0];
            let mut t = format!(
                "{} = {}",
                labels(&first["metric"]),
                one_line(&first["value"][1], 30)
            );
            if result.len() > 1 {
                let _ = write!(t, " (and {} more series)", result.len() - 1);
            }
            t
        }
        Some("matrix") => {
            let points: usize = result
                .iter()
                .map(|s| s["values"].as_array().map_or(0, Vec::len))
                .sum();
            format!("{} series, {points} points", result.len())
        }
        Some("scalar") | Some("string") => one_line(&data["result"][1], 60),
        _ => return one_line(output, 120),
    };
    one_line(&Value::String(text), 120)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown table cell text: pipes and newlines escaped.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Markdown text outside code: [`cell`]'s escapes, and HTML's, so that a
/// name or a title from the journal (`<img onerror=…>`) stays text in a
/// renderer that passes HTML through; brackets escaped too, for alt text.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in cell(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            c => out.push(c),
        }
    }
    out
}

fn seconds(v: &Value) -> String {
    v.as_f64().map_or_else(String::new, |s| format!("{s:.3} s"))
}

fn clock(t: Option<Timestamp>) -> String {
    t.map_or_else(
        || "?".to_owned(),
        |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// The summary line: status, deviation, start, duration.
fn summary(run: &Run<'_>) -> String {
    let deviated = run.journal["deviated"] == Value::Bool(true);
    format!(
        "Status: {}{} · started {} · took {}",
        run.status,
        if deviated { " (deviated)" } else { "" },
        clock(run.start),
        seconds(&run.journal["duration"]),
    )
}

/// The hypothesis rows: phase, probe, tolerance, value, verdict.
fn hypothesis_rows(run: &Run<'_>) -> Vec<[String; 5]> {
    run.entries
        .iter()
        .filter(|e| e.phase.starts_with("hypothesis"))
        .map(|e| {
            [
                if e.phase == "hypothesis_before" {
                    "before"
                } else {
                    "after"
                }
                .to_owned(),
                e.name().to_owned(),
                one_line(&e.value["activity"]["tolerance"], 80),
                if e.value.get("exception").is_some() {
                    one_line(&e.value["exception"], 120)
                } else {
                    value_text(&e.value["output"])
                },
                match e.value["tolerance_met"].as_bool() {
                    Some(true) => "met".to_owned(),
                    Some(false) => "not met".to_owned(),
                    None => e.status().to_owned(),
                },
            ]
        })
        .collect()
}

/// The activity rows: phase, name, type, verdict, start, duration, and
/// the output (or the error) on one line.
fn activity_rows(run: &Run<'_>) -> Vec<[String; 7]> {
    run.entries
        .iter()
        .map(|e| {
            let output = if e.value.get("exception").is_some() {
                &e.value["exception"]
            } else {
                &e.value["output"]
            };
            [
                short_phase(e.phase).to_owned(),
                e.name().to_owned(),
                e.kind().to_owned(),
                e.verdict().to_owned(),
                clock(e.start),
                seconds(&e.value["duration"]),
                one_line(output, 120),
            ]
        })
        .collect()
}

fn met(run: &Run<'_>, phase: &str) -> &'static str {
    match run.journal["steady_states"][phase]["steady_state_met"].as_bool() {
        Some(true) => "met",
        Some(false) => "not met",
        None => "not checked",
    }
}

// ------------------------------------------------------------------ svg

/// The activities on a timeline: one row each, a bar from start to end.
fn timeline_svg(run: &Run<'_>) -> String {
    let (Some(t0), Some(t1)) = (run.start, run.end) else {
        return String::new();
    };
    let span = t1.duration_since(t0).as_secs_f64().max(0.001);
    let (left, width, row) = (220.0, 560.0, 16.0);
    let height = row * run.entries.len() as f64 + 30.0;
    let mut svg = format!(
        r#"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" viewBox="0 0 {} {height}" role="img" aria-label="timeline">"#,
        left + width + 20.0,
        left + width + 20.0
    );
    for (i, e) in run.entries.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let x = |t: Option<Timestamp>| {
            t.map_or(0.0, |t| t.duration_since(t0).as_secs_f64() / span * width)
                .clamp(0.0, width)
        };
        let (a, b) = (x(e.start), x(e.end));
        let class = match e.verdict() {
            "succeeded" => "ok",
            "missed" => "miss",
            _ => "bad",
        };
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end" class="label">{}</text><rect class="{class}" x="{}" y="{y}" width="{}" height="{}"><title>{} ({}): {}</title></rect>"#,
            left - 6.0,
            y + 11.0,
            escape(&truncate(
                &format!("{} · {}", short_phase(e.phase), e.name()),
                34
            )),
            left + a,
            (b - a).max(2.0),
            row - 4.0,
            escape(e.name()),
            e.phase,
            e.verdict(),
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{left}" y="{}" class="label">0 s</text><text x="{}" y="{}" text-anchor="end" class="label">{span:.2} s</text></svg>"#,
        height - 6.0,
        left + width,
        height - 6.0,
    );
    svg
}

fn short_phase(phase: &str) -> &'static str {
    match phase {
        "hypothesis_before" => "before",
        "hypothesis_after" => "after",
        "rollback" => "rollback",
        _ => "method",
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// A line chart of a probe's series, the method's window shaded.
fn chart_svg(run: &Run<'_>, chart: &Chart) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 240.0, 70.0, 10.0, 10.0, 40.0);
    let points = chart.series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let mut svg = format!(
        r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        escape(&chart.name)
    );
    if x0 > x1 {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle" class="label">no data</text></svg>"#,
            w / 2.0,
            h / 2.0
        );
        return svg;
    }
    if x1 - x0 < 1.0 {
        x0 -= 30.0;
        x1 += 30.0;
    }
    if y1 - y0 < f64::EPSILON * y1.abs().max(1.0) {
        y0 -= 1.0;
        y1 += 1.0;
    }
    let (pw, ph) = (w - left - right, h - top - bottom);
    let sx = |x: f64| left + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| top + ph - (y - y0) / (y1 - y0) * ph;
    // The method's window, where the fault was in.
    let method: Vec<&Entry<'_>> = run.entries.iter().filter(|e| e.phase == "method").collect();
    let m0 = method.iter().filter_map(|e| e.start).min();
    let m1 = method.iter().filter_map(|e| e.end).max();
    if let (Some(m0), Some(m1)) = (m0, m1) {
        let a = sx(m0.as_millisecond() as f64 / 1000.0).clamp(left, left + pw);
        let b = sx(m1.as_millisecond() as f64 / 1000.0).clamp(left, left + pw);
        let _ = write!(
            svg,
            r#"<rect class="method" x="{a:.1}" y="{top}" width="{:.1}" height="{ph}"><title>method</title></rect>"#,
            (b - a).max(1.0)
        );
    }
    let _ = write!(
        svg,
        r#"<line class="axis" x1="{left}" y1="{}" x2="{}" y2="{}"/><line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{}"/>"#,
        top + ph,
        left + pw,
        top + ph,
        top + ph
    );
    for (value, y) in [(y1, top + 4.0), (y0, top + ph)] {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{y}" text-anchor="end" class="label">{}</text>"#,
            left - 4.0,
            short_number(value)
        );
    }
    for (t, anchor, x) in [(x0, "start", left), (x1, "end", left + pw)] {
        let label = Timestamp::from_millisecond((t * 1000.0) as i64)
            .map(|t| t.strftime("%H:%M:%S").to_string())
            .unwrap_or_default();
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{}" text-anchor="{anchor}" class="label">{label}</text>"#,
            top + ph + 16.0
        );
    }
    for (i, s) in chart.series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut coordinates = String::new();
        for &(x, y) in &s.points {
            let _ = write!(coordinates, "{:.1},{:.1} ", sx(x), sy(y));
        }
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{}"><title>{}</title></polyline>"#,
            coordinates.trim_end(),
            escape(&s.name)
        );
        if s.points.len() <= 60 {
            for &(x, y) in &s.points {
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{colour}"/>"#,
                    sx(x),
                    sy(y)
                );
            }
        }
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="end" class="label">{} series</text></svg>"#,
        left + pw,
        h - 4.0,
        chart.series.len() + chart.hidden
    );
    svg
}

fn short_number(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn legend(chart: &Chart) -> Vec<(&'static str, &str)> {
    chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (COLOURS[i % COLOURS.len()], s.name.as_str()))
        .collect()
}

// ------------------------------------------------------------------ html

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#1b1b1b}\
h1{margin-bottom:.2rem}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}\
td.v{font-family:ui-monospace,monospace;word-break:break-all}code{font-family:ui-monospace,monospace}\
.completed{color:#006d2c}.deviated,.failed,.aborted,.interrupted{color:#b30000}\
.ok{fill:#009e73}.miss{fill:#e69f00}.bad{fill:#d55e00}.method{fill:#f3e7c9}\
.axis{stroke:#555}.label{font-size:11px;fill:#333}.legend span{display:inline-block;margin-right:1rem;font-size:.8rem}\
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}";

fn html(run: &Run<'_>) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let status_class = if run.journal["deviated"] == Value::Bool(true) {
        "deviated"
    } else {
        run.status.as_str()
    };
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}: {}</title><style>{STYLE}</style></head><body>\n\
         <h1>{}</h1><p class=\"{}\" id=\"status\"><strong>{}</strong></p>\n",
        escape(&run.title),
        escape(&run.status),
        escape(&run.title),
        escape(status_class),
        escape(&summary(run)),
    );
    if let Some(d) = run.journal["experiment"]["description"].as_str() {
        let _ = writeln!(h, "<p>{}</p>", escape(d));
    }
    let _ = write!(
        h,
        "<h2>Steady-state hypothesis</h2><p>Before the method: {}; after: {}.</p>\n\
         <table id=\"hypothesis\"><tr><th>when</th><th>probe</th><th>tolerance</th><th>value</th><th>verdict</th></tr>\n",
        met(run, "before"),
        met(run, "after")
    );
    for row in hypothesis_rows(run) {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"v\">{}</td><td class=\"v\">{}</td><td>{}</td></tr>",
            escape(&row[0]),
            escape(&row[1]),
            escape(&row[2]),
            escape(&row[3]),
            escape(&row[4])
        );
    }
    h.push_str("</table>\n<h2>Timeline</h2>\n");
    h.push_str(&timeline_svg(run));
    if !run.charts.is_empty() {
        h.push_str("\n<h2>Prometheus probes</h2>\n");
    }
    for chart in &run.charts {
        let _ = write!(
            h,
            "<section class=\"probe\"><h3>{}</h3><p><code>{}</code>: {}.</p>\n{}\n<p class=\"legend\">",
            escape(&chart.name),
            escape(&chart.query),
            escape(&chart.source),
            chart_svg(run, chart)
        );
        for (colour, name) in legend(chart) {
            let _ = write!(
                h,
                "<span><i class=\"swatch\" style=\"background:{colour}\"></i>{}</span>",
                escape(name)
            );
        }
        if chart.hidden > 0 {
            let _ = write!(h, "<span>and {} more series</span>", chart.hidden);
        }
        h.push_str("</p></section>\n");
    }
    h.push_str(
        "<h2>Activities</h2>\n<table id=\"activities\"><tr><th>phase</th><th>activity</th><th>type</th><th>status</th><th>start</th><th>duration</th><th>output</th></tr>\n",
    );
    for row in activity_rows(run) {
        h.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if i == 6 { " class=\"v\"" } else { "" };
            let _ = write!(h, "<td{class}>{}</td>", escape(cell));
        }
        h.push_str("</tr>\n");
    }
    let _ = write!(
        h,
        "</table>\n<p><small>chaosprom {} · chaoslib-version {}</small></p>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&one_line(&run.journal["chaoslib-version"], 20))
    );
    h
}

// ------------------------------------------------------------------ markdown

fn markdown(run: &Run<'_>) -> String {
    let mut m = String::with_capacity(32 * 1024);
    let _ = write!(m, "# {}\n\n**{}**\n\n", text(&run.title), summary(run));
    if let Some(d) = run.journal["experiment"]["description"].as_str() {
        let _ = write!(m, "{}\n\n", text(d));
    }
    let _ = write!(
        m,
        "## Steady-state hypothesis\n\nBefore the method: {}; after: {}.\n\n\
         | when | probe | tolerance | value | verdict |\n| --- | --- | --- | --- | --- |\n",
        met(run, "before"),
        met(run, "after")
    );
    for row in hypothesis_rows(run) {
        let _ = writeln!(
            m,
            "| {} | {} | `{}` | `{}` | {} |",
            text(&row[0]),
            text(&row[1]),
            cell(&row[2]).replace('`', "'"),
            cell(&row[3]).replace('`', "'"),
            text(&row[4])
        );
    }
    let timeline = timeline_svg(run);
    if !timeline.is_empty() {
        let _ = write!(m, "\n## Timeline\n\n![timeline]({})\n", data_uri(&timeline));
    }
    if !run.charts.is_empty() {
        m.push_str("\n## Prometheus probes\n");
    }
    for chart in &run.charts {
        let _ = write!(
            m,
            "\n### {}\n\n`{}`: {}.\n\n![{}]({})\n\n",
            text(&chart.name),
            chart.query.replace('`', "'"),
            chart.source,
            text(&chart.name),
            data_uri(&chart_svg(run, chart))
        );
        for (_, name) in legend(chart) {
            let _ = writeln!(m, "- `{}`", name.replace('`', "'"));
        }
        if chart.hidden > 0 {
            let _ = writeln!(m, "- and {} more series", chart.hidden);
        }
    }
    m.push_str(
        "\n## Activities\n\n| phase | activity | type | status | start | duration | output |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for row in activity_rows(run) {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} | `{}` |",
            row[0],
            text(&row[1]),
            text(&row[2]),
            text(&row[3]),
            row[4],
            row[5],
            cell(&row[6]).replace('`', "'")
        );
    }
    m
}

fn data_uri(svg: &str) -> String {
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}
