//! What a transport can be told.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A secret (password or token): never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    /// The certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// TLS settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsOptions {
    /// Verify the server's certificate and name (default: true). Turning it
    /// off accepts any certificate: for test servers only.
    pub verify: bool,
    /// A PEM bundle of extra trusted CA certificates, added to the system's.
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
#[derive(Clone, PartialEq, Eq)]
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
            .finish()
    }
}
