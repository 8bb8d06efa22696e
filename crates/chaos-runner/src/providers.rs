//! Running an activity's provider: python (an extension registered by
//! module name), process, or http.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chaosprom_http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use chaosprom_http::{Bytes, HttpOptions, Method, Transport, Url, redirect};
use serde_json::{Map, Value, json};

use crate::pystr::{python_json, python_str};

/// Code that provides the functions of a `"type": "python"` module, e.g.
/// `chaosprometheus.probes`.
#[async_trait]
pub trait Extension: Send + Sync {
    /// Whether the module has `function` (checked before a run).
    fn has_function(&self, function: &str) -> bool {
        let _ = function;
        true
    }

    /// Whether `arguments` fit `function`'s parameters, checked before
    /// anything runs: the reason when they do not. Strings holding `${…}`
    /// are substituted later and fit any type.
    fn check_call(&self, function: &str, arguments: &Value) -> Result<(), String> {
        let _ = (function, arguments);
        Ok(())
    }

    /// Problems with the experiment's `configuration` that this extension
    /// reads (key, what is wrong), found before anything runs. Values that
    /// come from the environment or `${…}` are checked when they are used.
    fn check_configuration(&self, configuration: &Value) -> Vec<(String, String)> {
        let _ = configuration;
        Vec::new()
    }

    /// Calls `function` with the provider's (substituted) arguments, the
    /// resolved configuration, and the activity's secrets (the values of
    /// the scopes it names, merged). An error fails the activity; its
    /// message goes to the journal.
    async fn call(
        &self,
        function: &str,
        arguments: &Value,
        configuration: &Value,
        secrets: &Value,
    ) -> Result<Value, String>;
}

/// Extensions by module name.
pub type Extensions = HashMap<String, Arc<dyn Extension>>;

/// Runs a provider that has been substituted already.
pub(crate) async fn run(
    provider: &Value,
    extensions: &Extensions,
    configuration: &Value,
    secrets: &Value,
    environment: &Map<String, Value>,
) -> Result<Value, String> {
    match provider.get("type").and_then(Value::as_str) {
        Some("python") => {
            let module = provider["module"].as_str().unwrap_or_default();
            let function = provider["func"].as_str().unwrap_or_default();
            let extension = extensions
                .get(module)
                .ok_or_else(|| format!("no extension provides module '{module}'"))?;
            let arguments = provider
                .get("arguments")
                .cloned()
                .unwrap_or_else(|| json!({}));
            extension
                .call(function, &arguments, configuration, secrets)
                .await
        }
        Some("process") => process(provider, environment).await,
        Some("http") => http(provider).await,
        other => Err(format!("unknown provider type {other:?}")),
    }
}

/// The most of a process' stdout, and of its stderr, kept in the journal:
/// 10 MiB each. What passes it is read and dropped, and a line says how
/// much.
pub const MAX_PROCESS_OUTPUT: usize = 10 << 20;

/// How long a process' output may stay open after the process ended
/// before a warning says that a background process holds it.
const OUTPUT_LINGER: std::time::Duration = std::time::Duration::from_secs(3);

