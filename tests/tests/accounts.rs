//! Accounts people can recover, verify and delete, against DynamoDB Local (its outbox stream
//! read as the workers' mappings read it) and the local SES emulator: verification and reset by
//! mail, one-time tokens, profile changes, account deletion, and a lockout nobody can aim at
//! someone else.

use std::time::Duration;

use api_tests::mails::{self, Mail};
use api_tests::{join_all, Event, TestApp, TestResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new horse";

/// An address no other test (or earlier run) mails: the emulator keeps every mail.
fn address(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{label}-{nanos}@example.com")
}

/// The mails of `to` once the outbox is delivered: exactly `count` of them.
async fn mails_after_delivery(app: &TestApp, to: &str, count: usize) -> Vec<Mail> {
    app.deliver_outbox().await;
    let mails = mails::wait_for(to, count, Duration::from_secs(5));
    assert_eq!(mails.len(), count, "mails to {to}: {mails:?}");
    mails
}

fn token_of(mail: &Mail) -> String {
    mail.token()
        .unwrap_or_else(|| panic!("no token in {mail:?}"))
}

async fn post(app: &TestApp, event: &str, body: Value) -> TestResponse {
    app.invoke(&Event::load(event).json_body(&body)).await
}

async fn profile(app: &TestApp, token: &str) -> TestResponse {
    app.invoke(&Event::load("profile").bearer(token)).await
}

/// A reset with `token` to `password`.
async fn reset_with(app: &TestApp, token: &str, password: &str) -> TestResponse {
    post(
        app,
        "reset-password",
        json!({ "token": token, "newPassword": password }),
    )
    .await
}

fn assert_token_refused(response: &TestResponse) {
    assert_eq!(response.status, 400, "{:?}", response.json());
    assert_eq!(response.error_fields(), ["token"]);
}

#[tokio::test]
async fn registering_sends_a_link_that_verifies_the_email_once() {
    let app = TestApp::spawn().await;
    let email = address("verify");
    let registered = app.register(&email, PASSWORD).await;
    assert_eq!(registered.status, 201);
    assert_eq!(registered.json()["data"]["emailVerified"], false);

    let mail = &mails_after_delivery(&app, &email, 1).await[0];
    let token = token_of(mail);
    let verified = post(&app, "verify-email", json!({ "token": token })).await;
    let again = post(&app, "verify-email", json!({ "token": token })).await;

    assert_eq!(mail.subject, "Verify your email address");
    assert!(mail
        .text
        .contains(&format!("https://app.example/verify-email#token={token}")));
    assert_eq!(mail.from, "no-reply@example.com");
    assert_eq!(verified.status, 204);
    assert_token_refused(&again);
    let login = app.login(&email, PASSWORD).await;
    let session = login.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(
        profile(&app, &session).await.json()["data"]["emailVerified"],
        true
    );
}

#[tokio::test]
async fn a_verification_token_expires_after_a_day_and_a_made_up_one_never_worked() {
    let app = TestApp::spawn().await;
    let email = address("late");
    app.register(&email, PASSWORD).await;
    let token = token_of(&mails_after_delivery(&app, &email, 1).await[0]);

    app.clock().advance(Duration::from_secs(24 * 60 * 60));
    let late = post(&app, "verify-email", json!({ "token": token })).await;
    let made_up = post(&app, "verify-email", json!({ "token": "A".repeat(43) })).await;
    let malformed = post(&app, "verify-email", json!({ "token": "short" })).await;

    assert_token_refused(&late);
    assert_token_refused(&made_up);
    assert_token_refused(&malformed);
}

#[tokio::test]
async fn forgot_answers_alike_for_known_and_unknown_emails_and_mails_only_the_known() {
    let app = TestApp::spawn().await;
    let known = address("known");
    let unknown = address("unknown");
    app.register(&known, PASSWORD).await;
    mails_after_delivery(&app, &known, 1).await;

    let for_known = post(&app, "forgot-password", json!({ "email": known })).await;
    let for_unknown = post(&app, "forgot-password", json!({ "email": unknown })).await;

    assert_eq!(for_known.status, 202);
    assert_eq!(for_unknown.status, 202);
    assert_eq!(for_known.body, for_unknown.body);
    assert_eq!(for_known.header("cache-control"), Some("no-store"));
    let mails = mails_after_delivery(&app, &known, 2).await;
    assert_eq!(mails[1].subject, "Reset your password");
    assert!(mails[1]
        .text
        .contains("https://app.example/reset-password#token="));
    assert!(mails::to(&unknown).is_empty());
}

/// Registers `email`, logs in, asks for a reset; the session's token and the reset token.
async fn reset_requested(app: &TestApp, email: &str) -> (String, String) {
    app.register(email, PASSWORD).await;
    let session = app.login(email, PASSWORD).await.json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    post(app, "forgot-password", json!({ "email": email })).await;
    let mails = mails_after_delivery(app, email, 2).await;
    (session, token_of(&mails[1]))
}

#[tokio::test]
async fn a_reset_replaces_the_password_ends_every_session_and_sends_a_notice() {
    let app = TestApp::spawn().await;
    let email = address("reset");
    let (session, token) = reset_requested(&app, &email).await;

    let reset = reset_with(&app, &token, NEW_PASSWORD).await;
    let again = reset_with(&app, &token, "yet another password").await;

    assert_eq!(reset.status, 204);
    assert_token_refused(&again);
    assert_eq!(
        profile(&app, &session).await.status,
        401,
        "every session ended"
    );
    assert_eq!(app.login(&email, PASSWORD).await.status, 401);
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status, 200);
    let mails = mails_after_delivery(&app, &email, 3).await;
    assert_eq!(mails[2].subject, "Your password was changed");
    assert_eq!(mails[2].token(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_resets_racing_with_one_token_succeed_once() {
    let app = TestApp::spawn().await;
    let email = address("race");
    let (_, token) = reset_requested(&app, &email).await;
    let event = |password: &str| {
        Event::load("reset-password").json_body(&json!({ "token": token, "newPassword": password }))
    };
    let (first, second) = (event("first new password"), event("second new password"));

    let answers = join_all([first, second].iter().map(|e| app.invoke(e))).await;

    let mut statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 400]);
    let logins = [
        app.login(&email, "first new password").await.status,
        app.login(&email, "second new password").await.status,
    ];
    assert!(logins.contains(&200) && logins.contains(&401), "{logins:?}");
}

#[tokio::test]
async fn a_reset_token_lasts_thirty_minutes_and_a_newer_one_leaves_it_working() {
    let app = TestApp::spawn().await;
    let email = address("stale");
    let (_, older) = reset_requested(&app, &email).await;
    post(&app, "forgot-password", json!({ "email": email })).await;
    let newer = token_of(&mails_after_delivery(&app, &email, 3).await[2]);
    assert_ne!(older, newer);

    app.clock().advance(Duration::from_secs(29 * 60));
    let older_works = reset_with(&app, &older, NEW_PASSWORD).await;
    app.clock().advance(Duration::from_secs(2 * 60));
    let newer_too_late = reset_with(&app, &newer, "yet another password").await;

    assert_eq!(older_works.status, 204);
    assert_token_refused(&newer_too_late);
}

#[tokio::test]
async fn a_reset_ends_every_other_reset_link_of_the_account() {
    let app = TestApp::spawn().await;
    let email = address("other-links");
    let (_, first) = reset_requested(&app, &email).await;
    post(&app, "forgot-password", json!({ "email": email })).await;
    let second = token_of(&mails_after_delivery(&app, &email, 3).await[2]);

    let reset = reset_with(&app, &second, NEW_PASSWORD).await;
    let other = reset_with(&app, &first, "yet another password").await;

    assert_eq!(reset.status, 204);
    assert_token_refused(&other);
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_password_change_ends_every_reset_link_and_mails_a_notice() {
    let app = TestApp::spawn().await;
    let email = address("change-ends-links");
    let (session, link) = reset_requested(&app, &email).await;

    let changed = app
        .invoke(
            &Event::load("change-password")
                .bearer(&session)
                .json_body(&json!({ "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD })),
        )
        .await;
    let reset = reset_with(&app, &link, "yet another password").await;

    assert_eq!(changed.status, 204);
    assert_token_refused(&reset);
    let mails = mails_after_delivery(&app, &email, 3).await;
    assert_eq!(mails[2].subject, "Your password was changed");
}

#[tokio::test]
async fn at_most_five_mails_an_hour_reach_one_address_across_deleted_accounts() {
    let app = TestApp::spawn().await;
    let email = address("capped");
    // Each round: a registration's verification mail, then the deletion's notice.
    for _ in 0..4 {
        assert_eq!(app.register(&email, PASSWORD).await.status, 201);
        app.deliver_outbox().await;
        let token = app.login(&email, PASSWORD).await.json()["token"]
            .as_str()
            .expect("token")
            .to_owned();
        let deleted = app
            .invoke(
                &Event::load("delete-account")
                    .bearer(&token)
                    .json_body(&json!({ "password": PASSWORD })),
            )
            .await;
        assert_eq!(deleted.status, 204);
        app.deliver_outbox().await;
    }

    // Eight mails were owed and delivered (every send is done once delivery returns): the
    // emulator holds the first five.
    let mails = mails::to(&email);
    assert_eq!(mails.len(), 5, "{mails:?}");
    app.clock().advance(Duration::from_secs(60 * 60));
    assert_eq!(app.register(&email, PASSWORD).await.status, 201);
    assert_eq!(
        mails_after_delivery(&app, &email, 6).await.len(),
        6,
        "an hour later"
    );
}

#[tokio::test]
async fn a_reset_clears_the_emails_lockout() {
    let app = TestApp::spawn().await;
    let email = address("locked");
    let (_, token) = reset_requested(&app, &email).await;
    for _ in 0..5 {
        assert_eq!(app.login(&email, "wrong password!").await.status, 401);
    }
    assert_eq!(app.login(&email, PASSWORD).await.status, 429);

    let reset = reset_with(&app, &token, NEW_PASSWORD).await;

    assert_eq!(reset.status, 204);
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn reset_mails_stop_silently_after_three_an_hour_and_forgot_requests_after_twenty() {
    let app = TestApp::spawn().await;
    let email = address("many");
    app.register(&email, PASSWORD).await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(post(&app, "forgot-password", json!({ "email": email })).await);
    }
    assert!(answers.iter().all(|a| a.status == 202));
    // The verification mail and three reset mails: the fourth and fifth were not sent.
    let mails = mails_after_delivery(&app, &email, 4).await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.subject == "Reset your password")
            .count(),
        3
    );

    let mut statuses = Vec::new();
    for i in 0..16 {
        let other = format!("nobody-{i}@example.com");
        statuses.push(
            post(&app, "forgot-password", json!({ "email": other }))
                .await
                .status,
        );
    }
    assert_eq!(statuses[..15], [202; 15]);
    let refused = post(&app, "forgot-password", json!({ "email": "x@example.com" })).await;
    assert_eq!(statuses[15], 429, "the 21st request from one address");
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
}

#[tokio::test]
async fn a_mail_whose_sending_fails_is_sent_once_the_mail_service_is_back() {
    let app = TestApp::spawn().await;
    let email = address("outage");
    app.register(&email, PASSWORD).await;
    mails_after_delivery(&app, &email, 1).await;
    // The mail service is down: nothing listens where the mailer sends.
    let down = app.with_mail_at(&format!(
        "http://127.0.0.1:{}",
        api_tests::dynamodb_local::free_port()
    ));

    let forgot = post(&app, "forgot-password", json!({ "email": email })).await;
    let delivered_while_down = down.deliver_outbox_with(2).await;
    let sent_while_down = mails::to(&email).len();
    app.deliver_outbox().await;

    assert_eq!(forgot.status, 202);
    assert!(!delivered_while_down);
    assert_eq!(sent_while_down, 1);
    let mails = mails::wait_for(&email, 2, Duration::from_secs(5));
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].subject, "Reset your password");
}

#[tokio::test]
async fn resend_sends_a_new_link_until_verified_at_most_three_an_hour() {
    let app = TestApp::spawn().await;
    let email = address("resend");
    let token = app.user_token(&email).await;
    let event = Event::load("resend-verification").bearer(&token);
    let resend = || app.invoke(&event);

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(resend().await.status);
    }
    let mails = mails_after_delivery(&app, &email, 4).await;
    post(
        &app,
        "verify-email",
        json!({ "token": token_of(&mails[3]) }),
    )
    .await;
    app.clock().advance(Duration::from_secs(60 * 60));
    let after_verified = resend().await;

    assert_eq!(statuses, [202, 202, 202, 429]);
    assert_eq!(after_verified.status, 204);
}

