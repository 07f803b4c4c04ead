//! Sessions against DynamoDB Local: logout, logout-all, the sessions list, ending one session,
//! password changes, the JWKS, and lockouts that hold under concurrency.

use std::collections::HashSet;

use api_tests::app::{claims_of, ALLOWED_ORIGIN};
use api_tests::{join_all, Event, TestApp, TestResponse};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new horse";

fn token_of(login: &TestResponse) -> String {
    assert_eq!(login.status, 200, "login: {:?}", login.json());
    login.json()["token"].as_str().expect("token").to_owned()
}

async fn login_as(app: &TestApp, email: &str, password: &str) -> String {
    token_of(&app.login(email, password).await)
}

async fn profile(app: &TestApp, token: &str) -> u16 {
    app.invoke(&Event::load("profile").bearer(token))
        .await
        .status
}

async fn profile_by_cookie(app: &TestApp, token: &str) -> u16 {
    let event = Event::load("profile").cookie(&format!("__Host-token={token}"));
    app.invoke(&event).await.status
}

async fn create_product(app: &TestApp, token: &str) -> u16 {
    let body = json!({ "name": "Lamp", "price": 10 });
    app.create_product(token, &body).await.status
}

async fn sessions(app: &TestApp, token: &str) -> TestResponse {
    app.invoke(&Event::load("list-sessions").bearer(token))
        .await
}

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> TestResponse {
    let body = json!({ "currentPassword": current, "newPassword": new });
    let event = Event::load("change-password")
        .bearer(token)
        .json_body(&body);
    app.invoke(&event).await
}

#[tokio::test]
async fn logout_ends_the_session_for_bearer_and_cookie_alike() {
    let app = TestApp::spawn().await;
    let token = app.user_token("logout@example.com").await;
    assert_eq!(profile(&app, &token).await, 200);

    let response = app.invoke(&Event::load("logout").bearer(&token)).await;

    assert_eq!(response.status, 204);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(
        response.header("set-cookie"),
        Some("__Host-token=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0")
    );
    assert_eq!(profile(&app, &token).await, 401);
    assert_eq!(profile_by_cookie(&app, &token).await, 401);
    assert_eq!(create_product(&app, &token).await, 401);
    let again = app.invoke(&Event::load("logout").bearer(&token)).await;
    assert_eq!(again.status, 401, "a logged-out token cannot log out again");
}

#[tokio::test]
async fn logout_by_cookie_needs_an_allowed_origin_and_ends_the_session() {
    let app = TestApp::spawn().await;
    let token = app.user_token("cookie-logout@example.com").await;
    let cookie = format!("__Host-token={token}");

    let foreign = app
        .invoke(
            &Event::load("logout")
                .cookie(&cookie)
                .header("origin", "https://evil.example"),
        )
        .await;
    assert_eq!(foreign.status, 403);
    assert_eq!(profile_by_cookie(&app, &token).await, 200);

    let own = app
        .invoke(
            &Event::load("logout")
                .cookie(&cookie)
                .header("origin", ALLOWED_ORIGIN),
        )
        .await;
    assert_eq!(own.status, 204);
    assert_eq!(profile_by_cookie(&app, &token).await, 401);
}

