//! Going through a proxy: `CONNECT` tunnels for `https://` URLs, forwarding
//! (absolute-form requests) for `http://` URLs.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use http::header::HeaderValue;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::options::Proxy;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Which destinations go through which proxy.
#[derive(Clone)]
pub(crate) struct Proxies(Option<Arc<(Matcher, NoProxy)>>);

impl Proxies {
    pub(crate) fn new(proxy: &Proxy) -> Self {
        let no = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|k| std::env::var(k).ok())
            .unwrap_or_default();
        let extra = NoProxy::read(&no);
        if extra.everything {
            return Self(None);
        }
        let matcher = match proxy {
            Proxy::None => return Self(None),
            Proxy::Env => {
                warn_of_unreadable_proxies();
                Matcher::from_env()
            }
            Proxy::Url(url) => Matcher::builder()
                .http(url.as_str())
                .https(url.as_str())
                .no(no)
                .build(),
        };
        Self(Some(Arc::new((matcher, extra))))
    }

    /// The proxy for `uri`, if it goes through one.
    fn intercept(&self, uri: &Uri) -> Option<(Uri, Option<HeaderValue>)> {
        let (matcher, extra) = self.0.as_deref()?;
        if extra.bypasses(uri) {
            return None;
        }
        let intercept = matcher.intercept(uri)?;
        Some((intercept.uri().clone(), intercept.basic_auth().cloned()))
    }

    /// The `Proxy-Authorization` value a forwarded `http://` request to
    /// `uri` needs.
    pub(crate) fn forward_auth(&self, uri: &Uri) -> Option<HeaderValue> {
        if uri.scheme_str() != Some("http") {
            return None;
        }
        self.intercept(uri).and_then(|(_, auth)| auth)
    }

    /// The proxy's URL (without credentials) for `uri`, for messages.
    pub(crate) fn describe(&self, uri: &Uri) -> Option<String> {
        self.intercept(uri).map(|(proxy, _)| proxy.to_string())
    }
}

/// Warns, once per process, of a proxy variable that is set but that the
/// matcher cannot read as a proxy (`HTTP_PROXY=" http://proxy:3128"`): it
/// is ignored and requests go direct, where requests fails on it. The
/// variable is named, never its value, which may hold credentials.
fn warn_of_unreadable_proxies() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let probe: Uri = Uri::from_static("http://chaosprom.invalid/");
        for name in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            let Some(value) = std::env::var(name).ok().filter(|v| !v.is_empty()) else {
                continue;
            };
            let read = Matcher::builder()
                .http(value.clone())
                .build()
                .intercept(&probe)
                .is_some();
            if !read {
                tracing::warn!(
                    variable = name,
                    "a proxy variable is set but is not a proxy URL this client can read \
                     (a space or another character around it?): it is ignored, and requests \
                     go direct"
                );
            }
        }
    });
}

/// What `NO_PROXY` says that hyper-util's matcher does not read as
/// Python's requests (and curl) read it: `*`, no proxy for anything (the
/// matcher took it for host names only, and still sent IP addresses
/// through the proxy), and `host:port` entries, which bypass the proxy for
/// that port of the host and its subdomains.
#[derive(Debug, Default)]
struct NoProxy {
    everything: bool,
    host_ports: Vec<(String, u16)>,
}

impl NoProxy {
    fn read(no_proxy: &str) -> Self {
        let mut out = Self::default();
        for entry in no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                out.everything = true;
            } else if let Some((host, port)) = entry.rsplit_once(':') {
                // `[::1]:9090`, `host:9090`; a bare IPv6 address has no port.
                let host = host.trim_start_matches('[').trim_end_matches(']');
                if let (Ok(port), false) = (
                    port.parse::<u16>(),
                    host.contains(':') && !entry.starts_with('['),
                ) {
                    out.host_ports
                        .push((host.trim_start_matches('.').to_ascii_lowercase(), port));
                }
            }
        }
        out
    }

    fn bypasses(&self, uri: &Uri) -> bool {
        if self.everything {
            return true;
        }
        let (Some(host), Some(port)) = (
            uri.host(),
            uri.port_u16().or_else(|| match uri.scheme_str() {
                Some("https") => Some(443),
                Some("http") => Some(80),
                _ => None,
            }),
        ) else {
            return false;
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        self.host_ports.iter().any(|(name, p)| {
            *p == port
                && (host == *name
                    || host
                        .strip_suffix(name.as_str())
                        .is_some_and(|rest| rest.ends_with('.')))
        })
    }
}

/// Connects directly, through a tunnel, or to a forwarding proxy.
#[derive(Clone)]
pub(crate) struct Connector {
    http: HttpConnector,
    proxies: Proxies,
}

impl Connector {
    pub(crate) fn new(http: HttpConnector, proxies: Proxies) -> Self {
        Self { http, proxies }
    }
}

impl Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let mut http = self.http.clone();
        let Some((proxy, auth)) = self.proxies.intercept(&dst) else {
            return Box::pin(async move {
                let io = http.call(dst).await?;
                Ok(Stream { io, proxied: false })
            });
        };
        Box::pin(async move {
            if proxy.scheme_str() != Some("http") {
                return Err(format!(
                    "the proxy {proxy} is not an http:// URL: only plain HTTP proxies are supported"
                )
                .into());
            }
            if dst.scheme_str() == Some("https") {
                let mut tunnel = Tunnel::new(proxy.clone(), http);
                if let Some(auth) = auth {
                    tunnel = tunnel.with_auth(auth);
                }
                let io = tunnel
                    .call(dst)
                    .await
                    .map_err(|e| format!("through the proxy {proxy}: {e}"))?;
                Ok(Stream { io, proxied: false })
            } else {
                let io = http
                    .call(proxy.clone())
                    .await
                    .map_err(|e| format!("connecting to the proxy {proxy}: {e}"))?;
                Ok(Stream { io, proxied: true })
            }
        })
    }
}

/// A TCP connection, marked when it goes to a forwarding proxy (so that
/// requests on it carry absolute URLs).
#[derive(Debug)]
pub(crate) struct Stream {
    io: TokioIo<TcpStream>,
    proxied: bool,
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.proxied)
    }
}

impl Read for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_entries_the_matcher_does_not_read() {
        let no =
            NoProxy::read(" example.com:9090, .corp:443 ,[::1]:9091, ::1, 10.0.0.1:80, x:notaport");
        assert!(!no.everything);
        let bypass = |uri: &str| no.bypasses(&uri.parse::<Uri>().unwrap());
        assert!(bypass("http://example.com:9090/api"));
        assert!(bypass("http://Prom.Example.com:9090/"));
        assert!(!bypass("http://example.com:9091/"));
        assert!(!bypass("http://notexample.com:9090/"));
        assert!(bypass("https://prom.corp/"));
        assert!(!bypass("http://prom.corp/"));
        assert!(bypass("http://[::1]:9091/"));
        assert!(!bypass("http://[::1]:9090/"));
        assert!(bypass("http://10.0.0.1/"));
        assert!(NoProxy::read("a.com, * ").everything);
        assert!(!NoProxy::read("*.a.com").everything);
    }
}
