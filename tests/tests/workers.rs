//! The workers as their mappings run them: a job that can never be done goes to the failure
//! queue at once, with its reason, and the jobs behind it are done; a purge never touches an
//! account that exists; an address SES cannot send to is refused before any mail is owed.

use std::time::Duration;

use api_tests::{mails, ses_refusals, Event, TestApp};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::{Email, Id};
use shared::store::outbox;

const PASSWORD: &str = "correct horse battery";

fn address(label: &str) -> String {
    format!("{}@example.com", api_tests::unique(label))
}

#[tokio::test]
async fn a_mail_ses_refuses_is_parked_at_once_and_the_mail_behind_it_is_sent() {
    let app = TestApp::spawn().await;
    let refused = address("refused");
    let next = address("next");
    let standin = ses_refusals::start(mails::emulator(), &refused)
        .await
        .expect("the SES stand-in starts");
    let refusing = app.with_mail_at(&format!("http://{standin}"));
    assert_eq!(app.register(&refused, PASSWORD).await.status, 201);
    assert_eq!(app.register(&next, PASSWORD).await.status, 201);

    // One pass, no retry: the refused mail holds nothing up.
    let delivered = refusing.deliver_outbox_with(1).await;

    assert!(delivered, "every job was done or parked in one pass");
    let parked = refusing.failed_jobs("mailer").await;
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0]["kind"], "verify-email");
    assert_eq!(parked[0]["worker"], "mailer");
    let reason = parked[0]["reason"].as_str().expect("a reason");
    assert!(reason.contains("MessageRejected"), "{reason}");
    assert!(
        !parked[0].to_string().contains(&refused),
        "the failure queue holds no address: {}",
        parked[0]
    );
    assert_eq!(mails::wait_for(&next, 1, Duration::from_secs(5)).len(), 1);
    assert!(mails::to(&refused).is_empty());
    // Parked means done: the stream does not give it again.
    assert!(refusing.deliver_outbox_with(1).await);
    assert_eq!(refusing.failed_jobs("mailer").await.len(), 0, "read once");
}

#[tokio::test]
async fn a_mail_that_fails_for_a_passing_reason_is_not_parked() {
    let app = TestApp::spawn().await;
    let email = address("passing");
    assert_eq!(app.register(&email, PASSWORD).await.status, 201);
    // Nothing listens where this instance sends mail: a passing failure.
    let down = app.with_mail_at(&format!(
        "http://127.0.0.1:{}",
        api_tests::dynamodb_local::free_port()
    ));

    let delivered_while_down = down.deliver_outbox_with(2).await;

    assert!(!delivered_while_down);
    assert!(down.failed_jobs("mailer").await.is_empty());
    app.deliver_outbox().await;
    assert_eq!(mails::wait_for(&email, 1, Duration::from_secs(5)).len(), 1);
}

#[tokio::test]
async fn a_job_that_does_not_read_is_parked_and_the_job_behind_it_is_done() {
    let app = TestApp::spawn().await;
    app.state
        .dynamo
        .put_item()
        .table_name(
            app.state
                .config
                .tables
                .get(shared::tables::TableName::Outbox),
        )
        .item("id", AttributeValue::S("mail#unreadable".to_owned()))
        .item("job", AttributeValue::S("mail".to_owned()))
        .item("kind", AttributeValue::S("verify-email".to_owned()))
        .item("to", AttributeValue::S("jörg@example.com".to_owned()))
        .send()
        .await
        .expect("a job no worker can read");
    let email = address("behind");
    assert_eq!(app.register(&email, PASSWORD).await.status, 201);

    assert!(app.deliver_outbox_with(1).await);

    let parked = app.failed_jobs("mailer").await;
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0]["kind"], "unreadable");
    assert_eq!(parked[0]["job"], "mail#unreadable");
    let left = app
        .state
        .dynamo
        .get_item()
        .table_name(
            app.state
                .config
                .tables
                .get(shared::tables::TableName::Outbox),
        )
        .key("id", AttributeValue::S("mail#unreadable".to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("read");
    assert!(left.item.is_none(), "a parked job leaves the outbox");
    assert!(parked[0]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("does not read")));
    assert_eq!(mails::wait_for(&email, 1, Duration::from_secs(5)).len(), 1);
}

#[tokio::test]
async fn a_purge_of_an_account_that_exists_deletes_nothing() {
    let app = TestApp::spawn().await;
    let email = address("alive");
    let token = app.user_token(&email).await;
    let product = app.new_product_id(&token).await;
    let profile = app.invoke(&Event::load("profile").bearer(&token)).await;
    let id = profile.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // A purge job for the live account, as any function that may write the outbox could owe.
    let forged = OutboxEntry::new(
        Job::Purge {
            user_id: Id::parse(&id).expect("id"),
            email: Email::parse(&email).expect("email"),
        },
        app.clock().now(),
    )
    .expect("job");
    outbox::insert(app.state.outbox(), &forged)
        .await
        .expect("written");

    assert!(app.deliver_outbox_with(1).await);

    assert_eq!(
        app.get_product(&product).await.status,
        200,
        "the product stays"
    );
    let again = app.invoke(&Event::load("profile").bearer(&token)).await;
    assert_eq!(again.status, 200, "the session stays");
    let parked = app.failed_jobs("purger").await;
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0]["kind"], "purge");
    assert_eq!(parked[0]["userId"], json!(id));
}

#[tokio::test]
async fn an_address_with_a_local_part_that_is_not_ascii_is_refused_at_registration() {
    let app = TestApp::spawn().await;

    let registered = app.register("jörg@example.com", PASSWORD).await;

    assert_eq!(registered.status, 400, "{:?}", registered.json());
    assert_eq!(registered.error_fields(), vec!["email".to_owned()]);
}

#[tokio::test]
async fn an_address_whose_domain_is_not_ascii_is_kept_in_its_idna_form() {
    let app = TestApp::spawn().await;
    let local = address("idna").replace("@example.com", "");

    let registered = app
        .register(&format!("{local}@bücher.example"), PASSWORD)
        .await;

    assert_eq!(registered.status, 201, "{:?}", registered.json());
    assert_eq!(
        registered.json()["data"]["email"],
        json!(format!("{local}@xn--bcher-kva.example"))
    );
    let login = app
        .login(&format!("{local}@xn--bcher-kva.example"), PASSWORD)
        .await;
    assert_eq!(login.status, 200, "the stored form logs in");
}
