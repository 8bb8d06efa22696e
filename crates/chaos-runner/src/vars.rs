//! Configuration and secrets: environment lookups and command-line
//! overrides.

use serde_json::{Map, Value};

use crate::Error;

/// Resolves the experiment's `configuration`: plain values stay as they
/// are; `{"type": "env", "key", "default", "env_var_type"}` reads the
/// environment. `overrides` (from `--var` and var files) win over the keys
/// the experiment declares, even an environment value that is missing;
/// keys it does not declare are dropped, as chaoslib drops them.
pub fn resolve_configuration(
    configuration: Option<&Value>,
    overrides: &Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    resolve_configuration_in(configuration, overrides, &Map::new())
}

/// [`resolve_configuration`], with variables from `.env` files that win
/// over the process environment.
pub(crate) fn resolve_configuration_in(
    configuration: Option<&Value>,
    overrides: &Map<String, Value>,
    environment: &Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    let mut out = Map::new();
    if let Some(Value::Object(map)) = configuration {
        for (key, value) in map {
            // An override stands in for the declaration, so a var file's
            // `{"type": "env", …}` is read from the environment (as chaoslib
            // does since its issue 252) and its probes run.
            let value = overrides.get(key).unwrap_or(value);
            let resolved = resolve_one(&format!("configuration.{key}"), value, false, environment)?;
            out.insert(key.clone(), resolved);
        }
    }
    Ok(out)
}

/// Resolves `secrets` as chaoslib does: scope name → values, each plain,
/// `{"type": "env", "key"}`, or a mapping resolved the same way at any
/// depth. A `vault` secret is refused by name (this runner has no Vault
/// client). `overrides` (scope → map, from var files) win.
pub fn resolve_secrets(
    secrets: Option<&Value>,
    overrides: &Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    resolve_secrets_in(secrets, overrides, &Map::new())
}

/// [`resolve_secrets`], with variables from `.env` files that win over
/// the process environment.
pub(crate) fn resolve_secrets_in(
    secrets: Option<&Value>,
    overrides: &Map<String, Value>,
    environment: &Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    let mut out = match secrets {
        Some(Value::Object(scopes)) => resolve_nested("secrets", scopes, environment)?,
        _ => Map::new(),
    };
    for (scope, values) in overrides {
        let entry = out
            .entry(scope.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let (Value::Object(target), Value::Object(values)) = (entry, values) {
            for (k, v) in values {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(out)
}

/// Every value of a secrets mapping, resolved, at any depth.
fn resolve_nested(
    path: &str,
    values: &Map<String, Value>,
    environment: &Map<String, Value>,
) -> Result<Map<String, Value>, Error> {
    let mut resolved = Map::new();
    for (key, value) in values {
        let name = format!("{path}.{key}");
        let value = match value {
            Value::Object(map) => match map.get("type").and_then(Value::as_str) {
                Some("env") => resolve_one(&name, value, true, environment)?,
                Some("vault") => {
                    return Err(Error::Config {
                        key: name,
                        reason: "a vault secret: this runner reads secrets from the experiment \
                                 and the environment only; pass it through an environment \
                                 variable or a var file"
                            .into(),
                    });
                }
                Some(other) => {
                    return Err(Error::Config {
                        key: name,
                        reason: format!("unsupported secret type '{other}': expected env"),
                    });
                }
                None => Value::Object(resolve_nested(&name, map, environment)?),
            },
            other => other.clone(),
        };
        resolved.insert(key.clone(), value);
    }
    Ok(resolved)
}

/// One value; for a secret (`secret`), an error never shows the value.
fn resolve_one(
    name: &str,
    value: &Value,
    secret: bool,
    environment: &Map<String, Value>,
) -> Result<Value, Error> {
    let Some(map) = value
        .as_object()
        .filter(|m| m.get("type").and_then(Value::as_str) == Some("env"))
    else {
        return Ok(value.clone());
    };
    let key = map
        .get("key")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Config {
            key: name.to_owned(),
            reason: "an env value needs a \"key\" naming the variable".into(),
        })?;
    let from_env = environment
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| std::env::var(key).ok());
    let raw = match from_env {
        Some(v) => Value::String(v),
        None => match map.get("default") {
            Some(default) => default.clone(),
            None => {
                return Err(Error::Config {
                    key: name.to_owned(),
                    reason: format!(
                        "the environment variable {key} is not set and there is no default"
                    ),
                });
            }
        },
    };
    match (map.get("env_var_type").and_then(Value::as_str), raw) {
        (None | Some("str"), v) => Ok(v),
        (Some(kind), Value::String(s)) => convert(kind, &s).map_err(|reason| Error::Config {
            key: name.to_owned(),
            reason: if secret {
                // serde_json's messages name positions, never the text.
                format!("{key} (value not shown: a secret): {reason}")
            } else {
                format!("{key}={s:?}: {reason}")
            },
        }),
        (Some(_), v) => Ok(v),
    }
}

/// Converts a string to `str`, `int`, `float`, `bool` or `json`, with
/// chaoslib's other names for them (`string`, `integer`, `number`); an
/// empty string stays one for `json`, as in chaoslib's `convert_to_type`.
pub(crate) fn convert(kind: &str, s: &str) -> Result<Value, String> {
    match kind {
        // Bytes have no JSON form: their text stands for them.
        "str" | "string" | "bytes" => Ok(Value::String(s.to_owned())),
        "int" | "integer" => digits_of(s.trim())
            .and_then(|s| s.parse::<i64>().ok())
            .map(Value::from)
            .ok_or_else(|| "expected an integer".into()),
        "float" | "number" => digits_of(s.trim())
            .and_then(|s| s.parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| "expected a number".into()),
        "bool" => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Value::Bool(true)),
            "false" | "0" | "no" | "off" | "" => Ok(Value::Bool(false)),
            _ => Err("expected true or false".into()),
        },
        "json" if s.is_empty() => Ok(Value::String(String::new())),
        "json" => crate::load::parse_json(s).map_err(|e| format!("expected JSON: {e}")),
        other => Err(format!(
            "unknown type '{other}': expected str (string), bytes, int (integer), float (number), bool or json"
        )),
    }
}

