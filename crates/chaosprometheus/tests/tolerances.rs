//! `chaosprometheus.tolerances`: every argument against answers of every
//! shape, through `dispatch` as a runner calls it.

use chaosprometheus::{Activity, Error, TOLERANCES_MODULE, check_call, dispatch};
use serde_json::{Value, json};

fn vector(samples: &[(&str, &str)]) -> Value {
    let result: Vec<Value> = samples
        .iter()
        .map(|(job, v)| json!({"metric": {"__name__": "errors", "job": job}, "value": [1764072245.5, v]}))
        .collect();
    json!({"status": "success", "data": {"resultType": "vector", "result": result}})
}

fn matrix(series: &[(&str, &[&str])]) -> Value {
    let result: Vec<Value> = series
        .iter()
        .map(|(job, values)| {
            let points: Vec<Value> = values
                .iter()
                .enumerate()
                .map(|(i, v)| json!([1764072000 + 60 * i as i64, v]))
                .collect();
            json!({"metric": {"job": job}, "values": points})
        })
        .collect();
    json!({"status": "success", "data": {"resultType": "matrix", "result": result}})
}

async fn call(function: &str, mut arguments: Value, value: Value) -> Result<bool, Error> {
    arguments["value"] = value;
    match dispatch(
        TOLERANCES_MODULE,
        function,
        &arguments,
        &json!({}),
        &json!({}),
    )
    .await?
    {
        Activity::Output(Value::Bool(b)) => Ok(b),
        other => panic!("not a boolean: {other:?}"),
    }
}

#[tokio::test]
async fn every_argument_against_every_shape() {
    let one_low = vector(&[("a", "0.001")]);
    let one_high = vector(&[("a", "0.031")]);
    let mixed = vector(&[("a", "0.001"), ("b", "0.031")]);
    let empty = vector(&[]);
    let nan = vector(&[("a", "NaN")]);
    let nan_and_low = vector(&[("a", "NaN"), ("b", "0.001")]);
    let inf = vector(&[("a", "+Inf")]);
    let minus_inf = vector(&[("a", "-Inf")]);
    let scalar =
        json!({"status": "success", "data": {"resultType": "scalar", "result": [1764072245, "5"]}});
    let window_ok = matrix(&[("a", &["0.001", "0.002", "0.003"])]);
    let window_spike = matrix(&[("a", &["0.001", "0.2", "0.003"])]);
    let cases: Vec<(&str, Value, &Value, bool)> = vec![
        // below / above, strict and inclusive
        ("below", json!({"threshold": 0.01}), &one_low, true),
        ("below", json!({"threshold": 0.01}), &one_high, false),
        ("below", json!({"threshold": 0.001}), &one_low, false),
        (
            "below",
            json!({"threshold": 0.001, "inclusive": true}),
            &one_low,
            true,
        ),
        ("above", json!({"threshold": 0.01}), &one_high, true),
        ("above", json!({"threshold": 0.031}), &one_high, false),
        (
            "above",
            json!({"threshold": 0.031, "inclusive": true}),
            &one_high,
            true,
        ),
        // several series: all, any, none
        ("below", json!({"threshold": 0.01}), &mixed, false),
        (
            "below",
            json!({"threshold": 0.01, "series": "any"}),
            &mixed,
            true,
        ),
        (
            "below",
            json!({"threshold": 0.01, "series": "none"}),
            &mixed,
            false,
        ),
        (
            "below",
            json!({"threshold": 0.0001, "series": "none"}),
            &mixed,
            true,
        ),
        (
            "above",
            json!({"threshold": 1, "series": "any"}),
            &mixed,
            false,
        ),
        // no data
        ("below", json!({"threshold": 1}), &empty, false),
        (
            "below",
            json!({"threshold": 1, "no_data": "pass"}),
            &empty,
            true,
        ),
        (
            "below",
            json!({"threshold": 1, "series": "none"}),
            &empty,
            false,
        ),
        // NaN: fail, pass, ignore (a series of NaN only is no data)
        ("below", json!({"threshold": 1}), &nan, false),
        ("below", json!({"threshold": 1, "nan": "pass"}), &nan, true),
        (
            "below",
            json!({"threshold": 1, "nan": "ignore"}),
            &nan,
            false,
        ),
        (
            "below",
            json!({"threshold": 1, "nan": "ignore", "no_data": "pass"}),
            &nan,
            true,
        ),
        ("below", json!({"threshold": 1}), &nan_and_low, false),
        (
            "below",
            json!({"threshold": 1, "nan": "ignore"}),
            &nan_and_low,
            true,
        ),
        ("equals", json!({"expected": 0}), &nan, false),
        // infinities are numbers
        ("above", json!({"threshold": 1e308}), &inf, true),
        ("below", json!({"threshold": 1e308}), &inf, false),
        ("below", json!({"threshold": -1e308}), &minus_inf, true),
        ("equals", json!({"expected": "+Inf"}), &inf, true),
        ("between", json!({"lower": 0, "upper": 1e308}), &inf, false),
        // between: both bounds included
        (
            "between",
            json!({"lower": 0.001, "upper": 0.031}),
            &mixed,
            true,
        ),
        (
            "between",
            json!({"lower": 0.002, "upper": 0.031}),
            &mixed,
            false,
        ),
        // equals, with a tolerance
        ("equals", json!({"expected": 5}), &scalar, true),
        ("equals", json!({"expected": 5.1}), &scalar, false),
        (
            "equals",
            json!({"expected": 5.1, "tolerance": 0.2}),
            &scalar,
            true,
        ),
        // a matrix: every point of the window
        ("below", json!({"threshold": 0.01}), &window_ok, true),
        ("below", json!({"threshold": 0.01}), &window_spike, false),
        (
            "below",
            json!({"threshold": 0.01, "series": "none"}),
            &window_spike,
            true,
        ),
    ];
    for (function, args, value, expected) in cases {
        let got = call(function, args.clone(), value.clone()).await;
        assert_eq!(
            got.as_ref().ok(),
            Some(&expected),
            "{function}({args}) on {value}: {got:?}"
        );
    }
}

