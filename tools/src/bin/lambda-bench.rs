//! Runs every function's release binary as Lambda would, under the Runtime API host in
//! `api_tests::runtime_api`, against DynamoDB Local, and writes docs/benchmarks.md.
//!
//! Per function: cold starts (process start to first event poll = Init Duration, then the first
//! invocation), warm invocations in one process (p50/p90/p99), peak RSS, and binary size.
//! `make bench` starts DynamoDB Local and passes its endpoint in `AWS_ENDPOINT_URL_DYNAMODB`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use api_tests::app::{client_for, endpoint};
use api_tests::runtime_api::RuntimeApi;
use api_tests::tables::Ttl;
use api_tests::Event;
use secrecy::SecretString;
use serde_json::json;
use shared::auth::keys::SigningKey;
use shared::auth::password::{hash_password, verify_password};
use shared::auth::TokenSigner;
use shared::config::listing_shards_for;
use shared::domain::{
    CatalogueQuery, Category, Email, Id, Price, Product, ProductName, Session, SessionId, Sort,
    User,
};
use shared::store::listing::{list_partition, Shards, BY_SHARD_CREATED};
use shared::store::Table;
use shared::{AppState, Clock, Config};
use tokio::process::Command;
use tools::bench::plan::{
    COMPLETE_WARM_RUNS, IMAGER_COLD_RUNS, IMAGER_WARM_RUNS, PAGES, PLAN, SLOW_WARM_RUNS,
    SPREAD_PAGES, SPREAD_PRODUCTS_TABLE, SPREAD_RATE, WARM_RUNS,
};
use tools::bench::report::{
    render, ForgotTiming, FunctionResult, ImagerTiming, LimiterCost, MetricsCost, PageCost,
    PasswordCosts, Report, Setup, StorageFloor, CATALOGUE_RUNS, FLOORS, FLOOR_GET_ITEM,
    FLOOR_QUERY_20, INTERLEAVED_BLOCK,
};
use tools::bench::Percentiles;

const COLD_RUNS: usize = 30;
/// Products seeded beyond those delete-product's runs delete, which get-product reads.
const KEPT_PRODUCTS: usize = 50;
/// Back-to-back argon2id verifications timed in the benchmark process.
const VERIFICATION_RUNS: usize = 100;

const MEMORY_MB: &str = "1024";
/// The account the login benchmark logs in to.
const LOGIN_EMAIL: &str = "bench-login@example.com";
const PASSWORD: &str = "correct horse battery";
/// The media bucket the image functions use, in the S3 emulator `make bench` starts.
const MEDIA_BUCKET: &str = "bench-media";
/// The size of the photo the image runs upload.
const PHOTO_SIZE: (u32, u32) = (2400, 1800);

/// The photo every image run uploads: a phone's JPEG of [`PHOTO_SIZE`] with EXIF orientation and
/// GPS, about 2 MB, as the tests generate it.
fn photo() -> &'static [u8] {
    static PHOTO: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PHOTO.get_or_init(|| api_tests::images::phone_photo(PHOTO_SIZE.0, PHOTO_SIZE.1))
}

/// The bench run's own key files, as `make dev` makes them: a signing key and a cursor key.
struct BenchKeys {
    signing_key: PathBuf,
    cursor_key: PathBuf,
    public_key: String,
}

fn bench_keys() -> &'static BenchKeys {
    static KEYS: std::sync::OnceLock<BenchKeys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        use secrecy::ExposeSecret;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-keys");
        std::fs::create_dir_all(&dir).expect("key directory");
        let (key, pem) = SigningKey::generate().expect("signing key");
        let signing_key = dir.join("signing-key.pem");
        std::fs::write(&signing_key, pem.expose_secret()).expect("write signing key");
        let cursor_key = dir.join("cursor-key");
        let cursor = shared::domain::session::random_128_bits().expect("random")
            + &shared::domain::session::random_128_bits().expect("random");
        std::fs::write(&cursor_key, cursor).expect("write cursor key");
        BenchKeys {
            signing_key,
            cursor_key,
            public_key: key.public().x().to_owned(),
        }
    })
}

