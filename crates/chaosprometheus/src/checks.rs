//! Probes that answer with a number or a state, for the Chaos Toolkit's
//! plain tolerances (`[0, 0.01]`, `"inactive"`): `query_value`,
//! `alert_state`, `sample_age`, `time_to_recover` and
//! `compare_to_baseline`, all in `chaosprometheus.probes`.

use std::sync::OnceLock;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use crate::probes::{QueryArgs, query};
use crate::tolerances::{self, Check, Criterion, Nan, NoData};
use crate::{Error, Settings};

/// The configuration key `compare_to_baseline` reads for when the run
/// started (RFC 3339, Unix seconds or any time expression). `chaosprom
/// run` passes it (`chaos_runner::Runner::run_started_key`); another
/// runner can set it in the configuration.
pub const RUN_STARTED_KEY: &str = "chaosprom_run_started";

/// How `query_value` turns several series into one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// The smallest value.
    Min,
    /// The largest.
    Max,
    /// The mean.
    Avg,
    /// The sum.
    Sum,
    /// How many series.
    Count,
}

impl std::str::FromStr for Aggregate {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "avg" => Aggregate::Avg,
            "sum" => Aggregate::Sum,
            "count" => Aggregate::Count,
            _ => {
                return Err(Error::invalid(
                    "aggregate",
                    format!("expected one of min, max, avg, sum, count, found '{s}'"),
                ));
            }
        })
    }
}

/// The one number an instant answer holds: a scalar, a vector of one
/// sample, or several aggregated. No data is an error unless `no_data`
/// gives the number to return. NaN and infinities are errors: JSON cannot
/// carry them and no range tolerance can judge them.
pub fn value_of(
    payload: &Value,
    aggregate: Option<Aggregate>,
    no_data: Option<f64>,
) -> Result<f64, Error> {
    let series = tolerances::series_of(payload)?;
    let values: Vec<(String, f64)> = series
        .into_iter()
        .filter_map(|(name, points)| points.last().map(|p| (name, p.1)))
        .collect();
    let value = match (values.as_slice(), aggregate) {
        ([], Some(Aggregate::Count)) => 0.0,
        ([], _) => {
            return no_data.ok_or_else(|| {
                Error::invalid(
                    "query",
                    "the query returned no data (pass no_data to give the value to use)",
                )
            });
        }
        ([(_, v)], None) => *v,
        (many, None) => {
            return Err(Error::invalid(
                "query",
                format!(
                    "the query returned {} series ({}…): expected one, or pass aggregate \
                     (min, max, avg, sum, count)",
                    many.len(),
                    many[0].0
                ),
            ));
        }
        (many, Some(how)) => {
            // min and max would skip a NaN and answer as if it were not
            // there: any NaN makes the aggregate unanswerable.
            if how != Aggregate::Count {
                if let Some((name, _)) = many.iter().find(|(_, v)| v.is_nan()) {
                    return Err(Error::invalid(
                        "query",
                        format!("{name} is NaN, which a tolerance cannot compare"),
                    ));
                }
            }
            let numbers = many.iter().map(|(_, v)| *v);
            match how {
                Aggregate::Min => numbers.fold(f64::INFINITY, f64::min),
                Aggregate::Max => numbers.fold(f64::NEG_INFINITY, f64::max),
                Aggregate::Sum => numbers.sum(),
                Aggregate::Avg => numbers.sum::<f64>() / many.len() as f64,
                Aggregate::Count => many.len() as f64,
            }
        }
    };
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::invalid(
            "query",
            format!("the value is {value}, which a tolerance cannot compare"),
        ))
    }
}

/// `query_value`: one number from an instant query.
pub async fn query_value(
    args: &QueryArgs,
    aggregate: Option<Aggregate>,
    no_data: Option<f64>,
    configuration: &Value,
    secrets: &Value,
) -> Result<f64, Error> {
    let payload = query(args, configuration, secrets).await?;
    value_of(&payload, aggregate, no_data)
}

