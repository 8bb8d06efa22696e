//! YAML as chaoslib reads it: PyYAML's `safe_load`, YAML 1.1. An
//! unquoted `yes`, `no`, `on` or `off` is a boolean, `012` is octal, `1_000`
//! and `1:20` (sexagesimal) are integers, `1:20.5` a float, `1e3` (no dot) is a string;
//! anchors, aliases and `<<` merge keys work; a later duplicate key wins.
//! A tag outside YAML's core ones (`!custom`, `!!python/…`, `!!binary`)
//! is refused, naming its path, where PyYAML would build a Python object.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// How deep collections may nest (as the loader's bracket check).
const MAX_DEPTH: usize = crate::load::MAX_DEPTH;

/// How many values anchors and aliases may copy in one file, at least: a
/// few aliases of a big anchor are fine; a "billion laughs", or anchors
/// nested around a big list (each keeps a copy of all inside it), are
/// refused. A file may copy as many values as it has bytes, if more.
const MAX_COPIED: usize = 1_000_000;

/// One open collection, and the key awaiting its value in a mapping.
enum Open {
    List(Vec<Value>, usize, String),
    Mapping {
        entries: Vec<(Key, Value)>,
        key: Option<Key>,
        anchor: usize,
        path: String,
    },
}

/// A mapping key: its text, or `<<` for a merge.
#[derive(Clone)]
enum Key {
    Text(String),
    Merge,
}

/// Parses one YAML document into JSON values.
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    check_characters(text)?;
    let mut parser = Parser::new_from_str(text);
    let mut anchors: std::collections::HashMap<usize, Value> = std::collections::HashMap::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut documents = 0;
    let mut root: Option<Value> = None;
    let mut copied = 0usize;
    let limit = MAX_COPIED.max(text.len());
    let mut copy = |value: &Value| -> Result<Value, String> {
        copied = copied.saturating_add(crate::value_size(value));
        if copied > limit {
            return Err(format!(
                "invalid YAML: anchors and aliases copy more than {limit} values"
            ));
        }
        Ok(value.clone())
    };
    loop {
        let (event, _) = parser
            .next_token()
            .map_err(|e| format!("invalid YAML: {e}"))?;
        let (value, anchor) = match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err("invalid YAML: a file holds one document, this one more".into());
                }
                continue;
            }
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => continue,
            Event::Alias(id) => {
                let Some(anchored) = anchors.get(&id) else {
                    return Err(format!(
                        "invalid YAML: an alias at {} names no anchor",
                        current_path(&stack)
                    ));
                };
                (copy(anchored)?, 0)
            }
            Event::Scalar(text, style, anchor, tag) => {
                // A plain `<<` key merges mappings into this one.
                if let Some(Open::Mapping {
                    key: key @ None, ..
                }) = stack.last_mut()
                {
                    if style == TScalarStyle::Plain && tag.is_none() && text == "<<" {
                        *key = Some(Key::Merge);
                        continue;
                    }
                }
                // Only a tagged scalar can be refused: its path, then.
                let path = tag
                    .as_ref()
                    .map(|_| current_path(&stack))
                    .unwrap_or_default();
                (scalar(text, style, tag.as_ref(), &path)?, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let path = current_path(&stack);
                check_collection_tag(tag.as_ref(), "seq", &path)?;
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "invalid YAML: nested deeper than {MAX_DEPTH} levels at {path}"
                    ));
                }
                stack.push(Open::List(Vec::new(), anchor, path));
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                let path = current_path(&stack);
                check_collection_tag(tag.as_ref(), "map", &path)?;
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "invalid YAML: nested deeper than {MAX_DEPTH} levels at {path}"
                    ));
                }
                stack.push(Open::Mapping {
                    entries: Vec::new(),
                    key: None,
                    anchor,
                    path,
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Open::List(items, anchor, _)) => (Value::Array(items), anchor),
                _ => return Err("invalid YAML: a list ends that did not start".into()),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Open::Mapping {
                    entries,
                    anchor,
                    path,
                    ..
                }) => (mapping(entries, &path)?, anchor),
                _ => return Err("invalid YAML: a mapping ends that did not start".into()),
            },
        };
        if anchor > 0 {
            anchors.insert(anchor, copy(&value)?);
        }
        match stack.last_mut() {
            None => root = Some(value),
            Some(Open::List(items, ..)) => items.push(value),
            Some(Open::Mapping {
                entries, key, path, ..
            }) => match key.take() {
                None => *key = Some(key_of(value, path)?),
                Some(k) => entries.push((k, value)),
            },
        }
    }
    Ok(root.unwrap_or(Value::Null))
}

