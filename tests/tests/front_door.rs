//! The front door, through the function binaries as Lambda runs them. On (the environment names
//! the origin secret): a request without the secret's value is refused, 403 with a problem,
//! before any other work (no storage call); one with it is answered as it would be without a
//! front door; during a rotation both values pass; the client the limits count is the viewer's
//! address the CDN passed on, never a header a client sets. Off (locally): nothing changes.

use std::path::PathBuf;
use std::process::Stdio;

use api_tests::app::{endpoint, signing_key_pem, TestApp, TEST_CURSOR_KEY};
use api_tests::dynamodb_proxy::{self, CounterWrites};
use api_tests::events::Event;
use api_tests::runtime_api::{lambda_process, RuntimeApi};
use api_tests::secrets::{emulator, put_secret, put_value, unique_name};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use shared::deploy::http_functions;
use tokio::process::Child;

/// The refusal's detail.
const REFUSED: &str = "this API is reached through its front door only";
const CURRENT: &str = "current-origin-secret-0123456789abcdef0123456789";
const NEXT: &str = "next-origin-secret-0123456789abcdef0123456789abcd";

/// A secret of this run; `origin-verify` in its name tells the role check which of a function's
/// secrets it is. Stored with `values`.
async fn origin_secret(values: &Value) -> String {
    let name = unique_name("origin-verify");
    put_secret(&name, &values.to_string()).await;
    name
}

/// The key files a deployment's functions read from Secrets Manager, as `make dev` has them.
fn key_files() -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("front-door-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("key directory");
    let signing = dir.join("signing-key.pem");
    std::fs::write(&signing, signing_key_pem().expose_secret()).expect("signing key");
    let cursor = dir.join("cursor-key");
    std::fs::write(&cursor, TEST_CURSOR_KEY).expect("cursor key");
    (signing, cursor)
}

