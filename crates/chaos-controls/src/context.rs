//! The data hooks receive.

use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::{ControlError, HookResult};

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
    /// Where [`set_configuration`](Self::set_configuration) and
    /// [`set_secret`](Self::set_secret) record a hook's changes for the
    /// runner to apply; `None` when the caller applies none.
    #[serde(skip)]
    pub changes: Option<&'a Changes>,
}

impl RunContext<'_> {
    /// Sets the configuration value `key` for what runs after this hook, as
    /// a Python control does by writing into its `configuration`: an
    /// activity that starts once the hook has returned sees `${key}` as
    /// `value`, and so do the controls called after this one at the same
    /// hook, in their `configuration`, as in chaoslib. The `configuration`
    /// this hook was given is unchanged.
    ///
    /// Fails when the caller takes no changes (`changes` is `None`), so the
    /// control knows its change was not made.
    pub fn set_configuration(&self, key: impl Into<String>, value: Value) -> HookResult {
        self.record(Change::Configuration {
            key: key.into(),
            value,
        })
    }

    /// Sets the secret `key` of the scope `scope` (created if missing) for
    /// what runs after this hook, as a Python control does by writing into
    /// its `secrets`. It is seen, and fails, as
    /// [`set_configuration`](Self::set_configuration) is and does.
    pub fn set_secret(
        &self,
        scope: impl Into<String>,
        key: impl Into<String>,
        value: Value,
    ) -> HookResult {
        self.record(Change::Secret {
            scope: scope.into(),
            key: key.into(),
            value,
        })
    }

    fn record(&self, change: Change) -> HookResult {
        match self.changes {
            Some(changes) => {
                changes.push(change);
                Ok(())
            }
            None => Err(ControlError::failed(format!(
                "cannot set {}: this hook's caller takes no changes",
                change.name()
            ))),
        }
    }
}

/// The changes hooks asked of a run's configuration and secrets, in the
/// order they were asked: a runner gives hooks a `&Changes` in
/// [`RunContext::changes`], [`take`](Self::take)s them once the hook has
/// returned, and [`apply`](Change::apply)s them before what runs next.
///
/// ```
/// use chaos_controls::{Changes, RunContext};
/// use serde_json::{Map, json};
///
/// let (experiment, empty) = (json!({"title": "t"}), json!({}));
/// let changes = Changes::new();
/// let run = RunContext {
///     experiment: &experiment,
///     configuration: &empty,
///     secrets: &empty,
///     settings: &empty,
///     changes: Some(&changes),
/// };
/// run.set_configuration("my_token", json!("abc")).unwrap();
/// run.set_secret("k8s", "token", json!("s3cr3t")).unwrap();
///
/// let (mut configuration, mut secrets) = (Map::new(), Map::new());
/// for change in changes.take() {
///     change.apply(&mut configuration, &mut secrets);
/// }
/// assert_eq!(configuration["my_token"], "abc");
/// assert_eq!(secrets["k8s"]["token"], "s3cr3t");
/// assert!(changes.take().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Changes(Mutex<Vec<Change>>);

impl Changes {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a change.
    pub fn push(&self, change: Change) {
        self.lock().push(change);
    }

    /// The changes recorded since the last call, oldest first.
    pub fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *self.lock())
    }

    /// How many changes are recorded and not yet taken.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Copies of the changes recorded after the first `start` ones.
    pub(crate) fn since(&self, start: usize) -> Vec<Change> {
        self.lock()
            .get(start..)
            .map(<[Change]>::to_vec)
            .unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Change>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One change a hook asked for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Change {
    /// The configuration value `key` becomes `value`.
    Configuration {
        /// The configuration key.
        key: String,
        /// Its new value.
        value: Value,
    },
    /// The secret `key` of the scope `scope` becomes `value`.
    Secret {
        /// The secret scope (created if missing).
        scope: String,
        /// The key in it.
        key: String,
        /// Its new value.
        value: Value,
    },
}

impl Change {
    /// Makes the change to a run's resolved configuration (key → value) or
    /// secrets (scope → key → value). A scope that is not an object becomes
    /// one.
    pub fn apply(self, configuration: &mut Map<String, Value>, secrets: &mut Map<String, Value>) {
        match self {
            Change::Configuration { key, value } => {
                configuration.insert(key, value);
            }
            Change::Secret { scope, key, value } => {
                let scope = secrets
                    .entry(scope)
                    .or_insert_with(|| Value::Object(Map::new()));
                if !scope.is_object() {
                    *scope = Value::Object(Map::new());
                }
                if let Value::Object(values) = scope {
                    values.insert(key, value);
                }
            }
        }
    }

    /// What it changes, for logs and errors: `configuration 'key'` or
    /// `secret 'scope.key'`. Never the value, which may be a secret.
    pub fn name(&self) -> String {
        match self {
            Change::Configuration { key, .. } => format!("configuration '{key}'"),
            Change::Secret { scope, key, .. } => format!("secret '{scope}.{key}'"),
        }
    }
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
