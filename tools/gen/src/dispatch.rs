//! The test app's dispatch: each function's handler, called through the pipeline as its binary
//! calls it, by the route key of the event; and the test crate's dependencies on the function
//! crates it calls.

use shared::http::routes::{functions, ROUTES};
use shared::worker::WORKERS;

use crate::{replace_part, GenError};

/// The generated dispatch module of the test crate.
pub const DISPATCH_FILE: &str = "tests/src/dispatch.rs";

/// What generates the function dependencies' part of `tests/Cargo.toml`.
pub const PART: &str = "the function crates";

/// A function's crate as Rust code names it.
fn crate_of(function: &str) -> String {
    function.replace('-', "_")
}

/// `tests/src/dispatch.rs`.
pub fn dispatch_rs() -> String {
    let mut arms = String::new();
    for route in functions() {
        let crate_name = crate_of(route.function);
        arms.push_str(&format!(
            "        \"{}\" => boxed(state, route, invocation, {crate_name}::handle).await,\n",
            route.function
        ));
    }
    format!(
        r#"//! Written by `make gen` from the route table (shared/src/http/routes/table.rs): edit the table, then
//! run `make gen`. Runs the handler of the function API Gateway routes an event to (by its
//! route key), through the pipeline, as the function's binary does.

use std::future::Future;

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::{{Body, LambdaEvent, Request, Response}};
use serde_json::Value;
use shared::http::routes::{{route_for_key, Route, FALLBACK}};
use shared::http::{{respond_to_event, Answer}};
use shared::{{ApiError, AppState}};

/// The answer of the function that takes `key` ({count} routes, and the fallback for any other
/// key).
pub async fn dispatch<'a>(
    state: &'a AppState,
    key: &str,
    invocation: LambdaEvent<Value>,
) -> Answer<'a, ApiGatewayV2httpResponse> {{
    let route = route_for_key(key).unwrap_or(&FALLBACK);
    match route.function {{
{arms}        _ => boxed(state, &FALLBACK, invocation, fallback::handle).await,
    }}
}}

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
{{
    Box::pin(respond_to_event(state, route, invocation, handler)).await
}}
"#,
        count = ROUTES.len(),
    )
}

/// `tests/Cargo.toml` (as `text` holds it) with a path dependency on every function crate, the
/// routes' and the workers'.
pub fn tests_cargo_toml(text: &str) -> Result<String, GenError> {
    let part: String = functions()
        .map(|route| route.function)
        .chain(WORKERS.iter().map(|worker| worker.function))
        .map(|function| format!("{function} = {{ path = \"../functions/{function}\" }}\n"))
        .collect();
    replace_part(text, "tests/Cargo.toml", PART, "", &part)
}