fn env_for_functions() -> Vec<(String, String)> {
    let keys = bench_keys();
    let env = [
        ("JWT_PUBLIC_KEYS", keys.public_key.clone()),
        (
            "JWT_SIGNING_KEY_FILE",
            keys.signing_key.display().to_string(),
        ),
        ("CURSOR_KEY_FILE", keys.cursor_key.display().to_string()),
        ("PRODUCTS_TABLE", "bench-products".to_owned()),
        ("USERS_TABLE", "bench-users".to_owned()),
        ("LIMITS_TABLE", "bench-auth-limits".to_owned()),
        ("SESSIONS_TABLE", "bench-sessions".to_owned()),
        ("TOKENS_TABLE", "bench-tokens".to_owned()),
        ("IDEMPOTENCY_TABLE", "bench-idempotency".to_owned()),
        ("OUTBOX_TABLE", "bench-outbox".to_owned()),
        // The limiter on, as deployed, with a budget the benchmark never reaches.
        ("RATE_LIMIT_REQUESTS", "1000000000".to_owned()),
        // Forgot-password's limits out of the way: its runs time the answer, not the limit.
        ("FORGOT_REQUESTS_PER_IP", "1000000000".to_owned()),
        ("RESET_MAILS_PER_EMAIL", "1000000000".to_owned()),
        ("ALLOWED_ORIGINS", "https://app.example".to_owned()),
        // Limits high enough that hundreds of benchmark logins are never locked out.
        ("LOGIN_FAILURES_PER_EMAIL", "1000000".to_owned()),
        ("LOGIN_FAILURES_PER_IP", "1000000".to_owned()),
        ("REGISTRATIONS_PER_IP", "1000000".to_owned()),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint()),
        ("AWS_ENDPOINT_URL_S3", api_tests::media::endpoint()),
        ("MEDIA_BUCKET", MEDIA_BUCKET.to_owned()),
        // moto serves SQS on the same port; the image worker parks nothing in the bench.
        (
            "IMAGER_FAILURE_QUEUE_URL",
            format!(
                "{}/123456789012/ImagerFailedJobsQueue",
                api_tests::media::endpoint()
            ),
        ),
        ("AWS_ACCESS_KEY_ID", "bench".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "bench".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ];
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The state the seeding code shares with the functions: same tables, same secret.
async fn seed_state() -> AppState {
    let env = env_for_functions();
    let config =
        Config::from_lookup(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .expect("bench configuration");
    let pem = secrecy::SecretString::from(
        std::fs::read_to_string(&bench_keys().signing_key).expect("read signing key"),
    );
    let signer = SigningKey::from_pem(&pem)
        .and_then(|key| TokenSigner::new(key, &config.tokens))
        .expect("bench signer");
    let state = AppState::new(config, client_for(&endpoint()), Clock::System)
        .expect("bench configuration")
        .with_signer(signer);
    let names = state.config.tables.clone();
    api_tests::tables::create_all(&state.dynamo, Ttl::Enabled, |d| {
        names
            .by_variable(&d.env_var)
            .expect("a table the functions read")
            .to_owned()
    })
    .await
    .expect("bench tables");
    let products = api_tests::tables::definitions()
        .expect("template tables")
        .into_iter()
        .find(|d| d.env_var == "PRODUCTS_TABLE")
        .expect("the products table");
    products
        .create(&state.dynamo, SPREAD_PRODUCTS_TABLE, Ttl::Enabled)
        .await
        .expect("the spread products table");
    api_tests::media::create_bucket(MEDIA_BUCKET)
        .await
        .expect("the media bucket");
    state
}

/// The shards of a deployment that declares [`SPREAD_RATE`] creates a second.
fn spread_shards() -> Shards {
    let rate = SPREAD_RATE.parse().expect("a rate");
    Shards::new(listing_shards_for(rate)).expect("shards")
}

struct Seeded {
    token: String,
    password_hash: String,
    product_ids: Vec<String>,
    /// The images create-image-upload's runs made whose photo was then uploaded, which
    /// complete-image's runs complete, one each.
    uploads: std::sync::OnceLock<Vec<Upload>>,
}

/// An uploaded image, not yet completed.
struct Upload {
    product: String,
    image: String,
}

async fn seed(state: &AppState) -> Seeded {
    // The functions under test run on the system clock: the seeded token must be valid now.
    let now = Clock::System.now();
    let email = Email::parse("bench@example.com").expect("email");
    let stored = shared::store::users::find_by_email(state.users(), &email)
        .await
        .expect("read user");
    // A hash of the password (the stored one, of an earlier run, is of the same password).
    let password_hash = hash_password(SecretString::from(PASSWORD))
        .await
        .expect("hash");
    let (user, epoch) = match stored {
        Some(stored) => (stored.user, stored.session_epoch),
        None => {
            let user = User {
                id: Id::generate(now).expect("id"),
                email,
                name: None,
                email_verified: false,
                created_at: now,
            };
            shared::store::users::insert(state.users(), &user, &password_hash)
                .await
                .expect("user");
            (user, 0)
        }
    };
    let login_email = Email::parse(LOGIN_EMAIL).expect("email");
    let login_user = User {
        id: Id::generate(now).expect("id"),
        email: login_email,
        name: None,
        email_verified: false,
        created_at: now,
    };
    // Already there from an earlier run on the same DynamoDB Local: fine either way.
    shared::store::users::insert(state.users(), &login_user, &password_hash)
        .await
        .expect("login user");
    // A session like login's, and its token.
    let session_id = SessionId::generate(Clock::System.now()).expect("session id");
    let issued = state
        .signer()
        .and_then(|signer| signer.issue(&user, &session_id, now))
        .expect("token");
    let session = Session {
        id: session_id,
        user_id: user.id.clone(),
        created_at: now,
        expires_at: issued.expires_at,
        source_ip: None,
        user_agent: None,
        epoch,
    };
    shared::store::sessions::start(state.sessions(), &session, now)
        .await
        .expect("session");
    let token = issued.token;
    let mut product_ids = Vec::new();
    for i in 0..(COLD_RUNS + WARM_RUNS + KEPT_PRODUCTS) {
        let product = Product {
            id: Id::generate(Clock::System.now()).expect("id"),
            name: ProductName::from_stored(format!("Bench product {i}")),
            // Prices spread over the range, so the price order is not the creation order.
            price: Price::from_cents(100 + (i as u64 * 7_919) % 100_000).expect("price"),
            description: None,
            category: Category::parse_str("bench"),
            owner_id: user.id.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
            images: shared::domain::image::Images::default(),
        };
        shared::store::products::insert(state.products(), &product, state.shards())
            .await
            .expect("product");
        // The same product in the spread table, under its shards.
        shared::store::products::insert(spread_table(state), &product, spread_shards())
            .await
            .expect("product");
        product_ids.push(product.id.to_string());
    }
    Seeded {
        token,
        password_hash,
        product_ids,
        uploads: std::sync::OnceLock::new(),
    }
}

fn spread_table(state: &AppState) -> shared::store::products::Products<'_> {
    Table::new(&state.dynamo, SPREAD_PRODUCTS_TABLE)
}

/// Requests DynamoDB Local answers before anything is timed. It is a JVM: for its first
/// thousands of requests it runs its request path interpreted, answering a read in 2-5 ms where,
/// compiled, it takes under 1 ms. The service itself is always warm, so the benchmark is too.
const STORAGE_WARM_UP_ROUNDS: usize = 1_500;

const WARM_UP_REQUESTS_PER_ROUND: usize = 5;

/// Sends DynamoDB Local the reads and writes the functions make, `STORAGE_WARM_UP_ROUNDS` times:
/// login's batched read, a product read and page, and register's two writes.
async fn warm_up_storage(state: &AppState, seeded: &Seeded) {
    let email = Email::parse("bench@example.com").expect("email");
    let id = Id::parse(&seeded.product_ids[COLD_RUNS + WARM_RUNS]).expect("product id");
    let now = Clock::System.now();
    let window = state.config.limits.window;
    for round in 0..STORAGE_WARM_UP_ROUNDS {
        shared::store::users::find_by_email(state.users(), &email)
            .await
            .expect("login read");
        shared::store::products::find(state.products(), &id)
            .await
            .expect("product");
        let newest = CatalogueQuery::default();
        shared::store::listing::page(state.products(), &newest, state.shards(), None, 20)
            .await
            .expect("product page");
        let key = format!("warm-up#{round}");
        shared::store::limits::increment(state.limits(), &key, now, window, u32::MAX)
            .await
            .expect("counter");
        let user = User {
            id: Id::generate(now).expect("id"),
            email: Email::parse(&format!("warm-up-{round}@example.com")).expect("email"),
            name: None,
            email_verified: false,
            created_at: now,
        };
        shared::store::users::insert(state.users(), &user, &seeded.password_hash)
            .await
            .expect("user");
    }
}

/// Reads DynamoDB Local answers, timed in this process: a product by its key (get-product's
/// read), and the newest 20 and 100 products of the one listing partition in one Query each (what
/// the default deployment's pages read), with the read units DynamoDB Local reports for them.
async fn storage_floor(state: &AppState, seeded: &Seeded) -> StorageFloor {
    let id = Id::parse(&seeded.product_ids[COLD_RUNS + WARM_RUNS]).expect("product id");
    let query = |limit: i32| floor_query(state, limit);
    let mut get_item = Vec::new();
    let mut queries = [(20, Vec::new(), 0.0), (100, Vec::new(), 0.0)];
    for _ in 0..WARM_RUNS {
        let started = Instant::now();
        shared::store::products::find(state.products(), &id)
            .await
            .expect("product");
        get_item.push(started.elapsed());
        for (limit, times, units) in &mut queries {
            let started = Instant::now();
            let page = query(*limit).send().await.expect("query");
            times.push(started.elapsed());
            assert_eq!(page.count(), *limit, "products in the listing partition");
            *units = page
                .consumed_capacity()
                .and_then(|consumed| consumed.capacity_units())
                .expect("consumed capacity");
        }
    }
    let [(_, times_20, units_20), (_, times_100, units_100)] = queries;
    StorageFloor {
        get_item: Percentiles::of(&get_item),
        query_20: Percentiles::of(&times_20),
        query_100: Percentiles::of(&times_100),
        query_20_units: units_20,
        query_100_units: units_100,
    }
}

/// The newest `limit` products of the default deployment's one listing partition, in one Query:
/// what its pages read, asked of DynamoDB Local directly.
fn floor_query(
    state: &AppState,
    limit: i32,
) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
    state
        .dynamo
        .query()
        .table_name(state.config.tables.get(shared::tables::TableName::Products))
        .index_name(BY_SHARD_CREATED)
        .key_condition_expression("listKey = :partition")
        .expression_attribute_values(
            ":partition",
            aws_sdk_dynamodb::types::AttributeValue::S(list_partition(0)),
        )
        .scan_index_forward(false)
        .limit(limit)
        .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
}