/// `{"type": "process", "path", "arguments", "timeout"}` → `{status,
/// stdout, stderr}`. A string of arguments goes through `sh -c` with the
/// path; a list is passed as is; a mapping is flattened to key, value. A
/// non-zero exit is an output, not a failure.
///
/// The process runs in a process group of its own; when it times out or
/// the run stops waiting for it (an interrupt), the whole group is killed,
/// so that nothing it started outlives the run. At most
/// [`MAX_PROCESS_OUTPUT`] bytes of each stream are kept.
async fn process(provider: &Value, environment: &Map<String, Value>) -> Result<Value, String> {
    let path = provider["path"].as_str().unwrap_or_default();
    let program = which(path).ok_or_else(|| format!("cannot find the executable '{path}'"))?;
    let limit = seconds(provider.get("timeout"), "timeout")?;
    let mut command = match provider.get("arguments") {
        Some(Value::String(args)) => {
            // As Python's `shell=True`: `/bin/sh` by its path, never a
            // `sh` found first on PATH (and its messages name `/bin/sh`).
            let mut c = tokio::process::Command::new("/bin/sh");
            c.arg("-c").arg(format!("{} {args}", program.display()));
            c
        }
        Some(Value::Array(args)) => {
            let mut c = tokio::process::Command::new(&program);
            c.args(
                args.iter()
                    .filter(|a| !a.is_null() && a.as_str() != Some(""))
                    .map(python_str),
            );
            c
        }
        Some(Value::Object(args)) => {
            let mut c = tokio::process::Command::new(&program);
            for (k, v) in args {
                c.arg(k);
                if !v.is_null() && v.as_str() != Some("") {
                    c.arg(python_str(v));
                }
            }
            c
        }
        _ => tokio::process::Command::new(&program),
    };
    command.envs(
        environment
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))),
    );
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run '{path}': {e}"))?;
    let mut group = GroupGuard(child.id().and_then(|id| i32::try_from(id).ok()));
    let stdout = capped(child.stdout.take(), "stdout");
    let stderr = capped(child.stderr.take(), "stderr");
    // How the process ended, once it has: its output may stay open after
    // that, held by a process it started in the background.
    let ended = std::sync::OnceLock::new();
    let run = async {
        let outputs = async { tokio::join!(stdout, stderr) };
        tokio::pin!(outputs);
        let mut read = None;
        let status = tokio::select! {
            status = child.wait() => status,
            both = &mut outputs => {
                read = Some(both);
                child.wait().await
            }
        };
        if let Ok(s) = &status {
            let _ = ended.set(s.to_string());
        }
        let (stdout, stderr) = match read {
            Some(both) => both,
            None => match tokio::time::timeout(OUTPUT_LINGER, &mut outputs).await {
                Ok(both) => both,
                Err(_) => {
                    // As `chaos run`, the activity waits for its output to
                    // close; a run that seems stuck says why. (Not the path:
                    // `${}` may have put a secret there, and only activity
                    // errors are masked.)
                    tracing::warn!(
                        status = ended.get().map_or("unknown", String::as_str),
                        "the process ended, but its output is still open, held by a process it \
                         started in the background: the activity waits until that closes it \
                         (redirect that process' output to let the activity end)"
                    );
                    outputs.await
                }
            },
        };
        (status, stdout, stderr)
    };
    let (status, stdout, stderr) = match limit {
        Some(limit) => tokio::time::timeout(limit, run).await.map_err(|_| {
            // chaoslib's words first: users and tools look for them.
            match ended.get() {
                None => format!(
                    "process activity took too long to complete: '{path}' did not finish within \
                     {limit:?}; its process group was killed"
                ),
                Some(status) => format!(
                    "process activity took too long to complete: '{path}' ended ({status}), but \
                     its output was still open after {limit:?}, held by a process it started in \
                     the background (redirect that process' output to let the activity end); \
                     its process group was killed"
                ),
            }
        })?,
        None => run.await,
    };
    let status = status.map_err(|e| format!("cannot run '{path}': {e}"))?;
    group.disarm();
    Ok(crate::journal::object([
        ("status", json!(status.code().unwrap_or(-1))),
        ("stdout", Value::String(stdout)),
        ("stderr", Value::String(stderr)),
    ]))
}