#[test]
fn the_verdict_names_the_first_offending_series() {
    use chaosprometheus::tolerances::{Check, Criterion, Nan, NoData, Series, judge};
    let check = |criterion, series| Check {
        criterion,
        series,
        no_data: NoData::Fail,
        nan: Nan::Fail,
    };
    let below = Criterion::Below {
        threshold: 0.01,
        inclusive: false,
    };
    let v = judge(
        &vector(&[("a", "0.001"), ("b", "0.031")]),
        &check(below, Series::All),
    )
    .unwrap();
    assert_eq!(
        v.reason.as_deref(),
        Some(r#"errors{job="b"} = 0.031 at 2025-11-25T12:04:05.5Z, wanted < 0.01"#)
    );
    let v = judge(&vector(&[("a", "0.001")]), &check(below, Series::None)).unwrap();
    assert_eq!(
        v.reason.as_deref(),
        Some(r#"errors{job="a"} stays < 0.01, wanted no series to"#)
    );
    let v = judge(&vector(&[]), &check(below, Series::All)).unwrap();
    assert_eq!(v.reason.as_deref(), Some("no data, wanted < 0.01"));
    let v = judge(
        &matrix(&[("a", &["0.001", "0.5"])]),
        &check(
            Criterion::Between {
                lower: 0.0,
                upper: 0.1,
            },
            Series::All,
        ),
    )
    .unwrap();
    assert_eq!(
        v.reason.as_deref(),
        Some(r#"{job="a"} = 0.5 at 2025-11-25T12:01:00Z, wanted between 0 and 0.1"#)
    );
}

#[tokio::test]
async fn what_cannot_be_judged_is_an_error_naming_the_argument() {
    let string = json!({"status": "success", "data": {"resultType": "string", "result": [1, "x"]}});
    let histogram = json!({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"job": "a"}, "histogram": [1, {"count": "1", "sum": "1", "buckets": []}]}]}});
    let failed = json!({"status": "error", "errorType": "bad_data", "error": "parse error"});
    for (function, args, value, message) in [
        (
            "below",
            json!({"threshold": 1}),
            string,
            "a string result cannot be compared",
        ),
        (
            "below",
            json!({"threshold": 1}),
            histogram,
            "is a native histogram",
        ),
        (
            "below",
            json!({"threshold": 1}),
            failed,
            "expected a successful Prometheus answer",
        ),
        (
            "below",
            json!({"threshold": 1}),
            json!({"stdout": "1"}),
            "found no resultType",
        ),
        ("below", json!({"threshold": 1}), Value::Null, "value"),
        (
            "below",
            json!({"threshold": 1, "series": "most"}),
            vector(&[]),
            "expected one of all, any, none, found 'most'",
        ),
        (
            "below",
            json!({"threshold": 1, "nan": 1}),
            vector(&[]),
            "nan",
        ),
        (
            "between",
            json!({"lower": 2, "upper": 1}),
            vector(&[]),
            "expected lower <= upper",
        ),
        (
            "equals",
            json!({"expected": 1, "tolerance": -1}),
            vector(&[]),
            "expected a difference of 0 or more",
        ),
        (
            "equals",
            json!({"expected": "abc"}),
            vector(&[]),
            "expected a number, found 'abc'",
        ),
        (
            "below",
            json!({"threshold": "NaN"}),
            vector(&[]),
            "invalid threshold: NaN compares with nothing",
        ),
        (
            "between",
            json!({"lower": 0, "upper": " NaN "}),
            vector(&[]),
            "invalid upper: NaN compares with nothing",
        ),
        (
            "equals",
            json!({"expected": "NaN"}),
            vector(&[]),
            "invalid expected: NaN compares with nothing",
        ),
    ] {
        let err = call(function, args.clone(), value.clone())
            .await
            .expect_err(&format!("{function}({args}) on {value}"));
        assert!(
            err.to_string().contains(message),
            "{function}({args}): {err}"
        );
    }
}

#[test]
fn validation_checks_the_arguments_before_the_run() {
    // The runner adds `value`; without it, a tolerance validates.
    check_call(TOLERANCES_MODULE, "below", &json!({"threshold": 0.01})).unwrap();
    check_call(
        TOLERANCES_MODULE,
        "between",
        &json!({"lower": "${low}", "upper": 1}),
    )
    .unwrap();
    for (function, args, message) in [
        ("below", json!({}), "missing required argument 'threshold'"),
        ("below", json!({"threshold": "x"}), "expected a number"),
        (
            "below",
            json!({"threshold": 1, "series": "most"}),
            "found 'most'",
        ),
        (
            "equals",
            json!({"expected": 1, "nan": "pass"}),
            "unknown argument 'nan'",
        ),
        (
            "between",
            json!({"lower": 3, "upper": 1}),
            "expected lower <= upper",
        ),
        (
            "beneath",
            json!({"threshold": 1}),
            "unknown function 'beneath'",
        ),
    ] {
        let err = check_call(TOLERANCES_MODULE, function, &args).unwrap_err();
        assert!(
            err.to_string().contains(message),
            "{function}({args}): {err}"
        );
    }
}
