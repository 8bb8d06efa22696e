//! The journal's values: times, platform, node.

use serde_json::{Value, json};

use jiff::Timestamp;

/// A JSON object of `pairs`, in their order, the values moved in: the
/// `json!` macro would copy each value through serde, a whole hypothesis'
/// entries or a process' output.
pub(crate) fn object<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A time as Python's `datetime.isoformat()` writes a UTC instant:
/// `2026-11-25T03:41:53.715862+00:00` (no fraction when it is zero).
pub(crate) fn iso(t: Timestamp) -> String {
    use std::fmt::Write as _;
    // The civil time at offset zero, without a zoned time's time zone.
    let z = jiff::tz::Offset::UTC.to_datetime(t);
    let mut out = String::with_capacity(32);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        z.year(),
        z.month(),
        z.day(),
        z.hour(),
        z.minute(),
        z.second()
    );
    let micros = z.subsec_nanosecond() / 1000;
    if micros != 0 {
        let _ = write!(out, ".{micros:06}");
    }
    out.push_str("+00:00");
    out
}

/// Seconds between two instants, at microsecond resolution as Python's
/// `timedelta.total_seconds()`.
pub(crate) fn seconds_between(start: Timestamp, end: Timestamp) -> f64 {
    let micros = end.duration_since(start).as_micros();
    micros as f64 / 1e6
}

/// Like Python's `platform.platform()`: system, kernel release, machine.
pub(crate) fn platform() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Darwin",
        other => other,
    };
    format!("{os}-{}-{}", release.trim(), std::env::consts::ARCH)
}

/// Like Python's `platform.node()`: the host name.
pub(crate) fn node() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// The experiment with every value under `secrets` replaced by `"***"`,
/// for the journal and anything else that shows the experiment (the
/// Python runner writes them in clear).
///
/// ```
/// let e = serde_json::json!({"secrets": {"k8s": {"token": "s3cr3t"}}});
/// assert_eq!(chaos_runner::redact_secrets(&e)["secrets"]["k8s"]["token"], "***");
/// ```
pub fn redact_secrets(experiment: &Value) -> Value {
    let mut copy = experiment.clone();
    if let Some(Value::Object(scopes)) = copy.get_mut("secrets") {
        for values in scopes.values_mut() {
            match values {
                Value::Object(values) => {
                    for value in values.values_mut() {
                        *value = json!("***");
                    }
                }
                other => *other = json!("***"),
            }
        }
    }
    copy
}

/// `text` with every secret value of `secrets` (scope → values) written
/// as `***`: as it is, and as a URL's query, its path or a form encodes
/// it. An activity's error quotes what failed (a URL with `?token=${t}`, a
/// command), and a secret substituted there must not reach the log or the
/// journal (the Python runner prints it).
pub(crate) fn mask_secrets(text: &str, secrets: &serde_json::Map<String, Value>) -> String {
    let mut values: Vec<String> = Vec::new();
    let mut url = url::Url::parse("http://h/").expect("a valid URL");
    for scope in secrets.values() {
        let scoped: Vec<&Value> = match scope {
            Value::Object(values) => values.values().collect(),
            other => vec![other],
        };
        for value in scoped {
            let raw = match value {
                Value::Null => continue,
                Value::String(s) => s.clone(),
                other => crate::pystr::python_str(other),
            };
            if raw.is_empty() {
                continue;
            }
            url.set_query(Some(&raw));
            let query = url.query().unwrap_or_default().to_owned();
            url.set_path(&raw);
            let path = url.path().trim_start_matches('/').to_owned();
            let form: String = url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
            values.extend([raw, query, path, form]);
        }
    }
    // The longest first, so that a secret inside another goes with it.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    let mut masked = text.to_owned();
    for value in values.iter().filter(|v| !v.is_empty()) {
        if masked.contains(value.as_str()) {
            masked = masked.replace(value.as_str(), "***");
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_as_written_and_as_urls_encode_them() {
        let secrets = serde_json::json!({"s": {"token": "a b/c?d", "n": 123456, "empty": ""}});
        let secrets = secrets.as_object().unwrap();
        let text = "POST http://h/x/a%20b/c%3Fd?k=a%20b/c?d&f=a+b%2Fc%3Fd failed; a b/c?d; 123456";
        assert_eq!(
            mask_secrets(text, secrets),
            "POST http://h/x/*** failed; ***; ***".replacen("***", "***?k=***&f=***", 1)
        );
    }

    #[test]
    fn times_are_written_as_python_writes_them() {
        let t: Timestamp = "2026-11-25T03:41:53.715862345Z".parse().unwrap();
        assert_eq!(iso(t), "2026-11-25T03:41:53.715862+00:00");
        let whole: Timestamp = "2026-11-25T03:41:53Z".parse().unwrap();
        assert_eq!(iso(whole), "2026-11-25T03:41:53+00:00");
        let later: Timestamp = "2026-11-25T03:41:53.719929Z".parse().unwrap();
        let earlier: Timestamp = "2026-11-25T03:41:53.715862Z".parse().unwrap();
        assert_eq!(seconds_between(earlier, later), 0.004067);
    }
}
