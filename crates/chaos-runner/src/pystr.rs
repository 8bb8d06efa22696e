//! Values written into text as Python's `str()` writes them, which is how
//! chaoslib writes a provider's arguments and a `${key}` substituted
//! inside a longer string.

use chaos_controls::python::{float_repr, write_json_string};
use serde_json::Value;

/// Python's `str()` of a value read from JSON: a string as it is, `True`,
/// `None`, `3`, `2.0`, `1e-05`, `[1, 'a']`, `{'k': 'v'}`.
pub(crate) fn python_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => {
            let mut out = String::new();
            write(other, &mut out, Dialect::Repr);
            out
        }
    }
}

/// Which of Python's two ways of writing a value: `repr()` (`None`,
/// `True`, `'a'`) or `json.dumps()` (`null`, `true`, `"a"`). Both put
/// `", "` and `": "` between items and write floats as `repr` does.
#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    Repr,
    Json,
}

fn write(v: &Value, out: &mut String, dialect: Dialect) {
    let string = |s: &str, out: &mut String| match dialect {
        Dialect::Repr => repr_str(s, out),
        Dialect::Json => write_json_string(out, s),
    };
    let json = dialect == Dialect::Json;
    match v {
        Value::Null => out.push_str(if json { "null" } else { "None" }),
        Value::Bool(true) => out.push_str(if json { "true" } else { "True" }),
        Value::Bool(false) => out.push_str(if json { "false" } else { "False" }),
        Value::Number(n) => match n.as_f64() {
            Some(x) if n.is_f64() => out.push_str(&float_repr(x)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(item, out, dialect);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(k, out);
                out.push_str(": ");
                write(item, out, dialect);
            }
            out.push('}');
        }
    }
}

/// Python's `repr()` of a string: single quotes unless it holds one and
/// no double quote; control characters escaped.
fn repr_str(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || ('\u{7f}'..='\u{a0}').contains(&c) || c == '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// `json.dumps(value)` with Python's defaults, the body requests sends for
/// `json=`: `", "` and `": "` between items, keys in their order, every
/// character outside printable ASCII escaped (`ensure_ascii`), floats as
/// `repr` writes them.
pub(crate) fn python_json(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out, Dialect::Json);
    out
}

/// Python's `str.strip()`: whitespace as Python's `str.isspace` has it
/// (Unicode's, and the four separators U+001C to U+001F), off both ends.
pub(crate) fn strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_as_python_dumps_it() {
        // Each printed by Python 3's json.dumps, as requests sends `json=`.
        let v = serde_json::json!({"b": "é &=\"\\\n\u{7f}😀", "a": [1, 1.5, 1e20, true, null, {}], "c": -0.0});
        assert_eq!(
            python_json(&v),
            r#"{"b": "\u00e9 &=\"\\\n\u007f\ud83d\ude00", "a": [1, 1.5, 1e+20, true, null, {}], "c": -0.0}"#
        );
    }

    #[test]
    fn values_read_as_python_str_writes_them() {
        // Each pair printed by Python 3's str(json.loads(…)).
        for (json, python) in [
            (
                r#"[1, 2.0, "a", true, null, ["x"], {"k": "v"}]"#,
                "[1, 2.0, 'a', True, None, ['x'], {'k': 'v'}]",
            ),
            (
                r#"{"a": "it's", "b": "say \"hi\"", "c": "both ' and \"", "d": "tab\tnl\n", "e": "\u00e9\u0001"}"#,
                r#"{'a': "it's", 'b': 'say "hi"', 'c': 'both \' and "', 'd': 'tab\tnl\n', 'e': 'é\x01'}"#,
            ),
            ("[]", "[]"),
            ("{}", "{}"),
            ("[1e20, 1e-5, -0.0]", "[1e+20, 1e-05, -0.0]"),
            (r#""plain""#, "plain"),
            ("true", "True"),
            ("null", "None"),
            ("3", "3"),
            ("1e20", "1e+20"),
        ] {
            let v: Value = serde_json::from_str(json).unwrap();
            assert_eq!(python_str(&v), python, "{json}");
        }
    }
}
