//! A test app: the real handlers, behind the real pipeline, on fresh tables in DynamoDB Local.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::Client;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use lambda_http::http::header::{HeaderName, HeaderValue};
use lambda_http::http::HeaderMap;
use lambda_http::{Context, LambdaEvent};
use secrecy::SecretString;
use shared::auth::keys::SigningKey;
use shared::auth::TokenSigner;
use shared::http::after_response::AfterResponse;
use shared::mail::AddressKey;
use shared::pagination::CursorKey;
use shared::tables::TableName;
use shared::telemetry::LogSink;
use shared::{AppState, Clock, Config, Timestamp};

use crate::calls::{as_function, naming_callers, NameCaller};
use crate::dispatch::dispatch;
use crate::events::Event;
use crate::mapping::{Answer, Mapping};
use crate::outbox::StreamReader;
use crate::tables::{self, Ttl};
use shared::worker::failures::FailureQueue;

/// The cursor key of every test app.
pub const TEST_CURSOR_KEY: &[u8] = b"test-cursor-key-0123456789abcdef0123456789";
/// The key of every test app's per-address mail cap.
pub const TEST_ADDRESS_KEY: &[u8] = b"test-address-key-0123456789abcdef012345678";

/// The signing key of every test app in this process (made once), as login holds it: its PEM.
pub fn signing_key_pem() -> &'static SecretString {
    static PEM: OnceLock<SecretString> = OnceLock::new();
    PEM.get_or_init(|| SigningKey::generate().expect("a signing key").1)
}

/// The test signing key's public key (a JWK `x`), for `JWT_PUBLIC_KEYS`.
pub fn public_key() -> String {
    signing_key().public().x().to_owned()
}

fn signing_key() -> SigningKey {
    SigningKey::from_pem(signing_key_pem()).expect("the test key reads back")
}
/// The browser origin test apps allow.
pub const ALLOWED_ORIGIN: &str = "https://app.example";
/// Where every test clock of this process starts: `TEST_CLOCK_START` (RFC 3339 with
/// milliseconds, e.g. `2001-01-01T00:00:00.000Z`) when set, otherwise the real time at the first
/// call, to the whole second. Tests move their clock forward from here and never read the date:
/// `make test` runs them again with the clock far in the past and far in the future.
pub fn start() -> Timestamp {
    static START: OnceLock<Timestamp> = OnceLock::new();
    *START.get_or_init(|| match std::env::var("TEST_CLOCK_START") {
        Ok(text) if !text.is_empty() => Timestamp::parse_rfc3339(&text).unwrap_or_else(|| {
            panic!("TEST_CLOCK_START={text} is not of the form 2001-01-01T00:00:00.000Z")
        }),
        _ => Timestamp::from_millis(Clock::System.now().seconds() * 1000),
    })
}

/// The DynamoDB Local that `make test` started (`AWS_ENDPOINT_URL_DYNAMODB`).
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .unwrap_or_else(|_| "http://127.0.0.1:8000".to_owned())
}

