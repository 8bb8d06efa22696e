//! Reading experiment and variable files, JSON or YAML.

use std::path::Path;

use serde_json::Value;

use crate::Error;

/// The largest experiment or variable file read: 8 MiB.
pub const MAX_FILE_SIZE: usize = 8 << 20;

/// How deep brackets may nest before a file is refused unparsed: 1024.
/// (The JSON and YAML parsers refuse documents nested deeper than 128
/// themselves, but a YAML parser's time grows with the square of the
/// unclosed brackets before it gets there: 200 KB of `[` took 56 s.)
pub const MAX_DEPTH: usize = 1024;

/// Where brackets outside quotes first nest deeper than [`MAX_DEPTH`].
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' && q == b'"' {
                escaped = true;
            } else if b == q || (b == b'\n' && q == b'\'') {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// JSON text read as Python's `json.loads` reads it. serde_json makes
/// `-0` the float -0.0, to keep its sign; Python reads the integer 0, and
/// the journal and the experiment hash write what was read (`0` there,
/// `-0.0` here). A `-0` that starts a value is read as `0`: its `-` is
/// read as a space, so an error's line and column stay the text's.
pub(crate) fn parse_json(text: &str) -> serde_json::Result<Value> {
    let bytes = text.as_bytes();
    let mut minus_zeros = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut last = b'[';
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'-' if matches!(last, b'[' | b',' | b':')
                && bytes.get(i + 1) == Some(&b'0')
                && !bytes
                    .get(i + 2)
                    .is_some_and(|n| n.is_ascii_digit() || matches!(n, b'.' | b'e' | b'E')) =>
            {
                minus_zeros.push(i);
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
    }
    if minus_zeros.is_empty() {
        return serde_json::from_str(text);
    }
    let mut fixed = bytes.to_vec();
    for i in minus_zeros {
        fixed[i] = b' ';
    }
    // Only an ASCII `-` became an ASCII space: still UTF-8.
    serde_json::from_slice(&fixed)
}

/// Reads a JSON or YAML file into a JSON value (`.json` is JSON, `.yaml`
/// and `.yml` are YAML; any other name is tried as JSON, then YAML).
/// Integers and floats stay distinct, as the experiment hash needs.
///
/// A file larger than [`MAX_FILE_SIZE`] (or one that never ends, such as
/// `/dev/zero`) and brackets nested deeper than [`MAX_DEPTH`] are refused
/// with an error that says so, before any parsing.
pub fn load_file(path: &Path) -> Result<Value, Error> {
    let text = read_text(path)?;
    let fail = load_error(path);
    if let Some(offset) = too_deep(&text) {
        return Err(fail(format!(
            "brackets nested deeper than {MAX_DEPTH} levels (at byte {offset})"
        )));
    }
    match Format::of(path) {
        Format::Json => parse_json(&text).map_err(|e| fail(format!("invalid JSON: {e}"))),
        Format::Yaml => parse_yaml(&text).map_err(fail),
        Format::Other => parse_json(&text).or_else(|json| {
            parse_yaml(&text)
                .map_err(|yaml| format!("neither JSON ({json}) nor YAML ({yaml})"))
                .map_err(fail)
        }),
    }
}

/// A file's format, as its name's extension says (in any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `.json`.
    Json,
    /// `.yaml` or `.yml`.
    Yaml,
    /// Anything else.
    Other,
}

impl Format {
    pub(crate) fn of(path: &Path) -> Format {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("json") {
            Format::Json
        } else if ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml") {
            Format::Yaml
        } else {
            Format::Other
        }
    }
}

/// The error of loading the file at `path`, for a reason.
pub(crate) fn load_error(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |reason| Error::Load {
        path: path.display().to_string(),
        reason,
    }
}

