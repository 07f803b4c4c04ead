//! The test app's dispatch: each function's handler, called through the pipeline as its binary
//! calls it, by the route key of the event; and the test crate's dependencies on the function
//! crates it calls.

use shared::deploy::{http_functions, Function, ROUTES, WORKERS};

use crate::{replace_part, GenError};

/// The generated dispatch module of the test crate.
pub const DISPATCH_FILE: &str = "tests/src/dispatch.rs";

/// What generates the function dependencies' part of `tests/Cargo.toml`.
pub const PART: &str = "the function crates";

/// A function's crate as Rust code names it.
fn crate_of(function: &str) -> String {
    function.replace('-', "_")
}

/// A function's entry in the manifest as Rust code names it (`shared::deploy::LOGOUT_ALL`).
fn entry_of(function: &str) -> String {
    function.replace('-', "_").to_uppercase()
}

/// `tests/src/dispatch.rs`.
pub fn dispatch_rs() -> String {
    let (mut arms, mut needs) = (String::new(), String::new());
    for route in http_functions() {
        let (crate_name, entry) = (crate_of(route.function), entry_of(route.function));
        arms.push_str(&format!(
            "        \"{}\" => through!({entry}, {crate_name}::handle),\n",
            route.function
        ));
        needs.push_str(&format!(
            "        \"{}\" => needs!({entry}, {crate_name}::handle),\n",
            route.function
        ));
    }
    for worker in WORKERS {
        let (crate_name, entry) = (crate_of(worker.function), entry_of(worker.function));
        needs.push_str(&format!(
            "        \"{}\" => job_needs!({entry}, {crate_name}::handle),\n",
            worker.function
        ));
    }
    format!(
        r#"//! Written by `make gen` from the deployment manifest (shared/src/deploy/functions.rs): edit
//! the manifest, then run `make gen`. Runs the handler of the function API Gateway routes an
//! event to (by its route key), through the pipeline, as the function's binary does; and tells
//! what each function's handler needs loaded at cold start.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::LambdaEvent;
use serde_json::Value;
use shared::deploy::{{self, Endpoint, Worker}};
use shared::http::routes::route_for_key;
use shared::http::{{respond_to_event, Answer, Handler}};
use shared::state::Needs;
use shared::worker::job::JobHandler;
use shared::AppState;

/// The answer of the function that takes `key` ({count} routes, and the fallback for any other
/// key).
pub async fn dispatch<'a>(
    state: &'a AppState,
    key: &str,
    invocation: LambdaEvent<Value>,
) -> Answer<'a, ApiGatewayV2httpResponse> {{
    // The handler of the manifest's `entry` through the pipeline.
    macro_rules! through {{
        ($entry:ident, $handle:path) => {{
            boxed(state, &deploy::$entry, invocation, $handle).await
        }};
    }}
    let function = route_for_key(key).map_or("fallback", |route| route.function);
    match function {{
{arms}        _ => through!(FALLBACK, fallback::handle),
    }}
}}

/// What the handler of `function` needs loaded at cold start, by its parameters.
pub fn needs_of_handler(function: &str) -> Option<Needs> {{
    // What the handler of the manifest's `entry` takes, an HTTP route's or a worker's.
    macro_rules! needs {{
        ($entry:ident, $handle:path) => {{
            Some(handler_needs(&deploy::$entry, $handle))
        }};
    }}
    macro_rules! job_needs {{
        ($entry:ident, $handle:path) => {{
            Some(job_needs(&deploy::$entry, $handle))
        }};
    }}
    match function {{
{needs}        _ => None,
    }}
}}

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
{{
    Box::pin(respond_to_event(state, endpoint, invocation, handler)).await
}}

fn handler_needs<A, Args, H: Handler<'static, A, Args>>(_: &Endpoint<A>, _: H) -> Needs {{
    H::NEEDS
}}

fn job_needs<Args, H: JobHandler<'static, Args>>(_: &Worker, _: H) -> Needs {{
    H::NEEDS
}}
"#,
        count = ROUTES.len(),
    )
}

/// `tests/Cargo.toml` (as `text` holds it) with a path dependency on every function crate, the
/// routes' and the workers'.
pub fn tests_cargo_toml(text: &str) -> Result<String, GenError> {
    let part: String = shared::deploy::functions()
        .map(Function::name)
        .map(|function| format!("{function} = {{ path = \"../functions/{function}\" }}\n"))
        .collect();
    replace_part(text, "tests/Cargo.toml", PART, "", &part)
}
