//! The per-request pipeline around every handler: preflights, the per-client rate limit, one
//! storage deadline, problem rendering, standard and CORS headers, compression and the
//! request's one log line; and the function's runtime, which finishes each request's
//! after-response work (a read's counter) once the response is posted.

use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::http::{Method, StatusCode};
use lambda_http::lambda_runtime::{self, layers::TracingLayer, LambdaEvent, Runtime};
use lambda_http::{service_fn, Body, Request, RequestExt, Response};
use serde_json::Value;

use super::after_response::{run_later, AfterResponse, AfterResponseLayer, Deferred, Pending};
use super::compression;
use super::context::{self, RequestContextExt, UserSlot};
use super::cors;
use super::event::{self, RejectedEvent};
use super::extract::Handler;
use super::headers::{add_vary, apply_standard_headers};
use super::problem;
use super::rate_limit::{is_read, Budget, Verdict};
use super::response;
use super::routes::allowed_methods;
use crate::deadline::Excluded;
use crate::deploy::{Access, Endpoint, Route};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::RETRY_AFTER_SECONDS;
use crate::telemetry::storage_time::StorageTime;
use crate::telemetry::RequestLine;
use tracing::Instrument;

/// How long a request may take from its arrival, all its storage calls together: the rate
/// limit's counter, the session check, login's counters and the route's own calls share it
/// (argon2's time, which is no storage call, is added to it: `crate::deadline`). Past it, the
/// answer is a 503 with `Retry-After` (openapi.yaml: within 5 s of arrival, whatever the route),
/// with room to spare for the gateway.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(4);

/// How long a read's counter may still take once the response is posted: a hung store holds an
/// environment this long at most, not until the function's timeout.
pub const AFTER_RESPONSE_LIMIT: Duration = Duration::from_secs(1);

/// A finished response, and the work the request left for after it is sent.
#[derive(Debug)]
pub struct Answer<'a, R = Response<Body>> {
    pub response: R,
    pub after: AfterResponse<'a>,
}

/// `work`, or a 503 if it has not finished by `deadline` plus the time it spent in CPU-bound
/// work (argon2), which is no storage call (`crate::deadline`).
async fn by_deadline<T>(
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

/// Runs `handler` for `req` and turns whatever it returns into a finished response, with the
/// work the request leaves for after it (see [`AfterResponse`]).
///
/// Never fails: every error becomes a problem response here, so no `Err` reaches the Lambda
/// runtime (which API Gateway would turn into a bare 502).
pub async fn respond<'a, A, Args, H>(
    state: &'a AppState,
    route: &Route,
    mut req: Request,
    handler: H,
) -> Answer<'a>
where
    H: Handler<'a, A, Args>,
{
    let started = Instant::now();
    let deadline = tokio::time::Instant::from_std(started) + REQUEST_DEADLINE;
    let excluded = Excluded::default();
    let request_id = context::request_id(&req);
    let method = req.method().clone();
    let origin = req.header_str("origin").map(str::to_owned);
    let accept_encoding = req.header_str("accept-encoding").map(str::to_owned);
    let trace_id = req
        .lambda_context_ref()
        .and_then(|context| context.xray_trace_id.clone());
    let user = UserSlot::default();
    req.extensions_mut().insert(user.clone());
    let deferred = Deferred::default();
    req.extensions_mut().insert(deferred.clone());

    // The handler with its parameters (the caller first, for a signed-in route). On the heap:
    // the handler's future is the largest part of a request's state, and the wrappers below
    // would otherwise hold it inline, several levels deep (a debug build's test thread runs out
    // of stack).
    let handler = move |state: &'a AppState, req: Request| Box::pin(handler.call(state, req));
    let budget = Budget::of(state, route, &req);
    let storage = StorageTime::default();
    let mut read_counter = None;
    let (outcome, verdict) = storage
        .measure(async {
            match &budget {
                _ if method == Method::OPTIONS => (preflight(req.uri().path()), None),
                None => (
                    by_deadline(deadline, &excluded, handler(state, req)).await,
                    None,
                ),
                // The instance already knows the budget is spent: no storage call at all.
                Some(budget) if budget.is_spent(&state.counters) => {
                    (Err(budget.exceeded()), Some(Verdict::Over))
                }
                // A read is answered as soon as its own work is done, with what the instance
                // knows; it is counted once the response is on its way (see `count_read`).
                Some(budget) if is_read(&method) => {
                    let outcome = by_deadline(deadline, &excluded, handler(state, req)).await;
                    read_counter = Some(budget.clone());
                    (outcome, Some(budget.expected(&state.counters)))
                }
                // A write is counted first: over the budget, nothing of it is performed.
                Some(budget) => {
                    let mut verdict = None;
                    let outcome = by_deadline(deadline, &excluded, async {
                        let counted = budget.count_write(state).await;
                        budget.remember(&state.counters, counted);
                        verdict = Some(counted);
                        match within(budget, counted) {
                            Ok(()) => handler(state, req).await,
                            Err(error) => Err(error),
                        }
                    })
                    .await;
                    (outcome, verdict)
                }
            }
        })
        .await;
    let later = deferred.take();
    let after = if read_counter.is_none() && later.is_empty() {
        AfterResponse::none()
    } else {
        AfterResponse::new(async move {
            if let Some(budget) = read_counter {
                count_read(state, budget).await;
            }
            run_later(state, later).await;
        })
    };
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
        .map(ApiError::cause_chain);
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
    Answer { response, after }
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

/// Answers one Lambda invocation: the event becomes a request (or, malformed, a 400 problem
/// through the same finishing steps), and the response goes back in API Gateway's shape.
pub async fn respond_to_event<'a, A, Args, H>(
    state: &'a AppState,
    route: &Route,
    invocation: LambdaEvent<Value>,
    handler: H,
) -> Answer<'a, ApiGatewayV2httpResponse>
where
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
                response: respond_rejected(state, route, &rejected, trace_id.as_deref()),
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
/// (see [`AppState::for_needs`]), then every invocation answered by `handler`, and the work each
/// leaves for after its response finished before the next event is asked for
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
    H: Handler<'static, A, Args>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(&endpoint.route, handler))
}

async fn serve<A, Args, H>(route: &'static Route, handler: H) -> Result<(), lambda_runtime::Error>
where
    H: Handler<'static, A, Args>,
{
    crate::telemetry::init();
    crate::aws::name_function(route.function);
    // What the manifest declares, and what the handler's parameters need (the same, as a test
    // holds every function to).
    let state = AppState::for_needs(route.needs.and(H::NEEDS)).await;
    let pending = Pending::default();
    let slot = pending.clone();
    let service = service_fn(move |invocation: LambdaEvent<Value>| {
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
