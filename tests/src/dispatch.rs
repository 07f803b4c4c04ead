//! Written by `make gen` from the deployment manifest (shared/src/deploy/functions.rs): edit
//! the manifest, then run `make gen`. Runs the handler of the function API Gateway routes an
//! event to (by its route key), through the pipeline, as the function's binary does; and tells
//! what each function's handler needs loaded at cold start.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::LambdaEvent;
use serde_json::Value;
use shared::deploy::{self, Endpoint, Worker};
use shared::http::routes::route_for_key;
use shared::http::{respond_to_event, Answer, Handler};
use shared::state::Needs;
use shared::worker::job::JobHandler;
use shared::AppState;

/// The answer of the function that takes `key` (22 routes, and the fallback for any other
/// key).
pub async fn dispatch<'a>(
    state: &'a AppState,
    key: &str,
    invocation: LambdaEvent<Value>,
) -> Answer<'a, ApiGatewayV2httpResponse> {
    let function = route_for_key(key).map_or("fallback", |route| route.function);
    match function {
        "health" => boxed(state, &deploy::HEALTH, invocation, health::handle).await,
        "register" => boxed(state, &deploy::REGISTER, invocation, register::handle).await,
        "login" => boxed(state, &deploy::LOGIN, invocation, login::handle).await,
        "logout" => boxed(state, &deploy::LOGOUT, invocation, logout::handle).await,
        "logout-all" => boxed(state, &deploy::LOGOUT_ALL, invocation, logout_all::handle).await,
        "list-sessions" => {
            boxed(
                state,
                &deploy::LIST_SESSIONS,
                invocation,
                list_sessions::handle,
            )
            .await
        }
        "end-session" => boxed(state, &deploy::END_SESSION, invocation, end_session::handle).await,
        "jwks" => boxed(state, &deploy::JWKS, invocation, jwks::handle).await,
        "profile" => boxed(state, &deploy::PROFILE, invocation, profile::handle).await,
        "change-password" => {
            boxed(
                state,
                &deploy::CHANGE_PASSWORD,
                invocation,
                change_password::handle,
            )
            .await
        }
        "list-products" => {
            boxed(
                state,
                &deploy::LIST_PRODUCTS,
                invocation,
                list_products::handle,
            )
            .await
        }
        "create-product" => {
            boxed(
                state,
                &deploy::CREATE_PRODUCT,
                invocation,
                create_product::handle,
            )
            .await
        }
        "get-product" => boxed(state, &deploy::GET_PRODUCT, invocation, get_product::handle).await,
        "update-product" => {
            boxed(
                state,
                &deploy::UPDATE_PRODUCT,
                invocation,
                update_product::handle,
            )
            .await
        }
        "patch-product" => {
            boxed(
                state,
                &deploy::PATCH_PRODUCT,
                invocation,
                patch_product::handle,
            )
            .await
        }
        "delete-product" => {
            boxed(
                state,
                &deploy::DELETE_PRODUCT,
                invocation,
                delete_product::handle,
            )
            .await
        }
        "forgot-password" => {
            boxed(
                state,
                &deploy::FORGOT_PASSWORD,
                invocation,
                forgot_password::handle,
            )
            .await
        }
        "reset-password" => {
            boxed(
                state,
                &deploy::RESET_PASSWORD,
                invocation,
                reset_password::handle,
            )
            .await
        }
        "verify-email" => {
            boxed(
                state,
                &deploy::VERIFY_EMAIL,
                invocation,
                verify_email::handle,
            )
            .await
        }
        "resend-verification" => {
            boxed(
                state,
                &deploy::RESEND_VERIFICATION,
                invocation,
                resend_verification::handle,
            )
            .await
        }
        "update-profile" => {
            boxed(
                state,
                &deploy::UPDATE_PROFILE,
                invocation,
                update_profile::handle,
            )
            .await
        }
        "delete-account" => {
            boxed(
                state,
                &deploy::DELETE_ACCOUNT,
                invocation,
                delete_account::handle,
            )
            .await
        }
        "fallback" => boxed(state, &deploy::FALLBACK, invocation, fallback::handle).await,
        _ => boxed(state, &deploy::FALLBACK, invocation, fallback::handle).await,
    }
}