#[tokio::test]
async fn logout_all_ends_every_session_and_the_list_shows_them_go() {
    let app = TestApp::spawn().await;
    let first = app.user_token("everywhere@example.com").await;
    let second = login_as(&app, "everywhere@example.com", PASSWORD).await;
    let listed = sessions(&app, &first).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["data"].as_array().map(Vec::len), Some(2));

    let response = app.invoke(&Event::load("logout-all").bearer(&first)).await;

    assert_eq!(response.status, 204);
    assert!(response
        .header("set-cookie")
        .is_some_and(|cookie| cookie.contains("Max-Age=0")));
    assert_eq!(profile(&app, &first).await, 401);
    assert_eq!(profile(&app, &second).await, 401);
    assert_eq!(sessions(&app, &second).await.status, 401);
    // A new login starts afresh: its own session is the only live one.
    let third = login_as(&app, "everywhere@example.com", PASSWORD).await;
    let after = sessions(&app, &third).await.json();
    assert_eq!(after["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(after["data"][0]["current"], true);
}

#[tokio::test]
async fn the_sessions_list_is_newest_first_with_the_current_one_marked() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("list@example.com", PASSWORD).await.status, 201);
    let login = |agent: &'static str, ip: &'static str| {
        Event::load("login")
            .header("user-agent", agent)
            .source_ip(ip)
            .json_body(&json!({ "email": "list@example.com", "password": PASSWORD }))
    };
    let older = token_of(&app.invoke(&login("Phone/1.0", "198.51.100.1")).await);
    app.clock().advance(std::time::Duration::from_secs(60));
    let long_agent: &'static str = Box::leak("B".repeat(1_000).into_boxed_str());
    let newer = token_of(&app.invoke(&login(long_agent, "2001:db8::7")).await);

    let response = sessions(&app, &older).await;

    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    let list = body["data"].as_array().expect("list");
    assert_eq!(list.len(), 2);
    let keys: Vec<&String> = list[0].as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "createdAt",
            "current",
            "expiresAt",
            "id",
            "sourceIp",
            "userAgent"
        ]
    );
    assert_eq!(list[0]["sourceIp"], "2001:db8::7");
    assert_eq!(list[0]["userAgent"].as_str().map(str::len), Some(256));
    assert_eq!(list[0]["current"], false);
    assert_eq!(list[1]["userAgent"], "Phone/1.0");
    assert_eq!(list[1]["current"], true);
    assert!(list[0]["createdAt"].as_str() > list[1]["createdAt"].as_str());
    let sid = |token: &str| claims_of(token)["sid"].clone();
    assert_eq!(list[0]["id"], sid(&newer));
    assert_eq!(list[1]["id"], sid(&older));
}

#[tokio::test]
async fn a_user_ends_one_of_their_sessions_and_no_one_elses() {
    let app = TestApp::spawn().await;
    let mine = app.user_token("mine@example.com").await;
    let other = login_as(&app, "mine@example.com", PASSWORD).await;
    let stranger = app.user_token("stranger@example.com").await;
    let other_sid = claims_of(&other)["sid"].as_str().expect("sid").to_owned();
    let end = |token: &str, id: &str| Event::load("end-session").bearer(token).session_id(id);

    let by_stranger = app.invoke(&end(&stranger, &other_sid)).await;
    assert_eq!(
        by_stranger.status, 404,
        "another user's session is not found"
    );
    assert_eq!(profile(&app, &other).await, 200);

    let ended = app.invoke(&end(&mine, &other_sid)).await;
    assert_eq!(ended.status, 204);
    assert_eq!(profile(&app, &other).await, 401);
    assert_eq!(profile(&app, &mine).await, 200);

    for id in [
        other_sid.as_str(),
        "0123456789abcdef0123456789abcdef",
        "not-a-session",
    ] {
        let response = app.invoke(&end(&mine, id)).await;
        assert_eq!(response.status, 404, "{id}");
    }
}

