//! The outermost layer: the request's arrival, then its one log line (which is also its
//! metrics: `telemetry::request_line`), written here and nowhere else.

use std::convert::Infallible;

use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, Response};

use super::{Arrival, BoxFuture, Middleware};
use crate::deploy::Route;
use crate::http::context::UserSlot;
use crate::http::problem::Cause;
use crate::state::AppState;
use crate::telemetry::storage_time::StorageTime;
use crate::telemetry::RequestLine;

/// Records each request's arrival and writes its line once it is answered.
#[derive(Debug, Clone, Copy)]
pub struct RequestLog<'a> {
    pub state: &'a AppState,
    pub route: &'a Route,
}

impl<'a> Middleware<'a> for RequestLog<'a> {
    type Inner = Infallible;
    type Error = Infallible;

    fn around<S>(
        self,
        mut req: Request,
        inner: S,
    ) -> BoxFuture<'a, Result<Response<Body>, Infallible>>
    where
        S: Service<Request, Response = Response<Body>, Error = Infallible> + 'a,
        S::Future: 'a,
    {
        let Self { state, route } = self;
        Box::pin(async move {
            let arrival = req
                .extensions()
                .get::<Arrival>()
                .cloned()
                .unwrap_or_else(|| Arrival::of(&req));
            req.extensions_mut().insert(arrival.clone());
            let user = UserSlot::default();
            req.extensions_mut().insert(user.clone());
            let storage = StorageTime::default();
            let response = storage.measure(inner.oneshot(req)).await?;
            state.telemetry.record(&RequestLine {
                request_id: &arrival.request_id,
                method: &arrival.method,
                route: route.key,
                status: response.status(),
                duration: arrival.at.elapsed(),
                storage: storage.total(),
                user_id: user.get(),
                trace_id: arrival.trace_id.as_deref(),
                error: response.extensions().get::<Cause>().map(Cause::as_str),
                at: state.clock.now(),
            });
            Ok(response)
        })
    }
}
