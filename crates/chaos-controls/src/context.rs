//! The data hooks receive.

use serde::Serialize;
use serde_json::Value;

/// What every hook of a run sees, as the Chaos Toolkit passes it to Python
/// controls.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RunContext<'a> {
    /// The experiment being run, as a JSON object (`title`, `method`,
    /// `steady-state-hypothesis`, `rollbacks`, `controls`, …), after the
    /// runner's own additions such as `"dry"`.
    pub experiment: &'a Value,
    /// The resolved `configuration` map: environment lookups done, values
    /// of any JSON type.
    pub configuration: &'a Value,
    /// The resolved `secrets`: scope name → map of secret values.
    pub secrets: &'a Value,
    /// The Chaos Toolkit settings (the content of `settings.yaml`), or an
    /// empty object.
    pub settings: &'a Value,
}

/// What `configure` receives: the run, and the control's own arguments.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ConfigureContext<'a> {
    /// The run.
    pub run: RunContext<'a>,
    /// The control's `provider.arguments` from the experiment or settings,
    /// as written (not `${}`-substituted), or an empty object.
    pub arguments: &'a Value,
}
