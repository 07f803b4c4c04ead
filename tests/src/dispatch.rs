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

/// The answer of the function that takes `key` (25 routes, and the fallback for any other
/// key).
pub async fn dispatch<'a>(
    state: &'a AppState,
    key: &str,
    invocation: LambdaEvent<Value>,
) -> Answer<'a, ApiGatewayV2httpResponse> {
    // The handler of the manifest's `entry` through the pipeline.
    macro_rules! through {
        ($entry:ident, $handle:path) => {
            boxed(state, &deploy::$entry, invocation, $handle).await
        };
    }
    let function = route_for_key(key).map_or("fallback", |route| route.function);
    match function {
        "health" => through!(HEALTH, health::handle),
        "register" => through!(REGISTER, register::handle),
        "login" => through!(LOGIN, login::handle),
        "logout" => through!(LOGOUT, logout::handle),
        "logout-all" => through!(LOGOUT_ALL, logout_all::handle),
        "list-sessions" => through!(LIST_SESSIONS, list_sessions::handle),
        "end-session" => through!(END_SESSION, end_session::handle),
        "jwks" => through!(JWKS, jwks::handle),
        "profile" => through!(PROFILE, profile::handle),
        "change-password" => through!(CHANGE_PASSWORD, change_password::handle),
        "list-products" => through!(LIST_PRODUCTS, list_products::handle),
        "create-product" => through!(CREATE_PRODUCT, create_product::handle),
        "get-product" => through!(GET_PRODUCT, get_product::handle),
        "update-product" => through!(UPDATE_PRODUCT, update_product::handle),
        "patch-product" => through!(PATCH_PRODUCT, patch_product::handle),
        "delete-product" => through!(DELETE_PRODUCT, delete_product::handle),
        "forgot-password" => through!(FORGOT_PASSWORD, forgot_password::handle),
        "reset-password" => through!(RESET_PASSWORD, reset_password::handle),
        "verify-email" => through!(VERIFY_EMAIL, verify_email::handle),
        "resend-verification" => through!(RESEND_VERIFICATION, resend_verification::handle),
        "update-profile" => through!(UPDATE_PROFILE, update_profile::handle),
        "delete-account" => through!(DELETE_ACCOUNT, delete_account::handle),
        "create-image-upload" => through!(CREATE_IMAGE_UPLOAD, create_image_upload::handle),
        "complete-image" => through!(COMPLETE_IMAGE, complete_image::handle),
        "delete-image" => through!(DELETE_IMAGE, delete_image::handle),
        "fallback" => through!(FALLBACK, fallback::handle),
        _ => through!(FALLBACK, fallback::handle),
    }
}

/// What the handler of `function` needs loaded at cold start, by its parameters.
pub fn needs_of_handler(function: &str) -> Option<Needs> {
    // What the handler of the manifest's `entry` takes, an HTTP route's or a worker's.
    macro_rules! needs {
        ($entry:ident, $handle:path) => {
            Some(handler_needs(&deploy::$entry, $handle))
        };
    }
    macro_rules! job_needs {
        ($entry:ident, $handle:path) => {
            Some(job_needs(&deploy::$entry, $handle))
        };
    }
    match function {
        "health" => needs!(HEALTH, health::handle),
        "register" => needs!(REGISTER, register::handle),
        "login" => needs!(LOGIN, login::handle),
        "logout" => needs!(LOGOUT, logout::handle),
        "logout-all" => needs!(LOGOUT_ALL, logout_all::handle),
        "list-sessions" => needs!(LIST_SESSIONS, list_sessions::handle),
        "end-session" => needs!(END_SESSION, end_session::handle),
        "jwks" => needs!(JWKS, jwks::handle),
        "profile" => needs!(PROFILE, profile::handle),
        "change-password" => needs!(CHANGE_PASSWORD, change_password::handle),
        "list-products" => needs!(LIST_PRODUCTS, list_products::handle),
        "create-product" => needs!(CREATE_PRODUCT, create_product::handle),
        "get-product" => needs!(GET_PRODUCT, get_product::handle),
        "update-product" => needs!(UPDATE_PRODUCT, update_product::handle),
        "patch-product" => needs!(PATCH_PRODUCT, patch_product::handle),
        "delete-product" => needs!(DELETE_PRODUCT, delete_product::handle),
        "forgot-password" => needs!(FORGOT_PASSWORD, forgot_password::handle),
        "reset-password" => needs!(RESET_PASSWORD, reset_password::handle),
        "verify-email" => needs!(VERIFY_EMAIL, verify_email::handle),
        "resend-verification" => needs!(RESEND_VERIFICATION, resend_verification::handle),
        "update-profile" => needs!(UPDATE_PROFILE, update_profile::handle),
        "delete-account" => needs!(DELETE_ACCOUNT, delete_account::handle),
        "create-image-upload" => needs!(CREATE_IMAGE_UPLOAD, create_image_upload::handle),
        "complete-image" => needs!(COMPLETE_IMAGE, complete_image::handle),
        "delete-image" => needs!(DELETE_IMAGE, delete_image::handle),
        "fallback" => needs!(FALLBACK, fallback::handle),
        "mailer" => job_needs!(MAILER, mailer::handle),
        "purger" => job_needs!(PURGER, purger::handle),
        "imager" => job_needs!(IMAGER, imager::handle),
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
