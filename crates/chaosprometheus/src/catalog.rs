//! What this extension offers, described once: dispatch checks arguments
//! against it and discovery lists it.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::Error;
use crate::metrics::MetricsControl;
use crate::probes::{self, ComputeMeanArgs, QueryArgs, QueryIntervalArgs, StepArg};

/// The probes' module.
pub const PROBES_MODULE: &str = "chaosprometheus.probes";
/// The control's module.
pub const METRICS_MODULE: &str = "chaosprometheus.metrics";
/// The tolerance functions' module.
pub const TOLERANCES_MODULE: &str = "chaosprometheus.tolerances";

/// An argument's JSON type, as discovery names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Number,
    Boolean,
    Mapping,
    /// A number of seconds or a duration string (`step`).
    Step,
    /// Prometheus' evaluation `timeout`: a number of seconds or a duration
    /// string (`"30s"`), which Python's extension sends as given and
    /// Prometheus reads either way; an empty string is no timeout.
    Seconds,
    /// Any JSON value (a tolerance's `value`).
    Any,
    /// A number, or a string Prometheus would write for one (`"+Inf"`).
    Sample,
}

impl Kind {
    /// The discovery type name.
    fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Step => "integer",
            Kind::Seconds => "number",
            Kind::Boolean => "boolean",
            Kind::Mapping => "mapping",
            Kind::Any => "object",
            Kind::Sample => "number",
        }
    }

    /// How an error names what was expected.
    fn expected(self) -> &'static str {
        match self {
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Boolean => "true or false",
            Kind::Mapping => "a mapping",
            Kind::Step => "a number of seconds or a duration string such as \"15s\"",
            Kind::Seconds => "a number of seconds or a duration string such as \"30s\"",
            Kind::Any => "any value",
            Kind::Sample => "a number (or \"+Inf\", \"-Inf\")",
        }
    }

    fn accepts(self, v: &Value) -> bool {
        match self {
            Kind::String => v.is_string(),
            Kind::Number => v.is_number(),
            Kind::Boolean => v.is_boolean(),
            Kind::Mapping => v.is_object(),
            Kind::Step | Kind::Seconds => v.is_number() || v.is_string(),
            Kind::Any => true,
            Kind::Sample => v.is_number() || v.is_string(),
        }
    }
}

/// One argument: name, type, and default (`None`: required).
struct Arg {
    name: &'static str,
    kind: Kind,
    default: Option<fn() -> Value>,
}

const fn required(name: &'static str, kind: Kind) -> Arg {
    Arg {
        name,
        kind,
        default: None,
    }
}

const fn optional(name: &'static str, kind: Kind, default: fn() -> Value) -> Arg {
    Arg {
        name,
        kind,
        default: Some(default),
    }
}

/// One function of a module.
struct Function {
    module: &'static str,
    name: &'static str,
    activity: &'static str,
    doc: &'static str,
    args: &'static [Arg],
    return_type: Option<&'static str>,
}

/// `below`'s and `above`'s parameters.
const TOLERANCE_ARGS_THRESHOLD: &[Arg] = &[
    optional("value", Kind::Any, || Value::Null),
    required("threshold", Kind::Sample),
    optional("series", Kind::String, || json!("all")),
    optional("no_data", Kind::String, || json!("fail")),
    optional("nan", Kind::String, || json!("fail")),
    optional("inclusive", Kind::Boolean, || json!(false)),
];

