//! The runner's error type: what stops a run before it starts.

/// A failure to load, configure or validate an experiment. Failures of
/// activities are not errors: they are recorded in the journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or parsed.
    #[error("cannot load {path}: {reason}")]
    Load {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The experiment has problems; each names its JSON path.
    #[error("the experiment is not valid:\n{}", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<crate::Problem>),
    /// The settings have problems; each names its JSON path in them
    /// (see [`validate_settings`](crate::validate_settings)).
    #[error("the settings are not valid:\n{}", .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Settings(Vec<crate::Problem>),
    /// A configuration value or secret could not be resolved.
    #[error("{key}: {reason}")]
    Config {
        /// The key, e.g. `configuration.prometheus_base_url`.
        key: String,
        /// Why.
        reason: String,
    },
    /// The journal could not be written.
    #[error("cannot write the journal to {path}: {reason}")]
    Journal {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}
