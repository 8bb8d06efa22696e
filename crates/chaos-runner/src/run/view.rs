//! Thin typed views over the experiment's JSON and the statuses a run
//! writes, so that the compiler checks what string indexes checked.

use serde_json::Value;

use super::Dry;

/// An activity of the experiment (probe or action), as written.
#[derive(Debug, Clone, Copy)]
pub(super) struct Activity<'a>(pub(super) &'a Value);

/// Every activity the experiment declares, in the order chaoslib looks
/// them up: the hypothesis' probes, the method, the rollbacks (`ref`s
/// included, as written).
pub(super) fn declared(experiment: &Value) -> impl Iterator<Item = &Value> {
    [
        experiment["steady-state-hypothesis"]["probes"].as_array(),
        experiment["method"].as_array(),
        experiment["rollbacks"].as_array(),
    ]
    .into_iter()
    .flatten()
    .flatten()
}

/// What an activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Probe,
    Action,
}

impl Kind {
    /// How the progress log names it.
    pub(super) fn label(self) -> &'static str {
        match self {
            Kind::Probe => "Probe",
            Kind::Action => "Action",
        }
    }
}

impl<'a> Activity<'a> {
    /// Its name, or `""`.
    pub(super) fn name(self) -> &'a str {
        self.0["name"].as_str().unwrap_or_default()
    }

    /// Probe or action (anything but `"action"` is run as a probe).
    pub(super) fn kind(self) -> Kind {
        if self.0["type"] == "action" {
            Kind::Action
        } else {
            Kind::Probe
        }
    }

    /// The provider, as written (not substituted).
    pub(super) fn provider(self) -> &'a Value {
        &self.0["provider"]
    }

    /// The activity it refers to, for `{"ref": name}`.
    pub(super) fn reference(self) -> Option<&'a str> {
        self.0.get("ref").and_then(Value::as_str)
    }

    /// Whether it runs in the background.
    pub(super) fn is_background(self) -> bool {
        self.0.get("background").and_then(Value::as_bool) == Some(true)
    }

    /// Its own dry mode, if it has one.
    pub(super) fn dry(self) -> Option<Dry> {
        self.0
            .get("dry")
            .and_then(Value::as_str)
            .and_then(|d| d.parse().ok())
    }

    /// Its `pauses`, or `null`.
    pub(super) fn pauses(self) -> &'a Value {
        self.0.get("pauses").unwrap_or(&Value::Null)
    }

    /// Its `tolerance`, or `null`.
    pub(super) fn tolerance(self) -> &'a Value {
        self.0.get("tolerance").unwrap_or(&Value::Null)
    }
}

/// A run's status in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Completed,
    Failed,
    Interrupted,
}

impl Status {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }
}

/// An activity run's status in the journal.
pub(super) const SUCCEEDED: &str = "succeeded";
/// An activity run's status in the journal.
pub(super) const FAILED: &str = "failed";
