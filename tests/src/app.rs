//! A test app: the real handlers, behind the real pipeline, on fresh tables in DynamoDB Local.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::Client;
use lambda_http::http::HeaderMap;
use lambda_http::{Body, Request, Response};
use shared::http::respond;
use shared::http::routes::{self, Route};
use shared::{ApiError, AppState, Clock, Config, Timestamp};

use crate::events::Event;
use crate::tables;

/// The secret every test app signs with.
pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789";
/// The browser origin test apps allow.
pub const ALLOWED_ORIGIN: &str = "https://app.example";
/// Where the test clock starts: 2026-11-24T12:00:00.000Z.
pub const START: Timestamp = Timestamp::from_millis(1_795_521_600_000);

/// The DynamoDB Local that `make test` started (`AWS_ENDPOINT_URL_DYNAMODB`).
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .unwrap_or_else(|_| "http://127.0.0.1:8000".to_owned())
}

/// A client for `endpoint`, with DynamoDB Local's any-will-do credentials.
pub fn client_for(endpoint: &str) -> Client {
    shared::store::client::build(
        Some(endpoint),
        "us-east-1",
        Credentials::new("test", "test", None, None, "test"),
    )
}

fn unique_prefix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "t{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A response, its body collected.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    fn from_response(response: Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        Self {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.as_ref().to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON; panics with the body's text if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `field` of each entry of a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Handlers and state for one test, on tables no other test sees.
pub struct TestApp {
    pub state: AppState,
    pub tables: Vec<String>,
}

impl TestApp {
    /// An app with the default configuration and a manual clock at [`START`].
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// An app whose environment has `overrides` on top of the test defaults.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        Self::spawn_on(&endpoint(), overrides).await
    }

    /// An app on the DynamoDB at `endpoint`.
    pub async fn spawn_on(endpoint: &str, overrides: &[(&str, &str)]) -> Self {
        let prefix = unique_prefix();
        let client = client_for(endpoint);
        let mut env: Vec<(String, String)> = vec![
            ("JWT_SECRET".into(), TEST_SECRET.into()),
            ("ALLOWED_ORIGINS".into(), ALLOWED_ORIGIN.into()),
            ("PRODUCTS_TABLE".into(), format!("{prefix}-products")),
            ("USERS_TABLE".into(), format!("{prefix}-users")),
            ("LIMITS_TABLE".into(), format!("{prefix}-limits")),
        ];
        for (name, value) in overrides {
            env.retain(|(existing, _)| existing != name);
            env.push(((*name).to_owned(), (*value).to_owned()));
        }
        let config = Config::from_lookup(|name| {
            env.iter()
                .find(|(existing, _)| existing == name)
                .map(|(_, value)| value.clone())
        })
        .expect("test configuration is valid");
        let app = Self {
            state: AppState::new(config, client, Clock::manual(START)),
            tables: Vec::new(),
        };
        let tables = app.create_tables().await.unwrap_or_else(|e| {
            panic!("cannot create tables in DynamoDB Local at {endpoint} (run `make test`): {e}")
        });
        Self { tables, ..app }
    }

    /// Creates this app's tables (again), from template.yaml.
    pub async fn create_tables(
        &self,
    ) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
        let names = &self.state.config.tables;
        tables::create_all(&self.state.dynamo, |definition| {
            match definition.env_var.as_str() {
                "PRODUCTS_TABLE" => names.products.clone(),
                "USERS_TABLE" => names.users.clone(),
                "LIMITS_TABLE" => names.limits.clone(),
                other => panic!("template names an unknown table variable {other}"),
            }
        })
        .await
    }

    /// The app's clock; tests move it instead of sleeping.
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// Runs `handler` for `req` through the shared pipeline, exactly as the function does.
    pub async fn call<'a, F, Fut>(&'a self, route: &Route, handler: F, req: Request) -> TestResponse
    where
        F: FnOnce(&'a AppState, Request) -> Fut,
        Fut: Future<Output = Result<Response<Body>, ApiError>>,
    {
        TestResponse::from_response(respond(&self.state, route, req, handler).await)
    }
}

