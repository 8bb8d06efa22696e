//! The crate's error type.

/// A query or request that failed.
///
/// Every variant that concerns a request names its method and URL, without
/// credentials (they are taken out of the base URL when the client is
/// built, and headers are never shown).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was refused before any I/O.
    #[error("invalid argument {name}: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// What was expected.
        reason: String,
    },
    /// The connection, TLS or timeout layer failed, or the client's
    /// settings were refused.
    #[error(transparent)]
    Http(#[from] chaosprom_http::Error),
    /// Prometheus answered with an error of its own.
    #[error("{method} {url}: Prometheus answered {status} {error_type}: {error}")]
    Api {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Prometheus' `errorType`, e.g. `bad_data`, `timeout`, `execution`.
        error_type: String,
        /// Prometheus' `error` message.
        error: String,
    },
    /// The answer was not Prometheus JSON (e.g. an HTML page from a proxy).
    #[error("{method} {url}: HTTP {status} with a body that is not Prometheus JSON: {snippet}")]
    NotPrometheus {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The `Content-Type`, if any.
        content_type: Option<String>,
        /// The start of the body.
        snippet: String,
    },
    /// A redirect that was not followed: to another server, to an invalid
    /// location, or one too many.
    #[error("{method} {url}: HTTP {status} redirect {reason}")]
    Redirect {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The HTTP status (301, 302, 303, 307 or 308).
        status: u16,
        /// Where to and why it was not followed.
        reason: String,
    },
    /// A successful answer's body could not be decoded.
    #[error("{method} {url}: cannot decode the answer at byte {offset}: {reason}")]
    Decode {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The byte offset in the body where decoding failed.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// A streamed answer turned out wrong after part of it had been
    /// written to the caller's writer, which cannot take it back.
    #[error(
        "{source} ({written} bytes of the answer were already written and cannot be taken \
         back: discard them)"
    )]
    PartlyWritten {
        /// How many bytes the writer got.
        written: u64,
        /// What was wrong.
        #[source]
        source: Box<Error>,
    },
    /// Writing the payload to the caller's writer failed.
    #[error("writing the answer of {url}: {source}")]
    Write {
        /// The URL, without credentials.
        url: String,
        /// The writer's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The HTTP status, for an answer that came back with an error.
    pub fn status(&self) -> Option<u16> {
        match self.cause() {
            Error::Api { status, .. }
            | Error::NotPrometheus { status, .. }
            | Error::Redirect { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Prometheus' `errorType`, for an API error.
    pub fn error_type(&self) -> Option<&str> {
        match self.cause() {
            Error::Api { error_type, .. } => Some(error_type),
            _ => None,
        }
    }

    /// Whether no complete answer came in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self.cause(), Error::Http(e) if e.is_timeout())
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        matches!(self.cause(), Error::Http(e) if e.is_connect())
    }

    /// Whether TLS failed.
    pub fn is_tls(&self) -> bool {
        matches!(self.cause(), Error::Http(e) if e.is_tls())
    }

    /// Whether the arguments or settings were refused before any I/O.
    pub fn is_invalid_argument(&self) -> bool {
        match self {
            Error::InvalidArgument { .. } => true,
            Error::Http(e) => e.is_config(),
            _ => false,
        }
    }

    /// Whether a body could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self.cause(), Error::Decode { .. })
    }

    /// The error itself, when it came after part of the answer was
    /// written ([`Error::PartlyWritten`]); otherwise `self`.
    pub fn cause(&self) -> &Error {
        match self {
            Error::PartlyWritten { source, .. } => source.cause(),
            other => other,
        }
    }

    /// `error`, wrapped in [`Error::PartlyWritten`] when `written` bytes
    /// already went out.
    pub(crate) fn partly_written(written: u64, error: Error) -> Self {
        if written == 0 {
            error
        } else {
            Error::PartlyWritten {
                written,
                source: Box::new(error),
            }
        }
    }

    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name,
            reason: reason.into(),
        }
    }
}
