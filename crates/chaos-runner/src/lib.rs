//! Runs [Chaos Toolkit](https://chaostoolkit.org) experiment files.
//!
//! Experiments in JSON or YAML are validated before anything runs, their
//! `configuration` and `secrets` resolved (environment lookups, command
//! line overrides), `${…}` substituted with the Chaos Toolkit's rules, and
//! run as `chaos run` does: the steady-state hypothesis before and after
//! the method, probes checked against their tolerances, the method's
//! probes and actions with pauses, `ref`s and background activities,
//! rollbacks by strategy, and a journal with the same keys, order, formats
//! and statuses.
//!
//! Providers: `process`, `http`, and `python` for the modules of the
//! [`Extension`]s registered by module name. This crate knows no extension
//! of its own (the `chaosprom` command registers the Prometheus one).
//!
//! Controls come through [`chaos_controls`]: experiment-, hypothesis- and
//! activity-level controls (with `scope`, `automatic` and `ref`) and those
//! of the settings' `controls` map, instantiated from the modules
//! registered with [`Runner::control_module`]. Hypothesis strategies, dry
//! runs and interruption from outside ([`Interrupter`]) are supported.
//!
//! Errors: [`Error`] is only for what stops a run from starting (a file
//! that does not load, an invalid experiment, a missing environment
//! variable); once it runs, every failure is in the journal.

mod controls;
mod error;
mod exact;
mod journal;
mod jsonpath;
mod load;
mod providers;
mod pystr;
mod run;
mod substitute;
mod tolerance;
mod validate;
mod vars;
mod yaml;

pub use controls::ControlFactory;

/// The README's examples, run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;
pub use error::Error;
pub use journal::redact_secrets;
pub use load::{MAX_DEPTH, MAX_FILE_SIZE, load_experiment, load_experiment_with, load_file};
pub use providers::{Extension, Extensions, MAX_PROCESS_OUTPUT, MAX_SECONDS};
pub use run::{Dry, HypothesisStrategy, Interrupter, PROGRESS_TARGET, RollbackStrategy, Runner};
pub use substitute::{Lookup, substitute};
pub use tolerance::{ProbeTolerance, within};
pub use validate::{Problem, validate, validate_settings};
pub use vars::{VarFile, load_var_file, parse_var, resolve_configuration, resolve_secrets};

/// How many values `value` holds, itself included: what a copy of it
/// costs, for the limits on what JSON paths and YAML aliases may copy.
pub(crate) fn value_size(value: &serde_json::Value) -> usize {
    1 + match value {
        serde_json::Value::Array(items) => items.iter().map(value_size).sum(),
        serde_json::Value::Object(map) => map.values().map(value_size).sum(),
        _ => 0,
    }
}
