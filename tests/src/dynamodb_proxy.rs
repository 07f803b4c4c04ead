//! A stand-in for DynamoDB in front of DynamoDB Local that does something else with the rate
//! limiter's counter writes, or with transactions (answers them with one of DynamoDB's own
//! errors, or holds them until the test lets them through), passes everything else on, and
//! notes every call it sees. DynamoDB Local never throttles nor fails, so this is how the
//! limiter's failure policy meets a throttled counter, and a create meets a failed write;
//! holding a write shows what does not wait for it, or what another request does meanwhile.
//! It also notes what each Query asked for and what DynamoDB returned to it, so a test can
//! count the work a request made.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;

use crate::forward::{bad_gateway, forward, read_body, upstream_client, Upstream};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// An error DynamoDB answers with: its HTTP status and `__type`.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    pub status: u16,
    pub error_type: &'static str,
}

/// What DynamoDB says when a key takes more writes than it allows.
pub const THROTTLED: Fault = Fault {
    status: 400,
    error_type: "com.amazonaws.dynamodb.v20120810#ThrottlingException",
};

/// What DynamoDB says when it fails on its side.
pub const INTERNAL_ERROR: Fault = Fault {
    status: 500,
    error_type: "com.amazonaws.dynamodb.v20120810#InternalServerError",
};

/// What the stand-in does with a request counter's write.
#[derive(Debug, Clone, Copy)]
pub enum CounterWrites {
    /// Answers it with this error.
    Fail(Fault),
    /// Holds it until [`Proxy::release_counters`].
    Held,
    /// Passes it on like everything else.
    Pass,
}

/// A Query as the stand-in saw it pass: its `Limit`, and the `Count` of items it returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub limit: Option<u64>,
    pub returned: u64,
}

/// A running stand-in.
#[derive(Clone)]
pub struct Proxy {
    pub addr: SocketAddr,
    calls: Arc<Mutex<Vec<String>>>,
    queries: Arc<Mutex<Vec<Query>>>,
    gate: Arc<Semaphore>,
    /// What it does with `TransactWriteItems` (as with counter writes; held ones wait for
    /// [`Proxy::release_counters`] too).
    transactions: CounterWrites,
}

impl Proxy {
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The operations (`GetItem`, `UpdateItem`, ...) of every call seen so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every Query passed on so far, in order.
    pub fn queries(&self) -> Vec<Query> {
        self.queries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the Queries seen so far.
    pub fn clear_queries(&self) {
        self.queries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Lets every held counter write, and every later one, through.
    pub fn release_counters(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

fn is_request_counter(req: &hyper::http::request::Parts, body: &[u8]) -> bool {
    let target = req
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    target == Some("DynamoDB_20120810.UpdateItem")
        && String::from_utf8_lossy(body).contains("\"rate#")
}

async fn handle(
    req: Request<Incoming>,
    upstream: String,
    client: Upstream,
    counters: CounterWrites,
    proxy: Proxy,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = read_body(body).await;
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or("-")
        .to_owned();
    proxy
        .calls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(operation.clone());
    let rule = if is_request_counter(&parts, &body) {
        Some(counters)
    } else if operation == "TransactWriteItems" {
        Some(proxy.transactions)
    } else {
        None
    };
    if let Some(rule) = rule {
        match rule {
            CounterWrites::Fail(fault) => return Ok(fault_response(fault)),
            CounterWrites::Held => {
                let _ = proxy.gate.acquire().await.map(|permit| permit.forget());
            }
            CounterWrites::Pass => {}
        }
    }
    let Some(answer) = forward(&client, &upstream, &parts, body.clone()).await else {
        return Ok(bad_gateway());
    };
    if operation == "Query" {
        let number = |text: &[u8], field: &str| {
            serde_json::from_slice::<serde_json::Value>(text)
                .ok()
                .and_then(|json| json[field].as_u64())
        };
        let returned = {
            use http_body_util::BodyExt;
            let (parts, full) = answer.into_parts();
            let bytes = full
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let query = Query {
                limit: number(&body, "Limit"),
                returned: number(&bytes, "Count").unwrap_or(0),
            };
            proxy
                .queries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(query);
            Response::from_parts(parts, Full::new(bytes))
        };
        return Ok(returned);
    }
    Ok(answer)
}

fn fault_response(fault: Fault) -> Response<Full<Bytes>> {
    let text = format!(
        r#"{{"__type":"{}","message":"Rate of requests exceeds the allowed throughput."}}"#,
        fault.error_type
    );
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    response
}

/// Starts the stand-in for the DynamoDB at `upstream` (`http://127.0.0.1:8000`); it serves until
/// the test process ends.
pub async fn start(upstream: String, counters: CounterWrites) -> std::io::Result<Proxy> {
    start_with(upstream, counters, CounterWrites::Pass).await
}

/// Starts a stand-in that does `counters` with counter writes and `transactions` with every
/// `TransactWriteItems`.
pub async fn start_with(
    upstream: String,
    counters: CounterWrites,
    transactions: CounterWrites,
) -> std::io::Result<Proxy> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let proxy = Proxy {
        addr: listener.local_addr()?,
        calls: Arc::default(),
        queries: Arc::default(),
        gate: Arc::new(Semaphore::new(0)),
        transactions,
    };
    let client = upstream_client();
    let serving = proxy.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (upstream, client, proxy) = (upstream.clone(), client.clone(), serving.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    handle(
                        req,
                        upstream.clone(),
                        client.clone(),
                        counters,
                        proxy.clone(),
                    )
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(proxy)
}
