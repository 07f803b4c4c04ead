//! Register, login and profile against DynamoDB Local, with real argon2id hashing.

use std::time::Duration;

use api_tests::app::{claims_of, signing_key_pem, start, ALLOWED_ORIGIN};
use api_tests::{join_all, Event, TestApp, TestResponse};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use shared::auth::keys::SigningKey;

const PASSWORD: &str = "correct horse battery";

async fn profile(app: &TestApp, event: Event) -> TestResponse {
    app.invoke(&event).await
}

fn without_request_id(mut body: Value) -> Value {
    body.as_object_mut().map(|o| o.remove("requestId"));
    body
}

#[tokio::test]
async fn registration_returns_the_user_without_any_secret() {
    let app = TestApp::spawn().await;
    let event = Event::load("register");

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 201, "{:?}", response.json());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let user = &response.json()["data"];
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["name"], "Ada Lovelace");
    assert_eq!(user["createdAt"], app.clock().now().to_string());
    assert!(user["id"].as_str().is_some_and(|id| id.len() == 26));
    let keys: Vec<&String> = user.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["createdAt", "email", "emailVerified", "id", "name"]);
    assert_eq!(user["emailVerified"], false);
    let text = String::from_utf8_lossy(&response.body);
    assert!(!text.contains("argon2") && !text.contains("correct horse"));
}

#[tokio::test]
async fn email_is_normalised_and_unique_across_case() {
    let app = TestApp::spawn().await;
    let first = app.register("  Grace@Example.COM ", PASSWORD).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.json()["data"]["email"], "grace@example.com");

    let second = app.register("grace@example.com", "another password").await;

    assert_eq!(second.status, 409);
    assert_eq!(
        second.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(app.login("GRACE@example.com", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_give_one_201_and_one_409() {
    let app = TestApp::spawn().await;

    let (a, b) = tokio::join!(
        app.register("race@example.com", PASSWORD),
        app.register("race@example.com", "other password 2")
    );

    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
}

#[tokio::test]
async fn registration_validation_reports_every_bad_field() {
    let app = TestApp::spawn().await;
    let long_email = format!("{}@example.com", "a".repeat(250));
    let cases = [
        (
            json!({ "email": "not-an-email", "password": PASSWORD }),
            vec!["email"],
        ),
        (
            json!({ "email": long_email, "password": PASSWORD }),
            vec!["email"],
        ),
        (
            json!({ "email": "a@example.com", "password": "1234567" }),
            vec!["password"],
        ),
        (
            json!({ "email": "a@example.com", "password": "x".repeat(129) }),
            vec!["password"],
        ),
        (json!({ "password": 12345678 }), vec!["email", "password"]),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "name": "" }),
            vec!["name"],
        ),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "id": "x" }),
            vec!["id"],
        ),
    ];
    for (body, expected) in cases {
        let event = Event::load("register").json_body(&body);
        let response = app.invoke(&event).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.error_fields(), expected, "{body}");
    }
}

#[tokio::test]
async fn password_length_counts_characters() {
    let app = TestApp::spawn().await;
    // Eight characters, sixteen bytes.
    assert_eq!(
        app.register("chars@example.com", "éééééééé").await.status,
        201
    );
    assert_eq!(app.login("chars@example.com", "éééééééé").await.status, 200);
}

#[tokio::test]
async fn login_returns_a_bearer_token_and_a_strict_cookie() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("ada@example.com", PASSWORD).await.status, 201);
    let event = Event::load("login");

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 86_400);
    let token = body["token"].as_str().expect("token");
    assert_eq!(
        response.header("set-cookie"),
        Some(
            format!(
                "__Host-token={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=86400"
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("known@example.com", PASSWORD).await.status,
        201
    );

    let wrong_password = app.login("known@example.com", "not the password").await;
    let unknown_email = app.login("nobody@example.com", "not the password").await;

    assert_eq!(wrong_password.status, 401);
    assert_eq!(unknown_email.status, 401);
    assert_eq!(wrong_password.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        without_request_id(wrong_password.json()),
        without_request_id(unknown_email.json())
    );
}

#[tokio::test]
async fn profile_answers_for_the_bearer_token() {
    let app = TestApp::spawn().await;
    let token = app.user_token("profile@example.com").await;

    let response = profile(&app, Event::load("profile").bearer(&token)).await;

    assert_eq!(response.status, 200);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.json()["data"]["email"], "profile@example.com");
}