/// A number's text with the underscores Python's `int` and `float` take
/// (`1_000`, one between two digits) removed; `None` for any other
/// underscore.
fn digits_of(s: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !s.contains('_') {
        return Some(s.into());
    }
    let b = s.as_bytes();
    let between_digits = (0..b.len()).filter(|&i| b[i] == b'_').all(|i| {
        i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit()
    });
    between_digits.then(|| s.replace('_', "").into())
}

/// Parses `--var key=value` or `--var key:type=value`.
pub fn parse_var(text: &str) -> Result<(String, Value), Error> {
    let bad = |reason: &str| Error::Config {
        key: format!("--var {text}"),
        reason: reason.to_owned(),
    };
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| bad("expected key=value or key:type=value"))?;
    // The type follows the last colon, as chaos reads it.
    let (key, kind) = name.rsplit_once(':').unwrap_or((name, "str"));
    if key.is_empty() {
        return Err(bad("the key is empty"));
    }
    let value = convert(kind, value).map_err(|reason| bad(&reason))?;
    Ok((key.to_owned(), value))
}

/// What a var file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VarFile {
    /// Configuration values.
    pub configuration: Map<String, Value>,
    /// Secrets, scope → values.
    pub secrets: Map<String, Value>,
    /// Environment variables, from a `.env` file: they win over the
    /// process' own for `env` values, and child processes get them.
    pub environment: Map<String, Value>,
}

/// Reads a var file as chaos reads one, by its extension: `.json` as
/// JSON and `.yaml` or `.yml` as YAML, each a mapping with optional
/// `configuration` and `secrets` mappings (an empty file is none); any
/// other file (`.env`, `vars.txt`, no extension) as `KEY=VALUE` lines for
/// the environment of the run.
///
/// The lines are read as chaoslib reads them, literally, not as a shell
/// or the dotenv tools read them: blank lines and lines that start with
/// `#` are skipped, each other line is split at its first `=`, and the
/// value is kept as written (quotes, a ` # …` after it and `$NAME`
/// included), only the line's surrounding spaces trimmed. A line without
/// `=`, or whose name is empty or holds a space (`export A=1`, `A = 1`,
/// which chaoslib would set under a name nothing can read), is refused,
/// naming the line but never its value.
pub fn load_var_file(path: &std::path::Path) -> Result<VarFile, Error> {
    let fail = crate::load::load_error(path);
    if crate::load::Format::of(path) == crate::load::Format::Other {
        let text = crate::load::read_text(path)?;
        return Ok(VarFile {
            environment: env_lines(&text).map_err(fail)?,
            ..VarFile::default()
        });
    }
    let data = match crate::load::load_file(path)? {
        Value::Null => return Ok(VarFile::default()),
        Value::Object(data) => data,
        other => {
            return Err(fail(format!(
                "expected a mapping with `configuration` and `secrets`, found {}",
                crate::validate::kind(&other)
            )));
        }
    };
    let part = |key: &str| -> Result<Map<String, Value>, Error> {
        match data.get(key) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(_) => Err(Error::Config {
                key: format!("{}: {key}", path.display()),
                reason: "expected a mapping".into(),
            }),
        }
    };
    Ok(VarFile {
        configuration: part("configuration")?,
        secrets: part("secrets")?,
        environment: Map::new(),
    })
}