/// A file's text, at most [`MAX_FILE_SIZE`] bytes of UTF-8.
pub(crate) fn read_text(path: &Path) -> Result<String, Error> {
    use std::io::Read as _;
    let load_error = load_error(path);
    let file = std::fs::File::open(path).map_err(|e| load_error(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| load_error(e.to_string()))?;
    if bytes.len() > MAX_FILE_SIZE {
        return Err(load_error(format!(
            "larger than {MAX_FILE_SIZE} bytes, the most an experiment or variable file may have"
        )));
    }
    String::from_utf8(bytes).map_err(|e| load_error(format!("not UTF-8 text: {e}")))
}

/// YAML into JSON, as chaoslib reads it (see [`crate::yaml`]).
pub(crate) fn parse_yaml(text: &str) -> Result<Value, String> {
    crate::yaml::parse(text)
}

/// Loads an experiment as `chaos run` does: `-` reads standard input, an
/// `http://` or `https://` URL is fetched (30 s at most, proxies from the
/// environment, the answer's content type or the URL's extension telling
/// JSON from YAML), and anything else is a file whose name ends in `.json`,
/// `.yaml` or `.yml`. Every source is capped at [`MAX_FILE_SIZE`].
pub async fn load_experiment(source: &str) -> Result<Value, Error> {
    load_experiment_with(source, &Value::Null, true).await
}

/// [`load_experiment`], fetching a URL as `chaos` does with its settings
/// and `--no-verify-tls`: the `Authorization` header is `bearer TOKEN` from
/// the `CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN` environment variable, or
/// else `TYPE VALUE` from the settings' `auths` entry for the URL's host
/// (`host` or `host:port`, as written in the URL), and `verify_tls: false`
/// accepts any certificate. Redirects are followed as `requests` follows
/// them (the header is not sent to another host).
pub async fn load_experiment_with(
    source: &str,
    settings: &Value,
    verify_tls: bool,
) -> Result<Value, Error> {
    let fail = |reason: String| Error::Load {
        path: chaosprom_http::redact(source),
        reason,
    };
    if source == "-" {
        use std::io::Read as _;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_FILE_SIZE as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("reading standard input: {e}")))?;
        return parse_any(&bytes, None).map_err(fail);
    }
    if source.starts_with("http://") || source.starts_with("https://") {
        return fetch(source, settings, verify_tls).await.map_err(fail);
    }
    let path = Path::new(source);
    if Format::of(path) == Format::Other {
        return Err(fail(
            "an experiment file's name must end in .json, .yaml or .yml".into(),
        ));
    }
    load_file(path)
}

/// Fetches an experiment from a URL (see [`load_experiment_with`]).
async fn fetch(url: &str, settings: &Value, verify_tls: bool) -> Result<Value, String> {
    use chaosprom_http::header::{ACCEPT, AUTHORIZATION, HeaderValue};
    let target = chaosprom_http::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let mut options = chaosprom_http::HttpOptions::default();
    options.max_body_size = MAX_FILE_SIZE;
    options.tls.verify = verify_tls;
    let mut headers = vec![(
        ACCEPT,
        HeaderValue::from_static("application/json, application/x-yaml"),
    )];
    if let Some(authorization) = loader_authorization(&target, settings)? {
        let mut value = HeaderValue::from_str(&authorization)
            .map_err(|_| "the loader's authorization is not a valid header value".to_owned())?;
        value.set_sensitive(true);
        headers.push((AUTHORIZATION, value));
    }
    let answer = crate::providers::follow(
        chaosprom_http::Method::GET,
        target.clone(),
        headers,
        chaosprom_http::Bytes::new(),
        &options,
    )
    .await?;
    let status = answer.status();
    let content_type = answer
        .headers()
        .get(chaosprom_http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("the server answered {status}"));
    }
    let hint = match content_type.as_deref() {
        Some(ct) if ct.contains("json") => Some("json"),
        Some(ct) if ct.contains("yaml") => Some("yaml"),
        _ => {
            let path = target.path().to_ascii_lowercase();
            if path.ends_with(".json") {
                Some("json")
            } else if path.ends_with(".yaml") || path.ends_with(".yml") {
                Some("yaml")
            } else {
                None
            }
        }
    };
    parse_any(&bytes, hint)
}

