//! `OPTIONS`, on any path: 204 with the methods the path takes (`Allow`) and, for an allowed
//! origin, the CORS preflight headers; 404 on a path no route takes. Never counted, never
//! handled.

use std::convert::Infallible;

use lambda_http::http::Method;
use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, Response};

use super::{arrival, BoxFuture, Middleware};
use crate::http::context::RequestContextExt;
use crate::http::routes::{allowed_methods, not_found};
use crate::http::{cors, problem, response};
use crate::state::AppState;

/// Answers preflights before anything else runs.
#[derive(Debug, Clone, Copy)]
pub struct Preflight<'a> {
    pub state: &'a AppState,
}

impl<'a> Middleware<'a> for Preflight<'a> {
    type Inner = Infallible;
    type Error = Infallible;

    fn around<S>(self, req: Request, inner: S) -> BoxFuture<'a, Result<Response<Body>, Infallible>>
    where
        S: Service<Request, Response = Response<Body>, Error = Infallible> + 'a,
        S::Future: 'a,
    {
        if req.method() != Method::OPTIONS {
            return Box::pin(inner.oneshot(req));
        }
        let state = self.state;
        Box::pin(async move {
            let Some(allow) = allowed_methods(req.uri().path()) else {
                return Ok(problem::respond(&not_found(), &arrival(&req).request_id));
            };
            let mut answer = response::with_header(response::no_content(), "allow", &allow);
            let origin = req.header_str("origin");
            cors::apply_preflight(answer.headers_mut(), &state.config, origin);
            Ok(answer)
        })
    }
}
