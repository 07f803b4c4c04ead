//! Runs every function's release binary as Lambda would, under the Runtime API host in
//! `api_tests::bench`, against DynamoDB Local, and writes BENCHMARKS.md.
//!
//! Per function: cold starts (process start to first event poll = Init Duration, then the first
//! invocation), warm invocations in one process (p50/p90/p99), peak RSS, and binary size.
//! `make bench` starts DynamoDB Local and passes its endpoint in `AWS_ENDPOINT_URL_DYNAMODB`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use api_tests::app::{client_for, endpoint, START};
use api_tests::bench::report::{render, FunctionResult, PasswordCosts, Setup};
use api_tests::bench::runtime_api::RuntimeApi;
use api_tests::bench::Percentiles;
use api_tests::Event;
use secrecy::SecretString;
use serde_json::json;
use shared::auth::password::{hash_password, verify_password};
use shared::domain::{Category, Email, Id, Price, Product, ProductName, User};
use shared::{AppState, Clock, Config, Timestamp};
use tokio::process::Command;

const COLD_RUNS: usize = 30;
const WARM_RUNS: usize = 300;
const SLOW_WARM_RUNS: usize = 60;
const MEMORY_MB: &str = "1024";
const PASSWORD: &str = "correct horse battery";

fn env_for_functions() -> Vec<(String, String)> {
    let env = [
        (
            "JWT_SECRET",
            "bench-secret-0123456789abcdef0123456789abcdef".to_owned(),
        ),
        ("PRODUCTS_TABLE", "bench-products".to_owned()),
        ("USERS_TABLE", "bench-users".to_owned()),
        ("LIMITS_TABLE", "bench-auth-limits".to_owned()),
        ("ALLOWED_ORIGINS", "https://app.example".to_owned()),
        // Limits high enough that hundreds of benchmark logins are never locked out.
        ("LOGIN_FAILURES_PER_EMAIL", "1000000".to_owned()),
        ("LOGIN_FAILURES_PER_IP", "1000000".to_owned()),
        ("REGISTRATIONS_PER_IP", "1000000".to_owned()),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint()),
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
    let state = AppState::new(config, client_for(&endpoint()), Clock::System);
    let names = state.config.tables.clone();
    api_tests::tables::create_all(&state.dynamo, |d| match d.env_var.as_str() {
        "PRODUCTS_TABLE" => names.products.clone(),
        "USERS_TABLE" => names.users.clone(),
        _ => names.limits.clone(),
    })
    .await
    .expect("bench tables");
    state
}

struct Seeded {
    token: String,
    product_ids: Vec<String>,
}

