//! `chaosprometheus.tolerances`: judging a Prometheus answer against a
//! threshold, for a Chaos Toolkit tolerance of `"type": "probe"`.
//!
//! ```json
//! "tolerance": {"type": "probe", "name": "error-rate-is-low",
//!   "provider": {"type": "python", "module": "chaosprometheus.tolerances",
//!                "func": "below", "arguments": {"threshold": 0.01}}}
//! ```
//!
//! The runner passes the checked probe's output (what `query` or
//! `query_interval` returns) as `value`; the journal keeps the payload as
//! evidence and the tolerance judges it. Prometheus writes samples as
//! strings: `"0.5"`, `"NaN"`, `"+Inf"` are numbers here. A matrix means
//! every point of the window: the condition held for the whole window.

use std::fmt::Write as _;

use serde_json::Value;

use crate::Error;

/// How many series must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Every series (the default).
    All,
    /// At least one.
    Any,
    /// None may.
    None,
}

impl std::str::FromStr for Series {
    type Err = Error;

    /// `all`, `any` or `none`, in any case.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "all" => Ok(Series::All),
            "any" => Ok(Series::Any),
            "none" => Ok(Series::None),
            _ => Err(Error::invalid(
                "series",
                format!("expected one of all, any, none, found '{s}'"),
            )),
        }
    }
}

/// What an empty result means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoData {
    /// Not within the tolerance (the default): "no data" is not "fine".
    Fail,
    /// Within it.
    Pass,
}

/// What a NaN sample means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nan {
    /// The sample fails its series (the default).
    Fail,
    /// The sample holds.
    Pass,
    /// The sample is skipped; a series of NaN only is skipped too.
    Ignore,
}

/// The condition a sample must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Criterion {
    /// `v < threshold`, or `<=` when inclusive.
    Below {
        /// The threshold.
        threshold: f64,
        /// Whether the threshold itself holds.
        inclusive: bool,
    },
    /// `v > threshold`, or `>=` when inclusive.
    Above {
        /// The threshold.
        threshold: f64,
        /// Whether the threshold itself holds.
        inclusive: bool,
    },
    /// `lower <= v <= upper`.
    Between {
        /// The lower bound, included.
        lower: f64,
        /// The upper bound, included.
        upper: f64,
    },
    /// `|v - expected| <= tolerance` (infinities equal only themselves).
    Equals {
        /// The expected value.
        expected: f64,
        /// The accepted difference.
        tolerance: f64,
    },
}

impl Criterion {
    fn holds(self, v: f64) -> bool {
        match self {
            Criterion::Below {
                threshold,
                inclusive,
            } => v < threshold || inclusive && v == threshold,
            Criterion::Above {
                threshold,
                inclusive,
            } => v > threshold || inclusive && v == threshold,
            Criterion::Between { lower, upper } => lower <= v && v <= upper,
            Criterion::Equals {
                expected,
                tolerance,
            } => v == expected || (v - expected).abs() <= tolerance,
        }
    }

    /// `< 0.01`, `between 1 and 2`…
    fn wanted(self) -> String {
        match self {
            Criterion::Below {
                threshold,
                inclusive,
            } => format!("{} {threshold}", if inclusive { "<=" } else { "<" }),
            Criterion::Above {
                threshold,
                inclusive,
            } => format!("{} {threshold}", if inclusive { ">=" } else { ">" }),
            Criterion::Between { lower, upper } => format!("between {lower} and {upper}"),
            Criterion::Equals {
                expected,
                tolerance: 0.0,
            } => format!("= {expected}"),
            Criterion::Equals {
                expected,
                tolerance,
            } => format!("= {expected} ± {tolerance}"),
        }
    }
}

/// A whole check: the criterion and how series, empty results and NaN
/// count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// What each sample must meet.
    pub criterion: Criterion,
    /// How many series must hold.
    pub series: Series,
    /// What an empty result means.
    pub no_data: NoData,
    /// What a NaN sample means.
    pub nan: Nan,
}

/// A check's answer: whether the value is within the tolerance and, when
/// not, why, naming the first offending series.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Within the tolerance.
    pub holds: bool,
    /// Why not, e.g. `{job="api"} = 0.031 at 2026-11-25T12:04:05Z,
    /// wanted < 0.01`.
    pub reason: Option<String>,
}

/// One sample: its time (Unix seconds) and value.
type Point = (f64, f64);

