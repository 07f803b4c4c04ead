//! Time spent in DynamoDB calls, per request: an SDK interceptor times each call (retries and
//! back-off included) and adds it to the request's own counter, which the pipeline opens around
//! the handler as a task-local, so concurrent requests in one process never mix their times.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_types::config_bag::{Storable, StoreReplace};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

tokio::task_local! {
    static STORAGE_TIME: StorageTime;
}

/// The storage time of one request so far.
#[derive(Debug, Clone, Default)]
pub struct StorageTime(Arc<AtomicU64>);

impl StorageTime {
    /// Runs `future` with its DynamoDB calls counted here.
    pub async fn measure<F: std::future::Future>(&self, future: F) -> F::Output {
        STORAGE_TIME.scope(self.clone(), future).await
    }

    pub fn total(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::Relaxed))
    }

    fn add(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// When the SDK began a call, kept in the call's own configuration bag.
#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// The interceptor every DynamoDB client carries (`store::client::build`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StorageTimer;

impl Intercept for StorageTimer {
    fn name(&self) -> &'static str {
        "StorageTimer"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Started(at)) = cfg.load::<Started>() {
            let elapsed = at.elapsed();
            // Outside a request (the cold-start warm-up) there is nothing to add to.
            let _ = STORAGE_TIME.try_with(|time| time.add(elapsed));
        }
        Ok(())
    }
}
