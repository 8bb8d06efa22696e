//! Numbers as chaoslib's range tolerance compares them: through Python's
//! `Decimal`, exactly. A string is read as `Decimal` reads it (spaces
//! around it, `_` between digits, any Unicode decimal digit, `Infinity`),
//! and a float is its exact binary value, so `"0.3"` is above the bound
//! `0.3`, whose float is 0.29999999999999998889…

use std::cmp::Ordering;
use std::sync::LazyLock;

use serde_json::Value;

/// A number exactly: its sign, and its significant digits `d1 d2 …` and
/// `point`, for the value `0.d1d2… × 10^point`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Exact {
    Finite {
        negative: bool,
        /// No leading nor trailing zeros; empty for zero.
        digits: Vec<u8>,
        point: i64,
    },
    Infinite {
        negative: bool,
    },
}

impl Exact {
    /// The value as `Decimal(value)` has it; `None` where Python raises
    /// (`NaN`, which cannot be compared, included).
    pub(crate) fn of(value: &Value) -> Option<Self> {
        match value {
            Value::Bool(b) => Self::parse(if *b { "1" } else { "0" }),
            Value::Number(n) if n.is_f64() => Self::of_float(n.as_f64()?),
            Value::Number(n) => Self::parse(&n.to_string()),
            Value::String(s) => Self::parse(s),
            _ => None,
        }
    }

    fn of_float(x: f64) -> Option<Self> {
        if x.is_nan() {
            return None;
        }
        if x.is_infinite() {
            return Some(Self::Infinite { negative: x < 0.0 });
        }
        // 1,100 significant digits hold any double's exact expansion.
        Self::parse(&format!("{x:.1100e}"))
    }

    /// Python's `Decimal` syntax: `[sign] (digits [. digits] | . digits)
    /// [e [sign] digits]`, or `Infinity`/`Inf`; case does not matter, and
    /// the spaces around it and single `_` between digits are dropped.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = crate::pystr::strip(text);
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        if rest.eq_ignore_ascii_case("infinity") || rest.eq_ignore_ascii_case("inf") {
            return Some(Self::Infinite { negative });
        }
        let chars: Vec<char> = rest.chars().collect();
        let mut at = 0;
        let integer = digits(&chars, &mut at)?;
        let fraction = if chars.get(at) == Some(&'.') {
            at += 1;
            digits(&chars, &mut at)?
        } else {
            Vec::new()
        };
        if integer.is_empty() && fraction.is_empty() {
            return None;
        }
        let mut exponent: i64 = 0;
        if matches!(chars.get(at), Some('e' | 'E')) {
            at += 1;
            let sign = match chars.get(at) {
                Some('-') => {
                    at += 1;
                    -1
                }
                Some('+') => {
                    at += 1;
                    1
                }
                _ => 1,
            };
            let power = digits(&chars, &mut at)?;
            if power.is_empty() {
                return None;
            }
            for d in power {
                exponent = exponent.checked_mul(10)?.checked_add(i64::from(d))?;
            }
            exponent *= sign;
        }
        if at != chars.len() {
            return None;
        }
        let point = i64::try_from(integer.len()).ok()?.checked_add(exponent)?;
        let mut all = integer;
        all.extend(fraction);
        let leading = all.iter().take_while(|d| **d == 0).count();
        let mut digits = all.split_off(leading);
        while digits.last() == Some(&0) {
            digits.pop();
        }
        let point = point.checked_sub(i64::try_from(leading).ok()?)?;
        Some(Self::Finite {
            negative: negative && !digits.is_empty(),
            point: if digits.is_empty() { 0 } else { point },
            digits,
        })
    }
}

impl PartialOrd for Exact {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(compare(self, other))
    }
}