/// PyYAML's reader refuses a character outside its printable set (a
/// control character, DEL, U+0080 to U+009F but NEL, U+FFFE, U+FFFF), and
/// takes NEL, U+2028 and U+2029 as line breaks, which the YAML 1.2 parser
/// here reads as text: either would give another value than chaos gives,
/// so both are refused with their place. Escaped in a double-quoted
/// string (`"\u2028"`), they are read as chaos reads them.
fn check_characters(text: &str) -> Result<(), String> {
    let printable = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    };
    let line_break = |c: char| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}');
    let Some(at) = text.find(|c: char| !printable(c) || line_break(c)) else {
        return Ok(());
    };
    let c = text[at..].chars().next().unwrap_or_default();
    let line = text[..at].matches('\n').count() + 1;
    let column = text[..at]
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .chars()
        .count()
        + 1;
    let code = format!("U+{:04X}", u32::from(c));
    Err(if line_break(c) {
        format!(
            "invalid YAML: a raw {code} at line {line}, column {column}: YAML 1.1, which chaos reads, takes it as a line break; write it escaped (\\u{:04x}) in a double-quoted string",
            u32::from(c)
        )
    } else {
        format!(
            "invalid YAML: the character {code} at line {line}, column {column} is not allowed in YAML (chaos' reader refuses it); write it escaped (\\u{:04x}) in a double-quoted string",
            u32::from(c)
        )
    })
}

/// Where the next value goes, as a JSON path.
fn current_path(stack: &[Open]) -> String {
    match stack.last() {
        None => "$".into(),
        Some(Open::List(items, _, path)) => format!("{path}[{}]", items.len()),
        Some(Open::Mapping {
            key: None, path, ..
        }) => path.clone(),
        Some(Open::Mapping {
            key: Some(Key::Text(k)),
            path,
            ..
        }) => format!("{path}.{k}"),
        Some(Open::Mapping {
            key: Some(Key::Merge),
            path,
            ..
        }) => format!("{path}.<<"),
    }
}

/// A key as JSON has it: a string, or the JSON text of another value
/// (`true`, `1`), as Python's `json.dumps` writes a dictionary's keys. A
/// list or a mapping as a key is refused, as PyYAML refuses it (an
/// "unhashable key").
fn key_of(value: Value, path: &str) -> Result<Key, String> {
    match value {
        Value::String(s) => Ok(Key::Text(s)),
        Value::Null => Ok(Key::Text("null".into())),
        Value::Array(_) | Value::Object(_) => Err(format!(
            "invalid YAML: a key of the mapping at {path} is a {}, which a mapping cannot have as a key",
            if value.is_array() { "list" } else { "mapping" }
        )),
        other => Ok(Key::Text(other.to_string())),
    }
}

