//! The experiment hash: BLAKE2b with a 12-byte digest over the experiment
//! serialised as Python's `json.dumps(exp, sort_keys=True)` writes it.

use std::fmt::Write as _;

use chaos_controls::python::{float_repr, write_json_string};

use blake2::Blake2bVar;
use blake2::digest::{Update, VariableOutput};
use serde_json::Value;

/// The Chaos Toolkit's hash of an experiment: 24 lowercase hex characters,
/// equal to `chaoslib.experiment_hash` for the same JSON.
///
/// When a runner runs an experiment, Python hashes it after adding
/// `"dry": null` and substituting `${…}` in the title; hash that same
/// value to get the same ref.
///
/// ```
/// assert_eq!(
///     chaosprometheus::experiment_hash(&serde_json::json!({})),
///     "bf78e4a953b40eee238ca2e9"
/// );
/// ```
pub fn experiment_hash(experiment: &Value) -> String {
    let json = canonical_json(experiment);
    let mut hasher = Blake2bVar::new(12).expect("12 is a valid BLAKE2b output size");
    hasher.update(json.as_bytes());
    let mut digest = [0u8; 12];
    hasher
        .finalize_variable(&mut digest)
        .expect("the buffer is the output size");
    digest.iter().fold(String::with_capacity(24), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `json.dumps(value, sort_keys=True)`: keys sorted by code point, `", "`
/// and `": "` separators, non-ASCII escaped as `\uXXXX`, floats as Python's
/// `repr`.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (None, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (None, None, Some(f)) => out.push_str(&float_repr(f)),
            (None, None, None) => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            // Python sorts str keys by code point; UTF-8 byte order is the
            // same order.
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_string(out, key);
                out.push_str(": ");
                write_value(out, &map[key]);
            }
            out.push('}');
        }
    }
}