fn compare(a: &Exact, b: &Exact) -> Ordering {
    let sign = |x: &Exact| match x {
        Exact::Infinite { negative: true } => -2,
        Exact::Finite { negative: true, .. } => -1,
        Exact::Finite { digits, .. } if digits.is_empty() => 0,
        Exact::Finite { .. } => 1,
        Exact::Infinite { negative: false } => 2,
    };
    match (a, b) {
        (
            Exact::Finite {
                negative,
                digits: da,
                point: pa,
            },
            Exact::Finite {
                digits: db,
                point: pb,
                ..
            },
        ) if sign(a) == sign(b) && !da.is_empty() => {
            let magnitude = pa.cmp(pb).then_with(|| da.cmp(db));
            if *negative {
                magnitude.reverse()
            } else {
                magnitude
            }
        }
        _ => sign(a).cmp(&sign(b)),
    }
}

/// The decimal digits from `at` on, with single `_` between digits
/// dropped; `None` for a misplaced `_`.
fn digits(chars: &[char], at: &mut usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(&c) = chars.get(*at) {
        if c == '_' {
            let between =
                !out.is_empty() && chars.get(*at + 1).is_some_and(|n| digit(*n).is_some());
            if !between {
                return None;
            }
            *at += 1;
            continue;
        }
        let Some(d) = digit(c) else { break };
        out.push(d);
        *at += 1;
    }
    Some(out)
}

/// A decimal digit's value: ASCII, or any of Unicode's (`٣` is 3).
/// Unicode's decimal digits come in runs of ten, zero to nine.
fn digit(c: char) -> Option<u8> {
    if let Some(d) = c.to_digit(10) {
        return u8::try_from(d).ok();
    }
    if c.is_ascii() {
        return None;
    }
    static DECIMAL: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"^\d$").ok());
    let decimal = DECIMAL.as_ref()?;
    let is_digit = |c: char| decimal.is_match(c.encode_utf8(&mut [0; 4]));
    if !is_digit(c) {
        return None;
    }
    let mut zero = c;
    while let Some(before) = u32::from(zero)
        .checked_sub(1)
        .and_then(char::from_u32)
        .filter(|b| is_digit(*b))
    {
        zero = before;
    }
    u8::try_from((u32::from(c) - u32::from(zero)) % 10).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn exact(v: &Value) -> Exact {
        Exact::of(v).unwrap_or_else(|| panic!("{v}"))
    }

    #[test]
    fn reads_what_decimal_reads() {
        for (text, same_as) in [
            ("  3 ", "3"),
            ("2.5\n", "2.50"),
            ("1_000", "1000"),
            ("+5", "5"),
            ("٣", "3"),
            ("١٠", "10"),
            ("1e2", "100"),
            ("1E-2", "0.01"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-0", "0"),
            ("0e5", "0"),
            ("inf", "Infinity"),
        ] {
            assert_eq!(Exact::parse(text), Exact::parse(same_as), "{text:?}");
        }
        for bad in [
            "", "0x10", "1__0", "_1", "1_", "nan", "1e", ".", "1.2.3", "- 1", "e5",
        ] {
            assert_eq!(Exact::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Exact::of(&json!(null)), None);
        assert_eq!(Exact::of(&json!({"a": 1})), None);
    }

    #[test]
    fn compares_exactly_as_decimal_does() {
        // Decimal(0.3) is 0.299999999999999988897769753748…
        assert!(exact(&json!("0.3")) > exact(&json!(0.3)));
        assert!(exact(&json!("0.1")) < exact(&json!(0.1)));
        assert!(exact(&json!("0.30000000000000001")) > exact(&json!(0.3)));
        assert!(exact(&json!(0.3)) == exact(&json!(0.3)));
        assert!(exact(&json!("3")) == exact(&json!(3)));
        assert!(exact(&json!("3")) == exact(&json!(3.0)));
        assert!(exact(&json!(true)) == exact(&json!(1)));
        assert!(exact(&json!("-2")) < exact(&json!(-1)));
        assert!(exact(&json!("-0.5")) > exact(&json!(-1)));
        assert!(exact(&json!("0")) > exact(&json!(-1e-300)));
        assert!(exact(&json!("-inf")) < exact(&json!(-1e300)));
        assert!(exact(&json!("Infinity")) > exact(&json!(1e308)));
        assert!(exact(&json!("12345678901234567890123")) > exact(&json!(u64::MAX)));
        assert!(exact(&json!("1e400")) > exact(&json!(1e308)));
        assert!(exact(&json!(5e-324)) > exact(&json!("0")));
    }
}