const FUNCTIONS: &[Function] = &[
    Function {
        module: PROBES_MODULE,
        name: "query",
        activity: "probe",
        doc: "Run an instant query against a Prometheus server and returns its result\nas-is.",
        args: &[
            required("query", Kind::String),
            optional("when", Kind::String, || Value::Null),
            optional("timeout", Kind::Seconds, || Value::Null),
            optional("verify_tls", Kind::Boolean, || json!(true)),
        ],
        return_type: Some("mapping"),
    },
    Function {
        module: PROBES_MODULE,
        name: "query_interval",
        activity: "probe",
        doc: "Run a range query against a Prometheus server and returns its result as-is.\n\nThe `start` and `end` arguments can be a RFC 3339 date or expressed more\ncolloquially such as `\"5 minutes ago\"`. The `step` is a number of seconds\nor a Prometheus duration such as `\"15s\"`.",
        args: &[
            required("query", Kind::String),
            required("start", Kind::String),
            required("end", Kind::String),
            optional("step", Kind::Step, || json!(1)),
            optional("timeout", Kind::Seconds, || Value::Null),
            optional("verify_tls", Kind::Boolean, || json!(true)),
        ],
        return_type: Some("mapping"),
    },
    Function {
        module: PROBES_MODULE,
        name: "compute_mean",
        activity: "probe",
        doc: "Compute the mean of all returned datapoints of the range vector matching\nthe given query. The query must return a range vector.\n\nThe default computes an arithmetic mean. You can switch to geometric\nor harmonic mean by passing `mean_type=\"geometric\"` or\n`mean_type=\"harmonic\"`.",
        args: &[
            required("query", Kind::String),
            optional("window", Kind::String, || json!("1d")),
            optional("mean_type", Kind::String, || json!("arithmetic")),
        ],
        return_type: Some("number"),
    },
    Function {
        module: PROBES_MODULE,
        name: "nodes_cpu_usage_mean",
        activity: "probe",
        doc: "Computes a mean of all nodes activities per minute over the given\n`window`. We use the `node_cpu_seconds_total` metric to perform this\nquery.",
        args: &[optional("window", Kind::String, || json!("1d"))],
        return_type: Some("number"),
    },
    Function {
        module: PROBES_MODULE,
        name: "query_value",
        activity: "probe",
        doc: "Run an instant query and return its one number: a scalar, a vector of one\nsample, or several series combined by `aggregate` (min, max, avg, sum,\ncount). No data is an error unless `no_data` gives the number to return; NaN\nand infinities are errors. For the plain range tolerance `[0, 0.01]`.",
        args: &[
            required("query", Kind::String),
            optional("when", Kind::String, || Value::Null),
            optional("aggregate", Kind::String, || Value::Null),
            optional("no_data", Kind::Number, || Value::Null),
            optional("timeout", Kind::Seconds, || Value::Null),
        ],
        return_type: Some("number"),
    },
    Function {
        module: PROBES_MODULE,
        name: "alert_state",
        activity: "probe",
        doc: "The state of the alerts named `alertname` whose labels include `labels`:\n\"firing\", \"pending\" or \"inactive\" (firing wins over pending), from\n/api/v1/alerts. For a string tolerance.",
        args: &[
            required("alertname", Kind::String),
            optional("labels", Kind::Mapping, || Value::Null),
            optional("timeout", Kind::Seconds, || Value::Null),
        ],
        return_type: Some("string"),
    },
    Function {
        module: PROBES_MODULE,
        name: "sample_age",
        activity: "probe",
        doc: "The age in seconds of the newest sample behind the selector, the largest\nover its series, by the server's clock; an error when there is none: a guard\nagainst a dashboard that looks fine because scraping stopped.",
        args: &[
            required("query", Kind::String),
            optional("timeout", Kind::Seconds, || Value::Null),
        ],
        return_type: Some("number"),
    },
    Function {
        module: PROBES_MODULE,
        name: "time_to_recover",
        activity: "probe",
        doc: "Poll the query every `interval` until its series are below `below` and/or\nabove `above` (`series`: all, any or none must) and return the seconds it\ntook (0 when it already holds); an error after `timeout`.",
        args: &[
            required("query", Kind::String),
            optional("below", Kind::Number, || Value::Null),
            optional("above", Kind::Number, || Value::Null),
            optional("timeout", Kind::Step, || json!("5m")),
            optional("interval", Kind::Step, || json!("5s")),
            optional("series", Kind::String, || json!("all")),
        ],
        return_type: Some("number"),
    },
    Function {
        module: PROBES_MODULE,
        name: "compare_to_baseline",
        activity: "probe",
        doc: "The relative change (0.12 for +12 %) of the query's current value against\nits average over the `baseline` window that ends when the run started (the\nconfiguration's `chaosprom_run_started`, else when this process first\ncompared to a baseline); an error beyond `max_increase` or `max_decrease`.",
        args: &[
            required("query", Kind::String),
            optional("max_increase", Kind::Number, || Value::Null),
            optional("max_decrease", Kind::Number, || Value::Null),
            optional("baseline", Kind::String, || json!("10m")),
            optional("when", Kind::String, || Value::Null),
            optional("timeout", Kind::Seconds, || Value::Null),
        ],
        return_type: Some("number"),
    },
    Function {
        module: TOLERANCES_MODULE,
        name: "below",
        activity: "probe",
        doc: "A tolerance: true when the samples of the checked probe's Prometheus answer\n(`value`, passed by the runner) are below `threshold` (or equal, with\n`inclusive`). `series`: all, any or none must hold; `no_data`: fail or pass on\nan empty result; `nan`: fail, pass or ignore NaN samples. A matrix means every\npoint of the window.",
        args: TOLERANCE_ARGS_THRESHOLD,
        return_type: Some("boolean"),
    },
    Function {
        module: TOLERANCES_MODULE,
        name: "above",
        activity: "probe",
        doc: "A tolerance: true when the samples are above `threshold` (or equal, with\n`inclusive`); the other arguments as for `below`.",
        args: TOLERANCE_ARGS_THRESHOLD,
        return_type: Some("boolean"),
    },
    Function {
        module: TOLERANCES_MODULE,
        name: "between",
        activity: "probe",
        doc: "A tolerance: true when the samples lie between `lower` and `upper`, both\nincluded; the other arguments as for `below`.",
        args: &[
            optional("value", Kind::Any, || Value::Null),
            required("lower", Kind::Sample),
            required("upper", Kind::Sample),
            optional("series", Kind::String, || json!("all")),
            optional("no_data", Kind::String, || json!("fail")),
            optional("nan", Kind::String, || json!("fail")),
        ],
        return_type: Some("boolean"),
    },
    Function {
        module: TOLERANCES_MODULE,
        name: "equals",
        activity: "probe",
        doc: "A tolerance: true when the samples equal `expected`, give or take\n`tolerance`; NaN never does. `series` and `no_data` as for `below`.",
        args: &[
            optional("value", Kind::Any, || Value::Null),
            required("expected", Kind::Sample),
            optional("series", Kind::String, || json!("all")),
            optional("no_data", Kind::String, || json!("fail")),
            optional("tolerance", Kind::Sample, || json!(0.0)),
        ],
        return_type: Some("boolean"),
    },
    Function {
        module: METRICS_MODULE,
        name: "configure_control",
        activity: "control",
        doc: "Creates the run's metrics (`chaostoolkit_experiment_status`,\n`chaostoolkit_deviated_experiment_total`, `chaostoolkit_inprogress_experiment`,\n`chaostoolkit_experiment_duration` and `chaostoolkit_experiment_duration_dist`)\nand pushes them to the Pushgateway before and after the experiment, grouped\nby the experiment's hash unless a grouping key is given. The trace id marks\none run; it is random unless given.",
        args: &[
            optional("pushgateway_url", Kind::String, || {
                json!("http://localhost:9091")
            }),
            optional("job", Kind::String, || json!("chaostoolkit")),
            optional("grouping_key", Kind::Mapping, || Value::Null),
            optional("trace_id", Kind::String, || Value::Null),
            optional("experiment_ref", Kind::String, || Value::Null),
            optional("lib_version", Kind::String, || {
                json!(env!("CARGO_PKG_VERSION"))
            }),
            optional("push_method", Kind::String, || json!("put")),
            optional("pushgateway_format", Kind::String, || json!("auto")),
            optional("delete_on_cleanup", Kind::Boolean, || json!(false)),
            optional("activity_metrics", Kind::Boolean, || json!(false)),
            optional("phase_metrics", Kind::Boolean, || json!(false)),
            optional("remote_write_url", Kind::String, || Value::Null),
            optional("remote_write_headers", Kind::Mapping, || Value::Null),
            optional("remote_write_token", Kind::String, || Value::Null),
            optional("remote_write_ca_file", Kind::String, || Value::Null),
            optional("remote_write_verify_tls", Kind::Boolean, || json!(true)),
            optional("remote_write_client_cert", Kind::String, || Value::Null),
            optional("remote_write_client_key", Kind::String, || Value::Null),
            optional("remote_write_proxy", Kind::String, || Value::Null),
        ],
        return_type: None,
    },
    Function {
        module: METRICS_MODULE,
        name: "before_experiment_control",
        activity: "control",
        doc: "Notify the prometheus gateway this experiment is in progress",
        args: &[],
        return_type: Some("null"),
    },
    Function {
        module: METRICS_MODULE,
        name: "after_experiment_control",
        activity: "control",
        doc: "Notify the prometheus gateway this experiment is not in progress\nany longer. Sets the various other metrics values from the current\nrun state.",
        args: &[],
        return_type: Some("null"),
    },
    Function {
        module: METRICS_MODULE,
        name: "cleanup_control",
        activity: "control",
        doc: "Deletes the run's group from the Pushgateway when `delete_on_cleanup`\nwas set.",
        args: &[],
        return_type: Some("null"),
    },
];

