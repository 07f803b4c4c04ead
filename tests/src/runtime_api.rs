//! A Lambda Runtime API host (the interface Lambda serves its runtimes on):
//! just enough of it to run a function binary as Lambda does and time it from outside. One host
//! serves one function process.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// The debug build of the workspace binary `name`, built now if it has not been: tests that
/// run a function as Lambda does must not depend on an earlier `cargo build`.
pub fn built_binary(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // target/debug/deps/<test> → target/debug
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .to_path_buf();
    let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(cargo)
        .args(["build", "--quiet", "--locked", "--bin", name])
        .env("CARGO_TARGET_DIR", &target_dir)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --bin {name} failed");
    profile_dir.join(name)
}

/// The function binary `function` as Lambda runs it: a clean environment holding what Lambda
/// sets (its Runtime API at `runtime`, the function's name and `memory_mb`), the tests'
/// credentials and region; the caller adds the function's own settings.
pub fn lambda_process(function: &str, runtime: &str, memory_mb: u32) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(built_binary(function));
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", runtime)
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory_mb.to_string())
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .kill_on_drop(true);
    command
}

/// What the function answered, and how long after the event was handed over.
#[derive(Debug)]
pub struct Outcome {
    pub duration: Duration,
    pub body: String,
    pub error: bool,
}

struct Invocation {
    event: String,
    done: oneshot::Sender<Outcome>,
}

struct InFlight {
    delivered_at: Instant,
    done: oneshot::Sender<Outcome>,
}

#[derive(Default)]
struct Shared {
    first_poll: Option<Instant>,
    /// Whether the function is waiting for its next event: done with the last one, its
    /// after-response work included.
    waiting: bool,
    in_flight: HashMap<String, InFlight>,
    next_id: u64,
}

/// The host: hand it events, get back timed outcomes.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    queue: mpsc::Sender<Invocation>,
    shared: Arc<Mutex<Shared>>,
}

fn respond(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn handle(
    request: Request<Incoming>,
    shared: Arc<Mutex<Shared>>,
    queue: Arc<tokio::sync::Mutex<mpsc::Receiver<Invocation>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    if method == Method::GET && path == "/2018-06-01/runtime/invocation/next" {
        {
            let mut state = lock(&shared);
            state.first_poll.get_or_insert_with(Instant::now);
            state.waiting = true;
        }
        let Some(invocation) = queue.lock().await.recv().await else {
            return Ok(respond(StatusCode::GONE, "shutting down"));
        };
        let (id, trace) = {
            let mut state = lock(&shared);
            state.waiting = false;
            state.next_id += 1;
            let id = format!("bench-{:08}", state.next_id);
            let trace = format!("Root=1-00000000-{:024x};Sampled=1", state.next_id);
            state.in_flight.insert(
                id.clone(),
                InFlight {
                    delivered_at: Instant::now(),
                    done: invocation.done,
                },
            );
            (id, trace)
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() + 30_000)
            .unwrap_or_default();
        let mut response = respond(StatusCode::OK, invocation.event);
        let headers = response.headers_mut();
        for (name, value) in [
            ("lambda-runtime-aws-request-id", id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench".to_owned(),
            ),
            ("lambda-runtime-trace-id", trace),
            ("content-type", "application/json".to_owned()),
        ] {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        }
        return Ok(response);
    }

    // POST /2018-06-01/runtime/invocation/{id}/response | /error, or /runtime/init/error.
    let answered_at = Instant::now();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|c| String::from_utf8_lossy(&c.to_bytes()).into_owned())
        .unwrap_or_default();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let ["2018-06-01", "runtime", "invocation", id, kind] = parts.as_slice() {
        let in_flight = lock(&shared).in_flight.remove(*id);
        if let Some(in_flight) = in_flight {
            let _ = in_flight.done.send(Outcome {
                duration: answered_at - in_flight.delivered_at,
                body,
                error: *kind != "response",
            });
        }
        return Ok(respond(StatusCode::ACCEPTED, ""));
    }
    eprintln!("runtime API: {method} {path}: {body}");
    Ok(respond(StatusCode::ACCEPTED, ""))
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (queue, receiver) = mpsc::channel(1);
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let serving = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (shared, receiver) = (serving.clone(), receiver.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        handle(request, shared.clone(), receiver.clone())
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            queue,
            shared,
        })
    }

    /// When the current process first asked for an event: the end of its init phase.
    pub fn first_poll(&self) -> Option<Instant> {
        lock(&self.shared).first_poll
    }

    /// Waits until the function asks for its next event: whatever it does after a response is
    /// done.
    pub async fn until_waiting(&self) {
        while !lock(&self.shared).waiting {
            tokio::time::sleep(Duration::from_micros(100)).await;
        }
    }

    /// Hands `event` to the function and waits for its answer.
    pub async fn invoke(&self, event: String) -> Option<Outcome> {
        let (done, answer) = oneshot::channel();
        self.queue.send(Invocation { event, done }).await.ok()?;
        tokio::time::timeout(Duration::from_secs(30), answer)
            .await
            .ok()?
            .ok()
    }
}