#[tokio::test]
async fn a_password_change_keeps_this_session_and_ends_every_other() {
    let app = TestApp::spawn().await;
    let here = app.user_token("change@example.com").await;
    let elsewhere = login_as(&app, "change@example.com", PASSWORD).await;

    let response = change_password(&app, &here, PASSWORD, NEW_PASSWORD).await;

    assert_eq!(
        response.status,
        204,
        "{:?}",
        String::from_utf8_lossy(&response.body)
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(profile(&app, &here).await, 200);
    assert_eq!(profile(&app, &elsewhere).await, 401);
    assert_eq!(app.login("change@example.com", PASSWORD).await.status, 401);
    assert_eq!(
        app.login("change@example.com", NEW_PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn a_new_password_must_follow_the_registration_rules() {
    let app = TestApp::spawn().await;
    let token = app.user_token("rules@example.com").await;

    let short = change_password(&app, &token, PASSWORD, "short").await;
    assert_eq!(short.status, 400);
    assert_eq!(short.error_fields(), ["newPassword"]);
    let body = |body: Value| {
        Event::load("change-password")
            .bearer(&token)
            .json_body(&body)
    };
    let missing = app.invoke(&body(json!({ "newPassword": "x" }))).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.error_fields().into_iter().collect::<HashSet<_>>(),
        HashSet::from(["currentPassword".to_owned(), "newPassword".to_owned()])
    );
    let unknown = app
        .invoke(&body(
            json!({ "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD, "x": 1 }),
        ))
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.error_fields(), ["x"]);
    assert_eq!(app.login("rules@example.com", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn wrong_current_passwords_count_toward_the_account_lockout() {
    let app = TestApp::spawn().await;
    let token = app.user_token("guess@example.com").await;
    for attempt in 1..=5 {
        let response = change_password(&app, &token, "not my password", NEW_PASSWORD).await;
        assert_eq!(response.status, 401, "attempt {attempt}");
    }

    let locked = change_password(&app, &token, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(locked.status, 429);
    assert_eq!(app.login("guess@example.com", PASSWORD).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_racing_a_password_change_never_outlives_it() {
    let app = TestApp::spawn().await;
    for round in 0..4 {
        let email = format!("race{round}@example.com");
        let token = app.user_token(&email).await;

        let (change, login) = tokio::join!(
            change_password(&app, &token, PASSWORD, NEW_PASSWORD),
            app.login(&email, PASSWORD),
        );

        assert_eq!(change.status, 204, "round {round}");
        if login.status == 200 {
            let raced = token_of(&login);
            assert_eq!(
                profile(&app, &raced).await,
                401,
                "round {round}: a session of the old password is alive"
            );
        } else {
            assert_eq!(login.status, 401, "round {round}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn forty_concurrent_wrong_passwords_give_exactly_five_401s() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("target@example.com", PASSWORD).await.status,
        201
    );

    let attempts = (0..40).map(|_| async {
        app.login("target@example.com", "wrong password")
            .await
            .status
    });
    let statuses = join_all(attempts).await;

    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((unauthorized, limited), (5, 35), "{statuses:?}");
    assert_eq!(app.login("target@example.com", PASSWORD).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_wrong_passwords_from_one_ip_pass_its_limit_exactly() {
    let app = TestApp::spawn_with(&[("LOGIN_FAILURES_PER_IP", "7")]).await;

    let attempts = (0..30).map(|i| {
        let app = &app;
        async move {
            app.login(&format!("nobody{i}@example.com"), "wrong password")
                .await
                .status
        }
    });
    let statuses = join_all(attempts).await;

    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(unauthorized, 7, "{statuses:?}");
}

#[tokio::test]
async fn correct_logins_never_lock_anyone_out() {
    let app = TestApp::spawn_with(&[("LOGIN_FAILURES_PER_EMAIL", "2")]).await;
    assert_eq!(
        app.register("often@example.com", PASSWORD).await.status,
        201
    );

    for attempt in 1..=8 {
        let status = app.login("often@example.com", PASSWORD).await.status;
        assert_eq!(status, 200, "login {attempt}");
    }
}

#[tokio::test]
async fn addresses_of_one_ipv6_slash_64_share_a_limit() {
    let app = TestApp::spawn_with(&[("LOGIN_FAILURES_PER_IP", "2")]).await;
    let from = |ip: &str| {
        Event::load("login")
            .source_ip(ip)
            .json_body(&json!({ "email": "v6@example.com", "password": "wrong password" }))
    };

    assert_eq!(app.invoke(&from("2001:db8:0:1::1")).await.status, 401);
    assert_eq!(app.invoke(&from("2001:db8:0:1:ffff::2")).await.status, 401);
    assert_eq!(app.invoke(&from("2001:db8:0:1::3")).await.status, 429);
    assert_eq!(app.invoke(&from("2001:db8:0:2::1")).await.status, 401);
}

#[tokio::test]
async fn the_jwks_verifies_login_tokens_with_a_standard_library() {
    let app = TestApp::spawn().await;
    let token = app.user_token("jwks@example.com").await;

    let response = app.invoke(&Event::load("jwks")).await;

    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=3600")
    );
    let set: JwkSet = serde_json::from_slice(&response.body).expect("a JWK Set");
    let kid = jsonwebtoken::decode_header(&token)
        .expect("header")
        .kid
        .expect("kid");
    let jwk = set.find(&kid).expect("the token's key is published");
    let key = DecodingKey::from_jwk(jwk).expect("an Ed25519 key");
    let mut validation = Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["products-api"]);
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(&token, &key, &validation)
        .expect("the token verifies")
        .claims;
    assert_eq!(claims["email"], "jwks@example.com");
    let body = response.json();
    assert_eq!(body["keys"][0]["kty"], "OKP");
    assert_eq!(body["keys"][0]["crv"], "Ed25519");
    assert_eq!(body["keys"][0]["use"], "sig");
}

#[tokio::test]
async fn a_login_beyond_fifty_live_sessions_ends_the_oldest() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("many@example.com", PASSWORD).await.status, 201);
    let mut tokens = Vec::new();
    for _ in 0..52 {
        tokens.push(login_as(&app, "many@example.com", PASSWORD).await);
        app.clock().advance(std::time::Duration::from_millis(1));
    }

    let listed = sessions(&app, &tokens[51]).await;

    assert_eq!(listed.status, 200);
    let listed = listed.json()["data"].as_array().expect("sessions").len();
    assert_eq!(listed, shared::domain::session::MAX_LIVE_SESSIONS);
    assert_eq!(profile(&app, &tokens[0]).await, 401, "the oldest ended");
    assert_eq!(
        profile(&app, &tokens[1]).await,
        401,
        "the second oldest ended"
    );
    assert_eq!(profile(&app, &tokens[2]).await, 200);
    assert_eq!(profile(&app, &tokens[51]).await, 200);
}

#[tokio::test]
async fn listing_reads_only_unexpired_sessions_and_a_bounded_number_of_them() {
    use shared::domain::{Id, Session, SessionId};
    use shared::store::sessions::{list_unexpired, start, LIST_READ_LIMIT};
    let app = TestApp::spawn().await;
    let user = Id::generate(app.clock().now()).expect("id");
    // Sessions of older epochs (as logout-all leaves them, each over when the next began) far
    // beyond what a listing reads.
    for epoch in 0..120 {
        let now = app.clock().now();
        let session = Session {
            id: SessionId::generate(now).expect("id"),
            user_id: user.clone(),
            created_at: now,
            expires_at: now.plus(shared::domain::session::SESSION_LIFETIME),
            source_ip: None,
            user_agent: None,
            epoch,
        };
        start(app.state.sessions(), &session, now)
            .await
            .expect("start");
        app.clock().advance(std::time::Duration::from_millis(1));
    }

    let read = list_unexpired(app.state.sessions(), &user, app.clock().now())
        .await
        .expect("list");
    app.clock()
        .advance(shared::domain::session::SESSION_LIFETIME);
    let after_expiry = list_unexpired(app.state.sessions(), &user, app.clock().now())
        .await
        .expect("list");

    assert_eq!(read.len(), usize::try_from(LIST_READ_LIMIT).expect("limit"));
    assert!(
        read.windows(2).all(|pair| pair[0].id > pair[1].id),
        "newest first"
    );
    assert!(after_expiry.is_empty(), "expired sessions are not read");
}

#[tokio::test]
async fn a_wrong_current_password_after_the_logins_window_opens_one_of_its_own() {
    let app = TestApp::spawn_with(&[("AUTH_LIMIT_WINDOW_SECONDS", "60")]).await;
    let token = app.user_token("later-guess@example.com").await;
    // The login's own window of failures is over: the first wrong password opens the next.
    app.clock().advance(std::time::Duration::from_secs(61));

    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            change_password(&app, &token, "not my password", NEW_PASSWORD)
                .await
                .status,
        );
    }

    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
}
