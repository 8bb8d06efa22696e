//! When rollbacks are played, when the hypothesis is checked, what a dry
//! run skips.

use std::str::FromStr;

/// When rollbacks are played.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RollbackStrategy {
    /// Unless the run failed or was interrupted.
    #[default]
    Default,
    /// Always.
    Always,
    /// Never.
    Never,
    /// Only when the run deviated.
    Deviated,
}

impl FromStr for RollbackStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Self::Default),
            "always" => Ok(Self::Always),
            "never" => Ok(Self::Never),
            "deviated" => Ok(Self::Deviated),
            other => Err(format!(
                "invalid rollback strategy '{other}': expected default, always, never or deviated"
            )),
        }
    }
}

/// When the steady-state hypothesis is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HypothesisStrategy {
    /// Before and after the method.
    #[default]
    Default,
    /// Only before the method.
    BeforeMethodOnly,
    /// Only after the method.
    AfterMethodOnly,
    /// Only repeatedly while the method runs.
    DuringMethodOnly,
    /// Before, repeatedly during, and after the method.
    Continuously,
}

impl FromStr for HypothesisStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "default" => Ok(Self::Default),
            "before-method-only" => Ok(Self::BeforeMethodOnly),
            "after-method-only" => Ok(Self::AfterMethodOnly),
            "during-method-only" => Ok(Self::DuringMethodOnly),
            "continuously" => Ok(Self::Continuously),
            // chaos' old spelling, which it still takes, with a warning.
            "continously" => {
                tracing::warn!(
                    "the hypothesis strategy 'continously' is an old spelling: use 'continuously'"
                );
                Ok(Self::Continuously)
            }
            other => Err(format!(
                "invalid hypothesis strategy '{other}': expected default, before-method-only, \
                 after-method-only, during-method-only or continuously"
            )),
        }
    }
}

impl HypothesisStrategy {
    pub(super) fn before(self) -> bool {
        matches!(
            self,
            Self::Default | Self::BeforeMethodOnly | Self::Continuously
        )
    }

    pub(super) fn during(self) -> bool {
        matches!(self, Self::DuringMethodOnly | Self::Continuously)
    }

    pub(super) fn after(self) -> bool {
        matches!(
            self,
            Self::Default | Self::AfterMethodOnly | Self::Continuously
        )
    }
}

/// What a dry run skips.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dry {
    /// Probes are not run (and tolerances not checked).
    Probes,
    /// Actions are not run.
    Actions,
    /// No activity is run.
    Activities,
    /// Pauses are skipped.
    Pause,
}

impl FromStr for Dry {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "probes" => Ok(Self::Probes),
            "actions" => Ok(Self::Actions),
            "activities" => Ok(Self::Activities),
            "pause" => Ok(Self::Pause),
            other => Err(format!(
                "invalid dry mode '{other}': expected probes, actions, activities or pause"
            )),
        }
    }
}
