//! The per-request pipeline around every handler: preflights, the per-client rate limit,
//! problem rendering, standard and CORS headers, compression and the request's one log line.

use std::convert::Infallible;
use std::future::Future;
use std::time::{Duration, Instant};

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::http::{Method, StatusCode};
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use serde_json::Value;

use super::compression;
use super::context::{self, RequestContextExt, UserSlot};
use super::cors;
use super::event::{self, RejectedEvent};
use super::headers::{add_vary, apply_standard_headers};
use super::problem;
use super::rate_limit::{Budget, Verdict};
use super::response;
use super::routes::{allowed_methods, Route};
use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry::storage_time::StorageTime;
use crate::telemetry::RequestLine;
use tracing::Instrument;

/// Runs `handler` for `req` and turns whatever it returns into a finished response.
///
/// Never fails: every error becomes a problem response here, so no `Err` reaches the Lambda
/// runtime (which API Gateway would turn into a bare 502).
pub async fn respond<'a, F, Fut>(
    state: &'a AppState,
    route: &Route,
    mut req: Request,
    handler: F,
) -> Response<Body>
where
    F: FnOnce(&'a AppState, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let started = Instant::now();
    let request_id = context::request_id(&req);
    let method = req.method().clone();
    let origin = req.header_str("origin").map(str::to_owned);
    let accept_encoding = req.header_str("accept-encoding").map(str::to_owned);
    let trace_id = req
        .lambda_context_ref()
        .and_then(|context| context.xray_trace_id.clone());
    let user = UserSlot::default();
    req.extensions_mut().insert(user.clone());

    let budget = Budget::of(state, route, &req);
    let storage = StorageTime::default();
    let (outcome, verdict) = storage
        .measure(async {
            match &budget {
                _ if method == Method::OPTIONS => (preflight(req.uri().path()), None),
                None => (handler(state, req).await, None),
                // A read is counted while it runs, so its latency does not grow by a round trip; its
                // result is dropped if the client is over its budget.
                Some(budget) if method == Method::GET || method == Method::HEAD => {
                    let (verdict, outcome) = tokio::join!(budget.count(state), handler(state, req));
                    (within(budget, verdict).and(outcome), Some(verdict))
                }
                // A write is counted first: over the budget, nothing of it is performed.
                Some(budget) => {
                    let verdict = budget.count(state).await;
                    let outcome = match within(budget, verdict) {
                        Ok(()) => handler(state, req).await,
                        Err(error) => Err(error),
                    };
                    (outcome, Some(verdict))
                }
            }
        })
        .await;
    let (mut response, error) = match outcome {
        Ok(response) => (response, None),
        Err(error) => (problem::render(&error, &request_id), Some(error)),
    };
    if let (Some(budget), Some(verdict)) = (&budget, verdict) {
        budget.apply_headers(verdict, response.headers_mut());
    }
    if method == Method::OPTIONS && response.status() == StatusCode::NO_CONTENT {
        cors::apply_preflight(response.headers_mut(), &state.config, origin.as_deref());
    }
    finish(
        &mut response,
        state,
        &request_id,
        origin.as_deref(),
        accept_encoding.as_deref(),
    );

    let cause = error
        .as_ref()
        .filter(|_| response.status().is_server_error())
        .map(error_chain);
    state.telemetry.record(&RequestLine {
        request_id: &request_id,
        method: method.as_str(),
        route: route.key,
        status: response.status(),
        duration: started.elapsed(),
        storage: storage.total(),
        user_id: user.get(),
        trace_id: trace_id.as_deref(),
        error: cause.as_deref(),
        at: state.clock.now(),
    });
    response
}

