//! The client's budget (`http::rate_limit`): a request over it answered 429 before anything of
//! it runs; a write counted first, exactly; a read answered with what the instance knows and
//! counted once its response is on its way; the `RateLimit` headers on every counted response.

use std::convert::Infallible;

use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, Response};

use super::{arrival, by_deadline, BoxFuture, Middleware};
use crate::deploy::Route;
use crate::http::after_response::Deferred;
use crate::http::problem;
use crate::http::rate_limit::{is_read, Budget, Verdict};
use crate::state::AppState;

/// How long a read's counter may still take once the response is posted: a hung store holds an
/// environment this long at most, not until the function's timeout.
pub const AFTER_RESPONSE_LIMIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Holds each request to its client's budget.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit<'a> {
    pub state: &'a AppState,
    pub route: &'a Route,
}

impl<'a> Middleware<'a> for RateLimit<'a> {
    type Inner = Infallible;
    type Error = Infallible;

    fn around<S>(self, req: Request, inner: S) -> BoxFuture<'a, Result<Response<Body>, Infallible>>
    where
        S: Service<Request, Response = Response<Body>, Error = Infallible> + 'a,
        S::Future: 'a,
    {
        let Self { state, route } = self;
        let Some(budget) = Budget::of(state, route, &req) else {
            return Box::pin(inner.oneshot(req));
        };
        Box::pin(async move {
            let arrival = arrival(&req);
            let (verdict, mut response) = if budget.is_spent(&state.counters) {
                // The instance already knows the budget is spent: no storage call at all.
                let exceeded = budget.exceeded();
                (
                    Verdict::Over,
                    problem::respond(&exceeded, &arrival.request_id),
                )
            } else if is_read(req.method()) {
                let deferred = req.extensions().get::<Deferred>().cloned();
                let response = inner.oneshot(req).await?;
                // Counted once the response is on its way (see `count_read`).
                let counted = budget.clone();
                if let Some(deferred) = deferred {
                    deferred.push(move |state| Box::pin(count_read(state, counted)));
                }
                (budget.expected(&state.counters), response)
            } else {
                // A write is counted first: over the budget, nothing of it is performed.
                let counting = async { Ok(budget.count_write(state).await) };
                let verdict =
                    match by_deadline(arrival.deadline(), &arrival.excluded, counting).await {
                        Ok(verdict) => verdict,
                        // Not counted in time: no verdict, no headers.
                        Err(error) => return Ok(problem::respond(&error, &arrival.request_id)),
                    };
                budget.remember(&state.counters, verdict);
                let response = match verdict {
                    Verdict::Over => problem::respond(&budget.exceeded(), &arrival.request_id),
                    Verdict::Allowed { .. } | Verdict::Unknown => inner.oneshot(req).await?,
                };
                (verdict, response)
            };
            budget.apply_headers(verdict, response.headers_mut());
            Ok(response)
        })
    }
}

/// Counts a served read, after its response is posted, within [`AFTER_RESPONSE_LIMIT`], and keeps
/// what the counter says for the client's next requests to this instance.
///
/// Not beside the read: the read's own storage call would share the connection's and the
/// store's time with the counter's write, and its response would wait for that (`make bench`).
async fn count_read(state: &AppState, budget: Budget) {
    let counting = budget.clone().count_read(state);
    let verdict = tokio::time::timeout(AFTER_RESPONSE_LIMIT, counting)
        .await
        .unwrap_or_else(|_| {
            tracing::warn!("read not counted: the rate limiter's store did not answer in time");
            Verdict::Unknown
        });
    budget.remember(&state.counters, verdict);
}
