//! What a transport can be told.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A secret (password or token): never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for putting on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Auth {
    /// HTTP basic authentication.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
}

/// A client certificate and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientCert {
    /// The certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TlsOptions {
    /// Verify the server's certificate and name (default: true). Turning it
    /// off accepts any certificate: for test servers only.
    pub verify: bool,
    /// A PEM bundle of extra trusted CA certificates, added to the system's
    /// (or to the bundle `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE` names,
    /// which replaces the system's, as Python's requests and curl read
    /// them).
    pub ca_file: Option<PathBuf>,
    /// A client certificate, for servers that ask for one.
    pub client_cert: Option<ClientCert>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self {
            verify: true,
            ca_file: None,
            client_cert: None,
        }
    }
}

/// Which proxy requests go through.
///
/// The default, [`Proxy::Env`], reads the variables curl, Python requests
/// and promtool read: `HTTP_PROXY` for `http://` URLs, `HTTPS_PROXY` for
/// `https://` URLs, `ALL_PROXY` for both, `NO_PROXY` for the hosts that
/// go direct (a comma-separated list of names, domains with or without a
/// leading dot, IP addresses and CIDR ranges, or `*`), each also in lower
/// case. `https://` URLs go through an HTTP `CONNECT` tunnel; `http://`
/// URLs are forwarded by the proxy. Credentials in the proxy's URL
/// (`http://user:pass@proxy:3128`) are sent as `Proxy-Authorization`.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Proxy {
    /// From the environment (the default).
    #[default]
    Env,
    /// Never: every request goes direct, whatever the environment says.
    None,
    /// This proxy (an `http://` URL) for every request, except to the
    /// hosts `NO_PROXY` names.
    Url(String),
}

impl Proxy {
    /// A proxy as a flag or a configuration key gives it: `""` goes direct,
    /// anything else is a proxy URL (checked when the transport is built).
    ///
    /// ```
    /// use chaosprom_http::Proxy;
    /// assert_eq!(Proxy::from_setting(""), Proxy::None);
    /// assert_eq!(Proxy::from_setting("http://p:3128"), Proxy::Url("http://p:3128".into()));
    /// ```
    pub fn from_setting(text: &str) -> Self {
        if text.trim().is_empty() {
            Proxy::None
        } else {
            Proxy::Url(text.trim().to_owned())
        }
    }
}

impl fmt::Debug for Proxy {
    /// Shows the proxy's URL without its credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::Env => f.write_str("Env"),
            Proxy::None => f.write_str("None"),
            Proxy::Url(url) => f
                .debug_tuple("Url")
                .field(&crate::transport::redact(url))
                .finish(),
        }
    }
}

/// The default [`HttpOptions::max_body_size`]: 256 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 256 << 20;

/// Everything a transport can be told. Start from [`Default`] and set
/// fields.
///
/// ```
/// use std::time::Duration;
/// use chaosprom_http::{Auth, HttpOptions};
///
/// let mut options = HttpOptions::default();
/// options.request_timeout = Duration::from_secs(5);
/// options.auth = Some(Auth::Bearer("t0ken".into()));
/// assert!(!format!("{options:?}").contains("t0ken"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct HttpOptions {
    /// How long a TCP connection may take (default 5 s).
    pub connect_timeout: Duration,
    /// How long one attempt may take, from sending to the last byte of the
    /// answer (default 30 s). Never infinite.
    pub request_timeout: Duration,
    /// How long an idle pooled connection is kept (default 90 s).
    pub pool_idle_timeout: Duration,
    /// How many times a request is tried again after a connection failure
    /// or a retryable status (default 2).
    pub retries: u32,
    /// The first retry's delay, doubled for each further one, with jitter
    /// (default 100 ms).
    pub retry_base_delay: Duration,
    /// Authentication; credentials in the base URL fill this in when unset.
    pub auth: Option<Auth>,
    /// Headers sent with every request (e.g. `X-Scope-OrgID`).
    pub headers: Vec<(String, String)>,
    /// TLS settings.
    pub tls: TlsOptions,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Which proxy to go through (default: from the environment).
    pub proxy: Proxy,
    /// The most bytes an answer may have when it is held whole in memory,
    /// and the most a compressed answer may inflate to (default
    /// [`DEFAULT_MAX_BODY_SIZE`], 256 MiB). An answer streamed to a writer
    /// uncompressed has no limit: it is never held whole.
    pub max_body_size: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            pool_idle_timeout: Duration::from_secs(90),
            retries: 2,
            retry_base_delay: Duration::from_millis(100),
            auth: None,
            headers: Vec::new(),
            tls: TlsOptions::default(),
            user_agent: concat!("chaosprom/", env!("CARGO_PKG_VERSION")).to_owned(),
            proxy: Proxy::Env,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        }
    }
}

impl fmt::Debug for HttpOptions {
    /// Shows header names only: a header may carry a credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("pool_idle_timeout", &self.pool_idle_timeout)
            .field("retries", &self.retries)
            .field("retry_base_delay", &self.retry_base_delay)
            .field("auth", &self.auth)
            .field("header_names", &header_names)
            .field("tls", &self.tls)
            .field("user_agent", &self.user_agent)
            .field("proxy", &self.proxy)
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}