/// Answers one Lambda invocation: the event becomes a request (or, malformed, a 400 problem
/// through the same finishing steps), and the response goes back in API Gateway's shape.
pub async fn respond_to_event<'a, F, Fut>(
    state: &'a AppState,
    route: &Route,
    invocation: LambdaEvent<Value>,
    handler: F,
) -> ApiGatewayV2httpResponse
where
    F: FnOnce(&'a AppState, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let LambdaEvent { payload, context } = invocation;
    // Every line logged while the invocation runs carries its X-Ray trace id.
    let span = tracing::info_span!(
        "invocation",
        traceId = context.xray_trace_id.as_deref().unwrap_or_default()
    );
    let trace_id = context.xray_trace_id.clone();
    let response = async {
        match event::into_request(payload, context) {
            Ok(req) => respond(state, route, req, handler).await,
            Err(rejected) => respond_rejected(state, route, &rejected, trace_id.as_deref()),
        }
    }
    .instrument(span)
    .await;
    event::into_gateway_response(response)
}

/// The 400 of an event that never became a request: problem, standard headers, log line.
fn respond_rejected(
    state: &AppState,
    route: &Route,
    rejected: &RejectedEvent,
    trace_id: Option<&str>,
) -> Response<Body> {
    let started = Instant::now();
    let mut response = problem::render(&rejected.error, &rejected.request_id);
    finish(&mut response, state, &rejected.request_id, None, None);
    state.telemetry.record(&RequestLine {
        request_id: &rejected.request_id,
        method: &rejected.method,
        route: route.key,
        status: response.status(),
        duration: started.elapsed(),
        storage: Duration::ZERO,
        user_id: None,
        trace_id,
        error: None,
        at: state.clock.now(),
    });
    response
}

/// A function's whole life: logging set up, the state its route needs built once at cold start
/// (see [`AppState::for_route`]), then every invocation answered by `handler`.
///
/// The events are read here rather than by `lambda_http::run`, whose conversion panics on some
/// malformed input (see [`event`]); nothing reaches the runtime as an `Err`. One thread serves:
/// Lambda hands an environment one invocation at a time.
pub fn run<F, Fut>(route: &'static Route, handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(&'static AppState, Request) -> Fut + Copy,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(route, handler))
}

async fn serve<F, Fut>(route: &'static Route, handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(&'static AppState, Request) -> Fut + Copy,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    crate::telemetry::init();
    let state = AppState::for_route(route).await;
    lambda_runtime::run(service_fn(
        move |invocation: LambdaEvent<Value>| async move {
            Ok::<_, Infallible>(respond_to_event(state, route, invocation, handler).await)
        },
    ))
    .await
}

/// The 429 of a request over its budget, or nothing.
fn within(budget: &Budget, verdict: Verdict) -> Result<(), ApiError> {
    match verdict {
        Verdict::Over => Err(budget.exceeded()),
        Verdict::Allowed { .. } | Verdict::Unknown => Ok(()),
    }
}

/// A preflight (or any `OPTIONS`) on a known path: 204 with `Allow`; CORS headers are added after.
fn preflight(path: &str) -> Result<Response<Body>, ApiError> {
    let allow = allowed_methods(path).ok_or_else(not_found)?;
    let response = response::no_content();
    Ok(response::with_header(response, "allow", &allow))
}

/// The 404 of any path no route takes.
pub fn not_found() -> ApiError {
    ApiError::NotFound("No route matches this path.".to_owned())
}

fn finish(
    response: &mut Response<Body>,
    state: &AppState,
    request_id: &str,
    origin: Option<&str>,
    accept_encoding: Option<&str>,
) {
    apply_standard_headers(response.headers_mut(), request_id);
    cors::apply_cors(response.headers_mut(), &state.config, origin);
    compress(response, accept_encoding);
}

fn compress(response: &mut Response<Body>, accept_encoding: Option<&str>) {
    let status = response.status();
    if status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || response.headers().contains_key("content-encoding")
        || response.body().as_ref().len() < compression::MIN_SIZE
    {
        return;
    }
    add_vary(response.headers_mut(), "Accept-Encoding");
    let Some(encoding) = accept_encoding.and_then(compression::negotiate) else {
        return;
    };
    if let Some(compressed) = compression::compress(response.body().as_ref(), encoding) {
        *response.body_mut() = Body::Binary(compressed);
        response.headers_mut().insert(
            "content-encoding",
            lambda_http::http::HeaderValue::from_static(encoding.name()),
        );
    }
}

fn error_chain(error: &ApiError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