/// What dispatching an activity gives.
#[derive(Debug)]
#[non_exhaustive]
pub enum Activity {
    /// A probe's output.
    Output(Value),
    /// The control of `chaosprometheus.metrics`, for the runner to
    /// configure through its hooks.
    Control(Arc<MetricsControl>),
}

/// Runs a `"type": "python"` provider of this extension: checks the
/// arguments against the function's signature, then calls the probe (or,
/// for `chaosprometheus.metrics`, builds the control).
///
/// `configuration` and `secrets` are the experiment's resolved
/// configuration and the activity's secrets; the runner passes them, they
/// are not arguments.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use serde_json::json;
///
/// let err = chaosprometheus::dispatch(
///     "chaosprometheus.probes", "query", &json!({"query": 1}), &json!({}), &json!({}),
/// ).await.unwrap_err();
/// assert_eq!(err.to_string(), "query: argument 'query' must be a string, found number 1");
/// # });
/// ```
pub async fn dispatch(
    module: &str,
    function: &str,
    arguments: &Value,
    configuration: &Value,
    secrets: &Value,
) -> Result<Activity, Error> {
    let spec = find(module, function)?;
    let args = check(spec, arguments, false)?;
    let text = |name: &str| args.get(name).and_then(Value::as_str).map(str::to_owned);
    let number = |name: &str| args.get(name).and_then(Value::as_f64);
    let seconds = |name: &str| match args.get(name) {
        Some(Value::String(s)) => seconds_of(name, s),
        other => Ok(other.and_then(Value::as_f64)),
    };
    // Python's `if when:`: an empty `when` is now.
    let when = || text("when").filter(|w| !w.is_empty());
    let flag = |name: &str| args.get(name).and_then(Value::as_bool);
    let output = match (spec.module, spec.name) {
        (METRICS_MODULE, _) => return Ok(Activity::Control(Arc::new(MetricsControl::new()))),
        (TOLERANCES_MODULE, function) => {
            json!(crate::tolerances::evaluate(function, &Value::Object(args))?)
        }
        (_, "query") => {
            let args = QueryArgs {
                query: text("query").unwrap_or_default(),
                when: when(),
                timeout: seconds("timeout")?,
                verify_tls: flag("verify_tls"),
            };
            probes::query(&args, configuration, secrets).await?
        }
        (_, "query_interval") => {
            let step = match args.get("step") {
                Some(Value::String(s)) => StepArg::Duration(s.clone()),
                Some(v) => StepArg::Seconds(v.as_f64().unwrap_or(1.0)),
                None => StepArg::default(),
            };
            let args = QueryIntervalArgs {
                query: text("query").unwrap_or_default(),
                start: text("start").unwrap_or_default(),
                end: text("end").unwrap_or_default(),
                step,
                timeout: seconds("timeout")?,
                verify_tls: flag("verify_tls"),
            };
            probes::query_interval(&args, configuration, secrets).await?
        }
        (_, "query_value") => {
            let args_ = QueryArgs {
                query: text("query").unwrap_or_default(),
                when: when(),
                timeout: seconds("timeout")?,
                verify_tls: None,
            };
            let aggregate = text("aggregate").map(|a| a.parse()).transpose()?;
            number_output(
                spec.name,
                crate::checks::query_value(
                    &args_,
                    aggregate,
                    number("no_data"),
                    configuration,
                    secrets,
                )
                .await?,
            )?
        }
        (_, "alert_state") => {
            let labels = args
                .get("labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            json!(
                crate::checks::alert_state(
                    &text("alertname").unwrap_or_default(),
                    &labels,
                    seconds("timeout")?,
                    configuration,
                    secrets
                )
                .await?
            )
        }
        (_, "sample_age") => number_output(
            spec.name,
            crate::checks::sample_age(
                &text("query").unwrap_or_default(),
                seconds("timeout")?,
                configuration,
                secrets,
            )
            .await?,
        )?,
        (_, "time_to_recover") => {
            let span = |name: &str, default: &str| match args.get(name) {
                Some(Value::Number(n)) => format!("{n}s"),
                Some(Value::String(s)) => s.clone(),
                _ => default.to_owned(),
            };
            let args_ = crate::checks::RecoverArgs {
                query: text("query").unwrap_or_default(),
                below: number("below"),
                above: number("above"),
                timeout: span("timeout", "5m"),
                interval: span("interval", "5s"),
                series: text("series").unwrap_or_else(|| "all".to_owned()),
            };
            number_output(
                spec.name,
                crate::checks::time_to_recover(&args_, configuration, secrets).await?,
            )?
        }
        (_, "compare_to_baseline") => {
            let args_ = crate::checks::BaselineArgs {
                query: text("query").unwrap_or_default(),
                max_increase: number("max_increase"),
                max_decrease: number("max_decrease"),
                baseline: text("baseline").unwrap_or_else(|| "10m".to_owned()),
                when: when(),
                timeout: seconds("timeout")?,
            };
            number_output(
                spec.name,
                crate::checks::compare_to_baseline(&args_, configuration, secrets).await?,
            )?
        }
        (_, "compute_mean") => {
            let mut args_ = ComputeMeanArgs::new(text("query").unwrap_or_default());
            if let Some(w) = text("window") {
                args_.window = w;
            }
            if let Some(m) = text("mean_type") {
                args_.mean_type = m;
            }
            number_output(
                spec.name,
                probes::compute_mean(&args_, configuration, secrets).await?,
            )?
        }
        (_, _) => {
            let window = text("window").unwrap_or_else(|| "1d".to_owned());
            number_output(
                spec.name,
                probes::nodes_cpu_usage_mean(&window, configuration, secrets).await?,
            )?
        }
    };
    Ok(Activity::Output(output))
}