#[tokio::test]
async fn profile_answers_for_the_token_cookie() {
    let app = TestApp::spawn().await;
    let token = app.user_token("cookie@example.com").await;

    let response = profile(
        &app,
        Event::load("profile").cookie(&format!("__Host-token={token}")),
    )
    .await;

    assert_eq!(response.status, 200);
    assert_eq!(response.json()["data"]["email"], "cookie@example.com");
}

#[tokio::test]
async fn only_the_host_prefixed_cookie_is_read() {
    let app = TestApp::spawn().await;
    let token = app.user_token("prefix@example.com").await;

    for cookie in [format!("token={token}"), format!("__Secure-token={token}")] {
        let response = profile(&app, Event::load("profile").cookie(&cookie)).await;
        assert_eq!(response.status, 401, "{cookie}");
    }
}

#[tokio::test]
async fn profile_without_a_token_is_401_with_www_authenticate() {
    let app = TestApp::spawn().await;

    let response = profile(&app, Event::load("profile")).await;

    assert_eq!(response.status, 401);
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

/// Signs EdDSA with the PEM `key`, under `kid` (none if `None`), typed as an access token.
fn sign_ed(claims: &Value, key: &str, kid: Option<&str>) -> String {
    sign_ed_typed(claims, key, kid, Some("at+jwt"))
}

/// Signs EdDSA with the PEM `key`, under `kid`, with the header's `typ` (none if `None`).
fn sign_ed_typed(claims: &Value, key: &str, kid: Option<&str>, typ: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = kid.map(str::to_owned);
    header.typ = typ.map(str::to_owned);
    use base64::Engine;
    let body: String = key
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body");
    let key = EncodingKey::from_ed_der(&der);
    encode(&header, claims, &key).expect("sign")
}

fn b64(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn tokens_are_eddsa_with_a_kid_and_carry_session_and_jti() {
    let app = TestApp::spawn().await;
    let token = app.user_token("claims@example.com").await;

    let header = jsonwebtoken::decode_header(&token).expect("header");
    let claims = claims_of(&token);

    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068");
    let key = SigningKey::from_pem(signing_key_pem()).expect("key");
    assert_eq!(header.kid.as_deref(), Some(key.public().kid()));
    for claim in ["sub", "sid", "jti", "email", "iat", "exp", "iss", "aud"] {
        assert!(!claims[claim].is_null(), "{claim} in {claims}");
    }
    assert_eq!(
        claims["exp"].as_i64(),
        claims["iat"].as_i64().map(|iat| iat + 86_400)
    );
    assert_eq!(claims["sid"].as_str().map(str::len), Some(32));
    assert_ne!(claims["jti"], claims["sid"]);
}

#[tokio::test]
async fn forged_and_broken_tokens_are_all_401() {
    let app = TestApp::spawn().await;
    let token = app.user_token("target@example.com").await;
    let real = claims_of(&token);
    let now = start().seconds();
    let claims = |changes: Value| {
        let mut base = json!({
            "sub": real["sub"], "sid": real["sid"], "jti": "0123", "email": "target@example.com",
            "iat": now, "exp": now + 3600, "iss": "products-api", "aud": "products-api"
        });
        for (key, value) in changes.as_object().expect("object") {
            if value.is_null() {
                base.as_object_mut().map(|o| o.remove(key));
            } else {
                base[key] = value.clone();
            }
        }
        base
    };
    let pem = signing_key_pem().expose_secret();
    let key = SigningKey::from_pem(signing_key_pem()).expect("key");
    let kid = Some(key.public().kid());
    let valid = sign_ed(&claims(json!({})), pem, kid);
    assert_eq!(
        profile(&app, Event::load("profile").bearer(&valid))
            .await
            .status,
        200,
        "a token made like login's is accepted"
    );
    let full_type = sign_ed_typed(&claims(json!({})), pem, kid, Some("application/AT+JWT"));
    assert_eq!(
        profile(&app, Event::load("profile").bearer(&full_type))
            .await
            .status,
        200,
        "the full media type, in any case, is the same type"
    );

    let (_, another_pem) = SigningKey::generate().expect("key");
    let (header, rest) = valid.split_once('.').expect("jwt");
    let (_, signature) = rest.split_once('.').expect("jwt");
    let tampered = format!(
        "{header}.{}.{signature}",
        b64(&claims(json!({"sub": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})))
    );
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(json!({})))
    );
    let cases = [
        ("alg none", alg_none),
        (
            "HS256 with the old JWT_SECRET kind of value",
            sign(
                &claims(json!({})),
                Algorithm::HS256,
                "test-secret-0123456789abcdef0123456789",
            ),
        ),
        (
            "HS256 keyed with the public key",
            sign(&claims(json!({})), Algorithm::HS256, key.public().x()),
        ),
        (
            "HS512",
            sign(
                &claims(json!({})),
                Algorithm::HS512,
                "any-secret-at-all-0123456789abcdef",
            ),
        ),
        ("no kid", sign_ed(&claims(json!({})), pem, None)),
        (
            "typ JWT: signed by the right key, but no access token",
            sign_ed_typed(&claims(json!({})), pem, kid, Some("JWT")),
        ),
        ("no typ", sign_ed_typed(&claims(json!({})), pem, kid, None)),
        (
            "unknown kid",
            sign_ed(&claims(json!({})), pem, Some("not-a-configured-kid")),
        ),
        (
            "another key under our kid",
            sign_ed(&claims(json!({})), another_pem.expose_secret(), kid),
        ),
        (
            "expired",
            sign_ed(&claims(json!({"exp": now - 1})), pem, kid),
        ),
        ("no exp", sign_ed(&claims(json!({"exp": null})), pem, kid)),
        (
            "wrong iss",
            sign_ed(&claims(json!({"iss": "someone-else"})), pem, kid),
        ),
        (
            "wrong aud",
            sign_ed(&claims(json!({"aud": "someone-else"})), pem, kid),
        ),
        (
            "no session",
            sign_ed(&claims(json!({"sid": null})), pem, kid),
        ),
        (
            "a session that never was",
            sign_ed(
                &claims(json!({"sid": "0123456789abcdef0123456789abcdef"})),
                pem,
                kid,
            ),
        ),
        (
            "another user's id",
            sign_ed(
                &claims(json!({"sub": "01ARZ3NDEKTSV4RRFFQ69G5FAV"})),
                pem,
                kid,
            ),
        ),
        ("tampered payload", tampered),
        ("garbage", "not.a.token".to_owned()),
        ("empty", String::new()),
    ];
    for (case, token) in cases {
        let response = profile(&app, Event::load("profile").bearer(&token)).await;
        assert_eq!(response.status, 401, "{case}");
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer"),
            "{case}"
        );
    }
}

