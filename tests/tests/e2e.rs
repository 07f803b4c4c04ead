//! The whole API over plain HTTP, as `make dev` serves it: real router, real functions, real
//! DynamoDB Local. `make test` starts the stack and runs these with `--ignored`.

use std::io::Read;

use lambda_http::http::{self, Method};
use serde_json::{json, Value};

const ORIGIN: &str = "https://app.example";

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

fn base_url() -> String {
    std::env::var("E2E_BASE_URL").expect("E2E_BASE_URL names the served API")
}

fn send(method: Method, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", base_url()));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(body.unwrap_or_default().to_vec())
        .expect("request");
    let mut response = agent.run(request).expect("the API answers");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response
            .body_mut()
            .with_config()
            .limit(10 * 1024 * 1024)
            .read_to_vec()
            .expect("body"),
    }
}

fn get(path: &str, headers: &[(&str, &str)]) -> Reply {
    send(Method::GET, path, headers, None)
}

fn send_json(method: Method, path: &str, headers: &[(&str, &str)], body: &Value) -> Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    send(method, path, &all, Some(body.to_string().as_bytes()))
}

fn unique_email(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{label}-{nanos}@example.com")
}

fn token_for(email: &str) -> String {
    let credentials = json!({ "email": email, "password": "correct horse battery" });
    let registered = send_json(Method::POST, "/api/auth/register", &[], &credentials);
    assert_eq!(registered.status, 201, "{:?}", registered.json());
    let login = send_json(Method::POST, "/api/auth/login", &[], &credentials);
    assert_eq!(login.status, 200);
    let token = login.json()["token"].as_str().expect("token").to_owned();
    assert_eq!(
        login.header("set-cookie"),
        Some(
            format!(
                "__Host-token={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=86400"
            )
            .as_str()
        )
    );
    token
}