/// A client for `endpoint`, with DynamoDB Local's any-will-do credentials.
pub fn client_for(endpoint: &str) -> Client {
    naming_callers(&shared::store::client::build(
        Some(endpoint),
        "us-east-1",
        Credentials::new("test", "test", None, None, "test"),
    ))
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

fn config_of(env: &[(String, String)]) -> Config {
    Config::from_lookup(|name| {
        env.iter()
            .find(|(existing, _)| existing == name)
            .map(|(_, value)| value.clone())
    })
    .expect("test configuration is valid")
}

/// State with both private keys, so one test app can run every function's handler (the
/// signing key only while it is among the configured public keys, as at a cold start).
fn state_with_keys(config: Config, client: Client, clock: Clock) -> AppState {
    let signer = TokenSigner::new(signing_key(), &config.tokens).ok();
    let cursors = CursorKey::from_secret(TEST_CURSOR_KEY).expect("cursor key");
    let address_key = AddressKey::from_secret(TEST_ADDRESS_KEY).expect("address key");
    let mail = shared::mail::MailSender::from_env(&config.mail).with_interceptor(NameCaller);
    let media = shared::media::Media::from_env(&config.media).with_interceptor(NameCaller);
    let state = AppState::new(config, client, clock)
        .expect("test configuration is valid")
        .with_mail(mail)
        .with_media(media)
        .with_cursor_key(cursors)
        .with_address_key(address_key)
        .with_log_sink(LogSink::memory());
    match signer {
        Some(signer) => state.with_signer(signer),
        None => state,
    }
}

/// The claims of a token, read without checking it (tests look at what login issued).
pub fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// A response, its body collected.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    /// Reads the response the way API Gateway does: from the JSON the function hands the
    /// Lambda runtime, cookies back into `Set-Cookie` and base64 bodies decoded.
    fn from_gateway(response: &ApiGatewayV2httpResponse) -> Self {
        use base64::Engine;
        let wire = serde_json::to_value(response).expect("a gateway response serialises");
        let mut headers = HeaderMap::new();
        for (name, value) in wire["headers"].as_object().into_iter().flatten() {
            let name = HeaderName::from_bytes(name.as_bytes()).expect("header name");
            let value = value.as_str().expect("header values are strings");
            headers.append(name, HeaderValue::from_str(value).expect("header value"));
        }
        for cookie in wire["cookies"].as_array().into_iter().flatten() {
            let cookie = cookie.as_str().expect("cookies are strings");
            headers.append("set-cookie", HeaderValue::from_str(cookie).expect("cookie"));
        }
        let text = wire["body"].as_str().unwrap_or_default();
        let body = if wire["isBase64Encoded"].as_bool() == Some(true) {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("a base64 body decodes")
        } else {
            text.as_bytes().to_vec()
        };
        Self {
            status: u16::try_from(wire["statusCode"].as_u64().expect("statusCode"))
                .expect("status"),
            headers,
            body,
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
    /// What names this app's tables and queues apart from every other app's.
    prefix: String,
    env: Vec<(String, String)>,
    /// The DynamoDB the app's client talks to (its Streams API is at the same address).
    endpoint: String,
    /// The outbox's stream and the workers' mappings, once a test delivers the outbox: shared by
    /// every instance of one deployment, as the mappings are.
    delivery: std::sync::Arc<tokio::sync::Mutex<Option<Delivery>>>,
}

/// What stands in for the workers' event source mappings in a test app.
struct Delivery {
    reader: StreamReader,
    mappings: Vec<Mapping>,
    /// Each worker's failure queue, in the order of `mappings`.
    failures: Vec<FailureQueue>,
}

impl TestApp {
    /// An app with the default configuration and a manual clock at [`start`].
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
            ("JWT_PUBLIC_KEYS".into(), public_key()),
            ("ALLOWED_ORIGINS".into(), ALLOWED_ORIGIN.into()),
            ("APP_BASE_URL".into(), "https://app.example".into()),
            // High enough that no test is limited by accident; the limiter still counts every
            // request and answers with its headers. Tests of the limit set their own.
            ("RATE_LIMIT_REQUESTS".into(), "1000000".into()),
        ];
        env.extend(TableName::ALL.map(|table| {
            let name = format!("{prefix}-{}", table.local_name());
            (table.variable().to_owned(), name)
        }));
        // Its own media bucket too.
        env.push(("MEDIA_BUCKET".into(), format!("{prefix}-media")));
        for (name, value) in overrides {
            env.retain(|(existing, _)| existing != name);
            env.push(((*name).to_owned(), (*value).to_owned()));
        }
        let mut app = Self {
            state: state_with_keys(config_of(&env), client, Clock::manual(start())),
            tables: Vec::new(),
            prefix,
            env,
            endpoint: endpoint.to_owned(),
            delivery: std::sync::Arc::default(),
        };
        app.tables = app.create_tables().await.unwrap_or_else(|e| {
            panic!("cannot create tables in DynamoDB Local at {endpoint} (run `make test`): {e}")
        });
        crate::media::create_bucket(&app.state.config.media.bucket)
            .await
            .unwrap_or_else(|e| panic!("{e} (run `make test`)"));
        app
    }

    /// The environment the app's functions are configured from (a binary run as Lambda runs it
    /// takes the same).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The app's media bucket, in the S3 emulator.
    pub fn media_bucket(&self) -> String {
        self.state.config.media.bucket.clone()
    }

    /// Another app on the same tables and clock, its environment changed by `overrides`: the
    /// same deployment after a configuration change.
    pub fn with_config(&self, overrides: &[(&str, &str)]) -> Self {
        let mut env = self.env.clone();
        for (name, value) in overrides {
            env.retain(|(existing, _)| existing != name);
            env.push(((*name).to_owned(), (*value).to_owned()));
        }
        let state = state_with_keys(
            config_of(&env),
            self.state.dynamo.clone(),
            self.state.clock.clone(),
        );
        Self {
            state,
            tables: self.tables.clone(),
            prefix: self.prefix.clone(),
            env,
            endpoint: self.endpoint.clone(),
            delivery: self.delivery.clone(),
        }
    }

    /// Another instance of the same deployment (tables, clock, configuration) whose DynamoDB
    /// calls go to `endpoint`: a stand-in that fails or holds some of them, say.
    pub fn with_storage_at(&self, endpoint: &str) -> Self {
        let state = state_with_keys(
            config_of(&self.env),
            client_for(endpoint),
            self.state.clock.clone(),
        );
        Self {
            state,
            tables: self.tables.clone(),
            prefix: self.prefix.clone(),
            env: self.env.clone(),
            endpoint: self.endpoint.clone(),
            delivery: self.delivery.clone(),
        }
    }

    /// Does the outbox's jobs as the deployed workers would: reads the outbox table's stream
    /// (from where this app last stopped), hands each worker the records its filter lets
    /// through, in batches, and gives a failed batch again from its failure, up to `tries`
    /// times over; returns whether every job was done.
    pub async fn deliver_outbox_with(&self, tries: usize) -> bool {
        let mut delivery = self.delivery.lock().await;
        if delivery.is_none() {
            let streams = crate::outbox::streams_client(&self.endpoint);
            let table = self.state.config.tables.get(TableName::Outbox);
            let reader = StreamReader::of_table(&self.state.dynamo, streams, table)
                .await
                .expect("the outbox table has a stream");
            let mappings = shared::deploy::WORKERS.iter().map(Mapping::new).collect();
            let mut failures = Vec::new();
            for worker in shared::deploy::WORKERS {
                let name = format!("{}-{}-failures", self.prefix, worker.function);
                failures.push(
                    crate::outbox::failure_queue(&name)
                        .await
                        .with_interceptor(NameCaller),
                );
            }
            *delivery = Some(Delivery {
                reader,
                mappings,
                failures,
            });
        }
        let Some(delivery) = delivery.as_mut() else {
            return false;
        };
        let records = delivery.reader.read().await.expect("stream records");
        for (mapping, failures) in delivery.mappings.iter_mut().zip(&delivery.failures) {
            mapping.offer(&records);
            let mut failed_tries = 0;
            while let Some(batch) = mapping.batch() {
                let worker = mapping.worker;
                let answer = as_function(worker.function, async {
                    match worker.function {
                        "mailer" => {
                            shared::worker::handle_event(
                                &self.state,
                                failures,
                                worker,
                                batch,
                                mailer::handle,
                            )
                            .await
                        }
                        "purger" => {
                            shared::worker::handle_event(
                                &self.state,
                                failures,
                                worker,
                                batch,
                                purger::handle,
                            )
                            .await
                        }
                        "imager" => {
                            shared::worker::handle_event(
                                &self.state,
                                failures,
                                worker,
                                batch,
                                imager::handle,
                            )
                            .await
                        }
                        other => panic!("no worker {other}"),
                    }
                })
                .await;
                let (done, discarded) = mapping.answered(&Answer::Response(answer));
                if let Some(message) = discarded {
                    crate::outbox::send_to(failures.url(), &message).await;
                }
                if !done {
                    failed_tries += 1;
                    if failed_tries >= tries {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// What `worker`'s failure queue holds (each message as JSON), once the outbox has been
    /// delivered.
    pub async fn failed_jobs(&self, worker: &str) -> Vec<serde_json::Value> {
        let delivery = self.delivery.lock().await;
        let Some(delivery) = delivery.as_ref() else {
            return Vec::new();
        };
        let at = shared::deploy::WORKERS
            .iter()
            .position(|w| w.function == worker)
            .unwrap_or_else(|| panic!("no worker {worker}"));
        crate::outbox::messages_in(delivery.failures[at].url()).await
    }

    /// Does the outbox's jobs (see [`TestApp::deliver_outbox_with`]); every one must be done.
    pub async fn deliver_outbox(&self) {
        assert!(
            self.deliver_outbox_with(3).await,
            "an outbox job failed three times"
        );
    }

    /// Another instance of this app whose mails go to `endpoint` (a mail service that is
    /// down, say).
    pub fn with_mail_at(&self, endpoint: &str) -> Self {
        let config = config_of(&self.env);
        let sender =
            shared::mail::MailSender::at(&config.mail, Some(endpoint)).with_interceptor(NameCaller);
        let state = state_with_keys(config, self.state.dynamo.clone(), self.state.clock.clone());
        Self {
            state: state.with_mail(sender),
            tables: self.tables.clone(),
            prefix: self.prefix.clone(),
            env: self.env.clone(),
            endpoint: self.endpoint.clone(),
            delivery: self.delivery.clone(),
        }
    }

    /// The request lines the app's functions have logged so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.state.telemetry.sink.lines()
    }

    /// Creates this app's tables (again), from template.yaml.
    pub async fn create_tables(
        &self,
    ) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
        let names = &self.state.config.tables;
        // Set-up, not a function's call: a DynamoDB Local just started, on a busy machine, may
        // take longer over its first tables than a function's time budget allows a call.
        let setup = self
            .state
            .dynamo
            .config()
            .to_builder()
            .timeout_config(
                aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(std::time::Duration::from_secs(60))
                    .operation_attempt_timeout(std::time::Duration::from_secs(30))
                    .connect_timeout(std::time::Duration::from_secs(5))
                    .build(),
            )
            .build();
        let setup = Client::from_conf(setup);
        tables::create_all(&setup, Ttl::Disabled, |definition| {
            let variable = definition.env_var.as_str();
            names
                .by_variable(variable)
                .unwrap_or_else(|| panic!("template names an unknown table variable {variable}"))
                .to_owned()
        })
        .await
    }

    /// The app's clock; tests move it instead of sleeping.
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }
}

/// With `TEST_LOG_DIR` set (`make test` sets it), every app leaves the lines its functions
/// logged there when it goes, so the whole suite's output can be checked for secrets.
impl Drop for TestApp {
    fn drop(&mut self) {
        let Some(dir) = std::env::var_os("TEST_LOG_DIR") else {
            return;
        };
        let lines = self.log_lines();
        if lines.is_empty() {
            return;
        }
        let dir = std::path::PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join(format!("{}.jsonl", unique_prefix()));
        let _ = std::fs::write(file, lines.join("\n") + "\n");
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

    /// Creates a lamp as the token's user and returns its id.
    pub async fn new_product_id(&self, token: &str) -> String {
        let body = serde_json::json!({ "name": "Lamp", "price": 10 });
        let created = self.create_product(token, &body).await;
        assert_eq!(created.status, 201, "create: {:?}", created.json());
        created.json()["data"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
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
            "JWT_PUBLIC_KEYS" => Some(public_key()),
            "RATE_LIMIT_REQUESTS" => Some("100".to_owned()),
            _ => None,
        })
        .expect("test configuration is valid");
        let client = client_for(&format!("http://127.0.0.1:{port}"));
        Self {
            state: state_with_keys(config, client, Clock::manual(start())),
            tables: Vec::new(),
            prefix: unique_prefix(),
            env: Vec::new(),
            endpoint: format!("http://127.0.0.1:{port}"),
            delivery: std::sync::Arc::default(),
        }
    }

    /// A token for a made-up user and session, signed with this app's key; no storage involved.
    pub fn token_for_unstored_user(&self) -> String {
        use shared::domain::{Email, Id, SessionId, User};
        let user = User {
            id: Id::generate(start()).expect("id"),
            email: Email::parse("nobody@example.com").expect("email"),
            name: None,
            email_verified: false,
            created_at: start(),
        };
        let session = SessionId::generate(start()).expect("session id");
        let signer = self.state.signer().expect("test apps sign");
        signer
            .issue(&user, &session, self.state.clock.now())
            .expect("token")
            .token
    }
}

impl TestApp {
    /// Invokes the function API Gateway would route `event` to (by its `routeKey`) exactly as
    /// the Lambda runtime does: the event's JSON in, the gateway response's JSON out, and then
    /// the work the request left for after its response, before the instance takes its next
    /// event.
    pub async fn invoke(&self, event: &Event) -> TestResponse {
        self.invoke_in(event, Context::default()).await
    }

    /// The response to `event` as the runtime posts it, and the work the request left for
    /// after it (which the caller must finish, as the runtime does before its next event).
    pub async fn answer(&self, event: &Event) -> (TestResponse, AfterResponse<'_>) {
        self.answer_in(event, Context::default()).await
    }

    /// Invokes as [`TestApp::invoke`] does, in the Lambda invocation whose id is `id`.
    pub async fn invoke_as(&self, event: &Event, id: &str) -> TestResponse {
        let mut context = Context::default();
        context.request_id = id.to_owned();
        self.invoke_in(event, context).await
    }

    /// The response, once the work left for after it is done too, every AWS call of both made
    /// as the function the event is routed to.
    async fn invoke_in(&self, event: &Event, context: Context) -> TestResponse {
        as_function(function_for(event), async {
            let (response, after) = self.answer_in(event, context).await;
            after.finish().await;
            response
        })
        .await
    }

    async fn answer_in(
        &self,
        event: &Event,
        context: Context,
    ) -> (TestResponse, AfterResponse<'_>) {
        let invocation = LambdaEvent::new(event.payload().clone(), context);
        let answer = as_function(
            function_for(event),
            dispatch(&self.state, event.route_key(), invocation),
        )
        .await;
        (TestResponse::from_gateway(&answer.response), answer.after)
    }
}

/// The function API Gateway routes `event` to.
fn function_for(event: &Event) -> &'static str {
    shared::http::routes::route_for_key(event.route_key())
        .map_or(shared::deploy::FALLBACK.function, |route| route.function)
}
