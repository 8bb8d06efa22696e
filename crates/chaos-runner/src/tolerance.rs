//! Whether a probe's output is within its tolerance, with the Chaos
//! Toolkit's rules.

use serde_json::Value;

use crate::substitute::{Lookup, substitute};

/// A tolerance of `"type": "probe"` is a probe to run with the output as
/// its `value` argument; the runner supplies how.
pub type ProbeTolerance<'a> = &'a (
        dyn Fn(Value) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>>
            + Send
            + Sync
    );

/// Checks `output` against `tolerance`:
///
/// - `true`/`false`, a string: equality (`true` matches 1, as in Python);
/// - an integer: equality, or the `status` of a process/http output;
/// - a list: the output's `status` is in it; else a two-element list is an
///   inclusive numeric range, any other list a set of accepted values;
/// - `{"type": "range", "range": [min, max], "target"}`;
/// - `{"type": "regex", "pattern", "target"}` (searched, not anchored);
/// - `{"type": "jsonpath", "path", "count", "expect", "target"}`;
/// - `{"type": "probe", …}`: another probe decides.
pub async fn within(
    tolerance: &Value,
    output: &Value,
    lookup: &Lookup<'_>,
    probe: ProbeTolerance<'_>,
) -> bool {
    match tolerance {
        Value::Bool(t) => loose_eq(output, &Value::Bool(*t)),
        Value::String(t) => match substitute(&Value::String(t.clone()), lookup) {
            Value::String(t) => output.as_str() == Some(t.as_str()),
            other => loose_eq(output, &other),
        },
        Value::Number(_) => match output.get("status") {
            Some(status) if output.is_object() => loose_eq(status, tolerance),
            _ => loose_eq(output, tolerance),
        },
        Value::Array(accepted) => {
            if let Some(status) = output.as_object().and_then(|m| m.get("status")) {
                return accepted.iter().any(|a| loose_eq(status, a));
            }
            if let ([low, high], Some(v)) = (accepted.as_slice(), number(output)) {
                if let (Some(low), Some(high)) = (number(low), number(high)) {
                    return low <= v && v <= high;
                }
            }
            accepted.iter().any(|a| loose_eq(output, a))
        }
        Value::Object(spec) => {
            let target = |value: &Value| -> Value {
                match spec.get("target").and_then(Value::as_str) {
                    Some(t) => value.get(t).cloned().unwrap_or_else(|| value.clone()),
                    None => value.clone(),
                }
            };
            match spec.get("type").and_then(Value::as_str) {
                Some("range") => {
                    let range = spec.get("range").and_then(Value::as_array);
                    match (range.map(Vec::as_slice), number(&target(output))) {
                        (Some([low, high]), Some(v)) => match (number(low), number(high)) {
                            (Some(low), Some(high)) => low <= v && v <= high,
                            _ => false,
                        },
                        _ => false,
                    }
                }
                Some("regex") => {
                    let pattern = substitute(spec.get("pattern").unwrap_or(&Value::Null), lookup);
                    let Some(pattern) = pattern.as_str().and_then(|p| regex::Regex::new(p).ok())
                    else {
                        return false;
                    };
                    match target(output) {
                        Value::String(s) => pattern.is_match(&s),
                        other => pattern.is_match(&other.to_string()),
                    }
                }
                Some("jsonpath") => jsonpath(spec, &target(output), lookup),
                Some("probe") => probe(output.clone()).await,
                _ => false,
            }
        }
        Value::Null => false,
    }
}

fn jsonpath(spec: &serde_json::Map<String, Value>, value: &Value, lookup: &Lookup<'_>) -> bool {
    let path = substitute(spec.get("path").unwrap_or(&Value::Null), lookup);
    let Some(path) = path
        .as_str()
        .and_then(|p| serde_json_path::JsonPath::parse(p).ok())
    else {
        return false;
    };
    // A JSON document in a string (e.g. an http body) is parsed first.
    let parsed;
    let value = match value {
        Value::String(s) => {
            parsed = serde_json::from_str(s).unwrap_or_else(|_| value.clone());
            &parsed
        }
        other => other,
    };
    let found: Vec<Value> = path.query(value).all().into_iter().cloned().collect();
    let mut ok = !found.is_empty();
    if let Some(count) = spec.get("count").and_then(Value::as_u64) {
        ok = found.len() as u64 == count;
    }
    if let Some(expect) = spec.get("expect") {
        let expect = substitute(expect, lookup);
        ok = match expect {
            Value::Array(list) => {
                list.len() == found.len() && list.iter().zip(&found).all(|(a, b)| loose_eq(a, b))
            }
            one => found.len() == 1 && loose_eq(&found[0], &one),
        };
    }
    ok
}