/// What each list page reads, made through the store as the function makes it: at the default
/// deployment's shards, and at the spread table's.
async fn page_costs(state: &AppState) -> Vec<PageCost> {
    let mut costs = Vec::new();
    for (pages, table, shards) in [
        (&PAGES, state.products(), state.shards()),
        (&SPREAD_PAGES, spread_table(state), spread_shards()),
    ] {
        for (name, query) in pages.iter() {
            let (limit, sort) = match *query {
                "" => (20, Sort::NewestFirst),
                "limit=100" => (100, Sort::NewestFirst),
                "limit=100&sort=price" => (100, Sort::CheapestFirst),
                other => panic!("a page the bench does not know: {other}"),
            };
            let listing = CatalogueQuery {
                sort,
                ..CatalogueQuery::default()
            };
            let page = shared::store::listing::page(table, &listing, shards, None, limit)
                .await
                .expect("page");
            assert_eq!(page.products.len(), limit, "{name}");
            costs.push(PageCost {
                name,
                shards: shards.count(),
                read: page.read,
                read_units: page.read_units,
            });
        }
    }
    costs
}

/// The event for invocation `i` of `function`.
fn event(function: &str, i: usize, seeded: &Seeded) -> String {
    let product = &seeded.product_ids[i % seeded.product_ids.len()];
    let kept = &seeded.product_ids[COLD_RUNS + WARM_RUNS + i % KEPT_PRODUCTS];
    let event = match function {
        "health" | "fallback" | "jwks" => Event::load(function),
        "list-sessions" => Event::load("list-sessions").bearer(&seeded.token),
        "register" => Event::load("register").json_body(&json!({
            "email": format!("bench-{}-{i}@example.com", std::process::id()),
            "password": PASSWORD
        })),
        // An account of its own: each login starts a session, and a user's oldest sessions end
        // past 50 live ones, the seeded token's among them.
        "login" => {
            Event::load("login").json_body(&json!({ "email": LOGIN_EMAIL, "password": PASSWORD }))
        }
        "login-wrong-password" => Event::load("login")
            .json_body(&json!({ "email": "bench@example.com", "password": "not the password" })),
        "login-unknown-email" => Event::load("login")
            .json_body(&json!({ "email": "nobody@example.com", "password": "not the password" })),
        "profile" => Event::load("profile").bearer(&seeded.token),
        page if PAGES
            .iter()
            .chain(&SPREAD_PAGES)
            .any(|(name, _)| *name == page) =>
        {
            let (_, query) = PAGES
                .iter()
                .chain(&SPREAD_PAGES)
                .find(|(name, _)| *name == page)
                .expect("a page");
            if query.is_empty() {
                Event::load("list-products")
            } else {
                Event::load("list-products").query(query)
            }
        }
        "forgot-password" => {
            Event::load("forgot-password").json_body(&json!({ "email": LOGIN_EMAIL }))
        }
        "forgot-password-unknown" => {
            Event::load("forgot-password").json_body(&json!({ "email": "nobody@example.com" }))
        }
        "update-profile" => Event::load("update-profile")
            .bearer(&seeded.token)
            .raw_body(r#"{"name":"Bench"}"#)
            .header("content-type", "application/merge-patch+json"),
        // A product delete-product's runs never reach, so that get-product finds one whenever it
        // runs.
        "get-product" => Event::load("get-product").product_id(kept),
        "create-product" => Event::load("create-product").bearer(&seeded.token),
        // A fresh key each run: the record is started, then completed in the product's own
        // transaction.
        "create-product Idempotency-Key" => {
            Event::load("create-product").bearer(&seeded.token).header(
                "idempotency-key",
                &format!("bench-{}-{i}", std::process::id()),
            )
        }
        // One key for every run: all but the first are replays of the stored response.
        "create-product Idempotency-Key replayed" => {
            Event::load("create-product").bearer(&seeded.token).header(
                "idempotency-key",
                &format!("bench-replayed-{}", std::process::id()),
            )
        }
        "patch-product" => Event::load("patch-product")
            .product_id(&seeded.product_ids[0])
            .bearer(&seeded.token),
        "update-product" => Event::load("update-product")
            .product_id(&seeded.product_ids[0])
            .bearer(&seeded.token),
        // A pending image on a product of its own (a product takes ten).
        "create-image-upload" => Event::load("create-image-upload")
            .images_of(product)
            .bearer(&seeded.token)
            .json_body(&json!({ "contentType": "image/jpeg", "size": photo().len() })),
        "complete-image" => {
            let uploads = seeded.uploads.get().expect(
                "complete-image runs after create-image-upload, whose uploads it completes",
            );
            let upload = &uploads[i % uploads.len()];
            Event::load("complete-image")
                .image_of(&upload.product, &upload.image)
                .bearer(&seeded.token)
        }
        "delete-product" => {
            // Each deletion needs a product of its own; the list is long enough for every run.
            Event::load("delete-product")
                .product_id(product)
                .bearer(&seeded.token)
        }
        other => panic!("no event for {other}"),
    };
    event.to_json()
}

fn status_of(body: &str) -> u16 {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["statusCode"].as_u64())
        .unwrap_or(0) as u16
}