fn assert_standard_headers(reply: &Reply) {
    for (name, value) in shared::http::headers::SECURITY_HEADERS {
        assert_eq!(reply.header(name), Some(*value), "{name}");
    }
    assert!(reply
        .header("x-request-id")
        .is_some_and(|id| !id.is_empty()));
    assert!(reply.header("server").is_none());
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn health_is_served_with_the_standard_headers() {
    let reply = get("/api/health", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["status"], "ok");
    let timestamp = reply.json()["timestamp"].as_str().map(str::to_owned);
    assert!(
        timestamp
            .as_deref()
            .and_then(shared::Timestamp::parse_rfc3339)
            .is_some(),
        "{timestamp:?}"
    );
    assert_standard_headers(&reply);
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn unknown_paths_and_methods_get_problems() {
    let missing = get("/api/nope", &[]);
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );
    assert_standard_headers(&missing);
    assert_eq!(
        missing.json()["requestId"],
        missing.header("x-request-id").unwrap_or("")
    );

    for (method, path) in [
        (Method::POST, "/api/products/abc"),
        (Method::DELETE, "/api/health"),
        (Method::PUT, "/api/products"),
    ] {
        let reply = send(method.clone(), path, &[], None);
        assert_eq!(reply.status, 405, "{method} {path}");
        assert!(reply.header("allow").is_some());
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
    }
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn cors_preflight_and_origins() {
    let preflight = send(
        Method::OPTIONS,
        "/api/products",
        &[
            ("origin", ORIGIN),
            ("access-control-request-method", "POST"),
        ],
        None,
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
    assert!(preflight
        .header("access-control-allow-methods")
        .is_some_and(|m| m.contains("POST")));
    assert!(preflight.header("access-control-max-age").is_some());
    assert_standard_headers(&preflight);

    let foreign = send(
        Method::OPTIONS,
        "/api/products/01JDQ4ZK8X9T6S2V3M5N7P8Q9R",
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "PUT"),
        ],
        None,
    );
    assert!(foreign.header("access-control-allow-origin").is_none());
    let foreign_get = get("/api/health", &[("origin", "https://evil.example")]);
    assert!(foreign_get.header("access-control-allow-origin").is_none());
    let allowed_get = get("/api/health", &[("origin", ORIGIN)]);
    assert_eq!(
        allowed_get.header("access-control-allow-origin"),
        Some(ORIGIN)
    );
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn a_user_manages_products_end_to_end() {
    let owner = token_for(&unique_email("owner"));
    let other = token_for(&unique_email("other"));
    let bearer = format!("Bearer {owner}");
    let auth = [("authorization", bearer.as_str())];

    let profile = get("/api/profile", &auth);
    assert_eq!(profile.status, 200);
    assert_eq!(profile.header("cache-control"), Some("no-store"));

    let cookie = format!("__Host-token={owner}");
    let by_cookie = get("/api/profile", &[("cookie", cookie.as_str())]);
    assert_eq!(by_cookie.status, 200);
    let cookie_write = send_json(
        Method::POST,
        "/api/products",
        &[
            ("cookie", cookie.as_str()),
            ("origin", "https://evil.example"),
        ],
        &json!({ "name": "Sneaky", "price": 1 }),
    );
    assert_eq!(cookie_write.status, 403);

    let body = json!({ "name": "Desk lamp", "price": 29.90, "category": "e2e-lighting" });
    let created = send_json(Method::POST, "/api/products", &auth, &body);
    assert_eq!(created.status, 201, "{:?}", created.json());
    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/products/{id}").as_str())
    );
    assert!(String::from_utf8_lossy(&created.body).contains("\"price\":29.90"));

    let listed = get("/api/products?category=e2e-lighting&limit=5", &[]);
    assert_eq!(listed.status, 200);
    assert!(listed.json()["data"]
        .as_array()
        .is_some_and(|d| d.iter().any(|p| p["id"] == id.as_str())));

    let path = format!("/api/products/{id}");
    let fetched = get(&path, &[]);
    assert_eq!(fetched.status, 200);
    let etag = fetched.header("etag").expect("etag").to_owned();
    let revalidated = get(&path, &[("if-none-match", etag.as_str())]);
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.body.is_empty());
    assert_standard_headers(&revalidated);

    let change = json!({ "name": "Floor lamp", "price": 99 });
    let refused = send_json(
        Method::PUT,
        &path,
        &[("authorization", &format!("Bearer {other}"))],
        &change,
    );
    assert_eq!(refused.status, 403);
    let updated = send_json(
        Method::PUT,
        &path,
        &[auth[0], ("if-match", etag.as_str())],
        &change,
    );
    assert_eq!(updated.status, 200);
    assert_eq!(updated.json()["data"]["version"], 2);
    let stale = send_json(
        Method::PUT,
        &path,
        &[auth[0], ("if-match", etag.as_str())],
        &change,
    );
    assert_eq!(stale.status, 412);

    let deleted = send(Method::DELETE, &path, &auth, None);
    assert_eq!(deleted.status, 204);
    assert_eq!(get(&path, &[]).status, 404);
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn large_responses_are_gzipped_over_http() {
    let token = token_for(&unique_email("gzip"));
    let bearer = format!("Bearer {token}");
    for i in 0..8 {
        let body = json!({ "name": format!("Bulk {i}"), "price": 1, "description": "d".repeat(200), "category": "e2e-bulk" });
        assert_eq!(
            send_json(
                Method::POST,
                "/api/products",
                &[("authorization", &bearer)],
                &body
            )
            .status,
            201
        );
    }
    let reply = get(
        "/api/products?category=e2e-bulk",
        &[("accept-encoding", "gzip")],
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert!(reply
        .header("vary")
        .is_some_and(|v| v.contains("Accept-Encoding")));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&reply.body[..])
        .read_to_string(&mut text)
        .expect("gzip body");
    assert!(text.len() >= 1024);
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(8));
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn five_wrong_passwords_lock_the_account_over_http() {
    let email = unique_email("lockout");
    token_for(&email);
    for _ in 0..5 {
        let reply = send_json(
            Method::POST,
            "/api/auth/login",
            &[],
            &json!({ "email": email, "password": "wrong password" }),
        );
        assert_eq!(reply.status, 401);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
    let locked = send_json(
        Method::POST,
        "/api/auth/login",
        &[],
        &json!({ "email": email, "password": "correct horse battery" }),
    );
    assert_eq!(locked.status, 429);
    assert!(locked
        .header("retry-after")
        .is_some_and(|s| s.parse::<u64>().is_ok()));
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn malformed_input_never_gets_a_server_error() {
    let token = token_for(&unique_email("fuzz"));
    let bearer = format!("Bearer {token}");
    let bodies: [&[u8]; 7] = [
        b"",
        b"{",
        b"null",
        b"{\"name\": \"\\ud800\", \"price\": 1}",
        b"{\"name\": \"a\", \"price\": 1e999999}",
        b"{\"name\": \"a\", \"price\": 1, \"name\": 2}",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
    ];
    for body in bodies {
        let reply = send(
            Method::POST,
            "/api/products",
            &[
                ("authorization", &bearer),
                ("content-type", "application/json"),
            ],
            Some(body),
        );
        assert!(
            (400..500).contains(&reply.status),
            "{:?} -> {}",
            String::from_utf8_lossy(body),
            reply.status
        );
    }
    for query in [
        "limit=-1",
        "cursor=%FF%FE",
        "category=%00",
        "limit=1&limit=2",
        "cursor=",
    ] {
        let reply = get(&format!("/api/products?{query}"), &[]);
        assert!(reply.status < 500, "{query} -> {}", reply.status);
    }
    for path in [
        "/api/products/%2e%2e",
        "/api/products/%C3%A9",
        "/api/products/x%00y",
    ] {
        let reply = get(path, &[]);
        assert_eq!(reply.status, 404, "{path}");
    }
}

/// Sends a request as raw bytes (a Host no HTTP client library would send) and returns the
/// status and the response's text.
fn send_raw(request: &str) -> (u16, String) {
    send_raw_bytes(request.as_bytes())
}

fn send_raw_bytes(request: &[u8]) -> (u16, String) {
    use std::io::Write;
    let address = base_url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).expect("the API accepts connections");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the response");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    (status, text)
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn a_malformed_host_or_scheme_changes_nothing_and_crashes_nothing_on_any_route() {
    let address = base_url().trim_start_matches("http://").to_owned();
    for route in shared::deploy::ROUTES {
        let path = route.path.replace("{id}", "01JDQXAMPLE0000000000000000");
        let request = |host: &str, proto: &str| {
            format!(
                "{} {path} HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-Proto: {proto}\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n",
                route.method
            )
        };
        let (plain, _) = send_raw(&request(&address, "https"));
        for (host, proto) in [
            ("a b", "https"),
            (address.as_str(), "a b"),
            ("api.example/x", "https"),
            (address.as_str(), "https:x"),
        ] {
            let (status, text) = send_raw(&request(host, proto));

            let what = format!(
                "{} {path} with Host {host:?}, scheme {proto:?}",
                route.method
            );
            assert_eq!(status, plain, "{what}: {text}");
            let lower = text.to_ascii_lowercase();
            assert!(lower.contains("x-content-type-options: nosniff"), "{what}");
            assert!(!text.contains("panicked"), "{what}: {text}");
        }
    }
}

fn login_token(email: &str, password: &str) -> String {
    let credentials = json!({ "email": email, "password": password });
    let login = send_json(Method::POST, "/api/auth/login", &[], &credentials);
    assert_eq!(login.status, 200, "{:?}", login.json());
    login.json()["token"].as_str().expect("token").to_owned()
}

/// The status of `GET /api/profile` and of `POST /api/products` with `token`, as a bearer and
/// as the cookie (from an allowed origin).
fn statuses_with(token: &str) -> [u16; 4] {
    let bearer = format!("Bearer {token}");
    let cookie = format!("__Host-token={token}");
    let by_bearer = [("authorization", bearer.as_str())];
    let by_cookie = [("cookie", cookie.as_str()), ("origin", ORIGIN)];
    let product = json!({ "name": "Session lamp", "price": 5 });
    [
        get("/api/profile", &by_bearer).status,
        send_json(Method::POST, "/api/products", &by_bearer, &product).status,
        get("/api/profile", &by_cookie).status,
        send_json(Method::POST, "/api/products", &by_cookie, &product).status,
    ]
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn sessions_end_by_logout_logout_all_and_password_change() {
    let email = unique_email("sessions");
    let first = token_for(&email);
    assert_eq!(statuses_with(&first), [200, 201, 200, 201]);

    // Logout: the same token is refused at once, by bearer and by cookie.
    let logout = send(
        Method::POST,
        "/api/auth/logout",
        &[("authorization", &format!("Bearer {first}"))],
        None,
    );
    assert_eq!(logout.status, 204);
    assert!(
        logout.header("set-cookie").is_some_and(
            |cookie| cookie.starts_with("__Host-token=;") && cookie.contains("Max-Age=0")
        )
    );
    assert_eq!(statuses_with(&first), [401, 401, 401, 401]);

    // Two sessions, listed; logout-all ends both.
    let second = login_token(&email, "correct horse battery");
    let third = login_token(&email, "correct horse battery");
    let listed = get(
        "/api/auth/sessions",
        &[("authorization", &format!("Bearer {third}"))],
    );
    assert_eq!(listed.status, 200);
    let sessions = listed.json()["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions[0]["current"], true);
    let all = send(
        Method::POST,
        "/api/auth/logout-all",
        &[("authorization", &format!("Bearer {second}"))],
        None,
    );
    assert_eq!(all.status, 204);
    assert_eq!(statuses_with(&second), [401, 401, 401, 401]);
    assert_eq!(statuses_with(&third), [401, 401, 401, 401]);

    // A password change: the old password stops working, the new one works, the other
    // session ends at once and this one lives on.
    let here = login_token(&email, "correct horse battery");
    let elsewhere = login_token(&email, "correct horse battery");
    let change = send_json(
        Method::PUT,
        "/api/profile/password",
        &[("authorization", &format!("Bearer {here}"))],
        &json!({ "currentPassword": "correct horse battery", "newPassword": "new horse battery" }),
    );
    assert_eq!(change.status, 204);
    assert_eq!(statuses_with(&elsewhere), [401, 401, 401, 401]);
    assert_eq!(statuses_with(&here)[0], 200);
    let old = send_json(
        Method::POST,
        "/api/auth/login",
        &[],
        &json!({ "email": email, "password": "correct horse battery" }),
    );
    assert_eq!(old.status, 401);
    login_token(&email, "new horse battery");
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn the_key_set_is_served_for_token_verification() {
    let reply = get("/api/auth/jwks.json", &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("cache-control"), Some("public, max-age=3600"));
    assert_standard_headers(&reply);
    let token = token_for(&unique_email("jwks"));
    let kid = jsonwebtoken::decode_header(&token).expect("header").kid;
    let keys = reply.json()["keys"].as_array().cloned().unwrap_or_default();
    assert!(keys.iter().any(|key| key["kid"].as_str() == kid.as_deref()));
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn counted_responses_carry_the_rate_limit_headers_exposed_to_browsers() {
    let reply = get("/api/products", &[("origin", ORIGIN)]);
    assert_eq!(reply.status, 200);
    let policy = reply.header("ratelimit-policy").expect("RateLimit-Policy");
    assert!(policy.ends_with(";w=900"), "{policy}");
    let state = reply.header("ratelimit").expect("RateLimit");
    assert!(state.starts_with("limit="), "{state}");
    let exposed = reply.header("access-control-expose-headers").unwrap_or("");
    assert!(
        exposed.contains("RateLimit-Policy") && exposed.contains("RateLimit,"),
        "{exposed}"
    );
    let health = get("/api/health", &[]);
    assert!(health.header("ratelimit").is_none());
}

/// The mail of `to` with `subject`, from the SES emulator, waited for (the outbox's stream is
/// fed to the mailer as its mapping would, so a mail takes a moment).
fn mail_with(to: &str, subject: &str, count: usize) -> api_tests::mails::Mail {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = api_tests::mails::to(to)
            .into_iter()
            .filter(|mail| mail.subject == subject)
            .nth(count - 1);
        match found {
            Some(mail) => return mail,
            None if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            None => panic!("no mail '{subject}' #{count} for {to}"),
        }
    }
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn a_user_verifies_forgets_and_resets_by_mail_over_http() {
    let email = unique_email("mailed");
    let session = token_for(&email);
    let bearer = format!("Bearer {session}");

    let verification = mail_with(&email, "Verify your email address", 1);
    let token = verification.token().expect("a link with a token");
    let verified = send_json(
        Method::POST,
        "/api/auth/email/verify",
        &[],
        &json!({ "token": token }),
    );
    assert_eq!(verified.status, 204);
    let profile = get("/api/profile", &[("authorization", &bearer)]);
    assert_eq!(profile.json()["data"]["emailVerified"], true);

    let unknown = unique_email("nobody");
    let known = send_json(
        Method::POST,
        "/api/auth/password/forgot",
        &[],
        &json!({ "email": email }),
    );
    let other = send_json(
        Method::POST,
        "/api/auth/password/forgot",
        &[],
        &json!({ "email": unknown }),
    );
    assert_eq!((known.status, other.status), (202, 202));
    assert_eq!(known.body, other.body);
    let reset_mail = mail_with(&email, "Reset your password", 1);
    let reset_token = reset_mail.token().expect("a link with a token");
    let body = json!({ "token": reset_token, "newPassword": "a brand new horse" });
    let reset = send_json(Method::POST, "/api/auth/password/reset", &[], &body);
    let again = send_json(Method::POST, "/api/auth/password/reset", &[], &body);
    assert_eq!(reset.status, 204);
    assert_eq!(again.status, 400);
    assert_eq!(
        get("/api/profile", &[("authorization", &bearer)]).status,
        401
    );
    let old = json!({ "email": email, "password": "correct horse battery" });
    let new = json!({ "email": email, "password": "a brand new horse" });
    assert_eq!(
        send_json(Method::POST, "/api/auth/login", &[], &old).status,
        401
    );
    assert_eq!(
        send_json(Method::POST, "/api/auth/login", &[], &new).status,
        200
    );
    mail_with(&email, "Your password was changed", 1);
    assert!(
        api_tests::mails::to(&unknown).is_empty(),
        "no mail for an unknown email"
    );
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn a_deleted_account_leaves_nothing_behind_over_http() {
    let email = unique_email("leaving");
    let token = token_for(&email);
    let bearer = format!("Bearer {token}");
    let product = json!({ "name": "Lamp", "price": 10 });
    let mut ids = Vec::new();
    for _ in 0..40 {
        let created = send_json(
            Method::POST,
            "/api/products",
            &[("authorization", &bearer)],
            &product,
        );
        assert_eq!(created.status, 201);
        ids.push(
            created.json()["data"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }

    let wrong = send_json(
        Method::DELETE,
        "/api/profile",
        &[("authorization", &bearer)],
        &json!({ "password": "not the password" }),
    );
    let deleted = send_json(
        Method::DELETE,
        "/api/profile",
        &[("authorization", &bearer)],
        &json!({ "password": "correct horse battery" }),
    );

    assert_eq!(wrong.status, 401);
    assert_eq!(deleted.status, 204);
    assert_eq!(
        get("/api/profile", &[("authorization", &bearer)]).status,
        401
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while ids
        .iter()
        .any(|id| get(&format!("/api/products/{id}"), &[]).status != 404)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "products left a minute later"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let again = json!({ "email": email, "password": "correct horse battery" });
    assert_eq!(
        send_json(Method::POST, "/api/auth/register", &[], &again).status,
        201
    );
}

/// Every page of `query` (already holding its filters), following `nextCursor`: the ids in order.
fn every_page_over_http(query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/products?{query}&cursor={cursor}"),
            None => format!("/api/products?{query}"),
        };
        let page = get(&path, &[]);
        assert_eq!(page.status, 200, "{path}: {:?}", page.json());
        let body = page.json();
        ids.extend(
            body["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|p| p["id"].as_str().expect("id").to_owned()),
        );
        match body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn a_catalogue_is_sorted_filtered_searched_counted_and_paged_over_http() {
    let token = token_for(&unique_email("shop"));
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    // A category and a search word of this run alone.
    let run = unique_email("run").replace(['@', '.'], "-");
    let nanos: String = run.chars().filter(char::is_ascii_digit).collect();
    let category = format!("e2e-{nanos}");
    let word = format!("zq{nanos}");
    let names = [
        "Desk Lamps",
        "clamp",
        "Café table",
        "LAMP shade",
        "Oak desk",
    ];
    let mut products: Vec<(String, String, u64)> = Vec::new();
    for i in 0..210usize {
        let name = format!("{} {}", names[i % names.len()], i % 4);
        let cents = [990u64, 1250, 100, 4500, 1250][i % 5];
        let name = if i % 10 == 3 {
            format!("{name} {word}")
        } else {
            name
        };
        let body = json!({ "name": name, "price": cents as f64 / 100.0, "category": category });
        let created = send_json(Method::POST, "/api/products", &auth, &body);
        assert_eq!(created.status, 201, "{:?}", created.json());
        let id = created.json()["data"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        products.push((id, name, cents));
    }
    let scope = format!("category={category}");
    let by = |key: fn(&(String, String, u64)) -> (String, String)| {
        let mut sorted = products.clone();
        sorted.sort_by_key(key);
        sorted.into_iter().map(|p| p.0).collect::<Vec<_>>()
    };
    let newest_first: Vec<String> = by(|p| (p.0.clone(), String::new()))
        .into_iter()
        .rev()
        .collect();
    let cheapest_first = by(|p| (format!("{:08}", p.2), p.0.clone()));
    let by_name = by(|p| (shared::domain::catalogue::fold(&p.1), p.0.clone()));
    assert_eq!(
        every_page_over_http(&format!("{scope}&limit=40")),
        newest_first
    );
    assert_eq!(
        every_page_over_http(&format!("{scope}&limit=33&sort=-createdAt")),
        newest_first
    );
    let oldest: Vec<String> = newest_first.iter().rev().cloned().collect();
    assert_eq!(
        every_page_over_http(&format!("{scope}&limit=27&sort=createdAt")),
        oldest
    );
    assert_eq!(
        every_page_over_http(&format!("{scope}&limit=30&sort=price")),
        cheapest_first
    );
    let dearest_first: Vec<String> = {
        let mut sorted = products.clone();
        sorted.sort_by(|a, b| (b.2, &b.0).cmp(&(a.2, &a.0)));
        sorted.into_iter().map(|p| p.0).collect()
    };
    assert_eq!(
        every_page_over_http(&format!("{scope}&limit=31&sort=-price")),
        dearest_first
    );
    assert_eq!(
        every_page_over_http(&format!("{scope}&limit=29&sort=name")),
        by_name
    );

    // A price range gives exactly what is inside it.
    let inside: Vec<String> = cheapest_first
        .iter()
        .filter(|id| {
            products
                .iter()
                .any(|p| &p.0 == *id && (1000..=4500).contains(&p.2))
        })
        .cloned()
        .collect();
    assert_eq!(
        every_page_over_http(&format!(
            "{scope}&sort=price&minPrice=10&maxPrice=45&limit=25"
        )),
        inside
    );
    // Search: word starts, not inner parts; combined with the category.
    let lamps: Vec<String> = newest_first
        .iter()
        .filter(|id| {
            products
                .iter()
                .any(|p| &p.0 == *id && (p.1.starts_with("Desk Lamps") || p.1.starts_with("LAMP")))
        })
        .cloned()
        .collect();
    assert_eq!(
        every_page_over_http(&format!("{scope}&q=lamp&limit=15")),
        lamps
    );
    let marked: Vec<String> = newest_first
        .iter()
        .filter(|id| products.iter().any(|p| &p.0 == *id && p.1.contains(&word)))
        .cloned()
        .collect();
    assert_eq!(every_page_over_http(&format!("q={word}")), marked);

    // Totals, and the original API's page numbers.
    let total = get(&format!("/api/products?{scope}&include=total&limit=1"), &[]);
    assert_eq!(total.json()["total"], json!(210));
    let third = get(&format!("/api/products?{scope}&page=3&limit=20"), &[]).json();
    assert_eq!(third["page"], json!(3));
    assert_eq!(third["limit"], json!(20));
    let ids: Vec<String> = third["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids, newest_first[40..60]);
    let deleted = send(
        Method::DELETE,
        &format!("/api/products/{}", newest_first[0]),
        &auth,
        None,
    );
    assert_eq!(deleted.status, 204);
    let total = get(&format!("/api/products?{scope}&include=total"), &[]);
    assert_eq!(total.json()["total"], json!(209));
    for bad in [
        "sort=popular",
        "minPrice=5&maxPrice=1",
        "page=51&limit=20",
        "q=lamp&include=total",
    ] {
        assert_eq!(
            get(&format!("/api/products?{bad}"), &[]).status,
            400,
            "{bad}"
        );
    }
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn a_keyed_create_is_replayed_and_a_patch_narrows_over_http() {
    let token = token_for(&unique_email("retrier"));
    let bearer = format!("Bearer {token}");
    let key = unique_email("key");
    let keyed = [
        ("authorization", bearer.as_str()),
        ("idempotency-key", key.as_str()),
    ];
    let body = json!({ "name": "Desk lamp", "price": 29.9, "category": "lighting" });

    let first = send_json(Method::POST, "/api/products", &keyed, &body);
    assert_eq!(first.status, 201, "{:?}", first.json());
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = send_json(Method::POST, "/api/products", &keyed, &body);
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    let other = json!({ "name": "Desk lamp", "price": 19.9 });
    let refused = send_json(Method::POST, "/api/products", &keyed, &other);
    assert_eq!(refused.status, 422);

    let location = first.header("location").expect("location").to_owned();
    let auth = [("authorization", bearer.as_str())];
    let merge = |patch: &str| {
        let mut headers = vec![("content-type", "application/merge-patch+json")];
        headers.extend_from_slice(&auth);
        send(Method::PATCH, &location, &headers, Some(patch.as_bytes()))
    };
    let priced = merge(r#"{"price": 12.5}"#);
    assert_eq!(priced.status, 200, "{:?}", priced.json());
    assert_eq!(priced.json()["data"]["price"], json!(12.5));
    assert_eq!(priced.json()["data"]["name"], json!("Desk lamp"));
    assert_eq!(priced.json()["data"]["version"], json!(2));
    let uncategorised = merge(r#"{"category": null}"#);
    assert_eq!(uncategorised.json()["data"]["category"], Value::Null);
    assert_eq!(merge(r#"{"name": null}"#).status, 400);
    let mut plain = vec![("content-type", "text/plain")];
    plain.extend_from_slice(&auth);
    let wrong = send(Method::PATCH, &location, &plain, Some(b"price=1"));
    assert_eq!(wrong.status, 415);
    assert_eq!(
        wrong.header("accept-patch"),
        Some("application/merge-patch+json")
    );
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn header_values_that_are_not_utf8_get_no_server_error() {
    let host = base_url().trim_start_matches("http://").to_owned();
    let token = token_for(&unique_email("bytes"));
    for (method, path, header) in [
        ("GET", "/api/health", "X-Anything"),
        ("POST", "/api/products", "Idempotency-Key"),
        (
            "PUT",
            "/api/products/01JDQ4ZK8X9T6S2V3M5N7P8Q9R",
            "If-Match",
        ),
        ("GET", "/api/products", "If-None-Match"),
    ] {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
             Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
             Content-Length: 22\r\n{header}: "
        )
        .into_bytes();
        request.extend_from_slice(b"\xff\xfe\r\n\r\n{\"name\":\"x\",\"price\":1}");
        let (status, text) = send_raw_bytes(&request);
        assert!(status < 500, "{method} {path} with {header}: {text}");
        if header == "Idempotency-Key" {
            assert_eq!(status, 400, "{text}");
        }
    }
}

#[test]
#[ignore = "needs the served API: run through make test"]
fn a_phone_photo_is_uploaded_checked_and_served_over_http() {
    let token = token_for(&unique_email("photo"));
    let auth = format!("Bearer {token}");
    let auth = [("authorization", auth.as_str())];
    let created = send_json(
        Method::POST,
        "/api/products",
        &auth,
        &json!({ "name": "Desk lamp", "price": 30 }),
    );
    assert_eq!(created.status, 201);
    let product = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let photo = api_tests::images::phone_photo(2400, 1800);
    let upload = send_json(
        Method::POST,
        &format!("/api/products/{product}/images"),
        &auth,
        &json!({ "contentType": "image/jpeg", "size": photo.len(), "alt": "The lamp, lit" }),
    );
    assert_eq!(upload.status, 201, "{:?}", upload.json());
    assert_eq!(upload.header("cache-control"), Some("no-store"));
    let image = upload.json()["data"]["id"].as_str().expect("id").to_owned();
    let form = upload.json()["data"]["upload"].clone();
    assert_eq!(
        api_tests::media::upload(&form, &photo, "create-image-upload"),
        204
    );

    let completed = send(
        Method::POST,
        &format!("/api/products/{product}/images/{image}/complete"),
        &auth,
        None,
    );

    assert_eq!(completed.status, 202, "{:?}", completed.json());
    // The worker runs after the response, fed by the stream: the image shows once it is done.
    let started = std::time::Instant::now();
    let shown = loop {
        let images = get(&format!("/api/products/{product}"), &[]).json()["data"]["images"].clone();
        if images.as_array().is_some_and(|images| !images.is_empty()) {
            break images[0].clone();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the image was not shown within a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    println!(
        "the image was shown {:?} after its completion",
        started.elapsed()
    );
    assert_eq!(shown["id"], image.as_str());
    assert_eq!(shown["alt"], "The lamp, lit");
    for (url, size) in [
        (&shown["url"], (1800, 2400)),
        (&shown["thumbnails"]["800"], (600, 800)),
        (&shown["thumbnails"]["200"], (150, 200)),
    ] {
        let url = url.as_str().expect("url");
        let path = url
            .strip_prefix(&base_url())
            .expect("served by the local gateway");
        let served = get(path, &[]);
        assert_eq!(served.status, 200, "{url}");
        assert_eq!(served.header("content-type"), Some("image/jpeg"), "{url}");
        assert_eq!(
            served.header("x-content-type-options"),
            Some("nosniff"),
            "{url}"
        );
        assert_eq!(
            served.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{url}"
        );
        let (format, width, height) = api_tests::images::served(&served.body);
        assert_eq!(
            (format, width, height),
            (image::ImageFormat::Jpeg, size.0, size.1)
        );
        assert!(!api_tests::images::has_metadata(&served.body), "{url}");
    }
    // The bucket's uploads are not served.
    let upload_path = format!("/media/uploads/{product}/{image}");
    assert_eq!(get(&upload_path, &[]).status, 403);
}
