//! The per-request pipeline around every handler, composed here once from its layers
//! (`http::layers`: the request line, headers, preflights, the rate limit, problem rendering,
//! the deadline), and the function's runtime, which finishes each request's after-response work
//! (a read's counter, a handler's deferred work) once the response is posted.

use std::convert::Infallible;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::lambda_runtime::{self, layers::TracingLayer, LambdaEvent, Runtime};
use lambda_http::tower::{service_fn, Service, ServiceBuilder, ServiceExt};
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use tracing::Instrument;

use super::after_response::{run_later, AfterResponse, AfterResponseLayer, Deferred, Pending};
use super::event::{self, RejectedEvent};
use super::extract::Handler;
use super::layers::{
    Arrival, BoxFuture, Deadline, FrontDoorCheck, HandlerService, Headers, Preflight, Problems,
    RateLimit, RequestLog, Wrap,
};
use super::problem;
use crate::deploy::{Access, Endpoint, Route};
use crate::state::AppState;

pub use super::layers::REQUEST_DEADLINE;

/// A finished response, and the work the request left for after it is sent.
#[derive(Debug)]
pub struct Answer<'a, R = Response<Body>> {
    pub response: R,
    pub after: AfterResponse<'a>,
}

/// The pipeline of `route` around `handler`, outermost layer first.
fn stack<'a, A, Args, H>(
    state: &'a AppState,
    route: &'a Route,
    handler: H,
) -> impl Service<
    Request,
    Response = Response<Body>,
    Error = Infallible,
    Future = BoxFuture<'a, Result<Response<Body>, Infallible>>,
> + 'a
where
    A: 'a,
    Args: 'a,
    H: Handler<'a, A, Args>,
{
    ServiceBuilder::new()
        .layer(Wrap::new(RequestLog { state, route }))
        .layer(Wrap::new(Headers { state }))
        .layer(Wrap::new(FrontDoorCheck { state }))
        .layer(Wrap::new(Preflight { state }))
        .layer(Wrap::new(RateLimit { state, route }))
        .layer(Wrap::new(Problems))
        .layer(Wrap::new(Deadline))
        .service(HandlerService::new(state, handler))
}

/// Runs `req` through the pipeline to `handler` and returns the finished response, with the
/// work the request leaves for after it (see [`AfterResponse`]).
///
/// Never fails: every error becomes a problem response, so no `Err` reaches the Lambda runtime
/// (which API Gateway would turn into a bare 502).
pub async fn respond<'a, A, Args, H>(
    state: &'a AppState,
    route: &'a Route,
    mut req: Request,
    handler: H,
) -> Answer<'a>
where
    A: 'a,
    Args: 'a,
    H: Handler<'a, A, Args>,
{
    let deferred = Deferred::default();
    req.extensions_mut().insert(deferred.clone());
    let response = match stack(state, route, handler).oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let later = deferred.take();
    let after = if later.is_empty() {
        AfterResponse::none()
    } else {
        AfterResponse::new(run_later(state, later))
    };
    Answer { response, after }
}

/// Answers one Lambda invocation: the event becomes a request (or, malformed, a 400 problem
/// through the same request line and headers), and the response goes back in API Gateway's
/// shape.
pub async fn respond_to_event<'a, A, Args, H>(
    state: &'a AppState,
    route: &'a Route,
    invocation: LambdaEvent<Value>,
    handler: H,
) -> Answer<'a, ApiGatewayV2httpResponse>
where
    A: 'a,
    Args: 'a,
    H: Handler<'a, A, Args>,
{
    let LambdaEvent { payload, context } = invocation;
    // Every line logged while the invocation runs carries its X-Ray trace id.
    let span = tracing::info_span!(
        "invocation",
        traceId = context.xray_trace_id.as_deref().unwrap_or_default()
    );
    let trace_id = context.xray_trace_id.clone();
    let answer = async {
        match event::into_request(payload, context) {
            Ok(req) => respond(state, route, req, handler).await,
            Err(rejected) => Answer {
                response: respond_rejected(state, route, rejected, trace_id).await,
                after: AfterResponse::none(),
            },
        }
    }
    .instrument(span.clone())
    .await;
    Answer {
        response: event::into_gateway_response(answer.response),
        after: answer.after.in_span(span),
    }
}

/// The 400 of an event that never became a request: its problem, through the request line and
/// the headers layers (no origin, no encoding: the event could not be read for them).
async fn respond_rejected(
    state: &AppState,
    route: &Route,
    rejected: RejectedEvent,
    trace_id: Option<String>,
) -> Response<Body> {
    let mut req = Request::default();
    req.extensions_mut().insert(Arrival {
        at: std::time::Instant::now(),
        request_id: rejected.request_id,
        method: rejected.method,
        trace_id,
        excluded: Default::default(),
    });
    let error = rejected.error;
    let refusal = service_fn(|req: Request| {
        let request_id = super::layers::arrival(&req).request_id;
        std::future::ready(Ok::<_, Infallible>(problem::respond(&error, &request_id)))
    });
    let answered = ServiceBuilder::new()
        .layer(Wrap::new(RequestLog { state, route }))
        .layer(Wrap::new(Headers { state }))
        .service(refusal)
        .oneshot(req)
        .await;
    match answered {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// A function's whole life: logging set up, the state its handler needs built once at cold
/// start (see [`AppState::for_needs`]), then every invocation answered by `handler`, and the work
/// each leaves for after its response finished before the next event is asked for
/// ([`AfterResponseLayer`]).
///
/// The events are read here rather than by `lambda_http::run`, whose conversion panics on some
/// malformed input (see [`event`]); nothing reaches the runtime as an `Err`. One thread serves:
/// Lambda hands an environment one invocation at a time.
pub fn run<A, Args, H>(
    endpoint: &'static Endpoint<A>,
    handler: H,
) -> Result<(), lambda_runtime::Error>
where
    A: Access,
    Args: 'static,
    H: Handler<'static, A, Args>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(&endpoint.route, handler))
}

async fn serve<A, Args, H>(route: &'static Route, handler: H) -> Result<(), lambda_runtime::Error>
where
    A: 'static,
    Args: 'static,
    H: Handler<'static, A, Args>,
{
    crate::telemetry::init();
    crate::aws::name_function(route.function);
    // What the manifest declares, and what the handler's parameters need (the same, as a test
    // holds every function to).
    let state = AppState::for_needs(route.needs.and(H::NEEDS)).await;
    let pending = Pending::default();
    let slot = pending.clone();
    let service = lambda_runtime::service_fn(move |invocation: LambdaEvent<Value>| {
        let slot = slot.clone();
        async move {
            let answer = respond_to_event(state, route, invocation, handler).await;
            slot.push(answer.after);
            Ok::<_, Infallible>(answer.response)
        }
    });
    Runtime::new(service)
        .layer(AfterResponseLayer::new(pending))
        .layer(TracingLayer::new())
        .run()
        .await
}
