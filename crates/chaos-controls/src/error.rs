//! What a hook returns when it does not succeed.

use std::fmt;

/// A hook's failure: either an ordinary failure, which the runner logs
/// before going on, or a request to interrupt the run.
#[derive(Debug)]
#[non_exhaustive]
pub enum ControlError {
    /// The hook failed; the run goes on.
    Failed {
        /// What went wrong.
        message: String,
        /// The underlying error, if any.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The control asks the runner to stop the run, which then ends with
    /// status `interrupted` (ignored in `after_experiment`, as in the Chaos
    /// Toolkit).
    Interrupt {
        /// Why.
        reason: String,
    },
}

impl ControlError {
    /// An ordinary failure.
    pub fn failed(message: impl Into<String>) -> Self {
        ControlError::Failed {
            message: message.into(),
            source: None,
        }
    }

    /// An ordinary failure caused by `source`.
    pub fn failed_with(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ControlError::Failed {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// A request to interrupt the run.
    pub fn interrupt(reason: impl Into<String>) -> Self {
        ControlError::Interrupt {
            reason: reason.into(),
        }
    }

    /// Whether this asks to interrupt the run.
    pub fn is_interrupt(&self) -> bool {
        matches!(self, ControlError::Interrupt { .. })
    }
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::Failed { message, .. } => f.write_str(message),
            ControlError::Interrupt { reason } => write!(f, "interrupt requested: {reason}"),
        }
    }
}

impl std::error::Error for ControlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ControlError::Failed {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// What a hook returns.
pub type HookResult = Result<(), ControlError>;

/// A control asked to interrupt the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// The control's name.
    pub control: String,
    /// The hook it was in, e.g. `before_activity`.
    pub hook: &'static str,
    /// Its reason.
    pub reason: String,
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "control '{}' interrupted the run in {}: {}",
            self.control, self.hook, self.reason
        )
    }
}

impl std::error::Error for Interrupted {}

/// A control's ordinary failure, logged and passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlFailure {
    /// The control's name.
    pub control: String,
    /// The hook it failed in.
    pub hook: &'static str,
    /// The failure and its causes, as text.
    pub message: String,
}