/// A process' output as text: UTF-16 (either byte order) when it starts
/// with a byte order mark, UTF-8 otherwise (a UTF-8 mark dropped, invalid
/// sequences replaced). chaoslib guesses encodings; the marks are what
/// Windows tools and PowerShell write.
fn decode(bytes: &[u8]) -> String {
    let utf16 = |bytes: &[u8], big: bool| {
        let units: Vec<u16> = bytes
            .chunks(2)
            .map(|p| {
                let pair = [p[0], *p.get(1).unwrap_or(&0)];
                if big {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xff, 0xfe, rest @ ..] => utf16(rest, false),
        [0xfe, 0xff, rest @ ..] => utf16(rest, true),
        [0xef, 0xbb, 0xbf, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// An HTTP answer's body as text, as requests' `r.text` reads it when the
/// answer says how: in the `charset` of its `Content-Type` (ISO-8859-1
/// and ASCII as Python's codecs read them, any other label as the WHATWG
/// encoding standard does, and a label that names no encoding as UTF-8),
/// bytes that do not decode replaced. Without a charset, requests reads
/// `text/*` as ISO-8859-1 and guesses for other types; here a byte order
/// mark decides, then UTF-8 when the body is valid UTF-8, else ISO-8859-1:
/// Latin-1 text reads as `chaos run` reads it, and UTF-8 text as written
/// (where `chaos run` shows `cafÃ©`).
fn body_text(bytes: &[u8], content_type: Option<&str>) -> String {
    let Some(label) = content_type.and_then(charset) else {
        return match bytes {
            [0xff, 0xfe, ..] | [0xfe, 0xff, ..] | [0xef, 0xbb, 0xbf, ..] => decode(bytes),
            _ => utf8_or_latin1(bytes),
        };
    };
    let label = label.to_ascii_lowercase();
    match label.as_str() {
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin-1" | "latin1" | "l1" | "8859"
        | "cp819" | "ibm819" | "iso-ir-100" => latin1(bytes),
        "ascii" | "us-ascii" | "646" => bytes
            .iter()
            .map(|&b| {
                if b.is_ascii() {
                    char::from(b)
                } else {
                    '\u{fffd}'
                }
            })
            .collect(),
        // Python's "utf-16" reads a byte order mark (little-endian without).
        "utf-16" | "utf16" => encoding_rs::UTF_16LE.decode(bytes).0.into_owned(),
        _ => match encoding_rs::Encoding::for_label(label.as_bytes()) {
            Some(encoding) => encoding.decode_without_bom_handling(bytes).0.into_owned(),
            None => String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

/// Bytes as ISO-8859-1, one character each.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Valid UTF-8 as it is, anything else as ISO-8859-1.
fn utf8_or_latin1(bytes: &[u8]) -> String {
    std::str::from_utf8(bytes).map_or_else(|_| latin1(bytes), str::to_owned)
}

/// The `charset` parameter of a `Content-Type`, unquoted.
fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).trim())
            .filter(|v| !v.is_empty())
    })
}

/// Kills a process group when dropped, unless disarmed (its leader ended).
struct GroupGuard(Option<i32>);

impl GroupGuard {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0.and_then(rustix::process::Pid::from_raw) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

/// Reads a stream to its end, keeping at most [`MAX_PROCESS_OUTPUT`]
/// bytes, as text (invalid UTF-8 replaced), with a line saying how much
/// was dropped.
async fn capped<R: tokio::io::AsyncRead + Unpin>(stream: Option<R>, name: &str) -> String {
    use tokio::io::AsyncReadExt;
    let Some(mut stream) = stream else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut dropped: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_PROCESS_OUTPUT.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buffer[..room]);
                dropped += (n - room) as u64;
            }
        }
    }
    let mut text = decode(&kept);
    if dropped > 0 {
        text.push_str(&format!(
            "\n[chaosprom: {dropped} more bytes of {name} were dropped; at most {MAX_PROCESS_OUTPUT} are kept]\n"
        ));
    }
    text
}