/// A probe's number as JSON, which has no NaN or infinities: serde_json
/// would make one null, and the journal would show a probe that succeeded
/// without its answer.
fn number_output(function: &str, value: f64) -> Result<Value, Error> {
    serde_json::Number::from_f64(value)
        .map(Value::Number)
        .ok_or_else(|| {
            Error::invalid(
                "output",
                format!("{function} returned {value}, which JSON cannot hold"),
            )
        })
}

/// Whether `module` (this extension's) has `function`, e.g.
/// `has_function("chaosprometheus.probes", "query")`.
///
/// ```
/// assert!(chaosprometheus::has_function("chaosprometheus.probes", "query"));
/// assert!(!chaosprometheus::has_function("chaosprometheus.probes", "querry"));
/// ```
pub fn has_function(module: &str, function: &str) -> bool {
    find(module, function).is_ok()
}

/// Checks a call before it is made, as a validator does: the function
/// exists and the arguments fit its parameters (no unknown name, every
/// required one given, every one of its type). A string holding a `${…}`
/// placeholder is taken for any type, since it is substituted later.
///
/// ```
/// use serde_json::json;
/// use chaosprometheus::check_call;
///
/// check_call("chaosprometheus.probes", "query", &json!({"query": "up", "timeout": "${t}"}))?;
/// let err = check_call("chaosprometheus.probes", "query", &json!({"qeury": "up"})).unwrap_err();
/// assert!(err.to_string().contains("unknown argument 'qeury'"));
/// # Ok::<(), chaosprometheus::Error>(())
/// ```
pub fn check_call(module: &str, function: &str, arguments: &Value) -> Result<(), Error> {
    let checked = check(find(module, function)?, arguments, true)?;
    // A tolerance's choices and bounds, unless a placeholder stands in.
    let placeholder = arguments.as_object().is_some_and(|m| {
        m.values()
            .any(|v| v.as_str().is_some_and(|s| s.contains("${")))
    });
    if module == TOLERANCES_MODULE && !placeholder {
        crate::tolerances::check_from_arguments(function, &Value::Object(checked))?;
    } else if module == PROBES_MODULE && !placeholder {
        let spec = find(module, function)?;
        // A timeout out of range fails every run: refused now.
        for arg in spec.args.iter().filter(|a| a.kind == Kind::Seconds) {
            let seconds = match checked.get(arg.name) {
                Some(Value::String(text)) => seconds_of(arg.name, text)?,
                other => other.and_then(Value::as_f64),
            };
            if let Some(seconds) = seconds {
                crate::config::timeout_seconds(arg.name, seconds)?;
            }
        }
        for name in ["when", "start", "end"] {
            match checked.get(name).and_then(Value::as_str) {
                // An empty `when` is now (Python's `if when:`).
                Some("") if name == "when" => {}
                Some(text) => probes::check_time(name, text)?,
                None => {}
            }
        }
        let time = |name: &str| checked.get(name).and_then(Value::as_str);
        if let (Some(start), Some(end)) = (time("start"), time("end")) {
            probes::check_span(start, end)?;
        }
        if let Some(a) = checked.get("aggregate").and_then(Value::as_str) {
            a.parse::<crate::checks::Aggregate>()?;
        }
        if function == "time_to_recover" {
            if checked.get("below").is_none() && checked.get("above").is_none() {
                return Err(Error::invalid(
                    "below",
                    "give below, above or both: the condition that means recovered",
                ));
            }
            if let Some(series) = checked.get("series").and_then(Value::as_str) {
                series.parse::<crate::tolerances::Series>()?;
            }
        }
    }
    Ok(())
}

