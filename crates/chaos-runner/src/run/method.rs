//! The method, with its background activities, and the rollbacks.

use super::view::Activity;
use super::*;

impl Context<'_> {
    /// Runs the method into `runs`. A background activity starts where it
    /// stands and runs alongside the activities after it; all are awaited
    /// at the end of the method. Entries are in the order the activities
    /// started, as chaoslib's journal has them.
    pub(super) async fn method(&self, runs: &mut Vec<Value>) -> Step {
        let method = &self.experiment["method"];
        let controls = self.controls.method_level();
        controls.before_method(&self.hooks().run(), method).await?;
        let mut background = Background::default();
        // Where each background activity's entry goes in `runs`.
        let mut places = Vec::new();
        let mut outcome = Ok(());
        for activity in method.as_array().map(Vec::as_slice).unwrap_or_default() {
            if self
                .fail_fast_tripped
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                break;
            }
            let definition = self.resolve(activity);
            let view = Activity(&definition);
            if view.is_background() {
                self.say(
                    "INFO",
                    &format!("{}: {} [in background]", view.kind().label(), view.name()),
                );
                places.push(runs.len());
                background.start(self.activity_owned(definition));
            } else if let Err(stop) = background.alongside(self.activity(&definition, runs)).await {
                outcome = Err(stop);
                break;
            }
        }
        let mut placed = Vec::with_capacity(places.len());
        for (place, (entries, step)) in places.into_iter().zip(background.finish().await) {
            if outcome.is_ok() {
                outcome = step;
            }
            placed.push((place, entries));
        }
        // The last started first, so that earlier places stay where they
        // are; two started in a row keep their order.
        for (place, entries) in placed.into_iter().rev() {
            let place = place.min(runs.len());
            runs.splice(place..place, entries);
        }
        outcome?;
        controls
            .after_method(&self.hooks().run(), method, &Value::Array(runs.clone()))
            .await?;
        Ok(())
    }

    pub(super) async fn rollbacks(&self, runs: &mut Vec<Value>) -> Step {
        let rollbacks = &self.experiment["rollbacks"];
        let list = rollbacks.as_array().map(Vec::as_slice).unwrap_or_default();
        let controls = self.controls.method_level();
        controls
            .before_rollback(&self.hooks().run(), rollbacks)
            .await?;
        if list.is_empty() {
            self.say("INFO", "No declared rollbacks, let's move on.");
        } else {
            self.say("INFO", "Let's rollback...");
        }
        for activity in list {
            let definition = self.resolve(activity);
            self.activity(&definition, runs).await?;
        }
        controls
            .after_rollback(&self.hooks().run(), rollbacks, &Value::Array(runs.clone()))
            .await?;
        Ok(())
    }
}