/// `alert_state`: `firing`, `pending` or `inactive` for the alerts named
/// `alertname` whose labels include `labels` (firing wins over pending).
pub async fn alert_state(
    alertname: &str,
    labels: &serde_json::Map<String, Value>,
    timeout: Option<f64>,
    configuration: &Value,
    secrets: &Value,
) -> Result<String, Error> {
    if alertname.trim().is_empty() {
        return Err(Error::invalid("alertname", "expected an alert's name"));
    }
    let wanted: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            other => Err(Error::invalid(
                "labels",
                format!("label '{k}' must be a string, found {other}"),
            )),
        })
        .collect::<Result<_, _>>()?;
    let mut settings = Settings::from_chaos(configuration, secrets)?;
    if let Some(t) = timeout {
        settings.timeout = Some(crate::config::timeout_seconds("timeout", t)?);
    }
    let client = settings.shared_client(None)?;
    let answer = client
        .alerts()
        .send()
        .await
        .map_err(|e| Error::Client(Box::new(e)))?;
    let mut state = "inactive";
    for alert in &answer.data.alerts {
        let matches = alert.labels.get("alertname").map(String::as_str) == Some(alertname)
            && wanted
                .iter()
                .all(|(k, v)| alert.labels.get(k).is_some_and(|have| have == v));
        if matches {
            match alert.state.as_str() {
                "firing" => return Ok("firing".into()),
                "pending" => state = "pending",
                _ => {}
            }
        }
    }
    Ok(state.into())
}

/// `sample_age`: how many seconds old the newest sample behind the
/// selector is, the oldest over its series, by the server's clock.
pub async fn sample_age(
    query_text: &str,
    timeout: Option<f64>,
    configuration: &Value,
    secrets: &Value,
) -> Result<f64, Error> {
    let args = QueryArgs {
        query: format!("max(time() - timestamp({query_text}))"),
        timeout,
        ..QueryArgs::default()
    };
    let payload = query(&args, configuration, secrets).await?;
    value_of(&payload, None, None).map_err(|_| {
        Error::invalid(
            "query",
            format!(
                "no sample behind {query_text} within the lookback window: \
                 the series are gone or scraping stopped"
            ),
        )
    })
}

/// What `time_to_recover` waits for.
#[derive(Debug, Clone)]
pub struct RecoverArgs {
    /// The PromQL expression.
    pub query: String,
    /// Recovered when below this…
    pub below: Option<f64>,
    /// …and/or above this.
    pub above: Option<f64>,
    /// How long to wait at most (default `"5m"`).
    pub timeout: String,
    /// How often to ask (default `"5s"`).
    pub interval: String,
    /// `all`, `any` or `none` of the series.
    pub series: String,
}

/// `time_to_recover`: polls until the condition holds and returns the
/// seconds it took (0 when it already holds); an error after `timeout`.
pub async fn time_to_recover(
    args: &RecoverArgs,
    configuration: &Value,
    secrets: &Value,
) -> Result<f64, Error> {
    let duration = |name: &'static str, text: &str| -> Result<Duration, Error> {
        let d =
            chaosprom_when::parse_duration(text).map_err(|source| Error::Time { name, source })?;
        let seconds = d.as_secs_f64();
        if !(seconds > 0.0 && seconds <= crate::MAX_TIMEOUT.as_secs_f64()) {
            return Err(Error::invalid(
                name,
                format!("expected a duration above 0 and at most a day, found '{text}'"),
            ));
        }
        Ok(Duration::from_secs_f64(seconds))
    };
    let timeout = duration("timeout", &args.timeout)?;
    let interval = duration("interval", &args.interval)?;
    let criterion = match (args.below, args.above) {
        (Some(b), None) => Criterion::Below {
            threshold: b,
            inclusive: false,
        },
        (None, Some(a)) => Criterion::Above {
            threshold: a,
            inclusive: false,
        },
        (Some(b), Some(a)) if a <= b => Criterion::Between { lower: a, upper: b },
        (Some(b), Some(a)) => {
            return Err(Error::invalid(
                "above",
                format!("expected above <= below, found above {a} > below {b}"),
            ));
        }
        (None, None) => {
            return Err(Error::invalid(
                "below",
                "give below, above or both: the condition that means recovered",
            ));
        }
    };
    let check = Check {
        criterion,
        series: args.series.parse()?,
        no_data: NoData::Fail,
        nan: Nan::Fail,
    };
    let started = std::time::Instant::now();
    let query_args = QueryArgs::new(args.query.clone());
    loop {
        // Each query within what is left of the timeout, so that a slow
        // server cannot stretch the wait past it.
        let left = timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1));
        let payload = tokio::time::timeout(left, query(&query_args, configuration, secrets))
            .await
            .map_err(|_| {
                Error::invalid(
                    "timeout",
                    format!(
                        "not recovered after {:.1} s: the query did not answer in time",
                        started.elapsed().as_secs_f64()
                    ),
                )
            })??;
        let verdict = tolerances::judge(&payload, &check)?;
        if verdict.holds {
            return Ok(started.elapsed().as_secs_f64());
        }
        if started.elapsed() + interval > timeout {
            return Err(Error::invalid(
                "timeout",
                format!(
                    "not recovered after {:.1} s: {}",
                    started.elapsed().as_secs_f64(),
                    verdict.reason.unwrap_or_default()
                ),
            ));
        }
        tokio::time::sleep(interval).await;
    }
}

