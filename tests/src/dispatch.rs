//! Written by `make gen` from the route table (shared/src/http/routes/table.rs): edit the table, then
//! run `make gen`. Runs the handler of the function API Gateway routes an event to (by its
//! route key), through the pipeline, as the function's binary does.

use std::future::Future;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::{Body, LambdaEvent, Request, Response};
use serde_json::Value;
use shared::http::routes::{route_for_key, Route, FALLBACK};
use shared::http::{respond_to_event, Answer};
use shared::{ApiError, AppState};

/// The answer of the function that takes `key` (22 routes, and the fallback for any other
/// key).
pub async fn dispatch<'a>(
    state: &'a AppState,
    key: &str,
    invocation: LambdaEvent<Value>,
) -> Answer<'a, ApiGatewayV2httpResponse> {
    let route = route_for_key(key).unwrap_or(&FALLBACK);
    match route.function {
        "health" => boxed(state, route, invocation, health::handle).await,
        "register" => boxed(state, route, invocation, register::handle).await,
        "login" => boxed(state, route, invocation, login::handle).await,
        "logout" => boxed(state, route, invocation, logout::handle).await,
        "logout-all" => boxed(state, route, invocation, logout_all::handle).await,
        "list-sessions" => boxed(state, route, invocation, list_sessions::handle).await,
        "end-session" => boxed(state, route, invocation, end_session::handle).await,
        "jwks" => boxed(state, route, invocation, jwks::handle).await,
        "profile" => boxed(state, route, invocation, profile::handle).await,
        "change-password" => boxed(state, route, invocation, change_password::handle).await,
        "list-products" => boxed(state, route, invocation, list_products::handle).await,
        "create-product" => boxed(state, route, invocation, create_product::handle).await,
        "get-product" => boxed(state, route, invocation, get_product::handle).await,
        "update-product" => boxed(state, route, invocation, update_product::handle).await,
        "patch-product" => boxed(state, route, invocation, patch_product::handle).await,
        "delete-product" => boxed(state, route, invocation, delete_product::handle).await,
        "forgot-password" => boxed(state, route, invocation, forgot_password::handle).await,
        "reset-password" => boxed(state, route, invocation, reset_password::handle).await,
        "verify-email" => boxed(state, route, invocation, verify_email::handle).await,
        "resend-verification" => boxed(state, route, invocation, resend_verification::handle).await,
        "update-profile" => boxed(state, route, invocation, update_profile::handle).await,
        "delete-account" => boxed(state, route, invocation, delete_account::handle).await,
        "fallback" => boxed(state, route, invocation, fallback::handle).await,
        _ => boxed(state, &FALLBACK, invocation, fallback::handle).await,
    }
}

/// One handler through the pipeline, its future on the heap: the handlers' futures side by side
/// would not fit a test thread's stack in a debug build.
async fn boxed<'a, F, Fut>(
    state: &'a AppState,
    route: &Route,
    invocation: LambdaEvent<Value>,
    handler: F,
) -> Answer<'a, ApiGatewayV2httpResponse>
where
    F: FnOnce(&'a AppState, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    Box::pin(respond_to_event(state, route, invocation, handler)).await
}
