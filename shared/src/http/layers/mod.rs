//! The pipeline's layers, one concern each, composed once in `http::pipeline::stack`, outermost
//! first:
//!
//! 1. [`RequestLog`]: the request's arrival, and its one log line once it is answered;
//! 2. [`Headers`]: the standard headers, CORS and compression on every response;
//! 3. [`FrontDoorCheck`]: behind the front door, only what came through it, and its viewer's
//!    address as the client;
//! 4. [`Preflight`]: `OPTIONS` answered from the routes, never counted;
//! 5. [`RateLimit`]: the client's budget, its headers, and a read counted after the response;
//! 6. [`Problems`]: an error rendered as a problem response;
//! 7. [`Deadline`]: the handler's storage calls within the request's deadline;
//! 8. [`HandlerService`]: the handler, with the parameters it takes.
//!
//! Each is a [`Middleware`]: what it does around the services inside it, made a tower layer by
//! [`Wrap`], so each can be tested alone around any service. What the outer ones learn that the
//! inner ones need (the arrival) travels in the request's extensions.

mod deadline;
mod front_door;
mod handler;
mod headers;
mod preflight;
mod problem;
mod rate_limit;
mod request_line;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lambda_http::tower::{Layer, Service};
use lambda_http::{Body, Request, RequestExt, Response};

pub use deadline::{by_deadline, Deadline};
pub use front_door::FrontDoorCheck;
pub use handler::HandlerService;
pub use headers::Headers;
pub use preflight::Preflight;
pub use problem::Problems;
pub use rate_limit::RateLimit;
pub use request_line::RequestLog;

use super::context;
use crate::deadline::Excluded;

/// The future every layer's service answers with.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// One concern of the pipeline: what it does with a request around the services inside it,
/// whose errors are `Inner` (`ApiError` inside problem rendering, none outside it).
pub trait Middleware<'a>: Copy + 'a {
    type Inner: 'a;
    type Error: 'a;

    fn around<S>(
        self,
        req: Request,
        inner: S,
    ) -> BoxFuture<'a, Result<Response<Body>, Self::Error>>
    where
        S: Service<Request, Response = Response<Body>, Error = Self::Inner> + 'a,
        S::Future: 'a;
}

/// A [`Middleware`] as a tower layer.
#[derive(Debug, Clone, Copy)]
pub struct Wrap<'a, M>(pub M, PhantomData<&'a ()>);

impl<'a, M: Middleware<'a>> Wrap<'a, M> {
    pub fn new(middleware: M) -> Self {
        Self(middleware, PhantomData)
    }
}

impl<'a, M: Copy, S> Layer<S> for Wrap<'a, M> {
    type Service = Wrapped<'a, M, S>;

    fn layer(&self, inner: S) -> Self::Service {
        Wrapped {
            middleware: self.0,
            inner,
            lifetime: PhantomData,
        }
    }
}

/// The service a [`Wrap`] makes: its middleware around `inner`.
#[derive(Debug, Clone)]
pub struct Wrapped<'a, M, S> {
    middleware: M,
    inner: S,
    /// How long what its futures borrow (the state) lives.
    lifetime: PhantomData<&'a ()>,
}

impl<'a, M, S> Service<Request> for Wrapped<'a, M, S>
where
    M: Middleware<'a>,
    S: Service<Request, Response = Response<Body>, Error = M::Inner> + Clone + 'a,
    S::Future: 'a,
{
    type Response = Response<Body>;
    type Error = M::Error;
    type Future = BoxFuture<'a, Result<Response<Body>, M::Error>>;

    /// Every layer is always ready; the inner services' readiness is awaited per call
    /// (`ServiceExt::oneshot`).
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), M::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        self.middleware.around(req, self.inner.clone())
    }
}

/// How long a request may take from its arrival, all its storage calls together: the rate
/// limit's counter, the session check, login's counters and the route's own calls share it
/// (argon2's time, which is no storage call, is added to it: `crate::deadline`). Past it, the
/// answer is a 503 with `Retry-After` (openapi.yaml: within 5 s of arrival, whatever the route),
/// with room to spare for the gateway.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(4);

/// A request as it arrived: when, its id, method and trace id, and the time its CPU-bound work
/// has excluded from its deadline. The outermost layer puts it in the request's extensions.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at: Instant,
    pub request_id: String,
    pub method: String,
    pub trace_id: Option<String>,
    pub excluded: Excluded,
}

impl Arrival {
    /// `req`, arriving now.
    pub fn of(req: &Request) -> Self {
        Self {
            at: Instant::now(),
            request_id: context::request_id(req),
            method: req.method().as_str().to_owned(),
            trace_id: req
                .lambda_context_ref()
                .and_then(|context| context.xray_trace_id.clone()),
            excluded: Excluded::default(),
        }
    }

    /// When the request's storage calls must all be done.
    pub fn deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.at) + REQUEST_DEADLINE
    }
}

/// The arrival of `req` as the outermost layer recorded it (or now, for a request that met no
/// layer before).
pub fn arrival(req: &Request) -> Arrival {
    req.extensions()
        .get::<Arrival>()
        .cloned()
        .unwrap_or_else(|| Arrival::of(req))
}
