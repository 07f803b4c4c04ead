//! Passing a request on, unchanged, to the same path at another local endpoint: what the
//! stand-ins in front of DynamoDB Local and the SES emulator, and the recorder in front of every
//! emulator, do with what they do not answer themselves.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A client for the endpoint requests are passed on to.
pub type Upstream = Client<HttpConnector, Full<Bytes>>;

pub fn upstream_client() -> Upstream {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A request's or response's body, read whole (empty if it broke off).
pub async fn read_body(body: Incoming) -> Bytes {
    body.collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}

/// Sends the request (`parts`, `body`) to its path at `upstream` (`http://127.0.0.1:PORT`) and
/// reads the answer whole; `None` if none came.
pub async fn forward(
    client: &Upstream,
    upstream: &str,
    parts: &Parts,
    body: Bytes,
) -> Option<Response<Full<Bytes>>> {
    let uri = format!(
        "{}{}",
        upstream.trim_end_matches('/'),
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut request = Request::builder().method(parts.method.clone()).uri(uri);
    for (name, value) in &parts.headers {
        if name != "host" {
            request = request.header(name, value);
        }
    }
    let answer = client
        .request(request.body(Full::new(body)).ok()?)
        .await
        .ok()?;
    let (parts, body) = answer.into_parts();
    Some(Response::from_parts(
        parts,
        Full::new(read_body(body).await),
    ))
}

/// What a stand-in answers when the endpoint behind it did not.
pub fn bad_gateway() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
}