#[tokio::test]
async fn a_token_of_the_previous_key_still_works_after_a_rotation() {
    // The previous key signed this token; the configuration now lists a new key first.
    let app = TestApp::spawn().await;
    let token = app.user_token("rotation@example.com").await;
    let (new_key, _) = SigningKey::generate().expect("key");
    let keys = format!("{},{}", new_key.public().x(), api_tests::app::public_key());
    let rotated = app.with_config(&[("JWT_PUBLIC_KEYS", &keys)]);

    let response = profile(&rotated, Event::load("profile").bearer(&token)).await;
    assert_eq!(response.status, 200);

    let dropped = app.with_config(&[("JWT_PUBLIC_KEYS", new_key.public().x())]);
    let response = profile(&dropped, Event::load("profile").bearer(&token)).await;
    assert_eq!(
        response.status, 401,
        "a key no longer configured verifies nothing"
    );
}

#[tokio::test]
async fn a_token_stops_working_when_it_expires() {
    let app = TestApp::spawn().await;
    let token = app.user_token("expiry@example.com").await;

    app.clock().advance(Duration::from_secs(24 * 60 * 60));

    assert_eq!(
        profile(&app, Event::load("profile").bearer(&token))
            .await
            .status,
        401
    );
}

async fn create_with_cookie(app: &TestApp, token: &str, origin: Option<&str>) -> TestResponse {
    let mut event = Event::load("create-product").cookie(&format!("__Host-token={token}"));
    if let Some(origin) = origin {
        event = event.header("origin", origin);
    }
    app.invoke(&event).await
}

#[tokio::test]
async fn cookie_writes_need_an_allowed_origin() {
    let app = TestApp::spawn().await;
    let token = app.user_token("csrf@example.com").await;

    assert_eq!(
        create_with_cookie(&app, &token, Some(ALLOWED_ORIGIN))
            .await
            .status,
        201
    );
    assert_eq!(
        create_with_cookie(&app, &token, Some("https://evil.example"))
            .await
            .status,
        403
    );
    assert_eq!(create_with_cookie(&app, &token, None).await.status, 403);
}