fn peak_rss_kib_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

struct Measured {
    init: Vec<Duration>,
    first: Vec<Duration>,
    warm: Vec<Duration>,
    /// argon2id verifications in this process, in blocks between blocks of warm invocations,
    /// when asked for: the yardstick, taken over the same stretch of time as the invocations.
    verifications: Vec<Duration>,
    /// For register and login: a fresh process's first argon2id hash, timed just before each
    /// cold start, which is then counted without it.
    first_hashes: Vec<Duration>,
    peak_rss_kib: u64,
    statuses: Vec<u16>,
    /// Every answer, in order.
    bodies: Vec<String>,
}

/// Where a function's log lines go: `$BENCH_LOG_DIR/<function>.log` when set, else nowhere.
fn function_log(function: &str) -> Stdio {
    let Ok(dir) = std::env::var("BENCH_LOG_DIR") else {
        return Stdio::null();
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(Path::new(&dir).join(format!("{function}.log")))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// Settings a measurement changes on top of [`env_for_functions`].
type Overrides = &'static [(&'static str, &'static str)];

/// The limiter off, for its side-by-side cost.
const LIMITER_OFF: Overrides = &[("RATE_LIMIT_REQUESTS", "0")];

async fn spawn(
    binary: &Path,
    function: &str,
    api: &RuntimeApi,
    overrides: Overrides,
) -> tokio::process::Child {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .envs(env_for_functions())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .envs(overrides.iter().copied())
        .stdout(function_log(function))
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command.spawn().expect("function binary starts")
}

async fn measure(
    binary: &Path,
    function: &str,
    event_name: &str,
    seeded: &Seeded,
    warm_runs: usize,
    yardstick: Option<&str>,
    overrides: Overrides,
) -> Measured {
    let mut measured = Measured {
        init: Vec::new(),
        first: Vec::new(),
        warm: Vec::new(),
        verifications: Vec::new(),
        first_hashes: Vec::new(),
        peak_rss_kib: 0,
        statuses: Vec::new(),
        bodies: Vec::new(),
    };
    let mut invocation = 0;
    for _ in 0..COLD_RUNS {
        if yardstick.is_some() {
            measured
                .first_hashes
                .push(first_argon2_in_a_fresh_process().await);
        }
        let api = RuntimeApi::start().await.expect("runtime API");
        let started = Instant::now();
        let mut child = spawn(binary, function, &api, overrides).await;
        let outcome = api
            .invoke(event(event_name, invocation, seeded))
            .await
            .unwrap_or_else(|| panic!("{function}: no answer to the first invocation"));
        invocation += 1;
        let first_poll = api.first_poll().expect("the function polled");
        measured.init.push(first_poll - started);
        measured.first.push(outcome.duration);
        measured.statuses.push(status_of(&outcome.body));
        measured.bodies.push(outcome.body);
        let _ = child.kill().await;
    }

    let api = RuntimeApi::start().await.expect("runtime API");
    let mut child = spawn(binary, function, &api, overrides).await;
    for run in 0..warm_runs {
        if let Some(hash) = yardstick.filter(|_| run % INTERLEAVED_BLOCK == 0) {
            for _ in 0..INTERLEAVED_BLOCK / 2 {
                measured.verifications.push(time_verification(hash).await);
            }
        }
        let outcome = invoke_warm(&api, function, event(event_name, invocation, seeded)).await;
        invocation += 1;
        measured.statuses.push(status_of(&outcome.body));
        measured.warm.push(outcome.duration);
        measured.bodies.push(outcome.body);
    }
    measured.peak_rss_kib = child.id().and_then(peak_rss_kib_of).unwrap_or(0);
    let _ = child.kill().await;
    measured
}

/// Sends the photo with the upload forms of create-image-upload's first answers, as a client
/// sends it (multipart/form-data to the bucket's URL), for complete-image's runs to complete.
fn send_uploads(seeded: &Seeded, bodies: &[String]) {
    let uploads = bodies
        .iter()
        .take(COLD_RUNS + COMPLETE_WARM_RUNS)
        .map(|answer| {
            let answer: serde_json::Value = serde_json::from_str(answer).expect("an answer");
            let body: serde_json::Value =
                serde_json::from_str(answer["body"].as_str().expect("a body")).expect("JSON");
            let data = &body["data"];
            let form = &data["upload"];
            let status = api_tests::media::upload(form, photo(), "create-image-upload");
            assert_eq!(status, 204, "the upload of {data}");
            // `uploads/<product>/<image>`
            let key = form["fields"]["key"].as_str().expect("the upload's key");
            let product = key.split('/').nth(1).expect("the product in the key");
            Upload {
                product: product.to_owned(),
                image: data["id"].as_str().expect("the image's id").to_owned(),
            }
        })
        .collect();
    assert!(seeded.uploads.set(uploads).is_ok(), "uploads sent once");
}

/// The image worker on the jobs complete-image's runs wrote, handed over from the outbox's
/// stream one record per invocation, as its mapping does: the first job of
/// [`IMAGER_COLD_RUNS`] fresh processes, then [`IMAGER_WARM_RUNS`] jobs in one process; each
/// must be done (no failure reported).
async fn imager_timing(state: &AppState, bin_dir: &Path) -> ImagerTiming {
    let worker = shared::deploy::WORKERS
        .iter()
        .find(|worker| worker.function == "imager")
        .expect("the image worker");
    let memory: &'static str = Box::leak(worker.memory_mb.to_string().into_boxed_str());
    let overrides: Overrides = Box::leak(Box::new([("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory)]));
    let jobs = image_jobs(state, IMAGER_COLD_RUNS + IMAGER_WARM_RUNS).await;
    let binary = bin_dir.join(worker.function);
    let batch = |record: &serde_json::Value| json!({ "Records": [record] }).to_string();
    let done = |outcome: &api_tests::runtime_api::Outcome| {
        let answer: serde_json::Value = serde_json::from_str(&outcome.body).expect("an answer");
        assert_eq!(
            answer["batchItemFailures"],
            json!([]),
            "the image worker did its job"
        );
    };
    let (mut init, mut first, mut warm, mut peak_rss_kib) = (Vec::new(), Vec::new(), Vec::new(), 0);
    let (cold_jobs, warm_jobs) = jobs.split_at(IMAGER_COLD_RUNS);
    for job in cold_jobs {
        let api = RuntimeApi::start().await.expect("runtime API");
        let started = Instant::now();
        let mut child = spawn(&binary, worker.function, &api, overrides).await;
        let outcome = api
            .invoke(batch(job))
            .await
            .expect("the image worker answers its first job");
        init.push(api.first_poll().expect("the worker polled") - started);
        first.push(outcome.duration);
        done(&outcome);
        peak_rss_kib = peak_rss_kib.max(child.id().and_then(peak_rss_kib_of).unwrap_or(0));
        let _ = child.kill().await;
    }
    let api = RuntimeApi::start().await.expect("runtime API");
    let mut child = spawn(&binary, worker.function, &api, overrides).await;
    for job in warm_jobs {
        let outcome = invoke_warm(&api, worker.function, batch(job)).await;
        done(&outcome);
        warm.push(outcome.duration);
    }
    peak_rss_kib = peak_rss_kib.max(child.id().and_then(peak_rss_kib_of).unwrap_or(0));
    let _ = child.kill().await;
    ImagerTiming {
        photo_bytes: photo().len(),
        photo_size: PHOTO_SIZE,
        memory_mb: worker.memory_mb,
        init: Percentiles::of(&init),
        first: Percentiles::of(&first),
        warm: Percentiles::of(&warm),
        cold_runs: init.len(),
        warm_runs: warm.len(),
        peak_rss_mib: peak_rss_kib as f64 / 1024.0,
    }
}

/// The first `count` image jobs of the outbox's stream, as its records.
async fn image_jobs(state: &AppState, count: usize) -> Vec<serde_json::Value> {
    use api_tests::outbox::{streams_client, StreamReader};
    let outbox = state.config.tables.get(shared::tables::TableName::Outbox);
    let mut stream = StreamReader::of_table(&state.dynamo, streams_client(&endpoint()), outbox)
        .await
        .expect("the outbox's stream");
    let mut jobs = Vec::new();
    for _ in 0..100 {
        let records = stream.read().await.expect("the outbox's records");
        jobs.extend(records.into_iter().filter(|record| {
            record["eventName"] == "INSERT" && record["dynamodb"]["NewImage"]["job"]["S"] == "image"
        }));
        if jobs.len() >= count {
            jobs.truncate(count);
            return jobs;
        }
    }
    panic!(
        "{} image jobs in the outbox's stream, not {count}",
        jobs.len()
    );
}

/// Hands `event` to a warm `function`, which must answer it without an error.
async fn invoke_warm(
    api: &RuntimeApi,
    function: &str,
    event: String,
) -> api_tests::runtime_api::Outcome {
    let outcome = api
        .invoke(event)
        .await
        .unwrap_or_else(|| panic!("{function}: no answer"));
    assert!(!outcome.error, "{function}: {}", outcome.body);
    outcome
}

/// Forgot-password's answers for an existing account and a missing one: one warm process,
/// the two alternating in blocks of 10, 200 of each (the limits raised out of the way). Each
/// invocation starts once the process is idle, its after-response work done, as in
/// [`side_by_side`].
async fn forgot_timing(binary: &Path, seeded: &Seeded) -> ForgotTiming {
    const RUNS: usize = 200;
    const BLOCK: usize = 10;
    let api = RuntimeApi::start().await.expect("runtime API");
    let mut process = spawn(binary, "forgot-password", &api, &[]).await;
    let (mut existing, mut missing) = (Vec::new(), Vec::new());
    for block in 0..2 * (RUNS / BLOCK + 2) {
        let (name, samples) = if block % 2 == 0 {
            ("forgot-password", &mut existing)
        } else {
            ("forgot-password-unknown", &mut missing)
        };
        for i in 0..BLOCK {
            api.until_waiting().await;
            pause(SIDE_BY_SIDE_PACE);
            let outcome = invoke_warm(&api, "forgot-password", event(name, i, seeded)).await;
            assert_eq!(status_of(&outcome.body), 202, "{}", outcome.body);
            // The first two blocks of each warm the process up.
            if block >= 4 {
                samples.push(outcome.duration);
            }
        }
    }
    let _ = process.kill().await;
    ForgotTiming {
        existing: Percentiles::of(&existing),
        missing: Percentiles::of(&missing),
        runs: existing.len(),
    }
}

/// Warm invocations of each process in [`side_by_side`].
const SIDE_BY_SIDE_RUNS: usize = 1_000;
/// How long both processes of [`side_by_side`] wait before each invocation, once the process is
/// idle. DynamoDB Local serves every table from one JVM and one SQLite database, and a read that
/// arrives within a millisecond of a write to another table pays for work the write left behind
/// (measured here: a GetItem in place of the counter's write, nothing; the write, +0.2 ms at
/// p50). In DynamoDB the limits table's partitions are not the products table's. So each
/// request waits until the last one has settled, in both processes alike; the host spins rather
/// than sleeps, so that the core stays as warm as back-to-back invocations keep it.
const SIDE_BY_SIDE_PACE: Duration = Duration::from_millis(1);

/// Busy-waits `pause`.
fn pause(pause: Duration) {
    let until = Instant::now() + pause;
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Warm invocations of `function` in two processes of one binary, the limiter off in one and on
/// in the other, taken in alternating blocks so that whatever else changes over the run (the
/// machine, DynamoDB Local's JVM) changes for both alike. Each invocation starts only once its
/// process is waiting for it, its after-response work (the read's counter) done, and
/// [`SIDE_BY_SIDE_PACE`] later.
async fn side_by_side(
    binary: &Path,
    function: &str,
    seeded: &Seeded,
) -> (Vec<Duration>, Vec<Duration>) {
    const BLOCK: usize = 10;
    const WARM_UP_BLOCKS: usize = 10;
    let (off_api, on_api) = (
        RuntimeApi::start().await.expect("runtime API"),
        RuntimeApi::start().await.expect("runtime API"),
    );
    let mut off_process = spawn(binary, function, &off_api, LIMITER_OFF).await;
    let mut on_process = spawn(binary, function, &on_api, &[]).await;
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let mut invocation = 0;
    for block in 0..2 * (WARM_UP_BLOCKS + SIDE_BY_SIDE_RUNS / BLOCK) {
        let (api, samples) = if block % 2 == 0 {
            (&off_api, &mut off)
        } else {
            (&on_api, &mut on)
        };
        for _ in 0..BLOCK {
            api.until_waiting().await;
            pause(SIDE_BY_SIDE_PACE);
            let outcome = invoke_warm(api, function, event(function, invocation, seeded)).await;
            invocation += 1;
            if block >= 2 * WARM_UP_BLOCKS {
                samples.push(outcome.duration);
            }
        }
    }
    let _ = off_process.kill().await;
    let _ = on_process.kill().await;
    (off, on)
}

/// The catalogue's targets hold pages to get-product and to DynamoDB Local's own reads: each is
/// timed over the same stretch, in turn, in blocks of 10 (get-product, the default page, the two
/// pages of 100, then this process's GetItem, Query of 20 and Query of 100), every one started
/// once its process is idle and [`SIDE_BY_SIDE_PACE`] later, so that a stretch where the machine
/// is slower weighs on all of them alike.
async fn catalogue_side_by_side(
    state: &AppState,
    seeded: &Seeded,
    bin_dir: &Path,
) -> Vec<(&'static str, Vec<Duration>)> {
    const BLOCK: usize = 10;
    const WARM_UP_BLOCKS: usize = 5;
    let functions = [
        ("get-product", "get-product"),
        ("list-products", PAGES[0].0),
        ("list-products", PAGES[1].0),
        ("list-products", PAGES[2].0),
    ];
    let mut processes = Vec::new();
    for (function, event_name) in functions {
        let api = RuntimeApi::start().await.expect("runtime API");
        let child = spawn(&bin_dir.join(function), function, &api, &[]).await;
        processes.push((function, event_name, api, child));
    }
    let id = Id::parse(&seeded.product_ids[COLD_RUNS + WARM_RUNS]).expect("product id");
    let mut samples: Vec<(&'static str, Vec<Duration>)> = functions
        .iter()
        .map(|(_, event_name)| (*event_name, Vec::new()))
        .chain(FLOORS.iter().map(|name| (*name, Vec::new())))
        .collect();
    let mut invocation = 0;
    for block in 0..WARM_UP_BLOCKS + CATALOGUE_RUNS / BLOCK {
        let kept = block >= WARM_UP_BLOCKS;
        for (i, (function, event_name, api, _)) in processes.iter().enumerate() {
            for _ in 0..BLOCK {
                api.until_waiting().await;
                pause(SIDE_BY_SIDE_PACE);
                let outcome =
                    invoke_warm(api, function, event(event_name, invocation, seeded)).await;
                invocation += 1;
                if kept {
                    samples[i].1.push(outcome.duration);
                }
            }
        }
        for (j, floor) in FLOORS.iter().enumerate() {
            for _ in 0..BLOCK {
                pause(SIDE_BY_SIDE_PACE);
                let started = Instant::now();
                match *floor {
                    FLOOR_GET_ITEM => {
                        shared::store::products::find(state.products(), &id)
                            .await
                            .expect("product");
                    }
                    FLOOR_QUERY_20 => {
                        floor_query(state, 20).send().await.expect("query");
                    }
                    _ => {
                        floor_query(state, 100).send().await.expect("query");
                    }
                }
                if kept {
                    samples[functions.len() + j].1.push(started.elapsed());
                }
            }
        }
    }
    for (_, _, _, mut child) in processes {
        let _ = child.kill().await;
    }
    samples
}

/// One request line written, 10,000 times, in blocks of 100 (a single line is too short to
/// time alone): what the metrics add to every request.
fn time_request_lines() -> Vec<Duration> {
    use shared::telemetry::{LogSink, RequestLine, Telemetry};
    let telemetry = Telemetry {
        namespace: "ProductsApi".to_owned(),
        service: "products-api".to_owned(),
        sink: LogSink::memory(),
    };
    let line = RequestLine {
        request_id: "43cfa122-e620-5cfb-aa3e-09d360c1b56f",
        method: "GET",
        route: "GET /api/products/{id}",
        status: shared::lambda_http::http::StatusCode::OK,
        duration: Duration::from_micros(1_234),
        storage: Duration::from_micros(987),
        user_id: Some("01JDQ4ZK8X9T6S2V3M5N7P8Q9R"),
        trace_id: Some("Root=1-00000000-000000000000000000000001;Sampled=1"),
        error: None,
        at: Clock::System.now(),
    };
    (0..100)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..100 {
                telemetry.record(&line);
            }
            started.elapsed() / 100
        })
        .collect()
}

async fn time_verification(hash: &str) -> Duration {
    let started = Instant::now();
    verify_password(SecretString::from(PASSWORD), hash.to_owned())
        .await
        .expect("verify");
    started.elapsed()
}

fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = info
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']))
        })
        .unwrap_or("unknown CPU");
    // The machine's cores, not only those this process may run on.
    let cores = info.lines().filter(|l| l.starts_with("processor")).count();
    format!("{cores} cores, {cpu}, {}", std::env::consts::ARCH)
}

/// Where this process (and so every function it starts) and DynamoDB Local run, as `make bench`
/// placed them, and how DynamoDB Local was warmed.
fn placement() -> String {
    let own = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|l| {
                l.strip_prefix("Cpus_allowed_list:")
                    .map(|v| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "any".to_owned());
    let cores = match std::env::var("DYNAMODB_CPUS") {
        Ok(dynamodb) => format!(
            "The functions and the Runtime API host run on CPU {own} and DynamoDB Local on CPU \
             {dynamodb} (taskset), so a function has a core to itself, as on Lambda."
        ),
        Err(_) => "The functions and DynamoDB Local share the CPUs.".to_owned(),
    };
    format!(
        "{cores} Before anything is timed, DynamoDB Local answers {} requests, so that its JVM \
         has compiled its request path (cold, it takes 2-5 ms for a read it then answers in under \
         1 ms; the service itself is always warm).",
        STORAGE_WARM_UP_ROUNDS * WARM_UP_REQUESTS_PER_ROUND
    )
}

/// Verifications the common way, through the `argon2` crate's `PasswordVerifier`, which
/// allocates the 19 MiB afresh for every call: what "one argon2 verification" usually costs.
fn reference_verifications(hash: &str, rounds: usize) -> Vec<Duration> {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let parsed = PasswordHash::new(hash).expect("PHC string");
    (0..rounds)
        .map(|_| {
            let started = Instant::now();
            let verified = argon2::Argon2::default().verify_password(PASSWORD.as_bytes(), &parsed);
            assert!(verified.is_ok());
            started.elapsed()
        })
        .collect()
}

/// One argon2id hash in a fresh process, as a function's first request pays for it: its 19 MiB
/// are allocated and first touched, and the blocking thread is started.
async fn first_argon2_in_a_fresh_process() -> Duration {
    let exe = std::env::current_exe().expect("own path");
    let output = Command::new(&exe)
        .arg("--time-first-argon2")
        .output()
        .await
        .expect("timing run");
    let micros: u64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("microseconds");
    Duration::from_micros(micros)
}

#[tokio::main]
async fn main() {
    if std::env::args().nth(1).as_deref() == Some("--time-first-argon2") {
        let started = Instant::now();
        hash_password(SecretString::from(PASSWORD))
            .await
            .expect("hash");
        println!("{}", started.elapsed().as_micros());
        return;
    }
    // `--limiter DIR`: only the limiter's side-by-side cost, printed (a quick check while
    // working on the request path).
    let limiter_only = std::env::args().nth(1).as_deref() == Some("--limiter");
    let args: Vec<String> = std::env::args()
        .skip(1 + usize::from(limiter_only))
        .collect();
    let bin_dir = PathBuf::from(args.first().map_or("target/release", String::as_str));
    let output = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "docs/benchmarks.md".into());
    let state = seed_state().await;
    let seeded = seed(&state).await;
    warm_up_storage(&state, &seeded).await;
    if limiter_only {
        for function in ["get-product", "create-product"] {
            let (off, on) = side_by_side(&bin_dir.join(function), function, &seeded).await;
            let (off, on) = (Percentiles::of(&off), Percentiles::of(&on));
            println!(
                "{function}: p50 off {:.3} on {:.3} ({:+.3} ms); p99 off {:.3} on {:.3}",
                off.p50,
                on.p50,
                on.p50 - off.p50,
                off.p99,
                on.p99
            );
        }
        return;
    }

    let hash = seeded.password_hash.clone();
    let mut verifications = Vec::new();
    for _ in 0..VERIFICATION_RUNS {
        verifications.push(time_verification(&hash).await);
    }
    let argon2 = Percentiles::of(&verifications);
    eprintln!("argon2id verification p50 {:.1} ms", argon2.p50);
    let reference = Percentiles::of(&reference_verifications(&hash, 40));

    let mut results = Vec::new();
    let mut failures = Vec::new();
    let mut first_hashes = Vec::new();
    // `BENCH_ONLY=get-product,list-products`: only those runs, printed and not written (a quick
    // check while working on one function).
    let only = std::env::var("BENCH_ONLY").ok();
    // complete-image completes what create-image-upload's runs made: it brings them along.
    let chosen = |event: &str| {
        only.as_deref().is_none_or(|only| {
            only.split(',').any(|name| {
                name == event || (name == "complete-image" && event == "create-image-upload")
            })
        })
    };
    let mut imager = None;
    for planned in PLAN.iter().filter(|planned| chosen(planned.event)) {
        let (function, event_name) = (&planned.function, planned.event);
        let (warm_runs, expected) = (&planned.warm_runs, &planned.status);
        let binary = bin_dir.join(function);
        let hashes = matches!(*function, "register" | "login");
        let yardstick = hashes.then_some(hash.as_str());
        let measured = measure(
            &binary,
            function,
            event_name,
            &seeded,
            *warm_runs,
            yardstick,
            planned.env,
        )
        .await;
        let unexpected = measured
            .statuses
            .iter()
            .filter(|s| **s != *expected)
            .count();
        if unexpected > 0 {
            failures.push(format!(
                "{function}: {unexpected} answers were not {expected}"
            ));
        }
        // The target is about start-up, not the hash: each cold start of register and login is
        // counted without the fresh-process hash timed just before it.
        let cold: Vec<Duration> = (0..COLD_RUNS)
            .map(|i| {
                let hash = measured.first_hashes.get(i).copied().unwrap_or_default();
                (measured.init[i] + measured.first[i]).saturating_sub(hash)
            })
            .collect();
        first_hashes.extend_from_slice(&measured.first_hashes);
        match *function {
            "create-image-upload" => send_uploads(&seeded, &measured.bodies),
            // The worker makes what is served of the uploads just completed, before
            // delete-product's runs delete their products.
            "complete-image" => imager = Some(imager_timing(&state, &bin_dir).await),
            _ => {}
        }
        let result = FunctionResult {
            name: planned.event,
            init: Percentiles::of(&measured.init),
            first: Percentiles::of(&measured.first),
            cold: Percentiles::of(&cold),
            cold_excludes_hash: hashes,
            warm: Percentiles::of(&measured.warm),
            yardstick: hashes.then(|| Percentiles::of(&measured.verifications)),
            peak_rss_mib: measured.peak_rss_kib as f64 / 1024.0,
            size_mib: std::fs::metadata(&binary)
                .map_or(0.0, |m| m.len() as f64 / (1024.0 * 1024.0)),
        };
        eprintln!(
            "{event_name}: init {:.1} ms, first {:.1} ms, cold {:.1} ms, warm p50 {:.2} ms",
            result.init.p50, result.first.p50, result.cold.p50, result.warm.p50
        );
        results.push(result);
    }
    if let Some(imager) = &imager {
        eprintln!(
            "imager: cold {:.0} ms (init {:.1} + first job {:.0}), warm p50 {:.0} ms, peak RSS {:.0} MiB",
            imager.init.p50 + imager.first.p50,
            imager.init.p50,
            imager.first.p50,
            imager.warm.p50,
            imager.peak_rss_mib
        );
    }
    if only.is_some() {
        return;
    }

    // Timing parity of the two login failures: same work, same answer.
    let binary = bin_dir.join("login");
    let login_failure =
        |event| measure(&binary, "login", event, &seeded, SLOW_WARM_RUNS, None, &[]);
    let wrong = login_failure("login-wrong-password").await;
    let unknown = login_failure("login-unknown-email").await;

    // Forgot-password for an existing and a missing account, alternating in one process.
    let forgot = forgot_timing(&bin_dir.join("forgot-password"), &seeded).await;
    eprintln!(
        "forgot-password: existing p50 {:.3} ms, missing p50 {:.3} ms",
        forgot.existing.p50, forgot.missing.p50
    );

    // The rate limiter's cost: the same binary with it off and on, side by side.
    let mut limiter = Vec::new();
    for function in ["get-product", "create-product"] {
        let (off, on) = side_by_side(&bin_dir.join(function), function, &seeded).await;
        let cost = LimiterCost {
            function,
            off: Percentiles::of(&off),
            on: Percentiles::of(&on),
            runs: on.len(),
        };
        eprintln!(
            "{function}: limiter off p50 {:.3} ms, on p50 {:.3} ms",
            cost.off.p50, cost.on.p50
        );
        limiter.push(cost);
    }

    let floor = storage_floor(&state, &seeded).await;
    eprintln!(
        "DynamoDB Local: GetItem p50 {:.3} ms, Query of 20 p50 {:.3} ms, of 100 p50 {:.3} ms",
        floor.get_item.p50, floor.query_20.p50, floor.query_100.p50
    );
    let pages = page_costs(&state).await;
    let compared: Vec<(&'static str, Percentiles)> =
        catalogue_side_by_side(&state, &seeded, &bin_dir)
            .await
            .into_iter()
            .map(|(name, samples)| (name, Percentiles::of(&samples)))
            .collect();
    for (name, timing) in &compared {
        eprintln!("side by side: {name} p50 {:.3} ms", timing.p50);
    }

    let setup = Setup {
        written_at: shared::Clock::System.now().to_string(),
        machine: machine(),
        placement: placement(),
        memory_mb: MEMORY_MB,
        cold_runs: COLD_RUNS,
        warm_runs: WARM_RUNS,
        slow_warm_runs: SLOW_WARM_RUNS,
    };
    let costs = PasswordCosts {
        verification: argon2,
        reference,
        first_in_fresh_process: Percentiles::of(&first_hashes),
        wrong_password: Percentiles::of(&wrong.warm),
        unknown_email: Percentiles::of(&unknown.warm),
    };
    let metrics = MetricsCost {
        request_line: Percentiles::of(&time_request_lines()),
    };
    let report = render(&Report {
        setup: &setup,
        results: &results,
        costs: &costs,
        limiter: &limiter,
        metrics: &metrics,
        forgot: &forgot,
        floor: &floor,
        pages: &pages,
        compared: &compared,
        imager: imager.as_ref(),
        failures: &failures,
    });
    std::fs::write(&output, report).expect("write report");
    eprintln!("wrote {output}");
    if !failures.is_empty() {
        eprintln!("unexpected answers: {}", failures.join("; "));
        std::process::exit(1);
    }
}
