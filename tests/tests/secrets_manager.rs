//! Login's signing key from AWS Secrets Manager: the real SDK call against a local emulator of
//! the service (moto's server, which `make test` starts and names in
//! `AWS_ENDPOINT_URL_SECRETSMANAGER`), and the real login binary run as Lambda runs it.

use std::process::Stdio;
use std::time::Duration;

use api_tests::app::{endpoint, public_key, signing_key_pem};
use api_tests::runtime_api::{lambda_process, RuntimeApi};
use api_tests::secrets::{emulator, put_secret, unique_name};
use api_tests::{Event, TestApp};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use shared::auth::keys::SigningKey;
use shared::config::SecretSource;
use shared::tables::TableName;
use tokio::process::Command;

const PASSWORD: &str = "correct horse battery";

/// The function `binary` as Lambda runs it, with the environment every deployed function has
/// and `env` on top; its standard error piped.
fn function_process(binary: &str, runtime: &str, env: &[(&str, &str)]) -> Command {
    let mut command = lambda_process(binary, runtime, 1024);
    command
        .env("AWS_ENDPOINT_URL_DYNAMODB", endpoint())
        .env("AWS_ENDPOINT_URL_SECRETSMANAGER", emulator())
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// The login binary with the environment a deployment gives it, on `app`'s tables.
fn login_process(app: &TestApp, secret_id: &str, public_keys: &str, runtime: &str) -> Command {
    let tables = &app.state.config.tables;
    function_process(
        "login",
        runtime,
        &[
            ("JWT_PUBLIC_KEYS", public_keys),
            ("JWT_SIGNING_KEY_SECRET_ID", secret_id),
            ("USERS_TABLE", tables.get(TableName::Users)),
            ("LIMITS_TABLE", tables.get(TableName::Limits)),
            ("SESSIONS_TABLE", tables.get(TableName::Sessions)),
        ],
    )
}

/// Runs a login process that cannot start and returns its exit code and what it said.
async fn failed_start(app: &TestApp, secret_id: &str, public_keys: &str) -> (Option<i32>, String) {
    // Nothing listens there: a process that got past its init would hang polling for events.
    let output = login_process(app, secret_id, public_keys, "127.0.0.1:9").output();
    let output = tokio::time::timeout(Duration::from_secs(30), output)
        .await
        .expect("the process ends by itself")
        .expect("the process runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn a_signing_key_stored_in_secrets_manager_reads_back() {
    emulator();
    let name = unique_name("signing-key");
    let (key, pem) = SigningKey::generate().expect("key");
    put_secret(&name, pem.expose_secret()).await;

    let loaded = SecretSource::SecretsManager(name)
        .load()
        .await
        .expect("the secret loads");

    let read = SigningKey::from_pem(&loaded).expect("a PEM key");
    assert_eq!(read.public(), key.public());
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn a_missing_secret_is_the_services_own_error() {
    emulator();
    let error = SecretSource::SecretsManager(unique_name("missing"))
        .load()
        .await
        .expect_err("no such secret");

    let text = error.to_string();
    assert!(text.contains("ResourceNotFoundException"), "{text}");
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn the_login_binary_signs_with_the_key_it_fetched_at_cold_start() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("sm@example.com", PASSWORD).await.status, 201);
    let name = unique_name("login-key");
    put_secret(&name, signing_key_pem().expose_secret()).await;
    let runtime = RuntimeApi::start().await.expect("runtime API");
    let mut process = login_process(&app, &name, &public_key(), &runtime.addr.to_string())
        .spawn()
        .expect("login starts");

    let event = Event::load("login")
        .json_body(&json!({ "email": "sm@example.com", "password": PASSWORD }))
        .to_json();
    let outcome = runtime.invoke(event).await.expect("login answers");

    let _ = process.kill().await;
    assert!(!outcome.error, "{}", outcome.body);
    let response: Value = serde_json::from_str(&outcome.body).expect("JSON");
    assert_eq!(response["statusCode"], 200, "{response}");
    let body: Value =
        serde_json::from_str(response["body"].as_str().expect("body")).expect("JSON body");
    let token = body["token"].as_str().expect("token");
    let profile = app.invoke(&Event::load("profile").bearer(token)).await;
    assert_eq!(
        profile.status, 200,
        "the token verifies with the public key"
    );
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn the_login_binary_without_its_key_exits_with_a_clear_message() {
    let app = TestApp::spawn().await;

    let missing = unique_name("never-stored");
    let (code, said) = failed_start(&app, &missing, &public_key()).await;
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("configuration error"), "{said}");
    assert!(said.contains("ResourceNotFoundException"), "{said}");
    assert!(said.contains(&missing), "{said}");

    // A key whose public half no function is configured with would sign tokens nobody accepts.
    let stray = unique_name("stray-key");
    let (_, stray_pem) = SigningKey::generate().expect("key");
    put_secret(&stray, stray_pem.expose_secret()).await;
    let (code, said) = failed_start(&app, &stray, &public_key()).await;
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("not in JWT_PUBLIC_KEYS"), "{said}");
    assert!(!said.contains("PRIVATE KEY"), "{said}");
}

#[tokio::test]
#[ignore = "needs the Secrets Manager emulator: run through make test"]
async fn the_list_products_binary_pages_with_the_cursor_key_it_fetched_at_cold_start() {
    let app = TestApp::spawn().await;
    let token = app.user_token("cursor-key@example.com").await;
    for name in ["Lamp", "Desk", "Chair"] {
        let created = app
            .create_product(&token, &json!({ "name": name, "price": 10 }))
            .await;
        assert_eq!(created.status, 201);
    }
    let name = unique_name("cursor-key");
    put_secret(&name, "a-cursor-key-of-more-than-thirty-two-bytes").await;
    let runtime = RuntimeApi::start().await.expect("runtime API");
    let tables = &app.state.config.tables;
    let runtime_addr = runtime.addr.to_string();
    let mut process = function_process(
        "list-products",
        &runtime_addr,
        &[
            ("JWT_PUBLIC_KEYS", &public_key()),
            ("CURSOR_KEY_SECRET_ID", &name),
            ("PRODUCTS_TABLE", tables.get(TableName::Products)),
            ("LIMITS_TABLE", tables.get(TableName::Limits)),
        ],
    )
    .spawn()
    .expect("list-products starts");

    let first = runtime
        .invoke(Event::load("list-products").query("limit=2").to_json())
        .await
        .expect("list-products answers");
    let page: Value = serde_json::from_str(&first.body).expect("JSON");
    let body: Value =
        serde_json::from_str(page["body"].as_str().expect("body")).expect("JSON body");
    let cursor = body["nextCursor"]
        .as_str()
        .expect("a cursor, signed with the fetched key")
        .to_owned();
    let second = runtime
        .invoke(
            Event::load("list-products")
                .query(&format!("limit=2&cursor={cursor}"))
                .to_json(),
        )
        .await
        .expect("list-products answers");

    let _ = process.kill().await;
    assert_eq!(page["statusCode"], 200, "{page}");
    let next: Value = serde_json::from_str(&second.body).expect("JSON");
    assert_eq!(
        next["statusCode"], 200,
        "the binary reads its own cursor back: {next}"
    );
    let rest: Value =
        serde_json::from_str(next["body"].as_str().expect("body")).expect("JSON body");
    assert_eq!(rest["data"].as_array().map(Vec::len), Some(1));
}

/// A stream record of the outbox item of `entry`, as Lambda's event carries it.
fn stream_record(entry: &shared::domain::outbox::OutboxEntry, sequence: u32) -> Value {
    use aws_sdk_dynamodb::types::AttributeValue;
    let image: serde_json::Map<String, Value> = shared::store::outbox::item_of(entry)
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                AttributeValue::S(text) => json!({ "S": text }),
                AttributeValue::N(number) => json!({ "N": number }),
                other => panic!("{name}: no stream form for {other:?}"),
            };
            (name, value)
        })
        .collect();
    json!({
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": { "NewImage": image, "SequenceNumber": sequence.to_string() },
    })
}

