//! The transport's error type.

use std::time::Duration;

/// A failure to build a transport or to get an answer from a server.
///
/// URLs in messages never carry credentials: they are taken out of the base
/// URL when the transport is built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("invalid URL '{url}': {reason}")]
    InvalidUrl {
        /// The URL, without credentials.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A configured header has an invalid name or value.
    #[error("invalid header '{name}': {reason}")]
    InvalidHeader {
        /// The header's name.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// The TLS settings could not be applied (unreadable CA or key file…).
    #[error("TLS configuration: {what}: {reason}")]
    TlsConfig {
        /// What was being loaded.
        what: String,
        /// Why it failed.
        reason: String,
    },
    /// No connection could be made (refused, unreachable, DNS…).
    #[error("{method} {url}: connection failed: {reason}")]
    Connect {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The cause chain, as text.
        reason: String,
    },
    /// The TLS handshake failed (untrusted certificate, wrong host…).
    #[error("{method} {url}: TLS failure: {reason}")]
    Tls {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The cause chain, as text.
        reason: String,
    },
    /// No complete answer within the request timeout.
    #[error("{method} {url}: no complete answer within {after:?}")]
    Timeout {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The timeout that ran out.
        after: Duration,
    },
    /// The connection broke while the answer was being read.
    #[error("{method} {url}: {reason}")]
    Io {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The cause chain, as text.
        reason: String,
    },
}

impl Error {
    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Connect { .. })
    }

    /// Whether TLS failed, in configuration or in the handshake.
    pub fn is_tls(&self) -> bool {
        matches!(self, Error::Tls { .. } | Error::TlsConfig { .. })
    }

    /// Whether the settings were refused before any I/O.
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            Error::InvalidUrl { .. } | Error::InvalidHeader { .. } | Error::TlsConfig { .. }
        )
    }
}

/// An error and its sources, joined with `: `.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// Whether a rustls error is somewhere in the chain. An `io::Error`'s
/// `source()` skips the error it wraps, so the walk steps into it through
/// `get_ref()` instead.
pub(crate) fn is_tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        current = match e.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            },
            None => e.source(),
        };
    }
    false
}
