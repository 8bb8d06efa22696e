//! Interrupting a run from outside: signals, controls, and what a second
//! interrupt stops.

use super::*;

/// Stops a running experiment from another task (a signal handler).
///
/// [`interrupt`](Self::interrupt) (SIGINT, SIGTERM, SIGUSR1) ends the run
/// with status `interrupted`: rollbacks per strategy, after-hooks and
/// cleanup, and its journal. Rollbacks, once started, run to their end
/// unless interrupted a second time. [`interrupt_now`](Self::interrupt_now)
/// (SIGUSR2) does the same but skips the rollbacks, and stops them if they
/// are running.
#[derive(Debug, Clone)]
pub struct Interrupter(pub(super) Arc<tokio::sync::watch::Sender<Interruption>>);

/// What the interrupter has been told so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interruption {
    /// The first reason given.
    pub(super) reason: Option<String>,
    /// How many interrupts came.
    pub(super) count: u32,
    /// Whether rollbacks are to be skipped.
    pub(super) skip_rollbacks: bool,
}

impl Interrupter {
    /// Interrupts the run gracefully, giving a reason for the log; a second
    /// call stops rollbacks that are running.
    pub fn interrupt(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.0.send_modify(|i| {
            i.reason.get_or_insert(reason);
            i.count += 1;
        });
    }

    /// Interrupts the run now: no rollbacks (running ones stop), no waiting
    /// for background activities; after-hooks, cleanup and the journal
    /// still happen.
    pub fn interrupt_now(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.0.send_modify(|i| {
            i.reason.get_or_insert(reason);
            i.count += 1;
            i.skip_rollbacks = true;
        });
    }
}

/// Why a run stopped early: a control or a signal interrupted it.
pub(super) enum Stop {
    /// With the reason.
    Interrupted(String),
}

pub(super) type Step<T = ()> = Result<T, Stop>;

impl From<chaos_controls::Interrupted> for Stop {
    fn from(i: chaos_controls::Interrupted) -> Self {
        Stop::Interrupted(i.to_string())
    }
}

impl Context<'_> {
    pub(super) fn is_rolling_back(&self) -> bool {
        self.rolling_back.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Why the run must stop now, if it must: an interrupt, or, while
    /// rolling back, a second interrupt or an immediate one.
    pub(super) fn stop_reason(&self, i: &Interruption) -> Option<String> {
        let reason = || i.reason.clone().unwrap_or_else(|| "interrupted".into());
        if self.is_rolling_back() {
            (i.count >= 2 || i.skip_rollbacks).then(reason)
        } else {
            i.reason.as_ref().map(|_| reason())
        }
    }

    /// Resolves when the run must stop (see [`Self::stop_reason`]).
    pub(super) async fn interrupted(&self) -> String {
        let mut rx = self.interrupt.clone();
        loop {
            let now = rx.borrow_and_update().clone();
            if let Some(reason) = self.stop_reason(&now) {
                return reason;
            }
            // Once a run, not once for each rollback still to come.
            if self.is_rolling_back()
                && now.count == 1
                && !self
                    .rollback_warned
                    .swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                self.say(
                    "WARNING",
                    "Rollbacks are running and will run to their end: interrupt again to stop them",
                );
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    pub(super) fn check_interrupt(&self) -> Step {
        match self.stop_reason(&self.interrupt.borrow()) {
            Some(reason) => Err(Stop::Interrupted(reason)),
            None => Ok(()),
        }
    }
}