#[tokio::test]
#[ignore = "needs the Secrets Manager and SES emulators: run through make test"]
async fn the_mailer_binary_caps_mails_per_address_with_the_key_it_fetched_at_cold_start() {
    use shared::domain::mail::MailKind;
    use shared::domain::outbox::{Job, OutboxEntry};
    use shared::domain::{Email, Id};
    let app = TestApp::spawn().await;
    let address = format!(
        "{}@example.com",
        unique_name("cap").trim_start_matches("products-api/")
    );
    let to = Email::parse(&address).expect("address");
    let now = app.clock().now();
    let notice = OutboxEntry::new(
        Job::Mail {
            kind: MailKind::PasswordChanged,
            to: to.clone(),
            user_id: Id::generate(now).expect("id"),
            epoch: 0,
        },
        now,
    )
    .expect("entry");
    let name = unique_name("address-key");
    let secret = "an-address-key-of-more-than-thirty-two-bytes";
    put_secret(&name, secret).await;
    let runtime = RuntimeApi::start().await.expect("runtime API");
    let tables = &app.state.config.tables;
    let ses = std::env::var("AWS_ENDPOINT_URL_SESV2").expect("the SES emulator's address");
    let mut process = function_process(
        "mailer",
        &runtime.addr.to_string(),
        &[
            ("JWT_PUBLIC_KEYS", &public_key()),
            ("ADDRESS_KEY_SECRET_ID", &name),
            ("AWS_ENDPOINT_URL_SESV2", &ses),
            // Only a job that can never be done goes there: none here.
            (
                "MAILER_FAILURE_QUEUE_URL",
                "http://127.0.0.1:9/queue/unused",
            ),
            ("MAIL_FROM", "no-reply@example.com"),
            ("APP_BASE_URL", "https://app.example"),
            ("LIMITS_TABLE", tables.get(TableName::Limits)),
            ("TOKENS_TABLE", tables.get(TableName::Tokens)),
            ("USERS_TABLE", tables.get(TableName::Users)),
            ("OUTBOX_TABLE", tables.get(TableName::Outbox)),
        ],
    )
    .spawn()
    .expect("the mailer starts");

    // The same notice owed six times in a row: the cap's window opens with the first mail and
    // lasts an hour, so all six fall in it whatever the clock says.
    let mut answers = Vec::new();
    for sequence in 1..=6 {
        let event = json!({ "Records": [stream_record(&notice, sequence)] });
        let answer = runtime.invoke(event.to_string()).await;
        answers.push(answer.expect("the mailer answers"));
    }

    let _ = process.kill().await;
    for answer in &answers {
        let body: Value = serde_json::from_str(&answer.body).expect("JSON");
        assert_eq!(body["batchItemFailures"], json!([]), "{body}");
    }
    assert_eq!(
        api_tests::mails::to(&address).len(),
        5,
        "the sixth is not sent"
    );
    let key = shared::mail::AddressKey::from_secret(secret.as_bytes()).expect("key");
    let counter = format!("mail-to#{}", key.tag(&to));
    let stored = app
        .state
        .dynamo
        .get_item()
        .table_name(tables.get(TableName::Limits))
        .key("key", aws_sdk_dynamodb::types::AttributeValue::S(counter))
        .send()
        .await
        .expect("read counter");
    assert!(
        stored.item.is_some(),
        "counted under the HMAC of the address with the fetched key"
    );
}
