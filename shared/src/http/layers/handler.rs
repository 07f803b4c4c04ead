//! The innermost service: the route's handler, its parameters produced from the request
//! (`http::extract`).

use std::marker::PhantomData;
use std::task::{Context, Poll};

use lambda_http::tower::Service;
use lambda_http::{Body, Request, Response};

use super::BoxFuture;
use crate::error::ApiError;
use crate::http::extract::Handler;
use crate::state::AppState;

/// `handler` as a service, on a route whose callers are `A`.
pub struct HandlerService<'a, H, A, Args> {
    state: &'a AppState,
    handler: H,
    signature: PhantomData<fn() -> (A, Args)>,
}

impl<'a, H, A, Args> HandlerService<'a, H, A, Args> {
    pub fn new(state: &'a AppState, handler: H) -> Self {
        Self {
            state,
            handler,
            signature: PhantomData,
        }
    }
}

impl<H: Copy, A, Args> Clone for HandlerService<'_, H, A, Args> {
    fn clone(&self) -> Self {
        Self::new(self.state, self.handler)
    }
}

impl<'a, H, A, Args> Service<Request> for HandlerService<'a, H, A, Args>
where
    H: Handler<'a, A, Args>,
{
    type Response = Response<Body>;
    type Error = ApiError;
    type Future = BoxFuture<'a, Result<Response<Body>, ApiError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ApiError>> {
        Poll::Ready(Ok(()))
    }

    /// On the heap: the handler's future is the largest part of a request's state.
    fn call(&mut self, req: Request) -> Self::Future {
        Box::pin(self.handler.call(self.state, req))
    }
}
