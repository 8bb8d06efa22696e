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
    /// No connection could be made (refused, unreachable, DNS, proxy…).
    #[error("{method} {url}: connection failed: {reason}{}", history(*attempts, *last_status))]
    Connect {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The last attempt's cause chain, as text.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last HTTP status an earlier attempt got, if any.
        last_status: Option<u16>,
    },
    /// The TLS handshake failed (untrusted certificate, wrong host…).
    #[error("{method} {url}: TLS failure: {reason}")]
    Tls {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// What went wrong and what to do about it, then the cause chain.
        reason: String,
    },
    /// No complete answer within the request timeout.
    #[error("{method} {url}: no complete answer within {after:?}{}", history(*attempts, *last_status))]
    Timeout {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The timeout that ran out.
        after: Duration,
        /// How many attempts were made.
        attempts: u32,
        /// The last HTTP status an earlier attempt got, if any.
        last_status: Option<u16>,
    },
    /// The connection broke before or while the answer was read.
    #[error("{method} {url}: {reason}{}", history(*attempts, *last_status))]
    Io {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The last attempt's cause chain, as text.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last HTTP status an earlier attempt got, if any.
        last_status: Option<u16>,
    },
    /// An answer was larger than the limit for answers held in memory
    /// (or, compressed, inflated past it).
    #[error(
        "{method} {url}: the answer is larger than {limit} bytes, the limit for an answer held \
         in memory; raise it (max_body_size) if this is expected"
    )]
    BodyTooLarge {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The limit, in bytes.
        limit: usize,
    },
}

/// ` (after N attempts; the last answer was HTTP S)`, or nothing for a
/// single attempt.
fn history(attempts: u32, last_status: Option<u16>) -> String {
    match (attempts, last_status) {
        (0 | 1, None) => String::new(),
        (n, None) => format!(" (after {n} attempts)"),
        (n, Some(status)) => {
            let reason = http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            format!(" (after {n} attempts; an earlier attempt was answered HTTP {status}{reason})")
        }
    }
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

/// The rustls error somewhere in the chain, if any. An `io::Error`'s
/// `source()` skips the error it wraps, so the walk steps into it through
/// `get_ref()` instead.
pub(crate) fn tls_failure<'e>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = match e.downcast_ref::<std::io::Error>() {
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            },
            None => e.source(),
        };
    }
    None
}

/// What a TLS failure means and what to do about it, as a sentence.
pub(crate) fn tls_advice(error: &rustls::Error, host: &str) -> String {
    use rustls::{AlertDescription, CertificateError, Error as E};
    let flags = "pass the CA that signed it with --ca-file (prometheus_ca_file), or, \
                 for a test server only, turn verification off with --insecure \
                 (prometheus_verify_tls: false)";
    match error {
        E::InvalidCertificate(CertificateError::UnknownIssuer) => {
            format!("the server's certificate is not signed by a CA this client trusts: {flags}")
        }
        E::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "the server's certificate is not issued for '{host}': use the host name the \
             certificate names in the URL, or put that exact certificate in the CA file"
        ),
        E::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's certificate has expired: renew it on the server (or check this \
              machine's clock)"
            .to_owned(),
        E::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => "the server's certificate is not valid yet: check this machine's clock".to_owned(),
        E::InvalidCertificate(CertificateError::Revoked) => {
            "the server's certificate has been revoked".to_owned()
        }
        E::InvalidCertificate(CertificateError::Other(other))
            if other.to_string().contains("CaUsedAsEndEntity") =>
        {
            "the server presents a CA certificate as its own (a self-signed certificate): \
             put that exact certificate in the file given with --ca-file \
             (prometheus_ca_file) to trust it"
                .to_owned()
        }
        E::InvalidCertificate(_) => {
            format!("the server's certificate cannot be verified: {flags}")
        }
        E::AlertReceived(
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA,
        ) => "the server refused this client's certificate, or wants one: pass a client \
              certificate and key the server trusts"
            .to_owned(),
        E::AlertReceived(alert) => format!(
            "the server ended the handshake ({alert:?}): check that it accepts TLS 1.2 or 1.3 \
             and the certificate it asks for"
        ),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } => {
            "the server did not answer in TLS: is it plain HTTP? Use an http:// URL".to_owned()
        }
        E::NoCertificatesPresented => "the server sent no certificate".to_owned(),
        other => format!("the TLS handshake failed ({other})"),
    }
}
