//! The settings' `notifications`, as `chaos` sends them: each event, as
//! JSON, to every HTTP channel that wants it. A channel that cannot be
//! reached is logged and never changes the run; a Python plugin channel
//! cannot be called here, and says so once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chaosprom_http::header::{CONTENT_TYPE, HeaderValue};
use chaosprom_http::{Bytes, HttpOptions, Method, Transport, Url, redact};
use serde_json::{Map, Value, json};

/// An event of `chaos run` or `chaos validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    RunStarted,
    RunCompleted,
    RunFailed,
    RunDeviated,
    ValidateStarted,
    ValidateCompleted,
    ValidateFailed,
}

impl Event {
    /// Its name, as channels' `events` lists name it.
    fn name(self) -> &'static str {
        match self {
            Event::RunStarted => "run-started",
            Event::RunCompleted => "run-completed",
            Event::RunFailed => "run-failed",
            Event::RunDeviated => "run-deviated",
            Event::ValidateStarted => "validate-started",
            Event::ValidateCompleted => "validate-completed",
            Event::ValidateFailed => "validate-failed",
        }
    }

    fn phase(self) -> &'static str {
        match self {
            Event::RunStarted | Event::RunCompleted | Event::RunFailed | Event::RunDeviated => {
                "run"
            }
            _ => "validate",
        }
    }
}

/// chaoslib's timeouts: 2 s to connect, 5 s for the answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The experiment as a notification carries it, its secrets as `***`;
/// not copied when the settings send no notifications.
pub(crate) fn experiment_payload(settings: &Value, experiment: &Value) -> Value {
    if settings.get("notifications").is_none_or(Value::is_null) {
        return Value::Null;
    }
    chaos_runner::redact_secrets(experiment)
}

/// Sends `event` to every channel of `settings["notifications"]` that
/// wants it, one after the other, as `chaos` does.
pub(crate) async fn notify(settings: &Value, event: Event, payload: &Value, error: Option<&str>) {
    let channels = match settings.get("notifications") {
        None | Some(Value::Null) => return,
        Some(Value::Array(channels)) => channels,
        Some(_) => {
            static SAID: AtomicBool = AtomicBool::new(false);
            if !SAID.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "the settings' notifications must be a list of channels: none gets events"
                );
            }
            return;
        }
    };
    let mut message = Map::new();
    message.insert("name".into(), json!(event.name()));
    message.insert("payload".into(), payload.clone());
    message.insert("phase".into(), json!(event.phase()));
    message.insert("ts".into(), json!(now_seconds()));
    if let Some(error) = error {
        message.insert("error".into(), json!(error));
    }
    let message = Value::Object(message);
    for channel in channels {
        if !wants(channel, event) {
            continue;
        }
        match channel.get("type").and_then(Value::as_str) {
            Some("http") => {
                if let Err(reason) = send(channel, &message).await {
                    tracing::warn!(
                        event = event.name(),
                        "a notification could not be sent: {reason}"
                    );
                }
            }
            Some("plugin") => {
                static SAID: AtomicBool = AtomicBool::new(false);
                if !SAID.swap(true, Ordering::Relaxed) {
                    let module = channel
                        .get("module")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("");
                    tracing::warn!(
                        module,
                        "a notification plugin is a Python function, which chaosprom cannot call: it gets no events"
                    );
                }
            }
            other => {
                tracing::warn!(
                    channel_type = other.unwrap_or("(none)"),
                    "a notification channel's type must be http or plugin: it gets no events"
                );
            }
        }
    }
}

/// Whether the channel's `events` (all when absent or empty) has this one.
fn wants(channel: &Value, event: Event) -> bool {
    match channel.get("events") {
        Some(Value::Array(events)) if !events.is_empty() => {
            events.iter().any(|e| e.as_str() == Some(event.name()))
        }
        // One name where a list belongs: that event alone, not all.
        Some(Value::String(one)) => one == event.name(),
        _ => true,
    }
}

/// POSTs the message as JSON, or, with `forward_event_payload: false`,
/// GETs the URL with no body; a status of 400 or above is a failure.
async fn send(channel: &Value, message: &Value) -> Result<(), String> {
    let url_text = channel
        .get("url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or("the channel has no url")?;
    let url = Url::parse(url_text)
        .map_err(|e| format!("the url '{}' is not a URL: {e}", redact(url_text)))?;
    let mut options = HttpOptions::default();
    options.connect_timeout = CONNECT_TIMEOUT;
    options.request_timeout = ANSWER_TIMEOUT;
    options.retries = 0;
    options.tls.verify = channel
        .get("verify_tls")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    match channel.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(headers)) => {
            for (name, value) in headers {
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => continue,
                    other => other.to_string(),
                };
                options.headers.push((name.clone(), value));
            }
        }
        Some(_) => return Err(format!("{}: headers must be a mapping", redact(url_text))),
    }
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    let transport = Transport::new(origin.as_str(), options).map_err(|e| e.to_string())?;
    let forward = channel
        .get("forward_event_payload")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let answer = if forward {
        let body = serde_json::to_vec(message).map_err(|e| e.to_string())?;
        transport
            .send(
                Method::POST,
                &url,
                &[(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                Bytes::from(body),
                |_| false,
            )
            .await
    } else {
        transport
            .send(Method::GET, &url, &[], Bytes::new(), |_| false)
            .await
    }
    .map_err(|e| e.to_string())?;
    let status = answer.status();
    if status.as_u16() >= 400 {
        return Err(format!(
            "{}: the server answered {status}",
            redact(url_text)
        ));
    }
    Ok(())
}

/// Seconds since the Unix epoch, as a float (chaoslib's `ts`).
fn now_seconds() -> f64 {
    let now = jiff::Timestamp::now();
    now.as_second() as f64 + f64::from(now.subsec_nanosecond()) / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_gets_the_events_it_lists_or_all() {
        let all = json!({"type": "http", "url": "http://127.0.0.1:1"});
        let some = json!({"type": "http", "url": "http://127.0.0.1:1", "events": ["run-failed"]});
        let empty = json!({"type": "http", "url": "http://127.0.0.1:1", "events": []});
        assert!(wants(&all, Event::RunStarted));
        assert!(wants(&empty, Event::ValidateFailed));
        assert!(wants(&some, Event::RunFailed));
        let one = json!({"type": "http", "url": "http://127.0.0.1:1", "events": "run-failed"});
        assert!(wants(&one, Event::RunFailed));
        assert!(!wants(&one, Event::RunStarted));
        assert!(!wants(&some, Event::RunCompleted));
        assert_eq!(Event::ValidateFailed.phase(), "validate");
        assert_eq!(Event::RunDeviated.name(), "run-deviated");
    }
}