/// Python's `==` between JSON values: numbers by value (`1 == 1.0`), and
/// `true == 1`, `false == 0`.
pub(crate) fn loose_eq(a: &Value, b: &Value) -> bool {
    match (number(a), number(b)) {
        (Some(x), Some(y)) if !a.is_string() && !b.is_string() => x == y,
        _ => a == b,
    }
}

/// A number, or a boolean as 1/0, or a string that holds a number (Python's
/// `Decimal(value)` in range checks).
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    async fn check(tolerance: Value, output: Value) -> bool {
        let configuration =
            json!({"want": "ok", "pattern": "^he", "path": "$.data.result[*].value[1]"})
                .as_object()
                .unwrap()
                .clone();
        let secrets = Map::new();
        let lookup = Lookup {
            configuration: &configuration,
            secrets: &secrets,
        };
        let probe =
            |v: Value| -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>> {
                Box::pin(async move { v == json!("accept me") })
            };
        within(&tolerance, &output, &lookup, &probe).await
    }

    #[tokio::test]
    async fn the_chaos_toolkit_rules() {
        let payload = json!({"status": "success", "data": {"result": [{"value": [1, "1"]}, {"value": [1, "0"]}]}});
        let process = json!({"status": 0, "stdout": "hello\n", "stderr": ""});
        let http = json!({"status": 200, "headers": {}, "body": "{\"up\": [1, 1]}"});
        let cases = [
            // booleans, with Python's true == 1
            (json!(true), json!(true), true),
            (json!(true), json!(1), true),
            (json!(false), json!(0), true),
            (json!(true), json!(false), false),
            (json!(true), json!("true"), false),
            // integers: equality, or the status of a process/http output
            (json!(0), json!(0), true),
            (json!(0), process.clone(), true),
            (json!(1), process.clone(), false),
            (json!(200), http.clone(), true),
            (json!(5), json!(5.0), true),
            (json!(5), json!("5"), false),
            // strings, substituted
            (json!("ok"), json!("ok"), true),
            (json!("${want}"), json!("ok"), true),
            (json!("ok"), json!("nok"), false),
            // lists: status membership, two-element range, membership
            (json!([200, 204]), http.clone(), true),
            (json!([0]), process.clone(), true),
            (json!([300, 399]), http.clone(), false),
            (json!([1, 10]), json!(5), true),
            (json!([1, 10]), json!(10), true),
            (json!([1, 10]), json!(11), false),
            (json!([1, 10]), json!(7.5), true),
            (json!(["a", "b"]), json!("b"), true),
            (json!([1, 2, 3]), json!(2), true),
            (json!([1, 2, 3]), json!(2.5), false),
            // range mappings, with a target
            (json!({"type": "range", "range": [0, 1]}), json!(0.5), true),
            (
                json!({"type": "range", "range": [0, 1]}),
                json!("0.5"),
                true,
            ),
            (
                json!({"type": "range", "range": [0, 1], "target": "status"}),
                json!({"status": 2}),
                false,
            ),
            (json!({"type": "range", "range": [0, 1]}), json!("x"), false),
            // regex
            (
                json!({"type": "regex", "pattern": "ell", "target": "stdout"}),
                process.clone(),
                true,
            ),
            (
                json!({"type": "regex", "pattern": "${pattern}", "target": "stdout"}),
                process.clone(),
                true,
            ),
            (
                json!({"type": "regex", "pattern": "^bye"}),
                json!("hello"),
                false,
            ),
            // jsonpath: found, count, expect; on a JSON string body too
            (
                json!({"type": "jsonpath", "path": "$.status", "expect": "success"}),
                payload.clone(),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "${path}", "count": 2}),
                payload.clone(),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.data.result[*].value[1]", "expect": ["1", "0"]}),
                payload.clone(),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.data.result[*].value[1]", "expect": ["1", "1"]}),
                payload.clone(),
                false,
            ),
            (
                json!({"type": "jsonpath", "path": "$.nothing"}),
                payload.clone(),
                false,
            ),
            (
                json!({"type": "jsonpath", "path": "$.up[*]", "count": 2, "target": "body"}),
                http.clone(),
                true,
            ),
            // probe tolerances
            (
                json!({"type": "probe", "name": "p", "provider": {"type": "process", "path": "true"}}),
                json!("accept me"),
                true,
            ),
            (
                json!({"type": "probe", "name": "p", "provider": {"type": "process", "path": "true"}}),
                json!("no"),
                false,
            ),
            (json!(null), json!(null), false),
        ];
        for (tolerance, output, expected) in cases {
            assert_eq!(
                check(tolerance.clone(), output.clone()).await,
                expected,
                "{tolerance} vs {output}"
            );
        }
    }
}
