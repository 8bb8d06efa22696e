//! The facade's error type.

/// What a probe, the control's setup, or dispatch can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No module of that name here.
    #[error(
        "unknown module '{module}': expected chaosprometheus.probes or chaosprometheus.metrics"
    )]
    UnknownModule {
        /// The module asked for.
        module: String,
    },
    /// No function of that name in the module.
    #[error("unknown function '{function}' in {module}: expected one of {known}")]
    UnknownFunction {
        /// The module.
        module: String,
        /// The function asked for.
        function: String,
        /// The module's functions, comma separated.
        known: String,
    },
    /// A required argument is missing.
    #[error("{function}: missing required argument '{name}' ({expected})")]
    MissingArgument {
        /// The function.
        function: String,
        /// The argument.
        name: &'static str,
        /// Its type.
        expected: &'static str,
    },
    /// An argument the function does not take.
    #[error("{function}: unknown argument '{name}': expected one of {known}")]
    UnknownArgument {
        /// The function.
        function: String,
        /// The argument given.
        name: String,
        /// The arguments it takes, comma separated.
        known: String,
    },
    /// An argument of the wrong JSON type.
    #[error("{function}: argument '{name}' must be {expected}, found {found}")]
    WrongType {
        /// The function.
        function: String,
        /// The argument.
        name: String,
        /// The type it must have.
        expected: &'static str,
        /// What was given, e.g. `string "abc"`.
        found: String,
    },
    /// An argument of the right type with a value that cannot be used.
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// The argument or configuration key.
        name: String,
        /// What was expected.
        reason: String,
    },
    /// A time argument that does not parse; the message contains
    /// `failed to parse '<input>'`.
    #[error("{name}: {source}")]
    Time {
        /// The argument (`when`, `start`, `end`, `window`).
        name: &'static str,
        /// The parse error.
        #[source]
        source: chaosprom_when::Error,
    },
    /// The query failed: Prometheus' error, or no answer.
    #[error("Prometheus query {query} failed: {source}")]
    Query {
        /// The query and its parameters.
        query: String,
        /// Why.
        #[source]
        source: Box<chaosprom_api::Error>,
    },
    /// The range query failed.
    #[error("Prometheus query range {query} failed: {source}")]
    QueryRange {
        /// The query and its parameters.
        query: String,
        /// Why.
        #[source]
        source: Box<chaosprom_api::Error>,
    },
    /// A mean could not be computed.
    #[error("cannot compute the {mean_type} mean of {query}: {reason}")]
    Mean {
        /// The query.
        query: String,
        /// The mean asked for.
        mean_type: String,
        /// Why.
        reason: String,
    },
    /// The Prometheus client could not be built from the configuration.
    #[error("Prometheus client: {0}")]
    Client(#[source] Box<chaosprom_api::Error>),
}

impl Error {
    pub(crate) fn invalid(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name: name.into(),
            reason: reason.into(),
        }
    }
}
