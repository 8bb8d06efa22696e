//! How probes find and reach Prometheus, from an experiment's configuration
//! and secrets.

use std::time::Duration;

use chaosprom_api::Client;
use serde_json::Value;

use crate::Error;

/// The default `prometheus_base_url`.
pub const DEFAULT_BASE_URL: &str = "http://localhost:9090";

/// The longest timeout accepted anywhere (`prometheus_timeout`, a probe's
/// `timeout`): one day.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// How many clients (connection pools) are kept for reuse at most.
const MAX_SHARED_CLIENTS: usize = 32;

/// Seconds as a duration: finite, positive, at most [`MAX_TIMEOUT`].
pub(crate) fn timeout_seconds(name: &'static str, seconds: f64) -> Result<Duration, Error> {
    match Duration::try_from_secs_f64(seconds) {
        Ok(d) if !d.is_zero() && d <= MAX_TIMEOUT => Ok(d),
        _ => Err(Error::invalid(
            name,
            format!(
                "expected a positive number of seconds up to {} (one day), found {seconds}",
                MAX_TIMEOUT.as_secs()
            ),
        )),
    }
}

/// The configuration keys and secrets a probe reads, as the Chaos Toolkit
/// gives them.
///
/// | key | where | meaning |
/// | --- | --- | --- |
/// | `prometheus_base_url` | configuration | the server, default `http://localhost:9090`; may carry a path prefix and credentials |
/// | `prometheus_timeout` | configuration | the client timeout in seconds for one attempt (default 30); not Prometheus' evaluation `timeout` |
/// | `prometheus_headers` | configuration | a map of headers sent with every request, e.g. `{"X-Scope-OrgID": "team-a"}` |
/// | `prometheus_ca_file` | configuration | a PEM bundle of extra trusted CAs |
/// | `prometheus_verify_tls` | configuration | `false` turns certificate verification off (default `true`); a probe's `verify_tls` argument wins |
/// | `prometheus_proxy` | configuration | an `http://` proxy for every request (default: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`); `false` or `""` goes direct |
/// | `prometheus_max_body_size` | configuration | the most bytes an answer held in memory may have (default 268435456, 256 MiB) |
/// | `prometheus_token` | secrets | a bearer token |
/// | `prometheus_username`, `prometheus_password` | secrets | basic authentication |
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// `prometheus_base_url`.
    pub base_url: String,
    /// `prometheus_timeout`.
    pub timeout: Option<Duration>,
    /// `prometheus_headers`.
    pub headers: Vec<(String, String)>,
    /// `prometheus_ca_file`.
    pub ca_file: Option<String>,
    /// `prometheus_verify_tls`.
    pub verify_tls: bool,
    /// `prometheus_proxy`: `None` for the environment's, `Some("")` for
    /// none.
    pub proxy: Option<String>,
    /// `prometheus_max_body_size`.
    pub max_body_size: Option<usize>,
    token: Option<String>,
    basic: Option<(String, String)>,
}

