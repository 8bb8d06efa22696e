//! Whether a probe's output is within its tolerance, with the Chaos
//! Toolkit's rules.

use std::borrow::Cow;

use serde_json::Value;

use crate::exact::Exact;
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
    // As chaoslib: a string tolerance is substituted first, and what it
    // becomes (`"${code}"` → 0) decides how the output is judged.
    let substituted;
    let tolerance = match tolerance {
        Value::String(_) => {
            substituted = substitute(tolerance, lookup);
            &substituted
        }
        other => other,
    };
    match tolerance {
        Value::Bool(t) => loose_eq(output, &Value::Bool(*t)),
        Value::String(t) => output.as_str() == Some(t.as_str()),
        Value::Number(_) => match output.get("status") {
            Some(status) if output.is_object() => loose_eq(status, tolerance),
            _ => loose_eq(output, tolerance),
        },
        Value::Array(accepted) => {
            if let Some(status) = output.as_object().and_then(|m| m.get("status")) {
                return accepted.iter().any(|a| loose_eq(status, a));
            }
            // Two values are a range, compared as Python compares: numbers
            // exactly, strings by code point. Python raises on other types
            // (`1 <= "2"`): not met.
            if let [low, high] = accepted.as_slice() {
                return python_le(low, output) && python_le(output, high);
            }
            accepted.iter().any(|a| loose_eq(output, a))
        }
        Value::Object(spec) => {
            // What is judged: the output, or its `target` key. A target
            // the output does not have is never judged in its place but by
            // a JSON path, which chaoslib applies to the whole output; its
            // regex and range checks crash there, and so the tolerance is
            // not met.
            let kind = spec.get("type").and_then(Value::as_str);
            let target = match spec
                .get("target")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty() && kind != Some("probe"))
            {
                None => output,
                Some(t) => match output.as_object().map(|map| map.get(t)) {
                    Some(Some(value)) => value,
                    Some(None) if kind == Some("jsonpath") => output,
                    found => {
                        let keys = output.as_object().map(|map| {
                            map.keys()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        });
                        tracing::warn!(
                            target = t,
                            "the tolerance's target is not in the probe's output ({}); it is not met",
                            match (found, keys) {
                                (Some(_), Some(keys)) => format!("its keys: {keys}"),
                                _ => "the output is not a mapping".to_owned(),
                            }
                        );
                        return false;
                    }
                },
            };
            match kind {
                Some("range") => {
                    // As chaoslib compares: `Decimal(low) <= Decimal(value)
                    // <= Decimal(high)`, exactly. Where Python raises (a
                    // mapping, `NaN`), the tolerance is not met.
                    let range = spec.get("range").and_then(Value::as_array);
                    match (range.map(Vec::as_slice), Exact::of(target)) {
                        (Some([low, high]), Some(v)) => match (Exact::of(low), Exact::of(high)) {
                            (Some(low), Some(high)) => low <= v && v <= high,
                            _ => false,
                        },
                        _ => false,
                    }
                }
                Some("regex") => {
                    let pattern = substitute(spec.get("pattern").unwrap_or(&Value::Null), lookup);
                    let Some(pattern) = pattern.as_str().and_then(|p| compile_regex(p).ok()) else {
                        return false;
                    };
                    let text = match target {
                        Value::String(s) => Cow::Borrowed(s.as_str()),
                        other => Cow::Owned(other.to_string()),
                    };
                    // Look-around and back-references backtrack, as in
                    // Python; a search that backtracks past the limit is
                    // not met, and says so.
                    pattern.is_match(&*text).unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "a regex tolerance cannot be checked; it is not met");
                        false
                    })
                }
                Some("jsonpath") => jsonpath(spec, target, lookup),
                Some("probe") => probe(output.clone()).await,
                _ => false,
            }
        }
        Value::Null => false,
    }
}

