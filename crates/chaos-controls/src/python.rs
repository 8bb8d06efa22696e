//! Values written as Python writes them, which a Chaos Toolkit runner or
//! control needs wherever chaoslib's text must come out byte for byte: a
//! float as `repr()` writes it, and a string as `json.dumps` escapes it
//! with `ensure_ascii` (its default); a value as `str()` and
//! `json.dumps` write it; and a value's truthiness. The runner writes
//! `${key}` text and HTTP request bodies with them;
//! `chaosprometheus::experiment_hash` hashes what
//! `json.dumps(experiment, sort_keys=True)` gives, and its metrics control
//! reads its arguments as Python's does (`str()` of a label value, `or`
//! for a default).
//!
//! ```
//! use chaos_controls::python::{float_repr, python_json, python_str, truthy, write_json_string};
//! use serde_json::json;
//!
//! assert_eq!(float_repr(1e16), "1e+16");
//! assert_eq!(float_repr(100.0), "100.0");
//! let mut out = String::new();
//! write_json_string(&mut out, "é\n");
//! assert_eq!(out, r#""\u00e9\n""#);
//! assert_eq!(python_str(&json!([1.0, "a", null, true])), "[1.0, 'a', None, True]");
//! assert_eq!(python_json(&json!({"a": [1, "é"]})), r#"{"a": [1, "\u00e9"]}"#);
//! assert!(!truthy(&json!({})) && !truthy(&json!(0.0)) && truthy(&json!(" ")));
//! ```

use serde_json::Value;
use std::fmt::Write as _;

/// `s` as `json.dumps` writes a string with `ensure_ascii`: quoted, every
/// character outside printable ASCII as `\uXXXX` (a surrogate pair above
/// U+FFFF), and `\"` `\\` `\n` `\r` `\t` `\b` `\f`; `/` as it is.
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

/// A float as Python's `repr` writes it: the shortest digits that read
/// back (the even one of two equally near), in fixed notation with at
/// least one decimal when the exponent is in [-4, 16), in scientific
/// notation (`1e+16`, `1.5e-07`) otherwise; NaN and the infinities as
/// `json.dumps` writes them (`NaN`, `Infinity`, `-Infinity`).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let (digits, exponent) = shortest_digits(f);
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let text = if point <= 0 {
            format!("0.{}{}", "0".repeat(point.unsigned_abs() as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{text}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.unsigned_abs())
    }
}

/// The shortest decimal digits that read back as `x` (finite, not 0;
/// its sign ignored) and the exponent of the first digit, as Python's
/// `repr` chooses them. Rust's shortest digits are the same but where two
/// candidates are equally near `x` (`-1695989362534097.25` is as near
/// `…097.2` as `…097.3`): Python takes the even one, Rust the upper.
fn shortest_digits(x: f64) -> (String, i32) {
    let split = |text: &str| -> (String, i32) {
        let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
        (
            mantissa.chars().filter(char::is_ascii_digit).collect(),
            exponent.parse().unwrap_or(0),
        )
    };
    let x = x.abs();
    let (digits, exponent) = split(&format!("{x:e}"));
    let n = digits.len();
    // Two candidates of n digits can both read back only from 16 on.
    if n < 16 {
        return (digits, exponent);
    }
    let (exact, exact_exponent) = split(&format!("{x:.800e}"));
    let exact = exact.trim_end_matches('0');
    if exact_exponent != exponent || exact.len() != n + 1 || !exact.ends_with('5') {
        return (digits, exponent);
    }
    let lower = &exact[..n];
    let reads_back = |d: &str| {
        format!("{}.{}e{exponent}", &d[..1], &d[1..])
            .parse::<f64>()
            .is_ok_and(|y| y == x)
    };
    let even = |d: &str| d.as_bytes().last().is_some_and(|b| (b - b'0') % 2 == 0);
    if even(lower) && reads_back(lower) {
        return (lower.to_owned(), exponent);
    }
    (digits, exponent)
}

/// Python's `str()` of a value read from JSON: a string as it is, `True`,
/// `None`, `3`, `2.0`, `1e-05`, `[1, 'a']`, `{'k': 'v'}`.
pub fn python_str(v: &Value) -> String {
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
pub fn python_json(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out, Dialect::Json);
    out
}

/// Python's truthiness of a value read from JSON: `None`, `False`, zero,
/// and empty strings, lists and mappings are false.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // The halfway cases are written as their exact values, which clippy
    // takes for more precision than a float holds.
    #[allow(clippy::excessive_precision)]
    fn floats_print_as_python_repr() {
        for (f, repr) in [
            (1.0, "1.0"),
            (100.0, "100.0"),
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (0.1, "0.1"),
            (-0.0, "-0.0"),
            (123456789.123, "123456789.123"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e15, "1000000000000000.0"),
            (2.5e300, "2.5e+300"),
            (-2.5, "-2.5"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (9.999e-5, "9.999e-05"),
            (123.456, "123.456"),
            (-2.5e-7, "-2.5e-07"),
            (2.0, "2.0"),
            (1e22, "1e+22"),
            (1.2345678901234568e16, "1.2345678901234568e+16"),
            (9999999999999998.0, "9999999999999998.0"),
            (0.30000000000000004, "0.30000000000000004"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            // Exactly halfway between two shortest candidates: Python
            // takes the even one, Rust's formatter the upper.
            (-1_695_989_362_534_097.25, "-1695989362534097.2"),
            (-1_381_229_217_983_618.25, "-1381229217983618.2"),
            (1_355_092_342_531_811.25, "1355092342531811.2"),
        ] {
            assert_eq!(float_repr(f), repr, "{f:e}");
        }
    }

    #[test]
    fn strings_escape_as_python_ensure_ascii() {
        let mut out = String::new();
        write_json_string(&mut out, "é中😀\"\\\n\r\t\u{8}\u{c}/\u{1}\u{7f}");
        assert_eq!(
            out,
            r#""\u00e9\u4e2d\ud83d\ude00\"\\\n\r\t\b\f/\u0001\u007f""#
        );
    }

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
