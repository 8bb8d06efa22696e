//! The test kit's error type.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while starting or talking to a test server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No binary was found for a server.
    #[error(
        "{name} binary not found: set {env} or put one of {candidates} on PATH \
         (`cargo xtask setup` installs it from Debian's packages)"
    )]
    BinaryNotFound {
        /// The server's name, e.g. `prometheus`.
        name: &'static str,
        /// The environment variable that can point at the binary.
        env: &'static str,
        /// The names looked up on PATH, comma separated.
        candidates: String,
    },
    /// An environment variable names a binary that does not exist.
    #[error("{env} is set to '{}', which is not an existing file", path.display())]
    BadBinaryVar {
        /// The variable.
        env: &'static str,
        /// Its value.
        path: PathBuf,
    },
    /// A process could not be started.
    #[error("failed to start '{}': {source}", binary.display())]
    Spawn {
        /// The binary.
        binary: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A server exited before it became ready.
    #[error("{name} exited with {status} before it was ready; its output ends with:\n{output}")]
    Exited {
        /// The server's name.
        name: &'static str,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The end of its stdout and stderr.
        output: String,
    },
    /// A server did not answer its readiness endpoint in time.
    #[error(
        "{name} did not answer {url} with 200 within {waited:?}; its output ends with:\n{output}"
    )]
    NotReady {
        /// The server's name.
        name: &'static str,
        /// The readiness URL.
        url: String,
        /// How long the kit waited.
        waited: Duration,
        /// The end of its stdout and stderr.
        output: String,
    },
    /// `promtool tsdb create-blocks-from openmetrics` failed.
    #[error("promtool failed to create blocks from the OpenMetrics history ({status}):\n{output}")]
    Promtool {
        /// promtool's exit status.
        status: std::process::ExitStatus,
        /// What promtool printed.
        output: String,
    },
    /// A file operation in the server's folder failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An HTTP request of the kit's own failed.
    #[error("{method} {url}: {reason}")]
    Http {
        /// The request method.
        method: String,
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A server answered a request of the kit's with an unexpected status.
    #[error("{method} {url} answered {status}: {body}")]
    Status {
        /// The request method.
        method: String,
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
}

impl Error {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}