#[tokio::test]
async fn bearer_writes_need_no_origin() {
    let app = TestApp::spawn().await;
    let token = app.user_token("bearer@example.com").await;
    let event = Event::load("create-product")
        .bearer(&token)
        .header("origin", "https://evil.example");

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 201);
}

#[tokio::test]
async fn five_failed_logins_lock_the_email_until_the_window_passes() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("locked@example.com", PASSWORD).await.status,
        201
    );
    fail_logins(&app, "locked@example.com", 5).await;

    let locked = app.login("locked@example.com", PASSWORD).await;
    assert_eq!(locked.status, 429);
    let retry_after: u64 = locked
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_eq!(
        locked.header("content-type"),
        Some("application/problem+json")
    );

    // Another account is not affected.
    assert_eq!(app.register("free@example.com", PASSWORD).await.status, 201);
    assert_eq!(app.login("free@example.com", PASSWORD).await.status, 200);

    app.clock().advance(Duration::from_secs(15 * 60));
    assert_eq!(app.login("locked@example.com", PASSWORD).await.status, 200);
}

#[tokio::test]
async fn a_successful_login_clears_earlier_failures() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.register("clear@example.com", PASSWORD).await.status,
        201
    );
    fail_logins(&app, "clear@example.com", 4).await;
    assert_eq!(app.login("clear@example.com", PASSWORD).await.status, 200);
    fail_logins(&app, "clear@example.com", 4).await;
    assert_eq!(app.login("clear@example.com", PASSWORD).await.status, 200);
}

/// Logs in with a wrong password `times` times, each answered 401.
async fn fail_logins(app: &TestApp, email: &str, times: usize) {
    for attempt in 1..=times {
        let response = app.login(email, "wrong password").await;
        assert_eq!(response.status, 401, "attempt {attempt}");
    }
}

#[tokio::test]
async fn failed_logins_are_limited_per_source_ip() {
    let app = TestApp::spawn_with(&[("LOGIN_FAILURES_PER_IP", "3")]).await;
    assert_eq!(app.register("ip@example.com", PASSWORD).await.status, 201);
    for i in 0..3 {
        let response = app
            .login(&format!("someone{i}@example.com"), "wrong password")
            .await;
        assert_eq!(response.status, 401);
    }

    let blocked = app.login("ip@example.com", PASSWORD).await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.header("retry-after").is_some());

    let elsewhere = Event::load("login")
        .source_ip("198.51.100.7")
        .json_body(&json!({ "email": "ip@example.com", "password": PASSWORD }));
    let response = app.invoke(&elsewhere).await;
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn registrations_are_limited_per_source_ip() {
    let app = TestApp::spawn_with(&[("REGISTRATIONS_PER_IP", "2")]).await;
    assert_eq!(app.register("r1@example.com", PASSWORD).await.status, 201);
    assert_eq!(app.register("r2@example.com", PASSWORD).await.status, 201);

    let third = app.register("r3@example.com", PASSWORD).await;
    assert_eq!(third.status, 429);
    assert!(third.header("retry-after").is_some());

    app.clock().advance(Duration::from_secs(15 * 60));
    assert_eq!(app.register("r3@example.com", PASSWORD).await.status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_registrations_never_pass_the_ip_limit() {
    let app = TestApp::spawn_with(&[("REGISTRATIONS_PER_IP", "3")]).await;

    let attempts = (0..6).map(|i| {
        let app = &app;
        async move {
            app.register(&format!("racer{i}@example.com"), PASSWORD)
                .await
                .status
        }
    });
    let mut statuses = join_all(attempts).await;
    statuses.sort();

    assert_eq!(statuses, [201, 201, 201, 429, 429, 429]);
}

#[tokio::test]
async fn an_expired_counter_still_in_the_table_is_ignored() {
    let app = TestApp::spawn().await;
    assert_eq!(app.register("ttl@example.com", PASSWORD).await.status, 201);
    fail_logins(&app, "ttl@example.com", 5).await;
    app.clock().advance(Duration::from_secs(16 * 60));

    // DynamoDB Local never deleted the counter; it is past its window all the same.
    let counter = app
        .state
        .dynamo
        .get_item()
        .table_name(
            app.state
                .config
                .tables
                .get(shared::tables::TableName::Limits),
        )
        .key(
            "key",
            aws_sdk_dynamodb::types::AttributeValue::S("login-email#ttl@example.com".into()),
        )
        .send()
        .await
        .expect("get counter");
    assert!(counter.item.is_some());
    assert_eq!(app.login("ttl@example.com", PASSWORD).await.status, 200);
}