/// `{"type": "http", "url", "method", "headers", "arguments", "timeout",
/// "verify_tls"}` → `{status, headers, body}`; the body is parsed when the
/// answer is JSON. Statuses of 400 and above are outputs; connection
/// failures and timeouts fail the activity.
async fn http(provider: &Value) -> Result<Value, String> {
    let url_text = provider["url"].as_str().unwrap_or_default();
    let mut url = Url::parse(url_text).map_err(|e| format!("invalid url '{url_text}': {e}"))?;
    let method = provider
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|_| format!("invalid method '{method}'"))?;
    let mut options = HttpOptions::default();
    // chaoslib's `max_retries`: retries after a connection failure (no
    // status is retried), 0 by default.
    options.retries = match provider.get("max_retries") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .filter(|n| *n <= 100)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                format!("max_retries: expected a whole number from 0 to 100, found {v}")
            })?,
    };
    let (connect, read) = http_timeouts(provider.get("timeout"))?;
    if let Some(connect) = connect {
        options.connect_timeout = connect;
    }
    options.request_timeout = read.unwrap_or(Duration::from_secs(30));
    options.tls.verify = provider
        .get("verify_tls")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut headers: Vec<(HeaderName, HeaderValue)> = Vec::new();
    let mut json_body = false;
    if let Some(Value::Object(map)) = provider.get("headers") {
        // requests leaves out a header whose value is None.
        for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
            let name =
                HeaderName::from_bytes(k.as_bytes()).map_err(|e| format!("header '{k}': {e}"))?;
            let value =
                HeaderValue::from_str(&python_str(v)).map_err(|e| format!("header '{k}': {e}"))?;
            // chaoslib sends the arguments as JSON only for exactly this
            // type, as it reads an answer as JSON only for it.
            json_body |= name == CONTENT_TYPE && python_str(v) == "application/json";
            headers.push((name, value));
        }
    }
    // requests types a body it encodes only when the experiment did not.
    let typed = headers.iter().any(|(name, _)| *name == CONTENT_TYPE);
    let mut default_type = |value: &'static str| {
        if !typed {
            headers.push((CONTENT_TYPE, HeaderValue::from_static(value)));
        }
    };
    let arguments = provider.get("arguments").filter(|a| !a.is_null());
    let body = match arguments {
        Some(Value::Object(args)) if method == Method::GET => {
            let pairs = pairs(args);
            if !pairs.is_empty() {
                url.query_pairs_mut().extend_pairs(pairs);
            }
            Bytes::new()
        }
        // A string is a query or a body as it is, as requests takes it.
        Some(Value::String(raw)) if method == Method::GET => {
            if !raw.is_empty() {
                let query = match url.query() {
                    Some(q) if !q.is_empty() => format!("{q}&{raw}"),
                    _ => raw.clone(),
                };
                url.set_query(Some(&query));
            }
            Bytes::new()
        }
        Some(args) if method != Method::GET && json_body => Bytes::from(python_json(args)),
        Some(Value::String(raw)) if method != Method::GET => Bytes::from(raw.clone()),
        // An empty mapping is no body at all, as requests sends it.
        Some(Value::Object(args)) if args.is_empty() => Bytes::new(),
        Some(Value::Object(args)) if method != Method::GET => {
            let form: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs(args))
                .finish();
            default_type("application/x-www-form-urlencoded");
            Bytes::from(form)
        }
        Some(other) if method != Method::GET => {
            default_type("application/json");
            Bytes::from(python_json(other))
        }
        _ => Bytes::new(),
    };
    let answer = follow(method, url, headers, body, &options).await?;
    let status = answer.status().as_u16();
    // Header names as most servers write them (hyper keeps them in lower
    // case; chaoslib's requests keeps the server's spelling), repeated
    // headers joined with ", " as requests joins them.
    let mut response_headers = Map::new();
    for (name, value) in answer.headers() {
        // Python reads header bytes as ISO-8859-1; UTF-8 ones read as
        // written here, as a body's do.
        let value = utf8_or_latin1(value.as_bytes());
        match response_headers.entry(canonical(name.as_str())) {
            serde_json::map::Entry::Vacant(slot) => {
                slot.insert(Value::String(value));
            }
            serde_json::map::Entry::Occupied(mut slot) => {
                if let Value::String(joined) = slot.get_mut() {
                    joined.push_str(", ");
                    joined.push_str(&value);
                }
            }
        }
    }
    let content_type = answer
        .headers()
        .get(CONTENT_TYPE)
        .map(|ct| String::from_utf8_lossy(ct.as_bytes()).into_owned());
    // chaoslib parses the body only when the type is exactly this, and
    // fails the activity when it does not parse.
    let is_json = content_type.as_deref() == Some("application/json");
    let bytes = answer.bytes().await.map_err(|e| http_error(&e))?;
    let text_body = body_text(&bytes, content_type.as_deref());
    let body = if is_json {
        crate::load::parse_json(&text_body).map_err(|e| {
            format!("the answer ({status}) says application/json, but its body is not JSON: {e}")
        })?
    } else {
        Value::String(text_body)
    };
    Ok(crate::journal::object([
        ("status", json!(status)),
        ("headers", Value::Object(response_headers)),
        ("body", body),
    ]))
}

/// An HTTP provider's `timeout`: seconds, or `[connect, read]` as
/// requests takes a pair (chaoslib passes it on as a tuple). The read
/// timeout bounds the whole request here.
pub(crate) fn http_timeouts(
    v: Option<&Value>,
) -> Result<(Option<Duration>, Option<Duration>), String> {
    match v {
        Some(Value::Array(pair)) => match pair.as_slice() {
            [connect, read] => Ok((
                seconds(Some(connect), "timeout[0] (connect)")?,
                seconds(Some(read), "timeout[1] (read)")?,
            )),
            _ => Err(format!(
                "timeout: expected seconds or a pair [connect, read], found {} items",
                pair.len()
            )),
        },
        other => Ok((None, seconds(other, "timeout")?)),
    }
}