/// The `KEY=VALUE` lines of a `.env` var file (see [`load_var_file`]).
fn env_lines(text: &str) -> Result<Map<String, Value>, String> {
    let mut environment = Map::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = crate::pystr::strip(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let n = i + 1;
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!(
                "line {n}: expected KEY=VALUE (a var file whose name does not end in .json, .yaml or .yml is read as a .env file)"
            ));
        };
        if key.is_empty() {
            return Err(format!("line {n}: the name before '=' is empty"));
        }
        if key.chars().any(char::is_whitespace) {
            let hint = if key.starts_with("export") {
                "write the line without `export`"
            } else {
                "write the line without spaces before '='"
            };
            return Err(format!(
                "line {n}: '{key}' is not a variable name: {hint} (the line is read literally, as chaos reads it)"
            ));
        }
        if line.contains('\0') {
            return Err(format!(
                "line {n}: the variable '{key}' holds a NUL character, which no environment can"
            ));
        }
        environment.insert(key.to_owned(), Value::String(value.to_owned()));
    }
    Ok(environment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vars_are_typed() {
        assert_eq!(parse_var("a=1").unwrap(), ("a".into(), json!("1")));
        assert_eq!(parse_var("a:int=1").unwrap(), ("a".into(), json!(1)));
        assert_eq!(parse_var("a:float=1.5").unwrap(), ("a".into(), json!(1.5)));
        assert_eq!(parse_var("a:bool=true").unwrap(), ("a".into(), json!(true)));
        assert_eq!(
            parse_var("a:json={\"x\":[1]}").unwrap(),
            ("a".into(), json!({"x": [1]}))
        );
        assert_eq!(
            parse_var("url=http://h/?q=1").unwrap(),
            ("url".into(), json!("http://h/?q=1"))
        );
        for bad in ["novalue", "=x", "a:int=x", "a:date=1"] {
            assert!(parse_var(bad).is_err(), "{bad}");
        }
        // Python's `int` and `float` take an underscore between digits.
        assert_eq!(parse_var("a:int=1_000").unwrap().1, json!(1000));
        assert_eq!(parse_var("a:float=1_0.5_5").unwrap().1, json!(10.55));
        assert_eq!(parse_var("a:float=1e1_0").unwrap().1, json!(1e10));
        for bad in [
            "a:int=1__0",
            "a:int=_1",
            "a:int=1_",
            "a:float=1_.5",
            "a:float=inf",
        ] {
            assert!(parse_var(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn configuration_resolves_env_and_overrides() {
        let path = std::env::var("PATH").unwrap();
        let configuration = json!({
            "plain": 1,
            "from_env": {"type": "env", "key": "PATH"},
            "defaulted": {"type": "env", "key": "CHAOS_RUNNER_UNSET_VAR", "default": "7", "env_var_type": "int"},
            "overridden": "old",
        });
        let overrides = json!({"overridden": "new"}).as_object().unwrap().clone();
        let resolved = resolve_configuration(Some(&configuration), &overrides).unwrap();
        assert_eq!(resolved["plain"], json!(1));
        assert_eq!(resolved["from_env"], json!(path));
        assert_eq!(resolved["defaulted"], json!(7));
        assert_eq!(resolved["overridden"], json!("new"));
        let missing = json!({"x": {"type": "env", "key": "CHAOS_RUNNER_UNSET_VAR"}});
        let err = resolve_configuration(Some(&missing), &Map::new()).unwrap_err();
        assert!(
            err.to_string()
                .contains("CHAOS_RUNNER_UNSET_VAR is not set"),
            "{err}"
        );
        let secrets = json!({"prom": {"token": {"type": "env", "key": "PATH"}, "user": "bob"}});
        let resolved = resolve_secrets(Some(&secrets), &Map::new()).unwrap();
        assert_eq!(resolved["prom"]["user"], json!("bob"));
        assert_eq!(resolved["prom"]["token"], json!(path));
    }
}