fn jsonpath(spec: &serde_json::Map<String, Value>, value: &Value, lookup: &Lookup<'_>) -> bool {
    let path = substitute(spec.get("path").unwrap_or(&Value::Null), lookup);
    let Some(path) = path.as_str().and_then(|p| compile_jsonpath(p).ok()) else {
        return false;
    };
    // A JSON document in a string (e.g. an http body) is parsed first.
    let parsed;
    let value = match value {
        Value::String(s) => {
            parsed = crate::load::parse_json(s).unwrap_or_else(|_| value.clone());
            &parsed
        }
        other => other,
    };
    let found = match path.query(value) {
        Ok(found) => found,
        Err(reason) => {
            tracing::warn!(%reason, "a JSON path tolerance cannot be checked; it is not met");
            return false;
        }
    };
    let mut ok = !found.is_empty();
    // Python's `len(values) == count`: `2.0` and `true` can be equal to a
    // length, a string never is.
    if let Some(count) = spec.get("count").filter(|c| !c.is_null()) {
        ok = loose_eq(&Value::from(found.len()), count);
    }
    if let Some(expect) = spec.get("expect") {
        let expect = substitute(expect, lookup);
        ok = match expect {
            Value::Array(list) => {
                list.len() == found.len() && list.iter().zip(&found).all(|(a, b)| loose_eq(a, b))
            }
            one => matches!(found.as_slice(), [only] if loose_eq(only, &one)),
        };
    }
    ok
}

/// Python's `==` between JSON values: numbers by value (`1 == 1.0`), and
/// `true == 1`, `false == 0`.
pub(crate) fn loose_eq(a: &Value, b: &Value) -> bool {
    let whole = |v: &Value| match v {
        Value::Bool(b) => Some(i128::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        _ => None,
    };
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => {
            x.as_f64() == y.as_f64()
        }
        (Value::Number(_) | Value::Bool(_), Value::Number(_) | Value::Bool(_)) => {
            match (whole(a), whole(b)) {
                (Some(x), Some(y)) => x == y,
                // A whole number and a float: exactly, as Python compares.
                _ => Exact::of(a).is_some_and(|x| Exact::of(b).is_some_and(|y| x == y)),
            }
        }
        _ => a == b,
    }
}