/// A mapping as PyYAML 6 builds it: the merged mappings' pairs first, in
/// their order, then its own; a later pair replaces an earlier one's
/// value where the earlier stands. (For a one-letter key merged from two
/// mappings, PyYAML keeps the first: it compares keys by identity, and
/// Python shares one-letter strings.)
fn mapping(entries: Vec<(Key, Value)>, path: &str) -> Result<Value, String> {
    let mut merged: Vec<(String, Value)> = Vec::new();
    let mut own: Vec<(String, Value)> = Vec::new();
    for (key, value) in entries {
        match key {
            Key::Text(k) => own.push((k, value)),
            Key::Merge => {
                let maps = match value {
                    Value::Object(map) => vec![map],
                    Value::Array(items) => items
                        .into_iter()
                        .map(|item| match item {
                            Value::Object(map) => Ok(map),
                            _ => Err(format!(
                                "invalid YAML: a merge (<<) at {path} takes mappings"
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                    _ => {
                        return Err(format!(
                            "invalid YAML: a merge (<<) at {path} takes a mapping or a list of mappings"
                        ));
                    }
                };
                for map in maps {
                    merged.extend(map);
                }
            }
        }
    }
    let mut map = Map::new();
    for (k, v) in merged.into_iter().chain(own) {
        map.insert(k, v);
    }
    Ok(Value::Object(map))
}

/// The non-specific tag `!`, which PyYAML reads as no tag at all.
fn non_specific(tag: &Tag) -> bool {
    (tag.handle.is_empty() && tag.suffix == "!") || (tag.handle == "!" && tag.suffix.is_empty())
}

fn check_collection_tag(tag: Option<&Tag>, core: &str, path: &str) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(t) if non_specific(t) => Ok(()),
        Some(t) if t.handle == "tag:yaml.org,2002:" && t.suffix == core => Ok(()),
        Some(t) => Err(refused(t, path)),
    }
}

fn refused(tag: &Tag, path: &str) -> String {
    let name = if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    };
    format!("the YAML tag '{name}' at {path} is not supported: files are read as plain data")
}

/// A scalar: a quoted or block one is a string; a plain one is resolved
/// as YAML 1.1 resolves it; a core tag says what it is.
fn scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
    path: &str,
) -> Result<Value, String> {
    if let Some(tag) = tag.filter(|t| !non_specific(t)) {
        if tag.handle != "tag:yaml.org,2002:" {
            return Err(refused(tag, path));
        }
        // The value is not quoted: a var file's may be a secret.
        let bad = |what: &str| format!("invalid YAML: the value at {path} is not {what}");
        return match tag.suffix.as_str() {
            "str" => Ok(Value::String(text)),
            "null" => Ok(Value::Null),
            "bool" => boolean(&text)
                .map(Value::Bool)
                .ok_or_else(|| bad("a boolean")),
            "int" => integer(&text).ok_or_else(|| bad("an integer")),
            "float" => float(&text)
                .or_else(|| {
                    integer(&text)
                        .and_then(|v| v.as_f64())
                        .and_then(Number::from_f64)
                        .map(Value::Number)
                })
                .ok_or_else(|| bad("a float")),
            _ => Err(refused(tag, path)),
        };
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text));
    }
    if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = boolean(&text) {
        return Ok(Value::Bool(b));
    }
    Ok(integer(&text)
        .or_else(|| float(&text))
        .unwrap_or(Value::String(text)))
}

/// YAML 1.1's booleans, as PyYAML's resolver has them.
fn boolean(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// YAML 1.1's integers: `0b1010`, `012` (octal), `1_000`, `0x1F`, and
/// sexagesimal `1:20` (80), each with an optional sign.
fn integer(text: &str) -> Option<Value> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits = |s: &str, radix: u32| {
        !s.is_empty()
            && s.chars().all(|c| c == '_' || c.is_digit(radix))
            && s.chars().any(|c| c != '_')
    };
    let magnitude: i128 = if let Some(bin) = body.strip_prefix("0b") {
        if !digits(bin, 2) {
            return None;
        }
        i128::from_str_radix(&bin.replace('_', ""), 2).ok()?
    } else if let Some(hex) = body.strip_prefix("0x") {
        if !digits(hex, 16) {
            return None;
        }
        i128::from_str_radix(&hex.replace('_', ""), 16).ok()?
    } else if body.contains(':') {
        // Sexagesimal: `[1-9][0-9_]*(:[0-5]?[0-9])+`.
        let mut parts = body.split(':');
        let first = parts.next()?;
        if !digits(first, 10) || first.starts_with('0') || first.starts_with('_') {
            return None;
        }
        let mut total = first.replace('_', "").parse::<i128>().ok()?;
        for part in parts {
            let ok = (1..=2).contains(&part.len())
                && part.chars().all(|c| c.is_ascii_digit())
                && (part.len() == 1 || part.as_bytes().first().is_some_and(|b| *b <= b'5'));
            if !ok {
                return None;
            }
            total = total
                .checked_mul(60)?
                .checked_add(part.parse::<i128>().ok()?)?;
        }
        total
    } else if let Some(octal) = body.strip_prefix('0').filter(|rest| !rest.is_empty()) {
        // `0[0-7_]+`: underscores alone (`0_`) are 0, as PyYAML reads them.
        if !octal.chars().all(|c| c == '_' || c.is_digit(8)) {
            return None;
        }
        let octal = octal.replace('_', "");
        if octal.is_empty() {
            0
        } else {
            i128::from_str_radix(&octal, 8).ok()?
        }
    } else if body == "0" {
        0
    } else {
        if !digits(body, 10) || body.starts_with('_') {
            return None;
        }
        body.replace('_', "").parse::<i128>().ok()?
    };
    let value = if negative { -magnitude } else { magnitude };
    if let Ok(v) = i64::try_from(value) {
        return Some(Value::from(v));
    }
    if let Ok(v) = u64::try_from(value) {
        return Some(Value::from(v));
    }
    // Beyond 64 bits: Python keeps the integer; JSON here has its float.
    Number::from_f64(value as f64).map(Value::Number)
}

