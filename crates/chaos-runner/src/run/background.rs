//! Background activities, run alongside those after them.

/// Background activities: each is polled from the moment it starts, while
/// the foreground runs, until all are done.
pub(super) struct Background<F: std::future::Future> {
    running: Vec<Slot<F>>,
}

/// A background future and, once it is done, its output.
pub(super) type Slot<F> = (
    std::pin::Pin<Box<F>>,
    Option<<F as std::future::Future>::Output>,
);

impl<F: std::future::Future> Default for Background<F> {
    fn default() -> Self {
        Self {
            running: Vec::new(),
        }
    }
}

impl<F: std::future::Future> Background<F> {
    pub(super) fn start(&mut self, future: F) {
        self.running.push((Box::pin(future), None));
    }

    /// Polls every unfinished one; whether all are done.
    pub(super) fn poll_all(&mut self, cx: &mut std::task::Context<'_>) -> bool {
        let mut done = true;
        for (future, result) in &mut self.running {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *result = Some(v),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        done
    }

    /// Runs `foreground` to its end while the background ones go on.
    pub(super) async fn alongside<G: std::future::Future>(&mut self, foreground: G) -> G::Output {
        let mut foreground = std::pin::pin!(foreground);
        std::future::poll_fn(|cx| {
            self.poll_all(cx);
            foreground.as_mut().poll(cx)
        })
        .await
    }

    /// Waits for all of them; their outputs in the order they started.
    pub(super) async fn finish(mut self) -> Vec<F::Output> {
        std::future::poll_fn(|cx| {
            if self.poll_all(cx) {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        self.running
            .into_iter()
            .filter_map(|(_, result)| result)
            .collect()
    }
}