/// `function`'s binary as Lambda runs it, on `app`'s tables, reaching DynamoDB at `storage`,
/// with `env` on top.
fn start(
    app: &TestApp,
    function: &str,
    runtime: &RuntimeApi,
    storage: &str,
    env: &[(&str, &str)],
) -> Child {
    let (signing, cursor) = key_files();
    lambda_process(function, &runtime.addr.to_string(), 256)
        .envs(app.env().iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("JWT_SIGNING_KEY_FILE", signing)
        .env("CURSOR_KEY_FILE", cursor)
        .env("AWS_ENDPOINT_URL_DYNAMODB", storage)
        .env("AWS_ENDPOINT_URL_SECRETSMANAGER", emulator())
        .env("AWS_ENDPOINT_URL_S3", api_tests::media::endpoint())
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the function starts")
}

/// What a function answered: its status and its body as JSON (null if it is none).
struct Answer {
    status: u64,
    content_type: String,
    body: Value,
}

async fn answer(runtime: &RuntimeApi, function: &str, event: &Event) -> Answer {
    let outcome = runtime
        .invoke(event.to_json())
        .await
        .unwrap_or_else(|| panic!("{function} answers"));
    let response: Value = serde_json::from_str(&outcome.body).expect("a response");
    let body = response["body"]
        .as_str()
        .and_then(|body| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null);
    // The runtime answers once the response is posted: the work after it is done by the time
    // the function waits for its next event.
    runtime.until_waiting().await;
    Answer {
        status: response["statusCode"].as_u64().unwrap_or_default(),
        content_type: response["headers"]["content-type"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body,
    }
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn behind_the_front_door_every_function_refuses_what_did_not_come_through_it_before_any_storage_call(
) {
    let app = TestApp::spawn().await;
    let secret = origin_secret(&json!({ "current": CURRENT })).await;
    let storage = dynamodb_proxy::start(endpoint(), CounterWrites::Pass)
        .await
        .expect("the storage stand-in");
    for route in http_functions() {
        let function = route.function;
        let runtime = RuntimeApi::start().await.expect("runtime API");
        let _process = start(
            &app,
            function,
            &runtime,
            &storage.endpoint(),
            &[("ORIGIN_VERIFY_SECRET_ID", &secret)],
        );
        runtime.until_waiting().await;
        let event = Event::load(function);
        let calls = storage.calls().len();

        for refused in [
            event.clone(),
            event.clone().header("x-origin-verify", NEXT),
            event.clone().header("x-origin-verify", &CURRENT[1..]),
        ] {
            let refused = answer(&runtime, function, &refused).await;
            assert_eq!(refused.status, 403, "{function}: {}", refused.body);
            assert_eq!(
                refused.content_type, "application/problem+json",
                "{function}"
            );
            assert_eq!(refused.body["detail"], REFUSED, "{function}");
        }
        assert_eq!(
            storage.calls().len(),
            calls,
            "{function}: no storage call for a refused request"
        );

        let admitted = answer(
            &runtime,
            function,
            &event.header("x-origin-verify", CURRENT),
        )
        .await;
        assert_ne!(admitted.body["detail"], REFUSED, "{function}");
        assert_ne!(admitted.status, 0, "{function}");
    }
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn during_a_rotation_both_values_pass_and_the_new_one_is_read_when_it_first_arrives() {
    let app = TestApp::spawn().await;
    let secret = origin_secret(&json!({ "current": CURRENT })).await;
    let runtime = RuntimeApi::start().await.expect("runtime API");
    let _process = start(
        &app,
        "health",
        &runtime,
        &endpoint(),
        &[("ORIGIN_VERIFY_SECRET_ID", &secret)],
    );
    let health = |value: Option<&str>| match value {
        Some(value) => Event::load("health").header("x-origin-verify", value),
        None => Event::load("health"),
    };
    assert_eq!(
        answer(&runtime, "health", &health(Some(CURRENT)))
            .await
            .status,
        200
    );
    assert_eq!(answer(&runtime, "health", &health(None)).await.status, 403);

    // The new value current, the old one still accepted, while the CDN moves to the new one.
    put_value(
        &secret,
        &json!({ "current": NEXT, "previous": CURRENT }).to_string(),
    )
    .await;

    assert_eq!(
        answer(&runtime, "health", &health(Some(NEXT))).await.status,
        200
    );
    assert_eq!(
        answer(&runtime, "health", &health(Some(CURRENT)))
            .await
            .status,
        200
    );
    let other = "another-origin-secret-0123456789abcdef0123456789";
    assert_eq!(
        answer(&runtime, "health", &health(Some(other)))
            .await
            .status,
        403
    );
    assert_eq!(answer(&runtime, "health", &health(None)).await.status, 403);
}

/// Three create-product requests, each from `viewers[i]` as the CDN saw it, through the front
/// door or not, with a budget of two: their statuses.
async fn three_requests(front_door: bool, viewers: [&str; 3]) -> Vec<u64> {
    let app = TestApp::spawn_with(&[("RATE_LIMIT_REQUESTS", "2")]).await;
    let secret = origin_secret(&json!({ "current": CURRENT })).await;
    let runtime = RuntimeApi::start().await.expect("runtime API");
    let env: &[(&str, &str)] = if front_door {
        &[("ORIGIN_VERIFY_SECRET_ID", &secret)]
    } else {
        &[]
    };
    let _process = start(&app, "create-product", &runtime, &endpoint(), env);
    // The binary counts in fixed windows of the system clock: the three requests go in one, so
    // they start at least ten seconds before the current window ends.
    let window = app.state.config.rate_limit.window.as_secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let left = window - now % window;
    if left < 10 {
        tokio::time::sleep(std::time::Duration::from_secs(left + 1)).await;
    }
    let mut statuses = Vec::new();
    for viewer in viewers {
        // API Gateway's source address is the CDN's, the same for every viewer; a client may
        // send any X-Forwarded-For it likes.
        let event = Event::load("create-product")
            .source_ip("130.176.0.1")
            .header("x-origin-verify", CURRENT)
            .header("cloudfront-viewer-address", &format!("{viewer}:40123"))
            .header("x-forwarded-for", "192.0.2.99");
        statuses.push(answer(&runtime, "create-product", &event).await.status);
    }
    statuses
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn behind_the_front_door_the_limits_count_the_viewer_the_cdn_saw() {
    let one = "198.51.100.7";
    let other = "2001:db8:7:7::1";
    // No token: 401 once counted, 429 past the budget.
    assert_eq!(three_requests(true, [one, one, one]).await, [401, 401, 429]);
    assert_eq!(
        three_requests(true, [one, one, other]).await,
        [401, 401, 401]
    );
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn without_the_front_door_nothing_changes_and_a_viewer_address_a_client_sends_is_no_client() {
    let (one, other) = ("198.51.100.7", "2001:db8:7:7::1");
    // Every request is API Gateway's source address's, whatever the headers say.
    assert_eq!(
        three_requests(false, [one, one, other]).await,
        [401, 401, 429]
    );
    let app = TestApp::spawn().await;
    let runtime = RuntimeApi::start().await.expect("runtime API");
    let _process = start(&app, "health", &runtime, &endpoint(), &[]);
    assert_eq!(
        answer(&runtime, "health", &Event::load("health"))
            .await
            .status,
        200
    );
}