/// Judges a Prometheus answer (the `query`/`query_interval` payload, or
/// its `data`) against a check.
///
/// ```
/// use chaosprometheus::tolerances::{judge, Check, Criterion, Nan, NoData, Series};
/// use serde_json::json;
///
/// let payload = json!({"status": "success", "data": {"resultType": "vector", "result": [
///     {"metric": {"job": "api"}, "value": [1764072245, "0.031"]}]}});
/// let check = Check {
///     criterion: Criterion::Below { threshold: 0.01, inclusive: false },
///     series: Series::All, no_data: NoData::Fail, nan: Nan::Fail,
/// };
/// let verdict = judge(&payload, &check)?;
/// assert!(!verdict.holds);
/// assert_eq!(
///     verdict.reason.unwrap(),
///     r#"{job="api"} = 0.031 at 2025-11-25T12:04:05Z, wanted < 0.01"#
/// );
/// # Ok::<(), chaosprometheus::Error>(())
/// ```
pub fn judge(value: &Value, check: &Check) -> Result<Verdict, Error> {
    let series = series_of(value)?;
    // Each series: its name and its first failing point, if any; series
    // with no point left after NaN handling are skipped.
    let mut judged: Vec<(String, Option<Point>)> = Vec::new();
    for (name, points) in &series {
        let mut kept = 0usize;
        let mut failing = None;
        for &(t, v) in points {
            let ok = if v.is_nan() {
                match check.nan {
                    Nan::Ignore => continue,
                    Nan::Pass => true,
                    Nan::Fail => false,
                }
            } else {
                check.criterion.holds(v)
            };
            kept += 1;
            if !ok && failing.is_none() {
                failing = Some((t, v));
                if check.series != Series::None {
                    // The first offender is all a verdict needs.
                    break;
                }
            }
        }
        if kept > 0 {
            judged.push((name.clone(), failing));
        }
    }
    let wanted = check.criterion.wanted();
    if judged.is_empty() {
        return Ok(match check.no_data {
            NoData::Pass => Verdict {
                holds: true,
                reason: None,
            },
            NoData::Fail => Verdict {
                holds: false,
                reason: Some(format!("no data, wanted {wanted}")),
            },
        });
    }
    let first_failing = judged
        .iter()
        .find_map(|(name, f)| f.map(|p| offender(name, p, &wanted)));
    let first_holding = judged.iter().find(|(_, f)| f.is_none());
    let (holds, reason) = match check.series {
        Series::All => (first_failing.is_none(), first_failing),
        Series::Any => (first_holding.is_some(), first_failing),
        Series::None => (
            first_holding.is_none(),
            first_holding.map(|(name, _)| format!("{name} stays {wanted}, wanted no series to")),
        ),
    };
    Ok(Verdict {
        holds,
        reason: if holds { None } else { reason },
    })
}

/// The series of a Prometheus answer (the payload or its `data`) with
/// their points; a failed answer is an error.
pub(crate) fn series_of(value: &Value) -> Result<Vec<(String, Vec<Point>)>, Error> {
    let data = if value.get("resultType").is_some() {
        value
    } else {
        &value["data"]
    };
    if value.get("status").is_some_and(|s| s != "success") {
        return Err(Error::invalid(
            "value",
            format!(
                "expected a successful Prometheus answer, found status {}",
                value["status"]
            ),
        ));
    }
    samples(data)
}

fn offender(name: &str, (t, v): Point, wanted: &str) -> String {
    let at = jiff::Timestamp::from_millisecond((t * 1000.0).round() as i64)
        .map_or_else(|_| t.to_string(), |t| t.to_string());
    format!("{name} = {} at {at}, wanted {wanted}", number_text(v))
}

/// A value as Prometheus writes it (`NaN`, `+Inf`, `-Inf`).
pub(crate) fn number_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        v.to_string()
    }
}