/// What the handler of `function` needs loaded at cold start, by its parameters.
pub fn needs_of_handler(function: &str) -> Option<Needs> {
    match function {
        "health" => Some(handler_needs(&deploy::HEALTH, health::handle)),
        "register" => Some(handler_needs(&deploy::REGISTER, register::handle)),
        "login" => Some(handler_needs(&deploy::LOGIN, login::handle)),
        "logout" => Some(handler_needs(&deploy::LOGOUT, logout::handle)),
        "logout-all" => Some(handler_needs(&deploy::LOGOUT_ALL, logout_all::handle)),
        "list-sessions" => Some(handler_needs(&deploy::LIST_SESSIONS, list_sessions::handle)),
        "end-session" => Some(handler_needs(&deploy::END_SESSION, end_session::handle)),
        "jwks" => Some(handler_needs(&deploy::JWKS, jwks::handle)),
        "profile" => Some(handler_needs(&deploy::PROFILE, profile::handle)),
        "change-password" => Some(handler_needs(
            &deploy::CHANGE_PASSWORD,
            change_password::handle,
        )),
        "list-products" => Some(handler_needs(&deploy::LIST_PRODUCTS, list_products::handle)),
        "create-product" => Some(handler_needs(
            &deploy::CREATE_PRODUCT,
            create_product::handle,
        )),
        "get-product" => Some(handler_needs(&deploy::GET_PRODUCT, get_product::handle)),
        "update-product" => Some(handler_needs(
            &deploy::UPDATE_PRODUCT,
            update_product::handle,
        )),
        "patch-product" => Some(handler_needs(&deploy::PATCH_PRODUCT, patch_product::handle)),
        "delete-product" => Some(handler_needs(
            &deploy::DELETE_PRODUCT,
            delete_product::handle,
        )),
        "forgot-password" => Some(handler_needs(
            &deploy::FORGOT_PASSWORD,
            forgot_password::handle,
        )),
        "reset-password" => Some(handler_needs(
            &deploy::RESET_PASSWORD,
            reset_password::handle,
        )),
        "verify-email" => Some(handler_needs(&deploy::VERIFY_EMAIL, verify_email::handle)),
        "resend-verification" => Some(handler_needs(
            &deploy::RESEND_VERIFICATION,
            resend_verification::handle,
        )),
        "update-profile" => Some(handler_needs(
            &deploy::UPDATE_PROFILE,
            update_profile::handle,
        )),
        "delete-account" => Some(handler_needs(
            &deploy::DELETE_ACCOUNT,
            delete_account::handle,
        )),
        "fallback" => Some(handler_needs(&deploy::FALLBACK, fallback::handle)),
        "mailer" => Some(job_needs(&deploy::MAILER, mailer::handle)),
        "purger" => Some(job_needs(&deploy::PURGER, purger::handle)),
        _ => None,
    }
}

/// One handler through the pipeline, its future on the heap: the handlers' futures side by side
/// would not fit a test thread's stack in a debug build.
async fn boxed<'a, A: 'a, Args: 'a, H>(
    state: &'a AppState,
    endpoint: &'a Endpoint<A>,
    invocation: LambdaEvent<Value>,
    handler: H,
) -> Answer<'a, ApiGatewayV2httpResponse>
where
    H: Handler<'a, A, Args>,
{
    Box::pin(respond_to_event(state, endpoint, invocation, handler)).await
}

fn handler_needs<A, Args, H: Handler<'static, A, Args>>(_: &Endpoint<A>, _: H) -> Needs {
    H::NEEDS
}

fn job_needs<Args, H: JobHandler<'static, Args>>(_: &Worker, _: H) -> Needs {
    H::NEEDS
}
