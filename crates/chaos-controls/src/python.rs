//! Values written as Python writes them, which a Chaos Toolkit runner or
//! control needs wherever chaoslib's text must come out byte for byte: a
//! float as `repr()` writes it, and a string as `json.dumps` escapes it
//! with `ensure_ascii` (its default). The runner writes `${key}` text and
//! HTTP request bodies with them; `chaosprometheus::experiment_hash` hashes
//! what `json.dumps(experiment, sort_keys=True)` gives.
//!
//! ```
//! use chaos_controls::python::{float_repr, write_json_string};
//!
//! assert_eq!(float_repr(1e16), "1e+16");
//! assert_eq!(float_repr(100.0), "100.0");
//! let mut out = String::new();
//! write_json_string(&mut out, "é\n");
//! assert_eq!(out, r#""\u00e9\n""#);
//! ```

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
}
