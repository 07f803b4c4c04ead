//! The workers as `make dev` serves them: the stream poller feeding the real worker binaries
//! through `cargo lambda watch`, as each mapping in template.yaml says. A job that can never be
//! done lands in the failure queue at once and the mail behind it arrives within 2 s; a purge
//! job for an account that exists deletes nothing.

use std::time::{Duration, Instant};

use api_tests::app::{client_for, endpoint};
use api_tests::{mails, outbox, unique};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

fn base_url() -> String {
    std::env::var("E2E_BASE_URL").expect("E2E_BASE_URL names the served API: run through make test")
}

fn post(path: &str, bearer: Option<&str>, body: &Value) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent
        .post(format!("{}{path}", base_url()))
        .header("content-type", "application/json");
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut response = request.send(body.to_string()).expect("the API answers");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn variable(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by make test"))
}

/// Writes an outbox item as a function's transaction would (a job no function writes, here).
async fn owe(item: &[(&str, &str)]) {
    let mut put = client_for(&endpoint())
        .put_item()
        .table_name(variable("OUTBOX_TABLE"));
    for (name, value) in item {
        put = put.item(*name, AttributeValue::S((*value).to_owned()));
    }
    put.item("createdAt", AttributeValue::N("0".to_owned()))
        .send()
        .await
        .expect("the outbox takes the job");
}

/// The message about `job` in the queue at `url`, waited for up to `within`.
async fn parked(url: &str, job: &str, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let found = outbox::messages_in(url)
            .await
            .into_iter()
            .find(|message| message["job"] == job);
        if found.is_some() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
#[ignore = "needs the served API: run through make test"]
async fn a_mail_that_can_never_be_sent_is_parked_at_once_and_the_next_arrives_within_two_seconds() {
    let job = format!("mail#{}", unique("never"));
    // An address SES refuses (a local part that is not ASCII): no retry can send it.
    owe(&[
        ("id", &job),
        ("job", "mail"),
        ("kind", "verify-email"),
        ("to", "jörg@example.com"),
        ("userId", "01M91SZKB0N26136D0TCXGDSPX"),
    ])
    .await;
    let email = format!("{}@example.com", unique("behind"));

    let (status, _) = post(
        "/api/auth/register",
        None,
        &json!({ "email": email, "password": "correct horse battery" }),
    );
    // From the moment its mail is owed.
    let started = Instant::now();

    assert_eq!(status, 201);
    let mail = mails::wait_for(&email, 1, Duration::from_secs(2));
    assert_eq!(mail.len(), 1, "the mail behind the refused one arrives");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let message = parked(
        &variable("MAILER_FAILURE_QUEUE_URL"),
        &job,
        Duration::from_secs(2),
    )
    .await
    .expect("the refused job is in the mailer's failure queue");
    assert_eq!(message["worker"], "mailer");
    assert!(message["reason"]
        .as_str()
        .is_some_and(|r| r.contains("does not read")));
    assert!(
        !message.to_string().contains("jörg"),
        "no address: {message}"
    );
}

#[tokio::test]
#[ignore = "needs the served API: run through make test"]
async fn a_purge_job_for_an_account_that_exists_deletes_nothing() {
    let email = format!("{}@example.com", unique("alive"));
    let credentials = json!({ "email": email, "password": "correct horse battery" });
    let (status, registered) = post("/api/auth/register", None, &credentials);
    assert_eq!(status, 201);
    let (_, login) = post("/api/auth/login", None, &credentials);
    let token = login["token"].as_str().expect("token").to_owned();
    let (status, created) = post(
        "/api/products",
        Some(&token),
        &json!({ "name": "Kept", "price": 5 }),
    );
    assert_eq!(status, 201);
    let product = created["data"]["id"].as_str().expect("id").to_owned();
    let user_id = registered["data"]["id"].as_str().expect("id").to_owned();
    let job = format!("purge#{}", unique("forged"));

    owe(&[
        ("id", &job),
        ("job", "purge"),
        ("userId", &user_id),
        ("email", &email),
    ])
    .await;

    let message = parked(
        &variable("PURGER_FAILURE_QUEUE_URL"),
        &job,
        Duration::from_secs(5),
    )
    .await
    .expect("the purge is refused into the purger's failure queue");
    assert_eq!(message["userId"], json!(user_id));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let still = agent
        .get(format!("{}/api/products/{product}", base_url()))
        .call()
        .expect("the API answers");
    assert_eq!(still.status().as_u16(), 200, "the product stays");
}
