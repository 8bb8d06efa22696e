//! `${name}` substitution, with the Chaos Toolkit's rules (Python's
//! `string.Template`, typed for whole-string placeholders).

use serde_json::{Map, Value};

/// Where names are looked up: the configuration first, then every secret
/// scope in order.
#[derive(Debug, Clone, Copy)]
pub struct Lookup<'a> {
    /// The resolved configuration.
    pub configuration: &'a Map<String, Value>,
    /// The resolved secrets, scope → values.
    pub secrets: &'a Map<String, Value>,
}

impl Lookup<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.configuration.get(name).or_else(|| {
            self.secrets
                .values()
                .find_map(|scope| scope.as_object().and_then(|m| m.get(name)))
        })
    }
}

/// Substitutes every string inside `value`, recursively (values, not keys).
///
/// - `${name}` and `$name` are replaced by the configuration's value, or a
///   secret's; configuration wins.
/// - A string that is exactly one `${name}` placeholder takes the value's
///   JSON type (`"${port}"` → `9090`); otherwise the value is interpolated
///   as text (`"$port"` → `"9090"`, as chaoslib's `TypedTemplate` gives).
/// - Unknown names and a lone `$` are left as they are; `$$` is `$`.
///
/// ```
/// use chaos_runner::{Lookup, substitute};
/// use serde_json::{Map, json};
///
/// let configuration: Map<_, _> = json!({"port": 9090, "host": "prom"}).as_object().unwrap().clone();
/// let secrets = Map::new();
/// let lookup = Lookup { configuration: &configuration, secrets: &secrets };
/// assert_eq!(substitute(&json!("${port}"), &lookup), json!(9090));
/// assert_eq!(substitute(&json!("http://$host:${port}/${nope}"), &lookup), json!("http://prom:9090/${nope}"));
/// ```
pub fn substitute(value: &Value, lookup: &Lookup<'_>) -> Value {
    substitute_names(value, lookup, None)
}

/// [`substitute`], or with `only`, the placeholders of that one name and
/// nothing else: `$$` and every other placeholder stay as written.
fn substitute_names(value: &Value, lookup: &Lookup<'_>, only: Option<&str>) -> Value {
    match value {
        Value::String(s) => substitute_str(s, lookup, only),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute_names(v, lookup, only))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_names(v, lookup, only)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A provider with `${}` substituted where chaoslib substitutes it: all
/// of it, but its `arguments` only when `arguments` says so, which is when
/// the run has a configuration or secrets (chaoslib's process, HTTP and
/// Python providers leave them as written otherwise, so that a shell's
/// `$$` stays `$$`). Left so, the arguments still take `runner_key`, the
/// value the runner adds to every run, which chaoslib does not have.
pub(crate) fn substitute_provider(
    provider: &Value,
    lookup: &Lookup<'_>,
    arguments: bool,
    runner_key: Option<&str>,
) -> Value {
    match provider.as_object() {
        Some(map) if !arguments => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), runner_key) {
                        ("arguments", Some(key)) => substitute_names(v, lookup, Some(key)),
                        ("arguments", None) => v.clone(),
                        _ => substitute(v, lookup),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        _ => substitute(provider, lookup),
    }
}

/// A placeholder at the start of `s`: its name and length.
fn placeholder(s: &str) -> Option<(&str, usize)> {
    let rest = s.strip_prefix('$')?;
    if let Some(inner) = rest.strip_prefix('{') {
        let end = inner.find('}')?;
        let name = &inner[..end];
        return is_identifier(name).then_some((name, end + 3));
    }
    let len = rest
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_alphabetic() || *c == '_' || (*i > 0 && c.is_ascii_digit()))
        .count();
    (len > 0).then(|| (&rest[..len], len + 1))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn substitute_str(s: &str, lookup: &Lookup<'_>, only: Option<&str>) -> Value {
    let get = |name: &str| {
        only.is_none_or(|o| o == name)
            .then(|| lookup.get(name))
            .flatten()
    };
    // Only `${name}` keeps the value's type: chaoslib's TypedTemplate
    // looks the whole string up by its braced group, so a whole `$name`
    // is interpolated as text (`"$port"` → `"9090"`).
    if let Some((name, len)) = placeholder(s).filter(|_| s.starts_with("${")) {
        if len == s.len() {
            return get(name)
                .cloned()
                .unwrap_or_else(|| Value::String(s.to_owned()));
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$$") {
            // Python's escape; kept as written when only one name is
            // replaced.
            out.push_str(if only.is_some() { "$$" } else { "$" });
            rest = after;
            continue;
        }
        match placeholder(tail) {
            Some((name, len)) => {
                match get(name) {
                    // as Python's str() writes it
                    Some(v) => out.push_str(&crate::pystr::python_str(v)),
                    None => out.push_str(&tail[..len]),
                }
                rest = &tail[len..];
            }
            None => {
                out.push('$');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    Value::String(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(cases: &[(Value, Value)]) {
        let configuration = json!({"port": 9090, "host": "prom", "flag": true, "ratio": 0.5, "list": [1, 2], "both": "from-config", "nothing": null})
            .as_object()
            .unwrap()
            .clone();
        let secrets =
            json!({"prom": {"token": "s3cr3t", "both": "from-secret"}, "other": {"user": "bob"}})
                .as_object()
                .unwrap()
                .clone();
        let lookup = Lookup {
            configuration: &configuration,
            secrets: &secrets,
        };
        for (input, expected) in cases {
            assert_eq!(&substitute(input, &lookup), expected, "{input}");
        }
    }

    #[test]
    fn the_chaos_toolkit_rules() {
        check(&[
            // whole-string placeholders keep the value's type
            (json!("${port}"), json!(9090)),
            // but `$name` alone is text, as Python's `str()` writes it
            (json!("$port"), json!("9090")),
            (json!("$flag"), json!("True")),
            (json!("$nothing"), json!("None")),
            (json!("${flag}"), json!(true)),
            (json!("${list}"), json!([1, 2])),
            (json!("${nothing}"), json!(null)),
            // interpolation
            (
                json!("http://${host}:${port}/x"),
                json!("http://prom:9090/x"),
            ),
            (json!("http://$host:$port"), json!("http://prom:9090")),
            (json!("on=${flag} r=${ratio}"), json!("on=True r=0.5")),
            // as Python's str() writes them, not as JSON
            (json!("l=${list} n=${nothing}"), json!("l=[1, 2] n=None")),
            (json!("Bearer ${token}"), json!("Bearer s3cr3t")),
            (json!("${user}"), json!("bob")),
            // configuration wins over secrets
            (json!("${both}"), json!("from-config")),
            // unknown names and odd dollars stay
            (json!("${unknown}"), json!("${unknown}")),
            (json!("a ${unknown} b"), json!("a ${unknown} b")),
            (json!("$5 and $"), json!("$5 and $")),
            (json!("$$host"), json!("$host")),
            (json!("${ host }"), json!("${ host }")),
            (json!("${host"), json!("${host")),
            (json!("$hostname"), json!("$hostname")),
            // recursion into lists and mappings, values only
            (
                json!({"${host}": ["${port}", {"x": "$host"}]}),
                json!({"${host}": [9090, {"x": "prom"}]}),
            ),
            (json!(42), json!(42)),
        ]);
    }
}