/// Sends the request and follows redirects as chaoslib's requests does:
/// 301 (for a POST), 302 and 303 become a GET without a body (HEAD stays
/// HEAD), 307 and 308 keep the method and the body; a body's headers go
/// with the body, and `Authorization` is not sent to another host.
pub(crate) async fn follow(
    mut method: Method,
    mut url: Url,
    mut headers: Vec<(HeaderName, HeaderValue)>,
    mut body: Bytes,
    options: &HttpOptions,
) -> Result<chaosprom_http::Response, String> {
    let mut transport = transport_for(&url, options)?;
    let mut redirects = 0;
    loop {
        // Credentials in the URL are the transport's basic auth, never
        // part of the request line.
        let mut bare = url.clone();
        let _ = bare.set_username("");
        let _ = bare.set_password(None);
        let answer = transport
            .send(method.clone(), &bare, &headers, body.clone(), |_| false)
            .await
            .map_err(|e| http_error(&e))?;
        let status = answer.status().as_u16();
        let Some(location) = redirect::location(&answer) else {
            return Ok(answer);
        };
        let next =
            redirect::next_url(&url, location).map_err(|reason| format!("{status} {reason}"))?;
        redirects += 1;
        if redirects > redirect::MAX_REDIRECTS {
            return Err(format!(
                "Exceeded {} redirects: the last to {}",
                redirect::MAX_REDIRECTS,
                chaosprom_http::redact(next.as_str())
            ));
        }
        let (after, keeps_body) = redirect::method_after(status, &method);
        method = after;
        if !keeps_body {
            body = Bytes::new();
            headers.retain(|(name, _)| {
                !matches!(
                    name.as_str(),
                    "content-type" | "content-length" | "transfer-encoding"
                )
            });
        }
        if !redirect::keeps_credentials(&url, &next) {
            headers.retain(|(name, _)| *name != AUTHORIZATION);
        }
        if (next.scheme(), next.host_str(), next.port_or_known_default())
            != (url.scheme(), url.host_str(), url.port_or_known_default())
        {
            transport = transport_for(&next, options)?;
        }
        url = next;
    }
}

/// A transport error as the activity's: a timeout in chaoslib's words
/// first, which users and tools look for.
fn http_error(e: &chaosprom_http::Error) -> String {
    if e.is_timeout() {
        format!("activity took too long to complete: {e}")
    } else {
        e.to_string()
    }
}

/// A transport for a URL's origin; credentials in the URL become its
/// basic auth, as requests sends them.
fn transport_for(url: &Url, options: &HttpOptions) -> Result<Transport, String> {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    Transport::new(origin.as_str(), options.clone()).map_err(|e| e.to_string())
}

/// `content-type` → `Content-Type`: the spelling Go's servers, nginx and
/// most others send.
fn canonical(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}

/// Query or form pairs as requests encodes a mapping: a `None` is left
/// out, a list gives its key once per item, a mapping once per key.
fn pairs(args: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(args.len());
    for (k, v) in args {
        let mut push = |value: String| out.push((k.clone(), value));
        match v {
            Value::Null => {}
            // requests iterates what it can: a list's items, a mapping's
            // keys, leaving out the None items.
            Value::Array(items) => {
                for item in items.iter().filter(|item| !item.is_null()) {
                    spread(item, &mut push);
                }
            }
            Value::Object(map) => map.keys().cloned().for_each(push),
            other => push(python_str(other)),
        }
    }
    out
}

/// An item of a list given as a query or form value, as `urlencode(…,
/// doseq=True)` writes it: a list or a mapping is spread once more (its
/// items, a None among them as `None`, or its keys), anything else is one
/// value.
fn spread(item: &Value, push: &mut dyn FnMut(String)) {
    match item {
        Value::Array(inner) => inner.iter().map(python_str).for_each(push),
        Value::Object(map) => map.keys().cloned().for_each(push),
        other => push(python_str(other)),
    }
}

/// The longest pause or timeout an experiment may ask for: one day.
pub const MAX_SECONDS: f64 = 86_400.0;

/// A number of seconds (or a string holding one): `None` when absent or
/// zero, an error naming `what` when it is not a finite number from 0 to
/// [`MAX_SECONDS`].
pub(crate) fn seconds(v: Option<&Value>, what: &str) -> Result<Option<Duration>, String> {
    let s = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    let shown = || v.map(Value::to_string).unwrap_or_default();
    match s {
        Some(0.0) => Ok(None),
        Some(s) if (0.0..=MAX_SECONDS).contains(&s) => Duration::try_from_secs_f64(s)
            .map(Some)
            .map_err(|e| format!("{what}: {e}")),
        _ => Err(format!(
            "{what}: expected a number of seconds from 0 to {MAX_SECONDS} (one day), found {}",
            shown()
        )),
    }
}

/// An executable, as `which` finds it: a path (with `~/` expanded) or a
/// name on PATH.
pub(crate) fn which(path: &str) -> Option<std::path::PathBuf> {
    let expanded = match path.strip_prefix("~/") {
        Some(rest) => home::home_dir()?.join(rest),
        None => std::path::PathBuf::from(path),
    };
    which::which(expanded).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_order_marks_pick_the_encoding() {
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("héllo".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain("héllo".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(super::decode(&le), "héllo");
        assert_eq!(super::decode(&be), "héllo");
        assert_eq!(super::decode("\u{feff}héllo".as_bytes()), "héllo");
        assert_eq!(super::decode(b"plain \xff"), "plain \u{fffd}");
    }
}