async fn patch_profile(app: &TestApp, token: &str, content_type: &str, body: &str) -> TestResponse {
    let event = Event::load("update-profile")
        .bearer(token)
        .raw_body(body)
        .header("content-type", content_type);
    app.invoke(&event).await
}

#[tokio::test]
async fn the_profile_takes_a_merge_patch_of_its_name_and_nothing_else() {
    let app = TestApp::spawn().await;
    let token = app.user_token(&address("patch")).await;
    let merge = "application/merge-patch+json";

    let named = patch_profile(&app, &token, merge, r#"{"name":"  Ada  "}"#).await;
    let untouched = patch_profile(&app, &token, merge, "{}").await;
    let removed = patch_profile(&app, &token, merge, r#"{"name":null}"#).await;
    let email = patch_profile(&app, &token, merge, r#"{"email":"x@y.z"}"#).await;
    let plain_json = patch_profile(&app, &token, "application/json", r#"{"name":"A"}"#).await;
    let text = patch_profile(&app, &token, "text/plain", "name=A").await;

    assert_eq!(named.status, 200);
    assert_eq!(named.json()["data"]["name"], "Ada");
    assert_eq!(untouched.json()["data"]["name"], "Ada");
    assert_eq!(removed.status, 200);
    assert_eq!(removed.json()["data"]["name"], Value::Null);
    assert_eq!(
        profile(&app, &token).await.json()["data"]["name"],
        Value::Null
    );
    assert_eq!(email.status, 400);
    assert_eq!(email.error_fields(), ["email"]);
    for refused in [&plain_json, &text] {
        assert_eq!(refused.status, 415);
        assert_eq!(
            refused.header("accept-patch"),
            Some("application/merge-patch+json")
        );
    }
}

/// How many items a table holds whose `attribute` is `value`.
async fn count_where(app: &TestApp, table: &str, attribute: &str, value: &str) -> usize {
    let mut count = 0;
    let mut start = None;
    loop {
        let page = app
            .state
            .dynamo
            .scan()
            .table_name(table)
            .filter_expression("#a = :v")
            .expression_attribute_names("#a", attribute)
            .expression_attribute_values(":v", AttributeValue::S(value.to_owned()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        count += usize::try_from(page.count).unwrap_or(0);
        start = page.last_evaluated_key;
        if start.is_none() {
            return count;
        }
    }
}

/// Every item of every table whose text holds `needle`, by table.
async fn items_holding(app: &TestApp, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for table in shared::tables::TableName::ALL {
        let name = app.state.config.tables.get(table);
        let mut start = None;
        loop {
            let page = app
                .state
                .dynamo
                .scan()
                .table_name(name)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            for item in page.items.unwrap_or_default() {
                let text = format!("{item:?}");
                if text.contains(needle) {
                    found.push(format!("{table:?}: {text}"));
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_an_account_ends_its_sessions_purges_its_products_and_frees_its_email() {
    let app = TestApp::spawn().await;
    let email = address("leaving");
    let token = app.user_token(&email).await;
    // What an account leaves besides its products: a keyed create's record, a verification and
    // a reset token, the counters of a failed login, a reset mail and a verification mail.
    let keyed = Event::load("create-product")
        .bearer(&token)
        .header("idempotency-key", "leaving-1")
        .json_body(&json!({ "name": "Keyed lamp", "price": 10 }));
    assert_eq!(app.invoke(&keyed).await.status, 201);
    assert_eq!(app.login(&email, "not my password").await.status, 401);
    post(&app, "forgot-password", json!({ "email": email })).await;
    let resend = Event::load("resend-verification").bearer(&token);
    assert_eq!(app.invoke(&resend).await.status, 202);
    mails_after_delivery(&app, &email, 3).await;
    let user_id = profile(&app, &token).await.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let create = Event::load("create-product")
        .bearer(&token)
        .json_body(&json!({ "name": "Lamp", "price": 10 }));
    // Twenty at a time: one test process stands in for many Lambda instances.
    let mut created = Vec::new();
    for _ in 0..15 {
        created.extend(join_all((0..20).map(|_| app.invoke(&create))).await);
    }
    assert!(created.iter().all(|r| r.status == 201));
    let some_product = created[0].json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let delete = |password: &str| {
        Event::load("delete-account")
            .bearer(&token)
            .json_body(&json!({ "password": password }))
    };

    let wrong = app.invoke(&delete("not my password")).await;
    let deleted = app.invoke(&delete(PASSWORD)).await;
    let stale = profile(&app, &token).await;
    app.deliver_outbox().await;

    assert_eq!(wrong.status, 401);
    assert_eq!(deleted.status, 204);
    assert_eq!(stale.status, 401, "every session ended at once");
    let products = app
        .state
        .config
        .tables
        .get(shared::tables::TableName::Products);
    assert_eq!(count_where(&app, products, "ownerId", &user_id).await, 0);
    let sessions = app
        .state
        .config
        .tables
        .get(shared::tables::TableName::Sessions);
    assert_eq!(count_where(&app, sessions, "userId", &user_id).await, 0);
    assert_eq!(items_holding(&app, &user_id).await, Vec::<String>::new());
    assert_eq!(items_holding(&app, &email).await, Vec::<String>::new());
    let notice = mails_after_delivery(&app, &email, 4).await;
    assert_eq!(notice[3].subject, "Your account was deleted");
    assert_eq!(app.get_product(&some_product).await.status, 404);
    assert_eq!(app.register(&email, PASSWORD).await.status, 201);
    let listed = app.list_products("limit=100").await.json();
    assert_eq!(
        listed["data"],
        json!([]),
        "nothing of the old account listed"
    );
}

#[tokio::test]
async fn a_wrong_password_for_deletion_counts_as_a_failed_login() {
    let app = TestApp::spawn().await;
    let email = address("guessed");
    let token = app.user_token(&email).await;
    let statuses = six_deletions_with_a_wrong_password(&app, &token).await;

    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
}

/// The statuses of six deletions of the token's account with a wrong password.
async fn six_deletions_with_a_wrong_password(app: &TestApp, token: &str) -> Vec<u16> {
    let delete = Event::load("delete-account")
        .bearer(token)
        .json_body(&json!({ "password": "not my password" }));
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.invoke(&delete).await.status);
    }
    statuses
}

fn login_from(email: &str, password: &str, ip: &str) -> Event {
    Event::load("login")
        .source_ip(ip)
        .json_body(&json!({ "email": email, "password": password }))
}

#[tokio::test]
async fn five_failures_lock_out_their_address_but_not_the_owner_elsewhere() {
    let app = TestApp::spawn().await;
    let email = address("aimed");
    app.register(&email, PASSWORD).await;
    let attacker = "198.51.100.66";
    let owner = "203.0.113.77";

    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            app.invoke(&login_from(&email, "guess guess", attacker))
                .await
                .status,
        );
    }
    let attacker_right = app.invoke(&login_from(&email, PASSWORD, attacker)).await;
    let owner_right = app.invoke(&login_from(&email, PASSWORD, owner)).await;

    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    assert_eq!(attacker_right.status, 429);
    assert!(attacker_right.header("retry-after").is_some());
    assert_eq!(owner_right.status, 200, "{:?}", owner_right.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn forty_concurrent_failures_from_one_address_across_twenty_instances_give_five_401s() {
    let app = TestApp::spawn().await;
    let email = address("burst");
    app.register(&email, PASSWORD).await;
    let instances: Vec<TestApp> = (0..20).map(|_| app.with_config(&[])).collect();
    let wrong = login_from(&email, "guess guess", "198.51.100.7");

    let answers = join_all(
        instances
            .iter()
            .cycle()
            .take(40)
            .map(|instance| instance.invoke(&wrong)),
    )
    .await;

    let unauthorized = answers.iter().filter(|a| a.status == 401).count();
    let limited = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!((unauthorized, limited), (5, 35));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn failures_from_a_hundred_and_ten_addresses_lock_the_email_for_everyone_after_a_hundred() {
    let app = TestApp::spawn().await;
    let email = address("distributed");
    app.register(&email, PASSWORD).await;
    let events: Vec<Event> = (0..110)
        .map(|i| {
            login_from(
                &email,
                "guess guess",
                &format!("10.0.{}.{}", i / 200, i % 200 + 1),
            )
        })
        .collect();

    // In waves of 22 at once: the fifth races 22 attempts for the email's last 12 failures.
    // (One test process stands in for 110 Lambda instances, and all of them at once would
    // only measure how this machine's DynamoDB Local queues 330 connections.)
    let mut answers = Vec::new();
    for wave in events.chunks(22) {
        answers.extend(join_all(wave.iter().map(|event| app.invoke(event))).await);
    }
    let from_elsewhere = app
        .invoke(&login_from(&email, PASSWORD, "192.0.2.200"))
        .await;

    let unauthorized = answers.iter().filter(|a| a.status == 401).count();
    let limited = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!((unauthorized, limited), (100, 10));
    assert_eq!(from_elsewhere.status, 429);
}

#[tokio::test]
async fn with_verified_emails_required_only_verified_accounts_write_products() {
    let app = TestApp::spawn_with(&[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
    let email = address("unverified");
    let token = app.user_token(&email).await;
    let product = json!({ "name": "Lamp", "price": 10 });

    let before = app.create_product(&token, &product).await;
    let mails = mails_after_delivery(&app, &email, 1).await;
    post(
        &app,
        "verify-email",
        json!({ "token": token_of(&mails[0]) }),
    )
    .await;
    let after = app.create_product(&token, &product).await;

    assert_eq!(before.status, 403);
    assert!(before.json()["detail"]
        .as_str()
        .is_some_and(|d| d.contains("Verify your email")));
    assert_eq!(after.status, 201);
}

#[tokio::test]
async fn with_verified_emails_required_every_product_write_refuses_an_unverified_account() {
    let app = TestApp::spawn_with(&[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
    let token = app.user_token(&address("unverified-writer")).await;
    let product = json!({ "name": "Lamp", "price": 10 });
    let writes: Vec<_> = shared::deploy::ROUTES
        .iter()
        .filter(|route| route.path.starts_with("/api/products") && route.method != "GET")
        .collect();
    assert_eq!(
        writes.len(),
        7,
        "POST, PUT, PATCH and DELETE of products; an image's upload, completion and deletion"
    );

    for route in writes {
        let mut event = Event::load(route.function)
            .bearer(&token)
            .header("if-match", "\"1\"");
        if route.path.ends_with("{id}") {
            event = event.product_id("01HZY3T7J9K2M4N6P8Q0R2S4T6");
        }
        event = match route.method {
            "PATCH" => event
                .raw_body(r#"{"price": 11}"#)
                .header("content-type", "application/merge-patch+json"),
            "DELETE" => event,
            _ => event.json_body(&product),
        };
        let answer = app.invoke(&event).await;
        assert_eq!(answer.status, 403, "{}: {:?}", route.key, answer.json());
        assert!(
            answer.json()["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Verify your email")),
            "{}",
            route.key
        );
    }
}

#[tokio::test]
async fn a_wrong_password_for_deletion_after_the_logins_window_opens_one_of_its_own() {
    let app = TestApp::spawn_with(&[("AUTH_LIMIT_WINDOW_SECONDS", "60")]).await;
    let email = address("later");
    let token = app.user_token(&email).await;
    // The login's own window of failures is over: the first wrong password opens the next.
    app.clock().advance(Duration::from_secs(61));
    let statuses = six_deletions_with_a_wrong_password(&app, &token).await;

    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
}