/// What `compare_to_baseline` compares.
#[derive(Debug, Clone)]
pub struct BaselineArgs {
    /// The PromQL expression (one series, or aggregate it).
    pub query: String,
    /// The largest accepted rise, relative (`0.2` for +20 %).
    pub max_increase: Option<f64>,
    /// The largest accepted fall, relative.
    pub max_decrease: Option<f64>,
    /// The baseline window (default `"10m"`), ending when the run started.
    pub baseline: String,
    /// When to take the current value (default now).
    pub when: Option<String>,
    /// Prometheus' evaluation timeout in seconds.
    pub timeout: Option<f64>,
}

/// When this process first asked for a baseline: the fallback end of the
/// baseline window when the configuration does not say when the run
/// started.
static FIRST_CALL: OnceLock<Timestamp> = OnceLock::new();

/// `compare_to_baseline`: the relative change of the current value against
/// its average over the `baseline` window that ends when the run started
/// (the configuration's `chaosprom_run_started`, else when this process
/// first compared to a baseline). An error when it exceeds
/// `max_increase` or `max_decrease`; otherwise the change.
pub async fn compare_to_baseline(
    args: &BaselineArgs,
    configuration: &Value,
    secrets: &Value,
) -> Result<f64, Error> {
    let first = *FIRST_CALL.get_or_init(Timestamp::now);
    let window = chaosprom_when::parse_duration(&args.baseline).map_err(|source| Error::Time {
        name: "baseline",
        source,
    })?;
    if window <= jiff::SignedDuration::ZERO {
        return Err(Error::invalid(
            "baseline",
            format!("expected a positive duration, found '{}'", args.baseline),
        ));
    }
    let end = match &configuration[RUN_STARTED_KEY] {
        Value::String(s) => chaosprom_when::parse_time(s)
            .map_err(|source| Error::Time {
                name: RUN_STARTED_KEY,
                source,
            })?
            .to_string(),
        Value::Number(n) => n.to_string(),
        _ => first.to_string(),
    };
    for (name, v) in [
        ("max_increase", args.max_increase),
        ("max_decrease", args.max_decrease),
    ] {
        if v.is_some_and(|v| v.is_nan() || v < 0.0) {
            return Err(Error::invalid(
                name,
                "expected a relative change of 0 or more",
            ));
        }
    }
    let seconds = window.as_secs().max(1);
    let baseline_args = QueryArgs {
        query: format!("avg_over_time(({})[{seconds}s:])", args.query),
        when: Some(end.clone()),
        timeout: args.timeout,
        ..QueryArgs::default()
    };
    let baseline = query_value(&baseline_args, None, None, configuration, secrets)
        .await
        .map_err(|e| Error::invalid("baseline", format!("no baseline before {end}: {e}")))?;
    let current_args = QueryArgs {
        query: args.query.clone(),
        when: args.when.clone(),
        timeout: args.timeout,
        ..QueryArgs::default()
    };
    let current = query_value(&current_args, None, None, configuration, secrets).await?;
    let change = if baseline == 0.0 {
        if current == 0.0 {
            0.0
        } else {
            return Err(Error::invalid(
                "query",
                format!("the baseline is 0 and the value is now {current}: no relative change"),
            ));
        }
    } else {
        (current - baseline) / baseline.abs()
    };
    if let Some(max) = args.max_increase.filter(|m| change > *m) {
        return Err(Error::invalid(
            "max_increase",
            format!(
                "{} rose by {:.1} % (from {baseline} to {current}), more than {:.1} %",
                args.query,
                change * 100.0,
                max * 100.0
            ),
        ));
    }
    if let Some(max) = args.max_decrease.filter(|m| -change > *m) {
        return Err(Error::invalid(
            "max_decrease",
            format!(
                "{} fell by {:.1} % (from {baseline} to {current}), more than {:.1} %",
                args.query,
                -change * 100.0,
                max * 100.0
            ),
        ));
    }
    Ok(change)
}
