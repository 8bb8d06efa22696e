//! The builder methods every client built on this transport offers, written
//! once.

/// Writes the shared transport setters (timeouts, retries, auth, headers,
/// TLS, proxy, body size) as inherent methods of a builder that keeps an
/// [`HttpOptions`](crate::HttpOptions) in a field, so that users call
/// `.basic_auth(…)` without importing a trait, and a new option is added
/// here once for every client.
///
/// `timeout_default` is the request timeout's default, for the docs.
///
/// ```
/// use chaosprom_http::HttpOptions;
///
/// /// A builder of my own.
/// #[derive(Debug, Default)]
/// pub struct MyBuilder {
///     options: HttpOptions,
/// }
///
/// impl MyBuilder {
///     chaosprom_http::transport_setters!(options, timeout_default = "30 s");
/// }
///
/// let b = MyBuilder::default().bearer_token("t").retries(0).no_proxy();
/// assert_eq!(b.options.retries, 0);
/// ```
#[macro_export]
macro_rules! transport_setters {
    ($field:ident, timeout_default = $default:literal) => {
        /// How long connecting may take (default 5 s).
        pub fn connect_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.connect_timeout = timeout;
            self
        }

        /// How long one attempt, answer included, may take; the default is
        #[doc = $default]
        /// (all retries together may take this long times one plus the
        /// retries).
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.request_timeout = timeout;
            self
        }

        /// How long an idle connection is kept (default 90 s).
        pub fn pool_idle_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.$field.pool_idle_timeout = timeout;
            self
        }

        /// How many times a request is tried again after a connection
        /// failure or a retryable status (default 2). A `Retry-After`
        /// header is honoured within the overall deadline.
        pub fn retries(mut self, retries: u32) -> Self {
            self.$field.retries = retries;
            self
        }

        /// The first retry's delay, doubled each time, with jitter (default
        /// 100 ms).
        pub fn retry_delay(mut self, delay: ::std::time::Duration) -> Self {
            self.$field.retry_base_delay = delay;
            self
        }

        /// HTTP basic authentication (credentials in the URL do the same).
        pub fn basic_auth(
            mut self,
            username: impl Into<String>,
            password: impl Into<String>,
        ) -> Self {
            self.$field.auth = Some($crate::Auth::Basic {
                username: username.into(),
                password: $crate::Secret::new(password.into()),
            });
            self
        }

        /// `Authorization: Bearer <token>`.
        pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
            self.$field.auth = Some($crate::Auth::Bearer($crate::Secret::new(token.into())));
            self
        }

        /// A header sent with every request, e.g. `X-Scope-OrgID` for a
        /// Mimir or Cortex tenant. Its value is never shown.
        pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.$field.headers.push((name.into(), value.into()));
            self
        }

        /// Whether to verify the server's certificate (default: true).
        pub fn verify_tls(mut self, verify: bool) -> Self {
            self.$field.tls.verify = verify;
            self
        }

        /// Extra trusted CA certificates (PEM). A server certificate found
        /// in this file as it is (a self-signed certificate) is trusted as
        /// itself, as curl and Python trust it.
        pub fn ca_file(mut self, path: impl Into<::std::path::PathBuf>) -> Self {
            self.$field.tls.ca_file = Some(path.into());
            self
        }

        /// A client certificate and key (PEM).
        pub fn client_cert(
            mut self,
            cert: impl Into<::std::path::PathBuf>,
            key: impl Into<::std::path::PathBuf>,
        ) -> Self {
            self.$field.tls.client_cert = Some($crate::ClientCert {
                cert_file: cert.into(),
                key_file: key.into(),
            });
            self
        }

        /// Goes through this `http://` proxy (credentials in its URL are
        /// sent as `Proxy-Authorization`), except to the hosts `NO_PROXY`
        /// names. By default the proxy comes from `HTTP_PROXY`,
        /// `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`.
        pub fn proxy(mut self, url: impl Into<String>) -> Self {
            self.$field.proxy = $crate::Proxy::Url(url.into());
            self
        }

        /// Which proxy to use ([`Proxy::from_setting`] reads a flag's
        /// text: `""` goes direct).
        ///
        /// [`Proxy::from_setting`]: $crate::Proxy::from_setting
        pub fn proxy_setting(mut self, proxy: $crate::Proxy) -> Self {
            self.$field.proxy = proxy;
            self
        }

        /// Goes direct, whatever the proxy variables say.
        pub fn no_proxy(mut self) -> Self {
            self.$field.proxy = $crate::Proxy::None;
            self
        }

        /// The most bytes an answer held whole may have, and the most a
        /// compressed answer may inflate to (default 256 MiB).
        pub fn max_body_size(mut self, bytes: usize) -> Self {
            self.$field.max_body_size = bytes;
            self
        }
    };
}
