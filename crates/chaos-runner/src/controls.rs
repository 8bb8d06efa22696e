//! Controls declared in an experiment (and in the settings), instantiated
//! from the modules registered with the runner, and the set that applies at
//! each level.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chaos_controls::{Control, ControlSet, Interrupted, RunContext, Scope};
use serde_json::Value;

/// Makes the control of a `"type": "python"` control provider's module.
pub type ControlFactory = Arc<dyn Fn() -> Arc<dyn Control> + Send + Sync>;

/// Instances by control name, made for a load and kept for the run after
/// it (see `Runner::load`).
pub(crate) type Loaded = HashMap<String, Arc<dyn Control>>;

/// One declared control: its instance, scope and arguments.
type Instance = (Arc<dyn Control>, Option<Scope>, Value);

/// The run's controls: one instance per name.
pub(crate) struct Controls {
    /// name → instance.
    instances: HashMap<String, Instance>,
    /// Every control's name, in the order they are configured: the
    /// settings', the experiment's, then those declared deeper (as
    /// chaoslib initializes its global controls first).
    order: Vec<String>,
    /// The controls whose `configure` failed: not used in this run, as
    /// chaoslib does not register them.
    failed: Mutex<HashSet<String>>,
    experiment: Vec<Value>,
    global: Vec<Value>,
}

impl Controls {
    /// Instantiates every control declared anywhere in the experiment or in
    /// the settings' `controls` map (name → declaration). A module without
    /// a factory is skipped with a warning, as Python skips a control it
    /// cannot import. A control named in `loaded` is that instance rather
    /// than a new one.
    pub(crate) fn new(
        experiment: &Value,
        settings_controls: &Value,
        factories: &HashMap<String, ControlFactory>,
        mut loaded: Loaded,
    ) -> Self {
        let mut global: Vec<Value> = Vec::new();
        if let Some(map) = settings_controls.as_object() {
            for (name, decl) in map {
                // Named by its key, whatever name it declares, as
                // chaoslib's `load_global_controls` names it.
                let mut decl = decl.clone();
                if decl.is_object() {
                    decl["name"] = Value::String(name.clone());
                }
                global.push(decl);
            }
        }
        let experiment_level: Vec<Value> = experiment["controls"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut declarations: Vec<&Value> = global.iter().chain(experiment_level.iter()).collect();
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
        let mut order = Vec::new();
        for decl in declarations {
            let Some(name) = decl.get("name").and_then(Value::as_str) else {
                continue;
            };
            if instances.contains_key(name) || decl.get("ref").is_some() {
                continue;
            }
            if decl["provider"]["type"] != "python" {
                // chaoslib runs only Python controls and passes over the
                // rest; validation refuses one without a type.
                tracing::warn!(
                    control = name,
                    "a control whose provider is not of type python is skipped, as chaos run skips it"
                );
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
            let control = loaded.remove(name).unwrap_or_else(|| factory());
            let scope = match decl.get("scope").and_then(Value::as_str) {
                Some("before") => Some(Scope::Before),
                Some("after") => Some(Scope::After),
                _ => None,
            };
            let arguments = decl["provider"]
                .get("arguments")
                .cloned()
                .unwrap_or(Value::Object(Default::default()));
            order.push(name.to_owned());
            instances.insert(name.to_owned(), (control, scope, arguments));
        }
        Self {
            instances,
            order,
            failed: Mutex::new(HashSet::new()),
            experiment: experiment_level,
            global,
        }
    }

    /// The instances, by name.
    pub(crate) fn into_loaded(self) -> Loaded {
        self.instances
            .into_iter()
            .map(|(name, (control, _, _))| (name, control))
            .collect()
    }

    /// Whether any control is in force.
    pub(crate) fn is_empty(&self) -> bool {
        self.instances.is_empty()
    }

    /// The set of these names' controls, leaving out those whose
    /// `configure` failed.
    fn set_of_names<'a>(&self, names: impl Iterator<Item = &'a str>) -> ControlSet {
        let failed = self.failed.lock().ok();
        let mut set = ControlSet::new();
        for name in names {
            if failed.as_ref().is_some_and(|f| f.contains(name)) {
                continue;
            }
            if let Some((control, scope, arguments)) = self.instances.get(name) {
                set.add(name, control.clone(), *scope, arguments.clone());
            }
        }
        set
    }

    fn set_of<'a>(&self, declarations: impl Iterator<Item = &'a Value>) -> ControlSet {
        self.set_of_names(declarations.map(|decl| {
            decl.get("ref")
                .or_else(|| decl.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
        }))
    }

    /// `configure` on every control; one that fails is left out of the
    /// rest of the run (its hooks and its cleanup), as chaoslib leaves out
    /// a control whose initialization raised.
    pub(crate) async fn configure(&self, run: &RunContext<'_>) -> Result<(), Interrupted> {
        let failures = self
            .set_of_names(self.order.iter().map(String::as_str))
            .configure(run)
            .await?;
        if let Ok(mut failed) = self.failed.lock() {
            for failure in failures {
                tracing::warn!(
                    control = %failure.control,
                    "the control could not be configured: it is not used in this run"
                );
                failed.insert(failure.control);
            }
        }
        Ok(())
    }

    /// `cleanup` on every control that was configured.
    pub(crate) async fn cleanup(&self) {
        self.set_of_names(self.order.iter().map(String::as_str))
            .cleanup()
            .await;
    }

    fn automatic(&self) -> impl Iterator<Item = &Value> {
        self.experiment
            .iter()
            .filter(|c| c.get("automatic").and_then(Value::as_bool) != Some(false))
    }

    /// The experiment level: the global controls, then the experiment's
    /// (chaoslib's order).
    pub(crate) fn experiment_level(&self) -> ControlSet {
        self.set_of(self.global.iter().chain(self.experiment.iter()))
    }

    /// Method and rollback levels: the experiment's automatic controls.
    pub(crate) fn method_level(&self) -> ControlSet {
        self.set_of(self.automatic())
    }

    /// Hypothesis and activity levels: the experiment's automatic
    /// controls, the global ones, then the context's own (a `ref` names an
    /// experiment-level control), as chaoslib merges them (without the
    /// duplicates its merge makes when there are several).
    pub(crate) fn context_level(&self, context: &Value) -> ControlSet {
        let own = context["controls"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        self.set_of(self.automatic().chain(self.global.iter()).chain(own.iter()))
    }
}