/// The series of an answer with their points: a vector's sample, a
/// matrix's points, a scalar as one unnamed series.
fn samples(data: &Value) -> Result<Vec<(String, Vec<Point>)>, Error> {
    let bad = |what: String| Error::invalid("value", what);
    let result = &data["result"];
    match data["resultType"].as_str() {
        Some("vector") => result
            .as_array()
            .ok_or_else(|| bad("expected a vector's result to be a list".into()))?
            .iter()
            .map(|s| {
                if s.get("histogram").is_some() {
                    return Err(bad(format!(
                        "{} is a native histogram: compare one of its numbers instead \
                         (histogram_quantile, histogram_count…)",
                        series_name(&s["metric"])
                    )));
                }
                Ok((series_name(&s["metric"]), vec![point(&s["value"])?]))
            })
            .collect(),
        Some("matrix") => result
            .as_array()
            .ok_or_else(|| bad("expected a matrix's result to be a list".into()))?
            .iter()
            .map(|s| {
                if s.get("histograms").is_some() && s.get("values").is_none() {
                    return Err(bad(format!(
                        "{} holds native histograms: compare one of their numbers instead",
                        series_name(&s["metric"])
                    )));
                }
                let points = s["values"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .map(point)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((series_name(&s["metric"]), points))
            })
            .collect(),
        Some("scalar") => Ok(vec![("scalar".to_owned(), vec![point(result)?])]),
        Some(other) => Err(bad(format!(
            "a {other} result cannot be compared with a number"
        ))),
        None => Err(bad(
            "expected a Prometheus answer (what query or query_interval returns), \
             found no resultType"
                .into(),
        )),
    }
}

/// `[1764072245.5, "0.031"]`.
fn point(p: &Value) -> Result<Point, Error> {
    let t = p[0].as_f64();
    let v = match &p[1] {
        Value::String(s) => parse_sample(s),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match (t, v) {
        (Some(t), Some(v)) => Ok((t, v)),
        _ => Err(Error::invalid(
            "value",
            format!("expected a sample [time, \"value\"], found {p}"),
        )),
    }
}

/// A sample value as Prometheus writes it (Go's `strconv.FormatFloat`, and
/// `NaN`, `+Inf`, `-Inf`).
fn parse_sample(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok().filter(|v: &f64| !v.is_nan()),
    }
}

/// `name{a="b", c="d"}`, as Prometheus writes a series.
fn series_name(metric: &Value) -> String {
    let Some(labels) = metric.as_object() else {
        return "{}".into();
    };
    let mut text = labels
        .get("__name__")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    text.push('{');
    let mut first = true;
    for (k, v) in labels.iter().filter(|(k, _)| k.as_str() != "__name__") {
        if !first {
            text.push_str(", ");
        }
        first = false;
        let _ = write!(text, "{k}={:?}", v.as_str().unwrap_or_default());
    }
    text.push('}');
    text
}

/// The check a tolerance function's arguments describe. `function` is
/// `below`, `above`, `between` or `equals`; every argument is validated,
/// with an error naming it.
pub fn check_from_arguments(function: &str, args: &Value) -> Result<Check, Error> {
    let number = |name: &'static str| -> Result<f64, Error> {
        let value = match &args[name] {
            Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| Error::invalid(name, "expected a number")),
            Value::String(s) => parse_sample(s.trim())
                .ok_or_else(|| Error::invalid(name, format!("expected a number, found '{s}'"))),
            Value::Null => Err(Error::invalid(name, "is required (a number)")),
            other => Err(Error::invalid(
                name,
                format!("expected a number, found {other}"),
            )),
        }?;
        // "NaN" as a string reads as NaN, and a tolerance against it
        // could never hold.
        if value.is_nan() {
            return Err(Error::invalid(name, "NaN compares with nothing"));
        }
        Ok(value)
    };
    let choice = |name: &'static str, default: &str, allowed: &[&str]| -> Result<String, Error> {
        let text = match &args[name] {
            Value::Null => default.to_owned(),
            Value::String(s) => s.to_ascii_lowercase(),
            other => {
                return Err(Error::invalid(
                    name,
                    format!("expected one of {}, found {other}", allowed.join(", ")),
                ));
            }
        };
        if allowed.contains(&text.as_str()) {
            Ok(text)
        } else {
            Err(Error::invalid(
                name,
                format!("expected one of {}, found '{text}'", allowed.join(", ")),
            ))
        }
    };
    let inclusive = match &args["inclusive"] {
        Value::Null => false,
        Value::Bool(b) => *b,
        other => {
            return Err(Error::invalid(
                "inclusive",
                format!("expected true or false, found {other}"),
            ));
        }
    };
    let criterion = match function {
        "below" => Criterion::Below {
            threshold: number("threshold")?,
            inclusive,
        },
        "above" => Criterion::Above {
            threshold: number("threshold")?,
            inclusive,
        },
        "between" => {
            let (lower, upper) = (number("lower")?, number("upper")?);
            if lower > upper {
                return Err(Error::invalid(
                    "lower",
                    format!("expected lower <= upper, found {lower} > {upper}"),
                ));
            }
            Criterion::Between { lower, upper }
        }
        "equals" => {
            let tolerance = match &args["tolerance"] {
                Value::Null => 0.0,
                _ => number("tolerance")?,
            };
            if tolerance.is_nan() || tolerance < 0.0 {
                return Err(Error::invalid(
                    "tolerance",
                    format!("expected a difference of 0 or more, found {tolerance}"),
                ));
            }
            Criterion::Equals {
                expected: number("expected")?,
                tolerance,
            }
        }
        other => {
            return Err(Error::invalid(
                "func",
                format!("expected below, above, between or equals, found '{other}'"),
            ));
        }
    };
    let series: Series = choice("series", "all", &["all", "any", "none"])?.parse()?;
    let no_data = match choice("no_data", "fail", &["fail", "pass"])?.as_str() {
        "pass" => NoData::Pass,
        _ => NoData::Fail,
    };
    let nan = match choice("nan", "fail", &["fail", "pass", "ignore"])?.as_str() {
        "pass" => Nan::Pass,
        "ignore" => Nan::Ignore,
        _ => Nan::Fail,
    };
    Ok(Check {
        criterion,
        series,
        no_data,
        nan,
    })
}

/// A tolerance function called by name: `true` or `false`; when `false`,
/// the first offending series is logged (WARN) with its value, time and
/// the criterion.
pub fn evaluate(function: &str, args: &Value) -> Result<bool, Error> {
    let check = check_from_arguments(function, args)?;
    if args.get("value").is_none_or(Value::is_null) {
        return Err(Error::invalid(
            "value",
            "is required: the output of the probe being checked, which the runner passes",
        ));
    }
    let verdict = judge(&args["value"], &check)?;
    if let Some(reason) = &verdict.reason {
        tracing::warn!("{reason}");
    }
    Ok(verdict.holds)
}