/// YAML 1.1's floats: a dot is required, an exponent has a sign (`1.5`,
/// `.5`, `1.0e+3`, `1_000.5`); `.inf`, `-.inf` and `.nan`, which JSON
/// cannot hold, are the text Python writes of them (`inf`, `-inf`, `nan`).
fn float(text: &str) -> Option<Value> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        // No JSON form; what Python writes of it, as text.
        return Some(Value::String(if negative { "-inf" } else { "inf" }.into()));
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(Value::String("nan".into()));
    }
    if body.contains(':') {
        return sexagesimal_float(negative, body);
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.')?;
    let whole_ok = whole.is_empty()
        || (whole.starts_with(|c: char| c.is_ascii_digit())
            && whole.chars().all(|c| c == '_' || c.is_ascii_digit()));
    let fraction_ok = fraction.chars().all(|c| c == '_' || c.is_ascii_digit());
    if !whole_ok || !fraction_ok || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    // `.5` takes no sign in YAML 1.1 (`-.5` is text).
    if whole.is_empty()
        && (text.len() != body.len() || !fraction.starts_with(|c: char| c.is_ascii_digit()))
    {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['+', '-'])?;
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let clean = format!(
        "{}{}.{}{}",
        if negative { "-" } else { "" },
        if whole.is_empty() { "0" } else { whole },
        if fraction.is_empty() { "0" } else { fraction },
        exponent.map(|e| format!("e{e}")).unwrap_or_default()
    )
    .replace('_', "");
    clean
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

/// A sexagesimal float, `[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`
/// (`190:20:30.15` is 685230.15), summed as PyYAML sums it: from the last
/// part, each times the next power of 60.
fn sexagesimal_float(negative: bool, body: &str) -> Option<Value> {
    let mut parts: Vec<&str> = body.split(':').collect();
    let last = parts.pop()?;
    let (seconds, fraction) = last.split_once('.')?;
    let first = parts.first()?;
    let base_ok = |p: &str| {
        (1..=2).contains(&p.len())
            && p.chars().all(|c| c.is_ascii_digit())
            && (p.len() == 1 || p.as_bytes().first().is_some_and(|b| *b <= b'5'))
    };
    if !first.starts_with(|c: char| c.is_ascii_digit())
        || !first.chars().all(|c| c == '_' || c.is_ascii_digit())
        || !parts[1..].iter().all(|p| base_ok(p))
        || !base_ok(seconds)
        || !fraction.chars().all(|c| c == '_' || c.is_ascii_digit())
    {
        return None;
    }
    let mut digits: Vec<f64> = Vec::with_capacity(parts.len() + 1);
    for p in &parts {
        digits.push(p.replace('_', "").parse::<f64>().ok()?);
    }
    digits.push(
        format!("{seconds}.{}0", fraction.replace('_', ""))
            .parse::<f64>()
            .ok()?,
    );
    let mut value = 0.0;
    let mut base = 1.0;
    for d in digits.iter().rev() {
        value += d * base;
        base *= 60.0;
    }
    Number::from_f64(if negative { -value } else { value }).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::parse;

    /// Each value read as PyYAML 6's `safe_load` reads it (recorded).
    #[test]
    fn scalars_as_pyyaml_resolves_them() {
        let text = "a: yes\nb: 'no'\nc: on\nd: 012\ne: 1_000\nf: 1:20\ng: ~\nh: .inf\n\
                    i: 0x1F\nj: 2024-01-02\nk: 1e3\nl: Off\nm: Y\nn: 0o17\no: 1.5\np: .5\n\
                    q: 1.0e+3\nr: -0b101\ns: \"1\"\nt: |\n  yes\nu: 1_000.5\nv: 0\nw: -0.0\n\
                    x: 190:20:30\ny: null\nz: 08\nza: 190:20:30.15\nzb: 0_\nzc: -1:2.5\n\
                    zd: 1:60.5\n";
        assert_eq!(
            parse(text).unwrap(),
            json!({"a": true, "b": "no", "c": true, "d": 10, "e": 1000, "f": 80,
                   "g": null, "h": "inf", "i": 31, "j": "2024-01-02", "k": "1e3",
                   "l": false, "m": "Y", "n": "0o17", "o": 1.5, "p": 0.5, "q": 1000.0,
                   "r": -5, "s": "1", "t": "yes\n", "u": 1000.5, "v": 0, "w": -0.0,
                   "x": 685_230, "y": null, "z": "08", "za": 685_230.15, "zb": 0,
                   "zc": -62.5, "zd": "1:60.5"})
        );
    }

    #[test]
    fn anchors_aliases_merges_and_duplicates() {
        // As PyYAML 6.0.4 reads it (recorded).
        let text = "base: &b {xx: 1, yy: 2}\nother: &o {yy: 3, zz: 4}\n\
                    one: {<<: *b, xx: 9}\ntwo: {<<: [*b, *o]}\nlist: [*b]\nk: 1\nk: 2\n";
        assert_eq!(
            parse(text).unwrap(),
            json!({"base": {"xx": 1, "yy": 2}, "other": {"yy": 3, "zz": 4},
                   "one": {"xx": 9, "yy": 2}, "two": {"xx": 1, "yy": 3, "zz": 4},
                   "list": [{"xx": 1, "yy": 2}], "k": 2})
        );
        // Keys that are not strings are written as JSON writes them.
        assert_eq!(
            parse("yes: 1\n2: b\n").unwrap(),
            json!({"true": 1, "2": "b"})
        );
    }

    #[test]
    fn what_is_refused() {
        for (text, expected) in [
            (
                "title: !custom hello",
                "the YAML tag '!custom' at $.title is not supported",
            ),
            (
                "a: [1, {b: !x {c: 1}}]",
                "the YAML tag '!x' at $.a[1].b is not supported",
            ),
            (
                "a: !!python/object/apply:os.system [x]",
                "the YAML tag '!!python/object/apply:os.system' at $.a",
            ),
            ("a: !!binary aGk=", "the YAML tag '!!binary' at $.a"),
            ("a: !!int s3cr3t", "the value at $.a is not an integer"),
            ("a: 1\n---\nb: 2\n", "one document"),
            ("a: {<<: 1}", "a merge (<<) at $.a takes a mapping"),
            ("a: [1, 2", "invalid YAML"),
            // PyYAML: "found unhashable key".
            (
                "a:\n  ? [x, y]\n  : 1\n",
                "a key of the mapping at $.a is a list",
            ),
            ("a: {{b: 1}: 2}", "a key of the mapping at $.a is a mapping"),
            (
                "a: 1\nb: x\u{2028}y",
                "a raw U+2028 at line 2, column 5: YAML 1.1, which chaos reads, takes it as a line break; write it escaped (\\u2028)",
            ),
            ("a: \"x\u{85}y\"", "a raw U+0085 at line 1, column 6"),
            (
                "a: \"x\u{1}y\"",
                "the character U+0001 at line 1, column 6 is not allowed in YAML",
            ),
            ("a: \u{7f}", "U+007F"),
            ("a: \u{fffe}", "U+FFFE"),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
        assert_eq!(parse("title: !!str 123").unwrap(), json!({"title": "123"}));
        // The non-specific tag is no tag, as PyYAML reads it.
        assert_eq!(
            parse("a: ! yes\nb: !\nc: ! [1, on]").unwrap(),
            json!({"a": true, "b": null, "c": [1, true]})
        );
        assert_eq!(parse("a: !!float 1").unwrap(), json!({"a": 1.0}));
        // A billion laughs.
        let mut laughs = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (i, c) in ('b'..='j').enumerate() {
            let prev = (b'a' + u8::try_from(i).unwrap()) as char;
            laughs.push_str(&format!("{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        assert!(
            parse(&laughs)
                .unwrap_err()
                .contains("aliases copy more than")
        );
        // Anchors nested around a big list each keep a copy of it: 200
        // levels of 50,000 values once took 700 MB.
        let inner = format!("[{}]", vec!["1"; 50_000].join(","));
        let chain: String = (0..200).map(|i| format!("&a{i} [")).collect();
        let chain = format!("x: {chain}{inner}{}", "]".repeat(200));
        assert!(
            parse(&chain)
                .unwrap_err()
                .contains("anchors and aliases copy more than")
        );
        // One anchor on a big list, used twice, is fine.
        let shared = format!("a: &big {inner}\nb: *big\nc: *big\n");
        assert_eq!(
            parse(&shared).unwrap()["c"].as_array().map(Vec::len),
            Some(50_000)
        );
        // Nesting by indentation is bounded too.
        let deep: String = (0..2000)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        assert!(parse(&deep).unwrap_err().contains("nested deeper than"));
        assert_eq!(parse("").unwrap(), json!(null));
    }
}
