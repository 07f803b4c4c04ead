//! The request's storage deadline, and the work that does not count against it.
//!
//! One deadline covers all of a request's storage calls (`http::pipeline`). CPU-bound work
//! (argon2, in the auth routes) is no storage call: the time a request spends in it, or waiting
//! for it, is added to the deadline as it is spent, so a burst of logins queueing for the one
//! argon2 buffer of a process is never answered as if storage were down.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

tokio::task_local! {
    static EXCLUDED: Arc<AtomicU64>;
}

/// Time excluded from a request's deadline so far, shared with the work that excludes it.
#[derive(Debug, Clone, Default)]
pub struct Excluded(Arc<AtomicU64>);

impl Excluded {
    /// Runs `request` with this as its excluded time.
    pub async fn scope<F: Future>(&self, request: F) -> F::Output {
        EXCLUDED.scope(self.0.clone(), request).await
    }

    /// The time excluded so far.
    pub fn get(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

/// Runs CPU-bound `work`, its time (waiting included) not counted against the request's
/// storage deadline. Outside a request it simply runs.
pub async fn excluded<F: Future>(work: F) -> F::Output {
    let started = Instant::now();
    let output = work.await;
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let _ = EXCLUDED.try_with(|excluded| excluded.fetch_add(nanos, Ordering::Relaxed));
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_in_scope_adds_its_time_and_work_outside_adds_nothing() {
        let excluded = Excluded::default();
        excluded
            .scope(excluded_sleep(Duration::from_millis(20)))
            .await;
        excluded_sleep(Duration::from_millis(20)).await;
        let time = excluded.get();
        assert!(time >= Duration::from_millis(20), "{time:?}");
        assert!(time < Duration::from_millis(40), "{time:?}");
    }

    async fn excluded_sleep(duration: Duration) {
        super::excluded(tokio::time::sleep(duration)).await;
    }
}
