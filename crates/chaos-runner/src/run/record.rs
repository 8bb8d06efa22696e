//! What a run records, and the journal it becomes.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::view::Status;
use crate::journal::{iso, node, platform, redact_secrets};

/// The parts of the journal a run fills in.
#[derive(Default)]
pub(super) struct State {
    pub(super) status: Option<Status>,
    pub(super) deviated: bool,
    pub(super) before: Value,
    pub(super) after: Value,
    pub(super) during: Vec<Value>,
    pub(super) runs: Vec<Value>,
    pub(super) rollbacks: Vec<Value>,
}

impl State {
    /// The journal, with the Python runner's keys in its order; the
    /// experiment's secrets are replaced by `***`.
    pub(super) fn into_journal(
        self,
        experiment: &Value,
        started: Timestamp,
        ended: Timestamp,
        status: Status,
    ) -> Value {
        let mut journal = Map::new();
        journal.insert("chaoslib-version".into(), json!(env!("CARGO_PKG_VERSION")));
        journal.insert("platform".into(), json!(platform()));
        journal.insert("node".into(), json!(node()));
        journal.insert("experiment".into(), redact_secrets(experiment));
        journal.insert("start".into(), json!(iso(started)));
        journal.insert("status".into(), json!(status.as_str()));
        journal.insert("deviated".into(), json!(self.deviated));
        journal.insert(
            "steady_states".into(),
            crate::journal::object([
                ("before", self.before),
                ("after", self.after),
                ("during", Value::Array(self.during)),
            ]),
        );
        journal.insert("run".into(), Value::Array(self.runs));
        journal.insert("rollbacks".into(), Value::Array(self.rollbacks));
        journal.insert("end".into(), json!(iso(ended)));
        journal.insert(
            "duration".into(),
            json!(ended.duration_since(started).as_secs_f64()),
        );
        Value::Object(journal)
    }
}
