//! The handler's storage calls within the request's deadline ([`super::REQUEST_DEADLINE`] from
//! its arrival, plus the CPU-bound time it excluded): past it, a 503 with `Retry-After`.

use std::future::Future;
use std::pin::pin;

use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, Response};

use super::{arrival, BoxFuture, Middleware};
use crate::deadline::Excluded;
use crate::error::ApiError;
use crate::store::RETRY_AFTER_SECONDS;

/// `work`, or a 503 if it has not finished by `deadline` plus the time it spent in CPU-bound
/// work (argon2), which is no storage call (`crate::deadline`).
pub async fn by_deadline<T>(
    deadline: tokio::time::Instant,
    excluded: &Excluded,
    work: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let mut work = pin!(excluded.scope(work));
    loop {
        let until = deadline + excluded.get();
        if let Ok(outcome) = tokio::time::timeout_at(until, &mut work).await {
            return outcome;
        }
        // Only if no CPU-bound work moved the deadline on meanwhile.
        if deadline + excluded.get() <= tokio::time::Instant::now() {
            return Err(ApiError::Unavailable {
                context: "request deadline",
                retry_after: RETRY_AFTER_SECONDS,
                source: "storage did not answer within the request's deadline".into(),
            });
        }
    }
}

/// Holds the services inside it to the request's deadline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deadline;

impl<'a> Middleware<'a> for Deadline {
    type Inner = ApiError;
    type Error = ApiError;

    fn around<S>(self, req: Request, inner: S) -> BoxFuture<'a, Result<Response<Body>, ApiError>>
    where
        S: Service<Request, Response = Response<Body>, Error = ApiError> + 'a,
        S::Future: 'a,
    {
        Box::pin(async move {
            let arrival = arrival(&req);
            by_deadline(arrival.deadline(), &arrival.excluded, inner.oneshot(req)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::layers::{Arrival, Wrap, REQUEST_DEADLINE};
    use lambda_http::tower::service_fn;
    use lambda_http::tower::Layer;
    use std::time::{Duration, Instant};

    /// A request that arrived `ago`.
    fn arrived(ago: Duration) -> Request {
        let mut req = Request::default();
        let mut arrival = Arrival::of(&req);
        arrival.at = Instant::now() - ago;
        req.extensions_mut().insert(arrival);
        req
    }

    #[tokio::test]
    async fn work_past_the_deadline_is_a_503_with_retry_after() {
        let hanging =
            service_fn(|_: Request| std::future::pending::<Result<Response<Body>, ApiError>>());
        let late = arrived(REQUEST_DEADLINE + Duration::from_secs(1));
        let outcome = Wrap::new(Deadline).layer(hanging).oneshot(late).await;
        match outcome {
            Err(ApiError::Unavailable { retry_after, .. }) => {
                assert_eq!(retry_after, RETRY_AFTER_SECONDS)
            }
            other => panic!("expected 503, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn work_within_the_deadline_answers() {
        let answering = service_fn(|_: Request| {
            std::future::ready(Ok::<_, ApiError>(crate::http::response::no_content()))
        });
        let response = Wrap::new(Deadline)
            .layer(answering)
            .oneshot(arrived(Duration::ZERO))
            .await
            .expect("answered");
        assert_eq!(response.status(), 204);
    }
}
