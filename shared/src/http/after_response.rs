//! Work a request leaves for after its response: done inside the invocation, never detached.
//!
//! Lambda freezes an execution environment when its runtime asks for the next event, not when a
//! response is posted. [`AfterResponseLayer`] wraps the runtime's service whose future posts the
//! response (`POST /runtime/invocation/{id}/response`) and, once it has, awaits whatever the
//! request left in [`Pending`] before the runtime asks for the next event: the client already
//! has its answer, and the work still finishes in this invocation. (A detached `tokio::spawn`
//! would be frozen mid-flight with the environment and resumed, connections dead, in a later
//! invocation.) The crate's OpenTelemetry layer flushes its spans the same way.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task;
use std::time::Duration;

use lambda_http::lambda_runtime::LambdaInvocation;
use lambda_http::tower::{Layer, Service};
use lambda_http::Request;
use tracing::Instrument;

use crate::state::AppState;

/// A handler's work for after its response: given the state when it runs.
type Later =
    Box<dyn for<'s> FnOnce(&'s AppState) -> Pin<Box<dyn Future<Output = ()> + 's>> + Send + Sync>;

/// How long a handler's after-response work may take: within the function's timeout, whatever
/// storage does.
pub const LATER_LIMIT: Duration = Duration::from_secs(4);

/// Where the pipeline collects what a request's handler leaves for after its response.
#[derive(Clone, Default)]
pub struct Deferred(Arc<Mutex<Vec<Later>>>);

impl Deferred {
    /// Leaves `work` for after the response (see [`after_response`]).
    pub fn push<F>(&self, work: F)
    where
        F: for<'s> FnOnce(&'s AppState) -> Pin<Box<dyn Future<Output = ()> + 's>>
            + Send
            + Sync
            + 'static,
    {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(work));
    }

    /// The work left so far, taken out.
    pub fn take(&self) -> Vec<Later> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Leaves `work` for after the response to `req`: it runs once the client has its answer,
/// inside the invocation, within [`LATER_LIMIT`]. What the client must not wait for, or must
/// not be able to time, goes here. Outside the pipeline (no slot in the request) it is dropped.
pub fn after_response<F>(req: &Request, work: F)
where
    F: for<'s> FnOnce(&'s AppState) -> Pin<Box<dyn Future<Output = ()> + 's>>
        + Send
        + Sync
        + 'static,
{
    if let Some(deferred) = req.extensions().get::<Deferred>() {
        deferred.push(work);
    }
}

/// Runs what a handler left, each piece within [`LATER_LIMIT`].
pub async fn run_later(state: &AppState, works: Vec<Later>) {
    for work in works {
        if tokio::time::timeout(LATER_LIMIT, work(state))
            .await
            .is_err()
        {
            tracing::warn!("after-response work did not finish in time");
        }
    }
}

/// Work for after the response, if the request left any.
#[must_use = "after-response work does nothing unless finished"]
pub struct AfterResponse<'a>(Option<Pin<Box<dyn Future<Output = ()> + 'a>>>);

impl std::fmt::Debug for AfterResponse<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "AfterResponse(pending)"
        } else {
            "AfterResponse(none)"
        })
    }
}

impl<'a> AfterResponse<'a> {
    /// Nothing to do.
    pub fn none() -> Self {
        Self(None)
    }

    /// `work`, to be awaited once the response is on its way.
    pub fn new(work: impl Future<Output = ()> + 'a) -> Self {
        Self(Some(Box::pin(work)))
    }

    /// The same work, its log lines in `span` (the invocation's, with its trace id).
    pub fn in_span(self, span: tracing::Span) -> Self {
        match self.0 {
            Some(work) => Self::new(work.instrument(span)),
            None => self,
        }
    }

    /// Runs the work to its end (each piece bounds its own time).
    pub async fn finish(self) {
        if let Some(work) = self.0 {
            work.await;
        }
    }
}

/// Where a function's handler leaves its after-response work for [`AfterResponseLayer`].
/// Lambda hands an environment one invocation at a time, so one slot is shared by both.
#[derive(Clone, Default)]
pub struct Pending(Rc<RefCell<Vec<AfterResponse<'static>>>>);

impl Pending {
    pub fn push(&self, work: AfterResponse<'static>) {
        self.0.borrow_mut().push(work);
    }

    fn take(&self) -> Vec<AfterResponse<'static>> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// The runtime layer that finishes [`Pending`] work after each response is posted.
pub struct AfterResponseLayer {
    pending: Pending,
}

impl AfterResponseLayer {
    pub fn new(pending: Pending) -> Self {
        Self { pending }
    }
}

impl<S> Layer<S> for AfterResponseLayer {
    type Service = AfterResponseService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AfterResponseService {
            inner,
            pending: self.pending.clone(),
        }
    }
}

/// The service [`AfterResponseLayer`] makes.
pub struct AfterResponseService<S> {
    inner: S,
    pending: Pending,
}

impl<S> Service<LambdaInvocation> for AfterResponseService<S>
where
    S: Service<LambdaInvocation, Response = ()>,
    S::Future: 'static,
{
    type Response = ();
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<(), S::Error>>>>;

    fn poll_ready(&mut self, cx: &mut task::Context<'_>) -> task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: LambdaInvocation) -> Self::Future {
        let answered = self.inner.call(invocation);
        let pending = self.pending.clone();
        Box::pin(async move {
            // The handler ran and its response was posted: the client has its answer.
            let posted = answered.await;
            for work in pending.take() {
                work.finish().await;
            }
            posted
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[tokio::test(flavor = "current_thread")]
    async fn work_left_by_the_handler_runs_after_the_inner_service_has_answered() {
        let order = Rc::new(RefCell::new(Vec::new()));
        let pending = Pending::default();
        let (log, slot) = (order.clone(), pending.clone());
        let inner = lambda_http::tower::service_fn(move |_: LambdaInvocation| {
            let (log, slot) = (log.clone(), slot.clone());
            async move {
                let later = log.clone();
                slot.push(AfterResponse::new(async move {
                    later.borrow_mut().push("after the response");
                }));
                log.borrow_mut().push("response posted");
                Ok::<(), std::convert::Infallible>(())
            }
        });
        let mut service = AfterResponseLayer::new(pending.clone()).layer(inner);

        let invocation = LambdaInvocation {
            parts: lambda_http::http::Response::new(()).into_parts().0,
            body: Default::default(),
            context: Default::default(),
        };
        service.call(invocation).await.expect("served");

        assert_eq!(*order.borrow(), ["response posted", "after the response"]);
        assert!(
            pending.take().is_empty(),
            "nothing left for the next invocation"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn no_work_finishes_at_once() {
        let ran = Cell::new(false);
        AfterResponse::none().finish().await;
        AfterResponse::new(async { ran.set(true) }).finish().await;
        assert!(ran.get());
    }
}