/// The `Authorization` a fetch sends, as chaoslib's loader builds it.
fn loader_authorization(
    url: &chaosprom_http::Url,
    settings: &Value,
) -> Result<Option<String>, String> {
    if let Ok(token) = std::env::var("CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN") {
        if !token.trim().is_empty() {
            return Ok(Some(format!("bearer {}", token.trim())));
        }
    }
    let Some(auths) = settings.get("auths").and_then(Value::as_object) else {
        return Ok(None);
    };
    let host = url.host_str().unwrap_or_default();
    let netloc = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let Some(auth) = auths.get(&netloc) else {
        return Ok(None);
    };
    match (
        auth.get("type").and_then(Value::as_str),
        auth.get("value").and_then(Value::as_str),
    ) {
        (Some(kind), Some(value)) => Ok(Some(format!("{kind} {value}"))),
        _ => Err(format!(
            "the settings' auths entry for {netloc} needs a type and a value, both strings"
        )),
    }
}

/// JSON or YAML bytes, by `hint` or trying JSON first.
fn parse_any(bytes: &[u8], hint: Option<&str>) -> Result<Value, String> {
    if bytes.len() > MAX_FILE_SIZE {
        return Err(format!(
            "larger than {MAX_FILE_SIZE} bytes, the most an experiment may have"
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    if let Some(offset) = too_deep(text) {
        return Err(format!(
            "brackets nested deeper than {MAX_DEPTH} levels (at byte {offset})"
        ));
    }
    match hint {
        Some("json") => parse_json(text).map_err(|e| format!("invalid JSON: {e}")),
        Some(_) => parse_yaml(text),
        None => parse_json(text).or_else(|json| {
            parse_yaml(text).map_err(|yaml| format!("neither JSON ({json}) nor YAML ({yaml})"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn yaml_tags_are_refused_where_they_stand_and_core_ones_resolved() {
        for (text, path, tag) in [
            ("title: !custom hello", "$.title", "!custom"),
            ("method: !custom []", "$.method", "!custom"),
            ("a: [1, {b: !x {c: 1}}]", "$.a[1].b", "!x"),
            ("!root {a: 1}", "$", "!root"),
            (
                "a: !!python/object/apply:os.system [x]",
                "$.a",
                "!!python/object/apply:os.system",
            ),
        ] {
            let error = super::parse_yaml(text).unwrap_err();
            assert!(
                error.contains(&format!("the YAML tag '{tag}' at {path} is not supported")),
                "{text}: {error}"
            );
        }
        assert_eq!(
            super::parse_yaml("title: !!str 123").unwrap(),
            json!({"title": "123"})
        );
    }

    #[test]
    fn minus_zero_is_the_integer_zero_as_python_reads_it() {
        let v = super::parse_json(r#"{"a": -0, "b": [-0 , -0.0, -0e1, 1e-0], "c": "-0", "d":-0}"#)
            .unwrap();
        assert_eq!(
            v,
            json!({"a": 0, "b": [0, -0.0, -0.0, 1.0], "c": "-0", "d": 0})
        );
        assert!(v["a"].is_u64() && v["b"][1].is_f64());
        // A bare `-0` document, and an error's place unchanged.
        assert_eq!(super::parse_json("-0").unwrap(), json!(0));
        let error = super::parse_json("[-0, x]").unwrap_err().to_string();
        assert!(error.contains("column 6"), "{error}");
    }

    #[test]
    fn json_floats_are_the_nearest_double_as_python_reads_them() {
        // serde_json's default float parser was one unit in the last place
        // off for 1,301 of 6,000 generated numbers (6.7e+103 read as
        // 6.6999999999999995e+103), so the journal and the experiment's
        // hash differed from chaos'; `float_roundtrip` reads them exactly.
        for literal in [
            "6.7e+103",
            "67.0e102",
            "9.009004917506227e-24",
            "4.08151054974514e-20",
            "29899320307e252",
            "2.2250738585072011e-308",
        ] {
            let value = super::parse_any(format!("[{literal}]").as_bytes(), Some("json")).unwrap();
            let exact: f64 = literal.parse().unwrap();
            assert_eq!(value[0].as_f64(), Some(exact), "{literal}");
        }
    }
}
