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
pub(crate) struct Proxies(Option<Arc<Matcher>>);

impl Proxies {
    pub(crate) fn new(proxy: &Proxy) -> Self {
        let matcher = match proxy {
            Proxy::None => return Self(None),
            Proxy::Env => Matcher::from_env(),
            Proxy::Url(url) => {
                let no = ["NO_PROXY", "no_proxy"]
                    .iter()
                    .find_map(|k| std::env::var(k).ok())
                    .unwrap_or_default();
                Matcher::builder()
                    .http(url.as_str())
                    .https(url.as_str())
                    .no(no)
                    .build()
            }
        };
        Self(Some(Arc::new(matcher)))
    }

    /// The proxy for `uri`, if it goes through one.
    fn intercept(&self, uri: &Uri) -> Option<(Uri, Option<HeaderValue>)> {
        let intercept = self.0.as_ref()?.intercept(uri)?;
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