async fn seed(state: &AppState) -> Seeded {
    let now = Timestamp::from_millis(START.millis());
    let email = Email::parse("bench@example.com").expect("email");
    let stored = shared::store::users::find_by_email(state, &email)
        .await
        .expect("read user");
    let user = match stored {
        Some(stored) => stored.user,
        None => {
            let user = User {
                id: Id::generate(now).expect("id"),
                email,
                name: None,
                created_at: now,
            };
            let hash = hash_password(SecretString::from(PASSWORD))
                .await
                .expect("hash");
            shared::store::users::insert(state, &user, &hash)
                .await
                .expect("user");
            user
        }
    };
    let token = state
        .tokens
        .issue(&user, Clock::System.now())
        .expect("token");
    let mut product_ids = Vec::new();
    for i in 0..(COLD_RUNS + WARM_RUNS + 50) {
        let product = Product {
            id: Id::generate(Clock::System.now()).expect("id"),
            name: ProductName::from_stored(format!("Bench product {i}")),
            price: Price::from_cents(2_990).expect("price"),
            description: None,
            category: Category::parse_str("bench"),
            owner_id: user.id.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        shared::store::products::insert(state, &product)
            .await
            .expect("product");
        product_ids.push(product.id.to_string());
    }
    Seeded { token, product_ids }
}

/// The event for invocation `i` of `function`.
fn event(function: &str, i: usize, seeded: &Seeded) -> String {
    let product = &seeded.product_ids[i % seeded.product_ids.len()];
    let event = match function {
        "health" | "fallback" => Event::load(function),
        "register" => Event::load("register").json_body(&json!({
            "email": format!("bench-{}-{i}@example.com", std::process::id()),
            "password": PASSWORD
        })),
        "login" => Event::load("login")
            .json_body(&json!({ "email": "bench@example.com", "password": PASSWORD })),
        "login-wrong-password" => Event::load("login")
            .json_body(&json!({ "email": "bench@example.com", "password": "not the password" })),
        "login-unknown-email" => Event::load("login")
            .json_body(&json!({ "email": "nobody@example.com", "password": "not the password" })),
        "profile" => Event::load("profile").bearer(&seeded.token),
        "list-products" => Event::load("list-products"),
        "get-product" => Event::load("get-product").product_id(product),
        "create-product" => Event::load("create-product").bearer(&seeded.token),
        "update-product" => Event::load("update-product")
            .product_id(&seeded.product_ids[0])
            .bearer(&seeded.token),
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

fn peak_rss_kib(pid: u32) -> Option<u64> {
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
    /// One argon2id verification in this process after each warm invocation, when asked for:
    /// the same machine state as the invocation it is compared with.
    paired_argon2: Vec<Duration>,
    peak_rss_kib: u64,
    statuses: Vec<u16>,
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

async fn spawn(binary: &Path, function: &str, api: &RuntimeApi) -> tokio::process::Child {
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
    argon2_hash: Option<&str>,
) -> Measured {
    let mut measured = Measured {
        init: Vec::new(),
        first: Vec::new(),
        warm: Vec::new(),
        paired_argon2: Vec::new(),
        peak_rss_kib: 0,
        statuses: Vec::new(),
    };
    let mut invocation = 0;
    for _ in 0..COLD_RUNS {
        let api = RuntimeApi::start().await.expect("runtime API");
        let started = Instant::now();
        let mut child = spawn(binary, function, &api).await;
        let outcome = api
            .invoke(event(event_name, invocation, seeded))
            .await
            .unwrap_or_else(|| panic!("{function}: no answer to the first invocation"));
        invocation += 1;
        let first_poll = api.first_poll().expect("the function polled");
        measured.init.push(first_poll - started);
        measured.first.push(outcome.duration);
        measured.statuses.push(status_of(&outcome.body));
        let _ = child.kill().await;
    }

    let api = RuntimeApi::start().await.expect("runtime API");
    let mut child = spawn(binary, function, &api).await;
    for _ in 0..warm_runs {
        let outcome = api
            .invoke(event(event_name, invocation, seeded))
            .await
            .unwrap_or_else(|| panic!("{function}: no answer"));
        invocation += 1;
        assert!(!outcome.error, "{function}: {}", outcome.body);
        measured.statuses.push(status_of(&outcome.body));
        measured.warm.push(outcome.duration);
        if let Some(hash) = argon2_hash {
            measured.paired_argon2.push(time_verification(hash).await);
        }
    }
    measured.peak_rss_kib = child.id().and_then(peak_rss_kib).unwrap_or(0);
    let _ = child.kill().await;
    measured
}

async fn time_verification(hash: &str) -> Duration {
    let started = Instant::now();
    verify_password(SecretString::from(PASSWORD), hash.to_owned())
        .await
        .expect("verify");
    started.elapsed()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cores} cores, {cpu}, {}", std::env::consts::ARCH)
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
async fn first_argon2_in_a_fresh_process() -> Vec<Duration> {
    let exe = std::env::current_exe().expect("own path");
    let mut samples = Vec::new();
    for _ in 0..COLD_RUNS {
        let output = Command::new(&exe)
            .arg("--time-first-argon2")
            .output()
            .await
            .expect("timing run");
        let micros: u64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("microseconds");
        samples.push(Duration::from_micros(micros));
    }
    samples
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
    let first_argon2 = Percentiles::of(&first_argon2_in_a_fresh_process().await);
    let bin_dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/release".into()),
    );
    let output = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "BENCHMARKS.md".into());
    let state = seed_state().await;
    let seeded = seed(&state).await;

    let hash = hash_password(SecretString::from(PASSWORD))
        .await
        .expect("hash");
    let mut alone = Vec::new();
    for _ in 0..40 {
        alone.push(time_verification(&hash).await);
    }
    let argon2 = Percentiles::of(&alone);
    eprintln!("argon2id verification p50 {:.1} ms", argon2.p50);
    let reference = Percentiles::of(&reference_verifications(&hash, 40));

    let functions: &[(&str, &str, usize, u16)] = &[
        ("health", "health", WARM_RUNS, 200),
        ("fallback", "fallback", WARM_RUNS, 404),
        ("register", "register", SLOW_WARM_RUNS, 201),
        ("login", "login", SLOW_WARM_RUNS, 200),
        ("profile", "profile", WARM_RUNS, 200),
        ("list-products", "list-products", WARM_RUNS, 200),
        ("get-product", "get-product", WARM_RUNS, 200),
        ("create-product", "create-product", WARM_RUNS, 201),
        ("update-product", "update-product", WARM_RUNS, 200),
        ("delete-product", "delete-product", WARM_RUNS, 204),
    ];
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for (function, event_name, warm_runs, expected) in functions {
        let binary = bin_dir.join(function);
        let hashes = matches!(*function, "register" | "login");
        let paired = hashes.then_some(hash.as_str());
        let measured = measure(&binary, function, event_name, &seeded, *warm_runs, paired).await;
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
        let cold: Vec<Duration> = measured
            .init
            .iter()
            .zip(&measured.first)
            .map(|(init, first)| {
                let cold = *init + *first;
                // The target is about start-up, not the hash: take off what one argon2 hash
                // costs a fresh process.
                if hashes {
                    cold.saturating_sub(Duration::from_secs_f64(first_argon2.p50 / 1000.0))
                } else {
                    cold
                }
            })
            .collect();
        let result = FunctionResult {
            name: function,
            init: Percentiles::of(&measured.init),
            first: Percentiles::of(&measured.first),
            cold: Percentiles::of(&cold),
            cold_excludes_hash: hashes,
            warm: Percentiles::of(&measured.warm),
            paired_argon2: hashes.then(|| Percentiles::of(&measured.paired_argon2)),
            peak_rss_mb: measured.peak_rss_kib as f64 / 1024.0,
            size_mb: std::fs::metadata(&binary).map_or(0.0, |m| m.len() as f64 / (1024.0 * 1024.0)),
        };
        eprintln!(
            "{function}: init {:.1} ms, first {:.1} ms, warm p50 {:.2} ms",
            result.init.p50, result.first.p50, result.warm.p50
        );
        results.push(result);
    }

    // Timing parity of the two login failures: same work, same answer.
    let binary = bin_dir.join("login");
    let login_failure = |event| measure(&binary, "login", event, &seeded, SLOW_WARM_RUNS, None);
    let wrong = login_failure("login-wrong-password").await;
    let unknown = login_failure("login-unknown-email").await;

    let setup = Setup {
        written_at: shared::Clock::System.now().to_string(),
        machine: machine(),
        memory_mb: MEMORY_MB,
        cold_runs: COLD_RUNS,
        warm_runs: WARM_RUNS,
        slow_warm_runs: SLOW_WARM_RUNS,
    };
    let costs = PasswordCosts {
        verification: argon2,
        reference,
        first_in_fresh_process: first_argon2,
        wrong_password: Percentiles::of(&wrong.warm),
        unknown_email: Percentiles::of(&unknown.warm),
    };
    let report = render(&setup, &results, &costs, &failures);
    std::fs::write(&output, report).expect("write report");
    eprintln!("wrote {output}");
    if !failures.is_empty() {
        eprintln!("unexpected answers: {}", failures.join("; "));
        std::process::exit(1);
    }
}
