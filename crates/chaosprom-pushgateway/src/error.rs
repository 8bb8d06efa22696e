//! The crate's error type.

/// A push, push-add or delete that was refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The job name is empty.
    #[error("invalid job: expected a non-empty job name")]
    EmptyJob,
    /// A grouping label name is not a valid Prometheus label name.
    #[error(
        "invalid grouping label name '{name}': expected [a-zA-Z_][a-zA-Z0-9_]* \
         (not starting with __, not 'job')"
    )]
    InvalidLabelName {
        /// The name.
        name: String,
    },
    /// The same grouping label is given twice.
    #[error("grouping label '{name}' is given twice")]
    DuplicateLabel {
        /// The name.
        name: String,
    },
    /// A pushed metric carries `job` or a grouping label with a value other
    /// than the push path's, which the Pushgateway would silently replace.
    /// (The same value is fine: the Chaos Toolkit's control pushes metrics
    /// labelled with the experiment ref it also groups by.)
    #[error(
        "metric family '{family}' carries {label}=\"{value}\", but the push path \
         sets {label}=\"{expected}\": the Pushgateway would silently replace it"
    )]
    LabelClash {
        /// The family's name.
        family: String,
        /// The label.
        label: String,
        /// The metric's value for it.
        value: String,
        /// The push path's value for it.
        expected: String,
    },
    /// The metrics could not be encoded in the text format.
    #[error("encoding the metrics in the text format failed: {0}")]
    Encode(String),
    /// The base URL or the settings were refused, or the request failed on
    /// the way (connection, TLS, timeout).
    #[error(transparent)]
    Http(#[from] chaosprom_http::Error),
    /// The Pushgateway answered with a status other than 200 or 202, or a
    /// remote-write receiver with one outside 2xx.
    #[error("{method} {url} answered {status}: {message}")]
    Status {
        /// The request method.
        method: String,
        /// The URL, without credentials.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the gateway's answer.
        message: String,
    },
}

impl Error {
    /// An answer with an unwanted status, with the start of what the
    /// server said.
    pub(crate) async fn from_answer(answer: chaosprom_http::Response) -> Self {
        let method = answer.method().to_string();
        let url = answer.url().to_owned();
        let status = answer.status().as_u16();
        let snippet = answer.prefix(512).await.unwrap_or_default();
        Error::Status {
            method,
            url,
            status,
            message: String::from_utf8_lossy(&snippet).trim().to_owned(),
        }
    }

    /// The HTTP status, for an answer the gateway refused.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether no complete answer came in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Http(e) if e.is_timeout())
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Http(e) if e.is_connect())
    }

    /// Whether the input was refused before any I/O.
    pub fn is_invalid_input(&self) -> bool {
        match self {
            Error::EmptyJob
            | Error::InvalidLabelName { .. }
            | Error::DuplicateLabel { .. }
            | Error::LabelClash { .. }
            | Error::Encode(_) => true,
            Error::Http(e) => e.is_config(),
            Error::Status { .. } => false,
        }
    }
}