/// The seconds of a `timeout` given as text: `"30"`, `"30s"`, `"1m30s"`;
/// none for an empty string, which Python's extension sends and
/// Prometheus takes for no timeout.
fn seconds_of(name: &str, text: &str) -> Result<Option<f64>, Error> {
    if text.is_empty() {
        return Ok(None);
    }
    chaosprom_when::parse_duration(text)
        .map(|d| Some(d.as_secs_f64()))
        .map_err(|_| {
            Error::invalid(
                name,
                format!("expected a number of seconds or a duration such as 30s or 1m30s, found '{text}'"),
            )
        })
}

fn find(module: &str, function: &str) -> Result<&'static Function, Error> {
    let in_module: Vec<&Function> = FUNCTIONS.iter().filter(|f| f.module == module).collect();
    if in_module.is_empty() {
        return Err(Error::UnknownModule {
            module: module.to_owned(),
        });
    }
    in_module
        .iter()
        .find(|f| f.name == function)
        .copied()
        .ok_or_else(|| Error::UnknownFunction {
            module: module.to_owned(),
            function: function.to_owned(),
            known: in_module
                .iter()
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Checks arguments against a signature: no unknown names, every required
/// one present, every one of its type (`null` means "not given"). With
/// `placeholders`, a string holding `${…}` passes for any type.
fn check(
    spec: &Function,
    arguments: &Value,
    placeholders: bool,
) -> Result<Map<String, Value>, Error> {
    let given = match arguments {
        Value::Null => Map::new(),
        Value::Object(map) => map.clone(),
        other => {
            return Err(Error::WrongType {
                function: spec.name.to_owned(),
                name: "arguments".to_owned(),
                expected: "a mapping of argument names to values",
                found: describe(other),
            });
        }
    };
    // The control takes any keyword argument, as Python's does.
    if spec.module == METRICS_MODULE {
        return Ok(given);
    }
    for name in given.keys() {
        if !spec.args.iter().any(|a| a.name == name) {
            return Err(Error::UnknownArgument {
                function: spec.name.to_owned(),
                name: name.clone(),
                known: spec
                    .args
                    .iter()
                    .map(|a| a.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let mut checked = Map::new();
    for arg in spec.args {
        match given.get(arg.name).filter(|v| !v.is_null()) {
            Some(Value::String(s)) if placeholders && s.contains("${") => {}
            Some(v) if arg.kind.accepts(v) => {
                checked.insert(arg.name.to_owned(), v.clone());
            }
            Some(v) => {
                return Err(Error::WrongType {
                    function: spec.name.to_owned(),
                    name: arg.name.to_owned(),
                    expected: arg.kind.expected(),
                    found: describe(v),
                });
            }
            None if arg.default.is_none() => {
                return Err(Error::MissingArgument {
                    function: spec.name.to_owned(),
                    name: arg.name,
                    expected: arg.kind.expected(),
                });
            }
            None => {}
        }
    }
    Ok(checked)
}

/// A JSON value's type and a short rendering, for messages.
fn describe(v: &Value) -> String {
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    };
    let mut text = v.to_string();
    if text.len() > 40 {
        text = format!("{}…", text.chars().take(40).collect::<String>());
    }
    format!("{kind} {text}")
}

/// The discovery document, shaped like `chaos discover`'s: the extension,
/// its target, and every activity with its arguments, types, defaults,
/// documentation and return type.
///
/// ```
/// let doc = chaosprometheus::discover();
/// assert_eq!(doc["target"], "prometheus");
/// assert!(doc["activities"].as_array().unwrap().iter().any(|a| a["name"] == "query"));
/// ```
pub fn discover() -> Value {
    let activities: Vec<Value> = FUNCTIONS
        .iter()
        .map(|f| {
            let mut args: Vec<Value> = f
                .args
                .iter()
                .map(|a| {
                    let mut arg = Map::new();
                    arg.insert("name".into(), json!(a.name));
                    if let Some(default) = a.default {
                        arg.insert("default".into(), default());
                    }
                    arg.insert("type".into(), json!(a.kind.name()));
                    Value::Object(arg)
                })
                .collect();
            if f.activity == "probe" {
                args.push(json!({"name": "configuration", "default": null, "type": "mapping"}));
                args.push(json!({"name": "secrets", "default": null, "type": "mapping"}));
            }
            let mut activity = Map::new();
            activity.insert("type".into(), json!(f.activity));
            activity.insert("name".into(), json!(f.name));
            activity.insert("mod".into(), json!(f.module));
            activity.insert("doc".into(), json!(f.doc));
            activity.insert("arguments".into(), Value::Array(args));
            if let Some(rt) = f.return_type {
                activity.insert("return_type".into(), json!(rt));
            }
            Value::Object(activity)
        })
        .collect();
    json!({
        "extension": {"name": "chaosprometheus", "version": env!("CARGO_PKG_VERSION")},
        "target": "prometheus",
        "activities": activities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_json_cannot_hold_is_an_error_not_null() {
        assert_eq!(number_output("sample_age", 1.5).unwrap(), json!(1.5));
        for (value, shown) in [
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            let err = number_output("compute_mean", value)
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!("invalid output: compute_mean returned {shown}, which JSON cannot hold")
            );
        }
    }
}