/// Python's `a <= b` for a list tolerance's range: numbers (booleans
/// among them) exactly, strings by code point; false where Python raises.
fn python_le(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) => a <= b,
        (Value::Number(_) | Value::Bool(_), Value::Number(_) | Value::Bool(_)) => {
            match (Exact::of(a), Exact::of(b)) {
                (Some(a), Some(b)) => a <= b,
                _ => false,
            }
        }
        _ => false,
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
            // Two strings are a range too, by code point, as in Python.
            (json!(["a", "b"]), json!("ab"), true),
            // Python raises on `1 <= "5"`: not met.
            (json!([1, 10]), json!("5"), false),
            (json!([1, 10]), json!(true), true),
            (json!([0.1, 0.3]), json!(0.3), true),
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
            // Decimal's reading of a string, and its exact comparison with
            // the float bounds: "0.3" is above 0.29999999999999998889…
            (
                json!({"type": "range", "range": [0.1, 0.3]}),
                json!("0.3"),
                false,
            ),
            (
                json!({"type": "range", "range": [0.1, 0.3]}),
                json!("0.2999999999999999"),
                true,
            ),
            (
                json!({"type": "range", "range": [999, 1001], "target": "stdout"}),
                json!({"status": 0, "stdout": "1_000\n", "stderr": ""}),
                true,
            ),
            (json!({"type": "range", "range": [0, 5]}), json!("٣"), true),
            // Where Python raises, not met.
            (
                json!({"type": "range", "range": [0, 5]}),
                json!("nan"),
                false,
            ),
            (
                json!({"type": "range", "range": [0, 5]}),
                json!({"a": 1}),
                false,
            ),
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
            // `len(values) == count`, as Python compares.
            (
                json!({"type": "jsonpath", "path": "${path}", "count": 2.0}),
                payload.clone(),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "${path}", "count": "2"}),
                payload.clone(),
                false,
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
            // jsonpath2's functions
            (
                json!({"type": "jsonpath", "path": "$.data.result.length()", "expect": 2}),
                payload.clone(),
                true,
            ),
            (
                json!({"type": "jsonpath", "path": "$.data.result.length()", "expect": 3}),
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

/// Why a regex or JSON path tolerance cannot be compiled once substituted,
/// if it cannot.
pub(crate) fn compile_error(tolerance: &Value, lookup: &Lookup<'_>) -> Option<String> {
    let spec = tolerance.as_object()?;
    let (key, what) = match spec.get("type").and_then(Value::as_str) {
        Some("regex") => ("pattern", "regular expression"),
        Some("jsonpath") => ("path", "JSON path"),
        _ => return None,
    };
    let written = spec.get(key).unwrap_or(&Value::Null);
    let substituted = substitute(written, lookup);
    let error = match &substituted {
        Value::String(p) if key == "pattern" => compile_regex(p).err()?,
        Value::String(p) => compile_jsonpath(p).err()?,
        other => format!("the {key} is {other}, not a string"),
    };
    // A secret `${}` put in would be quoted by the error: the tolerance is
    // then named as written. Configuration values are quoted, as the
    // journal holds them anyway.
    let empty = serde_json::Map::new();
    let without_secrets = Lookup {
        configuration: lookup.configuration,
        secrets: &empty,
    };
    if substitute(written, &without_secrets) == substituted {
        return Some(error);
    }
    Some(format!(
        "the {key} {written} is not a valid {what} once substituted"
    ))
}

/// How many steps a search with look-around or back-references may take:
/// enough for a few of them at each position of a 10 MiB output; a
/// pattern that backtracks without end stops there.
const BACKTRACK_LIMIT: usize = 100_000_000;

/// A regular expression with Python's `re.search` semantics: `$` (outside
/// a class, unescaped) also matches before a final newline, and a `{` that
/// does not start a repetition (`{name}`) is a literal brace, and the
/// Unicode property classes Python does not have (`\p`, `\P`) are refused
/// as Python refuses them, whatever tables the regex crate was built with.
/// Look-around, back-references (`\1`, `(?P=name)`) and atomic groups
/// work as in Python, through fancy-regex's backtracking; anything else
/// runs in linear time.
pub(crate) fn compile_regex(pattern: &str) -> Result<fancy_regex::Regex, String> {
    compile_regex_within(pattern, BACKTRACK_LIMIT)
}

fn compile_regex_within(pattern: &str, limit: usize) -> Result<fancy_regex::Regex, String> {
    let invalid =
        |e: &dyn std::fmt::Display| format!("invalid regular expression '{pattern}': {e}");
    fancy_regex::RegexBuilder::new(&python_regex(pattern).map_err(|e| invalid(&e))?)
        .backtrack_limit(limit)
        .build()
        .map_err(|e| invalid(&e))
}

fn python_regex(pattern: &str) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    // Whether `$` is the end of a line (the `m` flag), in each open group.
    let mut multiline = vec![false];
    // Where each open group starts in `out`, and whether it is a
    // look-around.
    let mut groups: Vec<(usize, bool)> = Vec::new();
    // What Python's parser checks and the translation would not: the item
    // a quantifier repeats, the capturing groups a back-reference names.
    let mut prev = Prev::Nothing;
    let mut seen_item = false;
    let mut captures = Captures::default();
    // Per open group, whether it is a look-behind.
    let mut behind: Vec<bool> = Vec::new();
    // `(?x)`: spaces and `#` comments are no items.
    let mut verbose = false;
    while i < chars.len() {
        let c = chars[i];
        if verbose && !in_class {
            if c.is_whitespace() {
                out.push(c);
                i += 1;
                continue;
            }
            if c == '#' {
                let end = chars[i..]
                    .iter()
                    .position(|c| *c == '\n')
                    .map_or(chars.len(), |p| i + p);
                out.extend(&chars[i..end]);
                i = end;
                continue;
            }
        }
        match c {
            '\\' if !in_class => {
                prev = match chars.get(i + 1) {
                    Some('b' | 'B' | 'A' | 'Z') => Prev::Anchor,
                    _ => Prev::Item,
                };
                seen_item = true;
                if let Some(d) = chars.get(i + 1).filter(|d| ('1'..='9').contains(*d)) {
                    // A back-reference, unless three octal digits: Python
                    // reads one or two digits as the group's number.
                    let three_octal = chars
                        .get(i + 1..i + 4)
                        .is_some_and(|o| o.iter().all(|c| c.is_digit(8)));
                    if !three_octal {
                        let mut number = d.to_digit(10).unwrap_or(0) as usize;
                        if let Some(second) = chars.get(i + 2).and_then(|c| c.to_digit(10)) {
                            number = number * 10 + second as usize;
                        }
                        captures.refer(number, i)?;
                    }
                }
            }
            _ => {}
        }
        match c {
            '\\' => {
                // The letters Python escapes; any other is an error there,
                // and may mean something else here (`\\K`, `\\G`, `\\p`).
                let known = if in_class {
                    "abdDfnrsStvwWxuUN"
                } else {
                    "abBdDfnrsStvwWxuUNAZ"
                };
                if let Some(next) = chars.get(i + 1).filter(|c| c.is_ascii_alphabetic()) {
                    if !known.contains(*next) {
                        return Err(format!("bad escape \\{next} at position {i}"));
                    }
                    if in_class && *next == 'b' {
                        // Python's `[\\b]` is a backspace.
                        out.push_str("\\x08");
                        i += 2;
                        continue;
                    }
                    if *next == 'N' {
                        return Err(format!(
                            "named characters (\\N{{…}}) are not supported here, at position {i}: write the character itself or \\u…"
                        ));
                    }
                }
                // Python's octal escapes: `\0` and up to two more octal
                // digits, or three octal digits (`\101` is `A`); other
                // digits are back-references.
                let octal: String = chars[i + 1..]
                    .iter()
                    .take(3)
                    .take_while(|c| c.is_digit(8))
                    .collect();
                let octal = match octal.as_bytes() {
                    [b'0', ..] => octal,
                    [_, _, _] => octal,
                    _ => String::new(),
                };
                if !octal.is_empty() {
                    let code = u32::from_str_radix(&octal, 8).unwrap_or(0);
                    if code > 0o377 {
                        return Err(format!(
                            "octal escape value \\{octal} outside of range 0-0o377 at position {i}"
                        ));
                    }
                    out.push_str(&format!("\\x{{{code:x}}}"));
                    i += 1 + octal.len();
                    continue;
                }
                out.push(c);
                if let Some(next) = chars.get(i + 1) {
                    // Python's \Z is the very end.
                    out.push(if *next == 'Z' { 'z' } else { *next });
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                // A `]` first in a class (after a `^`) is a member.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            ']' if in_class => {
                in_class = false;
                prev = Prev::Item;
            }
            // Python's classes do not nest, nor have set operations.
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
                i += 1;
                continue;
            }
            '(' if !in_class
                && chars.get(i + 1) == Some(&'?')
                && chars.get(i + 2) == Some(&'#') =>
            {
                // A comment, up to the first `)`.
                let Some(end) = chars[i..].iter().position(|c| *c == ')') else {
                    return Err(format!("missing ), unterminated comment at position {i}"));
                };
                i += end + 1;
                continue;
            }
            '$' if !in_class => {
                prev = Prev::Anchor;
                seen_item = true;
                if multiline.last().copied().unwrap_or(false) {
                    out.push_str("(?m:$)");
                } else if ends_a_branch(&chars[i + 1..]) && !behind.contains(&true) {
                    // Nothing follows in its branch: the final newline may
                    // as well be taken, and the search stays linear.
                    out.push_str("(?:\\n?\\z)");
                } else {
                    // Python's `$` takes nothing: what follows (`\\b`, a
                    // `\\n`) is matched before the final newline.
                    out.push_str("(?=\\n?\\z)");
                }
                i += 1;
                continue;
            }
            '(' if !in_class => {
                let outer = multiline.last().copied().unwrap_or(false);
                let group = flags(&chars[i + 1..]);
                if group.as_ref().is_some_and(|(on, _, _)| on.contains('a')) {
                    return Err(format!(
                        "the ASCII-only flag (?a) is not supported here, at position {i}: write [0-9] for \\d, [A-Za-z0-9_] for \\w"
                    ));
                }
                match group {
                    // `(?m)`: for the whole pattern, as Python has it.
                    Some((_, _, false)) if seen_item => {
                        return Err(format!(
                            "global flags not at the start of the expression at position {i}"
                        ));
                    }
                    Some((on, off, false)) => {
                        verbose |= on.contains('x');
                        let whole = on.contains('m') && !off.contains('m');
                        if let Some(base) = multiline.first_mut() {
                            *base |= whole;
                        }
                        if let Some(current) = multiline.last_mut() {
                            *current |= whole;
                        }
                        // Copied whole, up to its `)`: it opens no group.
                        let end = chars[i..]
                            .iter()
                            .position(|c| *c == ')')
                            .map_or(chars.len(), |p| i + p + 1);
                        out.extend(&chars[i..end]);
                        i = end;
                        continue;
                    }
                    // `(?m:…)` or `(?-m:…)`: for the group.
                    Some((on, off, true)) => {
                        multiline.push((outer || on.contains('m')) && !off.contains('m'));
                    }
                    None => multiline.push(outer),
                }
                let rest: String = chars[i + 1..].iter().take(3).collect();
                let lookaround = ["?=", "?!", "?<=", "?<!"]
                    .iter()
                    .any(|p| rest.starts_with(p));
                captures.open(&chars[i + 1..], i)?;
                behind.push(rest.starts_with("?<=") || rest.starts_with("?<!"));
                prev = Prev::Nothing;
                seen_item = true;
                groups.push((out.len(), lookaround));
                // The group's head (`?:`, `?P<name>`, `?<=`, `?i:`…) as
                // written: its `?` repeats nothing.
                let rest = &chars[i + 1..];
                let head = if rest.first() == Some(&'?') {
                    let until = |end: char, include: bool| {
                        rest.iter()
                            .position(|c| *c == end)
                            .map_or(rest.len(), |p| p + usize::from(include))
                    };
                    match rest.get(1) {
                        Some('P') if rest.get(2) == Some(&'<') => until('>', true),
                        Some('P') => until(')', false),
                        Some('<') => 3.min(rest.len()),
                        Some('=' | '!' | ':' | '>') => 2,
                        Some('(') => until(')', true),
                        _ => until(':', true),
                    }
                } else {
                    0
                };
                out.push('(');
                out.extend(&rest[..head]);
                i += 1 + head;
                continue;
            }
            ')' if !in_class => {
                if multiline.len() > 1 {
                    multiline.pop();
                }
                captures.close();
                behind.pop();
                prev = Prev::Item;
                out.push(')');
                i += 1;
                // Python repeats a look-around (`(?=x)?`); fancy-regex does
                // not. Repeated, it holds as once; optional, it may as well
                // not be there: `(?:(?=x)|)`.
                if let Some((start, true)) = groups.pop() {
                    if let Some((least, length)) = quantifier(&chars[i..]) {
                        check_repetition(&chars[i..], i)?;
                        if least == 0 {
                            out.insert_str(start, "(?:");
                            out.push_str("|)");
                        }
                        i += length;
                        prev = Prev::Repeat;
                    }
                }
                continue;
            }
            '{' if !in_class && !is_repetition(&chars[i..]) => {
                prev = Prev::Item;
                seen_item = true;
                out.push_str("\\{");
                i += 1;
                continue;
            }
            '}' if !in_class => {
                // A `}` that closes a repetition was copied with it.
                prev = Prev::Item;
                out.push_str("\\}");
                i += 1;
                continue;
            }
            '*' | '+' | '?' if !in_class => {
                prev.check_repeat(i)?;
                out.push(c);
                i += 1;
                // One lazy `?` or possessive `+` may follow.
                if let Some(m @ ('?' | '+')) = chars.get(i) {
                    out.push(*m);
                    i += 1;
                }
                prev = Prev::Repeat;
                continue;
            }
            '|' if !in_class => prev = Prev::Nothing,
            '^' if !in_class => {
                prev = Prev::Anchor;
                seen_item = true;
            }
            _ if !in_class && !matches!(c, '\\' | '[' | '{') => {
                prev = Prev::Item;
                seen_item = true;
            }
            _ => {}
        }
        if c == '{' && !in_class {
            prev.check_repeat(i)?;
            check_repetition(&chars[i..], i)?;
            // Copy the whole repetition `{n}`, `{n,}`, `{,m}`, `{n,m}`.
            let end = chars[i..]
                .iter()
                .position(|c| *c == '}')
                .map_or(i, |p| i + p);
            out.push('{');
            if chars.get(i + 1) == Some(&',') {
                // Python's `{,m}` is `{0,m}`.
                out.push('0');
            }
            out.extend(&chars[i + 1..=end]);
            i = end + 1;
            // One lazy `?` or possessive `+` may follow.
            if let Some(m @ ('?' | '+')) = chars.get(i) {
                out.push(*m);
                i += 1;
            }
            prev = Prev::Repeat;
            continue;
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

/// The item before a quantifier, as Python's parser sees it.
#[derive(Clone, Copy, PartialEq)]
enum Prev {
    /// The start of the pattern, a group or a branch.
    Nothing,
    /// `^`, `$`, `\A`, `\Z`, `\b`, `\B`: Python repeats none of them.
    Anchor,
    /// A quantifier: another one is Python's "multiple repeat".
    Repeat,
    /// Anything that can be repeated.
    Item,
}

impl Prev {
    fn check_repeat(self, at: usize) -> Result<(), String> {
        match self {
            Prev::Nothing | Prev::Anchor => Err(format!("nothing to repeat at position {at}")),
            Prev::Repeat => Err(format!("multiple repeat at position {at}")),
            Prev::Item => Ok(()),
        }
    }
}

/// `{n,m}` with `n` above `m` is an error in Python.
fn check_repetition(rest: &[char], at: usize) -> Result<(), String> {
    let Some(end) = rest.iter().position(|c| *c == '}') else {
        return Ok(());
    };
    if rest.first() != Some(&'{') {
        return Ok(());
    }
    let inner: String = rest[1..end].iter().collect();
    if let Some((low, high)) = inner.split_once(',') {
        if let (Ok(low), Ok(high)) = (low.parse::<u64>(), high.parse::<u64>()) {
            if low > high {
                return Err(format!(
                    "min repeat greater than max repeat at position {at}"
                ));
            }
        }
    }
    Ok(())
}

/// The capturing groups seen so far, as Python's parser counts them: a
/// back-reference must name one that is open no more, and a name is
/// given once.
#[derive(Default)]
struct Captures {
    /// Whether each group (from 1) is closed.
    closed: Vec<bool>,
    /// The group each name is.
    names: std::collections::HashMap<String, usize>,
    /// Per open parenthesis, the capturing group it opened.
    open: Vec<Option<usize>>,
}

impl Captures {
    /// A `(` and what follows it.
    fn open(&mut self, rest: &[char], at: usize) -> Result<(), String> {
        let name_until = |from: usize, end: char| -> String {
            rest.iter().skip(from).take_while(|c| **c != end).collect()
        };
        let head: String = rest.iter().take(3).collect();
        let number = if !head.starts_with('?') {
            Some(self.new_group())
        } else if head.starts_with("?P<") {
            let name = name_until(3, '>');
            let number = self.new_group();
            if let Some(was) = self.names.insert(name.clone(), number) {
                return Err(format!(
                    "redefinition of group name '{name}' as group {number}; was group {was} at position {at}"
                ));
            }
            Some(number)
        } else if head.starts_with("?P=") {
            let name = name_until(3, ')');
            match self.names.get(&name) {
                None => return Err(format!("unknown group name '{name}' at position {at}")),
                Some(n) if !self.closed[n - 1] => {
                    return Err(format!("cannot refer to an open group at position {at}"));
                }
                Some(_) => None,
            }
        } else if head.starts_with("?<") && !matches!(rest.get(2), Some('=' | '!')) {
            // Python 3.11 names a group only as `(?P<name>…)`.
            return Err(format!(
                "unknown extension ?<{} at position {at}",
                rest.get(2).copied().unwrap_or_default()
            ));
        } else {
            None
        };
        self.open.push(number);
        Ok(())
    }

    fn new_group(&mut self) -> usize {
        self.closed.push(false);
        self.closed.len()
    }

    /// A `)`.
    fn close(&mut self) {
        if let Some(Some(n)) = self.open.pop() {
            if let Some(closed) = self.closed.get_mut(n - 1) {
                *closed = true;
            }
        }
    }

    /// A back-reference `\n`.
    fn refer(&self, number: usize, at: usize) -> Result<(), String> {
        match self.closed.get(number.wrapping_sub(1)) {
            None => Err(format!("invalid group reference {number} at position {at}")),
            Some(false) => Err(format!("cannot refer to an open group at position {at}")),
            Some(true) => Ok(()),
        }
    }
}

/// A quantifier at the start of `rest` (`*`, `+`, `?`, `{n}`, `{n,}`,
/// `{,m}`, `{n,m}`, each perhaps lazy or possessive): the fewest times it
/// repeats, and how many characters it takes.
fn quantifier(rest: &[char]) -> Option<(u64, usize)> {
    let (least, mut length) = match rest.first()? {
        '*' | '?' => (0, 1),
        '+' => (1, 1),
        '{' if is_repetition(rest) => {
            let end = rest.iter().position(|c| *c == '}')?;
            let inner: String = rest.get(1..end)?.iter().collect();
            let least = inner.split(',').next().unwrap_or("");
            (least.trim().parse().unwrap_or(0), end + 1)
        }
        _ => return None,
    };
    if matches!(rest.get(length), Some('?' | '+')) {
        length += 1;
    }
    Some((least, length))
}

/// Whether what follows a `$` ends its branch: only closing parentheses
/// and quantifiers, up to a `|` or the end of the pattern.
fn ends_a_branch(rest: &[char]) -> bool {
    rest.iter()
        .find(|c| !matches!(c, ')' | '*' | '+' | '?' | '{' | '}' | ',' | '0'..='9'))
        .is_none_or(|c| *c == '|')
}

/// After `(`: the flags a `(?flags)` or `(?flags-flags:` group turns on
/// and off, and whether it is a group (`:`) rather than the whole
/// pattern's (`)`).
fn flags(rest: &[char]) -> Option<(String, String, bool)> {
    let body = rest.strip_prefix(&['?'])?;
    let end = body.iter().position(|c| matches!(c, ':' | ')'))?;
    let (on, off) = match body[..end].iter().position(|c| *c == '-') {
        Some(dash) => (&body[..dash], &body[dash + 1..end]),
        None => (&body[..end], &[][..]),
    };
    let letters = |part: &[char]| part.iter().all(|c| "aiLmsux".contains(*c));
    if end == 0 && body.first() != Some(&':') || !letters(on) || !letters(off) {
        return None;
    }
    Some((on.iter().collect(), off.iter().collect(), body[end] == ':'))
}

/// Whether `{…}` at the start of `rest` is a repetition.
fn is_repetition(rest: &[char]) -> bool {
    let Some(end) = rest.iter().position(|c| *c == '}') else {
        return false;
    };
    let inner: String = rest[1..end].iter().collect();
    let (low, high) = inner.split_once(',').unwrap_or((&inner, &inner));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    // `{,}` too: Python reads it as `{0,}`; `{}` is text.
    !inner.is_empty() && digits(low) && digits(high)
}

/// A JSON path in jsonpath2's dialect, as chaoslib reads it (see
/// [`crate::jsonpath`]).
pub(crate) fn compile_jsonpath(path: &str) -> Result<crate::jsonpath::JsonPath, String> {
    if path.trim().is_empty() {
        return Err("a JSON path cannot be empty".into());
    }
    crate::jsonpath::JsonPath::parse(path).map_err(|e| format!("invalid JSON path '{path}': {e}"))
}

#[cfg(test)]
mod dialect_tests {
    use super::*;

    #[test]
    fn python_regexes_mean_what_they_mean_in_python() {
        let search = |p: &str, s: &str| compile_regex(p).unwrap().is_match(s).unwrap();
        assert!(search("done$", "it is done\n"));
        assert!(!search("done$", "done\nnot"));
        assert!(search("^[0-9] {level} x$", "1 {level} x"));
        assert!(search("[0-9]{2}", "you are number 87"));
        assert!(!search("[0-9]{2}", "you are number 8"));
        assert!(search("a{,2}b", "aab"));
        assert!(search("[$]", "cost $"));
        assert!(search("a\\Z", "a"));
        assert!(compile_regex("[0-9").is_err());
        // Unicode as in Python 3: case folding, word characters, digits
        // and word boundaries.
        assert!(search("(?i)σ", "Σ"));
        assert!(search("^\\w+$", "été"));
        assert!(search("\\d", "٣"));
        assert!(search("\\bété\\b", "un été chaud"));
        // Python has no Unicode property classes.
        for (pattern, reason) in [
            ("\\p{Greek}", "bad escape \\p at position 0"),
            ("a\\PL", "bad escape \\P at position 1"),
            ("[\\pL]", "bad escape \\p at position 1"),
        ] {
            let error = compile_regex(pattern).unwrap_err();
            assert!(error.contains(reason), "{pattern}: {error}");
        }
        // An escaped backslash before a p is a backslash and a p.
        assert!(search("\\\\p", "a\\p"));
    }

    /// Cases compared with Python 3.11's `re.search`, side by side.
    #[test]
    fn python_regexes_beyond_linear_time_and_python_spellings() {
        let search = |p: &str, s: &str| {
            compile_regex(p)
                .unwrap_or_else(|e| panic!("{p}: {e}"))
                .is_match(s)
                .unwrap()
        };
        // Look-around, back-references and atomic groups.
        assert!(search("^(?!.*error).*$", "all fine"));
        assert!(!search("^(?!.*error).*$", "an error here"));
        assert!(search("foo(?=bar)", "foobar"));
        assert!(!search("(?<!a)b", "ab"));
        assert!(search("(?<=\\d{3})x", "123x"));
        assert!(search("(\\w)\\1", "hello"));
        assert!(search("(?P<word>\\w+) (?P=word)", "hey hey"));
        assert!(search("(?>a+)b", "aab"));
        // Python's spellings: comments, octal escapes, classes that do not
        // nest nor intersect, a backspace in a class.
        assert!(search("(?#a comment)a", "a"));
        assert!(search("\\101\\0", "A\0"));
        assert!(search("[\\101-\\103]+$", "ABC"));
        assert!(search("[[:alpha:]]", "a]"));
        assert!(!search("[[:alpha:]]", "a"));
        assert!(search("[a&&b]", "&"));
        assert!(search("[]a]", "]"));
        assert!(search("[^]a]", "b"));
        assert!(search("[]$]", "$"));
        assert!(search("[\\b]", "\u{8}"));
        // `$` in multi-line mode, for the pattern or a group.
        assert!(search("(?m)a$", "a\nb"));
        assert!(search("(?m:a$)", "a\nb"));
        assert!(!search("(?m)(?-m:a$)", "a\nb"));
        assert!(!search("a$", "a\nb"));
        assert!(search("(?x) a  # costs $5\n b $", "ab\n"));
        // A repeated look-around holds as once; an optional one need not.
        assert!(search("(?=ax){2,}a", "zaxb"));
        assert!(!search("(?=ay)+a", "zaxb"));
        assert!(search("(?=ay)?a", "zaxb"));
        assert!(!search("(?<=a)+b", "zaxb"));
        assert!(search("((?=x)?y)\\1", "yy"));
        // What Python's parser takes: a lazy or possessive quantifier, a
        // repeated group, flags at the start, `$` in a look-behind.
        assert!(search("a*?b", "aab") && search("a*+b", "aab") && search("a{1,2}?b", "ab"));
        assert!(search("(|a)+b", "ab") && search("(?i)(?m)A$", "a\nb"));
        assert!(search("(a)(b)\\2\\1", "abba") && search("(?P<n>a)(?P=n)", "aa"));
        assert!(search("(?<!$)a", "ab") && search("a(?<=a$)", "a\n") && !search("x(?<!$)", "x"));
        // `{,}` repeats as `*` does; `{}` is text.
        assert!(search("^a{,}$", "aaa") && search("x{}", "x{}"));
        // A verbose pattern's comments hold anything.
        assert!(search("(?x) a  # **note** \\1 (\n b", "ab"));
        // `$` takes no newline: what follows it matches before the last.
        assert!(search("1$\\b", "a.1\n"));
        assert!(search("a$\\n", "a\n"));
        assert!(search("(a$)|b", "a\n"));

        // What Python refuses, or this runner cannot do, is refused.
        for (pattern, reason) in [
            ("\\K", "bad escape \\K at position 0"),
            ("a\\G", "bad escape \\G at position 1"),
            ("[\\A]", "bad escape \\A at position 1"),
            ("\\N{BULLET}", "named characters"),
            ("(?a)\\w", "the ASCII-only flag (?a)"),
            ("\\400", "octal escape value \\400 outside of range"),
            ("(?#open", "unterminated comment"),
            // Python's parser errors, found by 11,000 generated patterns.
            ("^*", "nothing to repeat at position 1"),
            ("a|\\b{2}", "nothing to repeat at position 4"),
            ("x${1,3}", "nothing to repeat at position 2"),
            ("(+a)", "nothing to repeat at position 1"),
            ("a**", "multiple repeat at position 2"),
            ("a{2}{3}", "multiple repeat at position 4"),
            ("a{1,3}?+", "multiple repeat at position 7"),
            ("a{3,1}", "min repeat greater than max repeat at position 1"),
            ("(a\\1)", "cannot refer to an open group at position 2"),
            ("(a)\\2", "invalid group reference 2 at position 3"),
            ("\\1(a)", "invalid group reference 1 at position 0"),
            ("(?P=n)(?P<n>a)", "unknown group name 'n' at position 0"),
            (
                "(?P<n>a)(?P<n>b)",
                "redefinition of group name 'n' as group 2; was group 1",
            ),
            ("(?<n>a)", "unknown extension ?<n at position 0"),
            (
                "a(?i)b",
                "global flags not at the start of the expression at position 1",
            ),
            ("(?x) ^ *", "nothing to repeat at position 7"),
        ] {
            let error = compile_regex(pattern).unwrap_err();
            assert!(error.contains(reason), "{pattern}: {error}");
        }
    }

    #[test]
    fn a_search_that_backtracks_too_long_is_not_met() {
        let pattern = compile_regex_within("^(a|a)*(?=b)b$", 100_000).unwrap();
        let text = "a".repeat(40);
        // Python would take ages; the limit makes it an error, which a
        // tolerance reads as not met.
        assert!(pattern.is_match(&text).is_err());
    }

    proptest::proptest! {
        /// Any pattern translates without panicking; the translation
        /// compiles or is refused with a message.
        #[test]
        fn python_regex_translation_never_panics(pattern in "[\\\\$^{}()\\[\\],0-9a-zAZ.*+?|#&~<>=!:P-]{0,24}") {
            let _ = compile_regex(&pattern);
        }
    }
}