/// Flows many tests share, through the real handlers.
impl TestApp {
    /// Registers `email` with `password`.
    pub async fn register(&self, email: &str, password: &str) -> TestResponse {
        let event = Event::load("register")
            .json_body(&serde_json::json!({ "email": email, "password": password }));
        self.invoke(&event).await
    }

    /// Logs in; the response carries the token.
    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        let event = Event::load("login")
            .json_body(&serde_json::json!({ "email": email, "password": password }));
        self.invoke(&event).await
    }

    /// Registers a fresh user and returns a bearer token for them.
    pub async fn user_token(&self, email: &str) -> String {
        let registered = self.register(email, "correct horse battery").await;
        assert_eq!(
            registered.status,
            201,
            "register {email}: {:?}",
            registered.json()
        );
        let login = self.login(email, "correct horse battery").await;
        assert_eq!(login.status, 200, "login {email}: {:?}", login.json());
        login.json()["token"]
            .as_str()
            .expect("login returns a token")
            .to_owned()
    }

    /// Creates a product as the token's user.
    pub async fn create_product(&self, token: &str, body: &serde_json::Value) -> TestResponse {
        let event = Event::load("create-product").bearer(token).json_body(body);
        self.invoke(&event).await
    }

    /// Reads a product.
    pub async fn get_product(&self, id: &str) -> TestResponse {
        let event = Event::load("get-product").product_id(id);
        self.invoke(&event).await
    }

    /// Lists products with a raw query string.
    pub async fn list_products(&self, query: &str) -> TestResponse {
        let event = Event::load("list-products").query(query);
        self.invoke(&event).await
    }
}

impl TestApp {
    /// An app whose DynamoDB endpoint refuses connections (nothing listens on the port).
    pub fn unreachable_storage() -> Self {
        let port = crate::dynamodb_local::free_port();
        let config = Config::from_lookup(|name| match name {
            "JWT_SECRET" => Some(TEST_SECRET.to_owned()),
            _ => None,
        })
        .expect("test configuration is valid");
        let client = client_for(&format!("http://127.0.0.1:{port}"));
        Self {
            state: AppState::new(config, client, Clock::manual(START)),
            tables: Vec::new(),
        }
    }

    /// A token for a made-up user, signed with this app's secret; no storage involved.
    pub fn token_for_unstored_user(&self) -> String {
        use shared::domain::{Email, Id, User};
        let user = User {
            id: Id::generate(START).expect("id"),
            email: Email::parse("nobody@example.com").expect("email"),
            name: None,
            created_at: START,
        };
        self.state
            .tokens
            .issue(&user, self.state.clock.now())
            .expect("token")
    }
}

impl TestApp {
    /// Sends `event` to the function API Gateway would route it to (by its `routeKey`), through
    /// the shared pipeline.
    pub async fn invoke(&self, event: &Event) -> TestResponse {
        let req = event.request();
        match event.route_key() {
            "GET /api/health" => self.call(&routes::HEALTH, health::handle, req).await,
            "POST /api/auth/register" => self.call(&routes::REGISTER, register::handle, req).await,
            "POST /api/auth/login" => self.call(&routes::LOGIN, login::handle, req).await,
            "GET /api/profile" => self.call(&routes::PROFILE, profile::handle, req).await,
            "GET /api/products" => {
                self.call(&routes::LIST_PRODUCTS, list_products::handle, req)
                    .await
            }
            "POST /api/products" => {
                self.call(&routes::CREATE_PRODUCT, create_product::handle, req)
                    .await
            }
            "GET /api/products/{id}" => {
                self.call(&routes::GET_PRODUCT, get_product::handle, req)
                    .await
            }
            "PUT /api/products/{id}" => {
                self.call(&routes::UPDATE_PRODUCT, update_product::handle, req)
                    .await
            }
            "DELETE /api/products/{id}" => {
                self.call(&routes::DELETE_PRODUCT, delete_product::handle, req)
                    .await
            }
            _ => self.call(&routes::FALLBACK, fallback::handle, req).await,
        }
    }
}
