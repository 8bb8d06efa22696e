//! Controls declared in an experiment (and in the settings), instantiated
//! from the modules registered with the runner, and the set that applies at
//! each level.

use std::collections::HashMap;
use std::sync::Arc;

use chaos_controls::{Control, ControlSet, Scope};
use serde_json::Value;

/// Makes the control of a `"type": "python"` control provider's module.
pub type ControlFactory = Arc<dyn Fn() -> Arc<dyn Control> + Send + Sync>;

/// One declared control: its instance, scope and arguments.
type Instance = (Arc<dyn Control>, Option<Scope>, Value);

/// The run's controls: one instance per name.
pub(crate) struct Controls {
    /// name → instance.
    instances: HashMap<String, Instance>,
    /// Every control, for configure and cleanup.
    pub(crate) all: ControlSet,
    experiment: Vec<Value>,
    global: Vec<Value>,
}

impl Controls {
    /// Instantiates every control declared anywhere in the experiment or in
    /// the settings' `controls` map (name → declaration). A module without
    /// a factory is skipped with a warning, as Python skips a control it
    /// cannot import.
    pub(crate) fn new(
        experiment: &Value,
        settings_controls: &Value,
        factories: &HashMap<String, ControlFactory>,
    ) -> Self {
        let mut global: Vec<Value> = Vec::new();
        if let Some(map) = settings_controls.as_object() {
            for (name, decl) in map {
                let mut decl = decl.clone();
                if decl.is_object() && decl.get("name").is_none() {
                    decl["name"] = Value::String(name.clone());
                }
                global.push(decl);
            }
        }
        let experiment_level: Vec<Value> = experiment["controls"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut declarations: Vec<&Value> = experiment_level.iter().chain(global.iter()).collect();
        let mut nested = Vec::new();
        for h in [&experiment["steady-state-hypothesis"]] {
            nested.extend(h["controls"].as_array().cloned().unwrap_or_default());
            for probe in h["probes"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                nested.extend(probe["controls"].as_array().cloned().unwrap_or_default());
            }
        }
        for list in ["method", "rollbacks"] {
            for activity in experiment[list]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                nested.extend(activity["controls"].as_array().cloned().unwrap_or_default());
            }
        }
        declarations.extend(nested.iter());
        let mut instances = HashMap::new();
        let mut all = ControlSet::new();
        for decl in declarations {
            let Some(name) = decl.get("name").and_then(Value::as_str) else {
                continue;
            };
            if instances.contains_key(name) || decl.get("ref").is_some() {
                continue;
            }
            let module = decl["provider"]["module"].as_str().unwrap_or_default();
            let Some(factory) = factories.get(module) else {
                tracing::warn!(
                    control = name,
                    module,
                    "no control is registered for this module; it is skipped"
                );
                continue;
            };
            let control = factory();
            let scope = match decl.get("scope").and_then(Value::as_str) {
                Some("before") => Some(Scope::Before),
                Some("after") => Some(Scope::After),
                _ => None,
            };
            let arguments = decl["provider"]
                .get("arguments")
                .cloned()
                .unwrap_or(Value::Object(Default::default()));
            all.add(name, control.clone(), scope, arguments.clone());
            instances.insert(name.to_owned(), (control, scope, arguments));
        }
        Self {
            instances,
            all,
            experiment: experiment_level,
            global,
        }
    }

    /// Whether any control is in force.
    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    fn set_of<'a>(&self, declarations: impl Iterator<Item = &'a Value>) -> ControlSet {
        let mut set = ControlSet::new();
        for decl in declarations {
            let name = decl
                .get("ref")
                .or_else(|| decl.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Some((control, scope, arguments)) = self.instances.get(name) {
                set.add(name, control.clone(), *scope, arguments.clone());
            }
        }
        set
    }

    fn automatic(&self) -> impl Iterator<Item = &Value> {
        self.experiment
            .iter()
            .filter(|c| c.get("automatic").and_then(Value::as_bool) != Some(false))
    }

    /// The experiment level: the experiment's controls, then the global ones.
    pub(crate) fn experiment_level(&self) -> ControlSet {
        self.set_of(self.experiment.iter().chain(self.global.iter()))
    }

    /// Method and rollback levels: the experiment's automatic controls.
    pub(crate) fn method_level(&self) -> ControlSet {
        self.set_of(self.automatic())
    }

    /// Hypothesis and activity levels: the global controls, the context's
    /// own (a `ref` names an experiment-level control), then the
    /// experiment's automatic ones.
    pub(crate) fn context_level(&self, context: &Value) -> ControlSet {
        let own = context["controls"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        self.set_of(self.global.iter().chain(own.iter()).chain(self.automatic()))
    }
}
