//! A stand-in for DynamoDB in front of DynamoDB Local that refuses the rate limiter's counter
//! writes with one of DynamoDB's own errors and passes everything else through. DynamoDB Local
//! never throttles, so this is how the limiter's failure policy meets a throttled counter.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
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

type Upstream = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

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
    fault: Fault,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if is_request_counter(&parts, &body) {
        let text = format!(
            r#"{{"__type":"{}","message":"Rate of requests exceeds the allowed throughput."}}"#,
            fault.error_type
        );
        let mut response = Response::new(Full::new(Bytes::from(text)));
        *response.status_mut() =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::BAD_REQUEST);
        response.headers_mut().insert(
            "content-type",
            hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        return Ok(response);
    }
    let uri = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut forward = Request::builder().method(parts.method).uri(uri);
    for (name, value) in &parts.headers {
        forward = forward.header(name, value);
    }
    let Ok(forward) = forward.body(Full::new(body)) else {
        return Ok(Response::new(Full::new(Bytes::new())));
    };
    let answer = match client.request(forward).await {
        Ok(answer) => answer,
        Err(_) => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            return Ok(response);
        }
    };
    let (parts, body) = answer.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// Starts the stand-in for the DynamoDB at `upstream` (`http://127.0.0.1:8000`) and returns its
/// address; it serves until the test process ends.
pub async fn start(upstream: String, fault: Fault) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let client: Upstream = Client::builder(TokioExecutor::new()).build_http();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (upstream, client) = (upstream.clone(), client.clone());
            tokio::spawn(async move {
                let service =
                    service_fn(move |req| handle(req, upstream.clone(), client.clone(), fault));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}