impl Settings {
    /// Reads the settings from an experiment's `configuration` and the
    /// activity's `secrets` (either may be `null`).
    ///
    /// ```
    /// use serde_json::json;
    ///
    /// let settings = chaosprometheus::Settings::from_chaos(
    ///     &json!({"prometheus_base_url": "http://prom:9090", "prometheus_timeout": 5}),
    ///     &json!({"prometheus_token": "t"}),
    /// )?;
    /// assert_eq!(settings.base_url, "http://prom:9090");
    /// assert_eq!(settings.timeout, Some(std::time::Duration::from_secs(5)));
    /// # Ok::<(), chaosprometheus::Error>(())
    /// ```
    pub fn from_chaos(configuration: &Value, secrets: &Value) -> Result<Self, Error> {
        let key = |k: &str| configuration.get(k).filter(|v| !v.is_null());
        let secret = |k: &str| secrets.get(k).filter(|v| !v.is_null());
        let text = |v: &Value, name: &str| -> Result<String, Error> {
            v.as_str().map(str::to_owned).ok_or_else(|| {
                // Secrets and header values may be credentials: their type
                // is named, never their value.
                let found = match name {
                    "prometheus_headers"
                    | "prometheus_token"
                    | "prometheus_username"
                    | "prometheus_password" => match v {
                        Value::Null => "null",
                        Value::Bool(_) => "a boolean",
                        Value::Number(_) => "a number",
                        Value::String(_) => "a string",
                        Value::Array(_) => "a list",
                        Value::Object(_) => "a mapping",
                    }
                    .to_owned(),
                    _ => v.to_string(),
                };
                Error::invalid(name, format!("expected a string, found {found}"))
            })
        };
        let base_url = match key("prometheus_base_url") {
            Some(v) => text(v, "prometheus_base_url")?,
            None => DEFAULT_BASE_URL.to_owned(),
        };
        let timeout = match key("prometheus_timeout") {
            None => None,
            Some(v) => match v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()) {
                Some(s) => Some(timeout_seconds("prometheus_timeout", s)?),
                None => {
                    return Err(Error::invalid(
                        "prometheus_timeout",
                        format!("expected a positive number of seconds, found {v}"),
                    ));
                }
            },
        };
        let headers = match key("prometheus_headers") {
            None => Vec::new(),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| Ok((k.clone(), text(v, "prometheus_headers")?)))
                .collect::<Result<_, Error>>()?,
            Some(v) => {
                return Err(Error::invalid(
                    "prometheus_headers",
                    format!("expected a map of header names to strings, found {v}"),
                ));
            }
        };
        let ca_file = key("prometheus_ca_file")
            .map(|v| text(v, "prometheus_ca_file"))
            .transpose()?;
        let verify_tls = match key("prometheus_verify_tls") {
            None => true,
            Some(v) => as_bool(v).ok_or_else(|| {
                Error::invalid(
                    "prometheus_verify_tls",
                    format!("expected true or false, found {v}"),
                )
            })?,
        };
        let proxy = match key("prometheus_proxy") {
            None => None,
            Some(Value::Bool(false)) => Some(String::new()),
            Some(v) => Some(text(v, "prometheus_proxy")?),
        };
        let max_body_size = match key("prometheus_max_body_size") {
            None => None,
            Some(v) => match v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()) {
                Some(n) if n > 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                _ => {
                    return Err(Error::invalid(
                        "prometheus_max_body_size",
                        format!("expected a positive number of bytes, found {v}"),
                    ));
                }
            },
        };
        let token = secret("prometheus_token")
            .map(|v| text(v, "prometheus_token"))
            .transpose()?;
        let basic = match (secret("prometheus_username"), secret("prometheus_password")) {
            (Some(u), p) => Some((
                text(u, "prometheus_username")?,
                p.map(|p| text(p, "prometheus_password"))
                    .transpose()?
                    .unwrap_or_default(),
            )),
            (None, Some(_)) => {
                return Err(Error::invalid(
                    "prometheus_password",
                    "a password was given without prometheus_username",
                ));
            }
            (None, None) => None,
        };
        Ok(Self {
            base_url,
            timeout,
            headers,
            ca_file,
            verify_tls,
            proxy,
            max_body_size,
            token,
            basic,
        })
    }

    /// A client for these settings, shared: every call with the same
    /// settings on the same tokio runtime gets the same client, so its
    /// connections (and its loaded TLS roots) serve every probe of a run.
    /// Clients are kept per runtime because a pooled connection belongs to
    /// the runtime that opened it; at most a few dozen are kept, the least
    /// recently used dropped first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), chaosprometheus::Error> {
    /// use serde_json::json;
    ///
    /// let settings = chaosprometheus::Settings::from_chaos(&json!({}), &json!({}))?;
    /// let a = settings.shared_client(None)?;
    /// let b = settings.shared_client(None)?;
    /// assert!(a.same_pool(&b));
    /// # Ok(()) }
    /// ```
    pub fn shared_client(&self, verify_tls: Option<bool>) -> Result<Client, Error> {
        type Shared = Vec<(tokio::runtime::Id, Settings, Option<bool>, Client)>;
        static SHARED: std::sync::Mutex<Shared> = std::sync::Mutex::new(Vec::new());
        let Ok(runtime) = tokio::runtime::Handle::try_current().map(|h| h.id()) else {
            return self.client(verify_tls);
        };
        let mut shared = SHARED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = shared
            .iter()
            .position(|(id, s, v, _)| *id == runtime && s == self && *v == verify_tls);
        if let Some(at) = found {
            let entry = shared.remove(at);
            let client = entry.3.clone();
            shared.push(entry);
            return Ok(client);
        }
        let client = self.client(verify_tls)?;
        if shared.len() >= MAX_SHARED_CLIENTS {
            shared.remove(0);
        }
        shared.push((runtime, self.clone(), verify_tls, client.clone()));
        Ok(client)
    }

    /// A new client for these settings, with a pool of its own;
    /// `verify_tls`, when given, overrides the configuration's.
    pub fn client(&self, verify_tls: Option<bool>) -> Result<Client, Error> {
        let mut builder = Client::builder(self.base_url.clone())
            .verify_tls(verify_tls.unwrap_or(self.verify_tls));
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        if let Some(ca) = &self.ca_file {
            builder = builder.ca_file(ca);
        }
        if let Some((user, password)) = &self.basic {
            builder = builder.basic_auth(user.clone(), password.clone());
        }
        if let Some(token) = &self.token {
            builder = builder.bearer_token(token.clone());
        }
        if let Some(proxy) = &self.proxy {
            builder = builder.proxy_setting(chaosprom_api::Proxy::from_setting(proxy));
        }
        if let Some(limit) = self.max_body_size {
            builder = builder.max_body_size(limit);
        }
        builder.build().map_err(|e| Error::Client(Box::new(e)))
    }
}

impl std::fmt::Debug for Settings {
    /// Shows which credentials are set, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Settings")
            .field("base_url", &chaosprom_api::redact_url(&self.base_url))
            .field("timeout", &self.timeout)
            .field("header_names", &header_names)
            .field("ca_file", &self.ca_file)
            .field("verify_tls", &self.verify_tls)
            .field(
                "proxy",
                &self.proxy.as_deref().map(chaosprom_api::redact_url),
            )
            .field("max_body_size", &self.max_body_size)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("basic_auth_user", &self.basic.as_ref().map(|(u, _)| u))
            .finish()
    }
}

/// A boolean, also from the strings `"true"`/`"false"` an environment
/// variable gives.
pub(crate) fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
