//! The contract between a Chaos Toolkit runner and its controls.
//!
//! A [`Control`] is code a runner calls around each step of a chaos
//! experiment: before and after loading it (the controls the settings
//! declare), once to configure it, before and after the experiment, each
//! steady-state hypothesis check, the method, the rollbacks and every
//! activity, and once to clean up. It is an `#[async_trait]` trait with one
//! method per hook, each defaulting to doing nothing, stored as
//! `Arc<dyn Control>`. Hooks receive plain data: the run ([`RunContext`]:
//! experiment, configuration, secrets, settings, as `serde_json` values),
//! the step about to run, and for "after" hooks its outcome. A hook
//! changes the configuration or secrets of what runs after it through
//! [`RunContext::set_configuration`] and [`RunContext::set_secret`], as a
//! Python control writes into the dictionaries it is given; the runner
//! applies them ([`Changes`]).
//!
//! A [`ControlSet`] is what a runner drives: named controls, called in
//! order, with `scope` honoured, ordinary failures logged and passed over,
//! and an interrupt stopping the sequence.
//!
//! Nothing here is specific to Prometheus or to any runner: any Rust chaos
//! runner and any control can meet through this crate. It does not decide
//! which controls apply where (`automatic`, `ref`, settings): that is the
//! runner's job.
//!
//! Errors: a hook returns [`ControlError::Failed`] (logged; the run goes
//! on) or [`ControlError::Interrupt`] (the run stops with status
//! `interrupted`). The set reports them as [`ControlFailure`] and
//! [`Interrupted`], each naming the control and the hook.

mod context;
mod control;
mod error;
pub mod python;
mod set;

pub use async_trait::async_trait;

/// The README's examples, run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;
pub use context::{Change, Changes, ConfigureContext, RunContext};
pub use control::Control;
pub use error::{ControlError, ControlFailure, HookResult, Interrupted};
pub use set::{ControlSet, Hook, Scope, SetResult};
