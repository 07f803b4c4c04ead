//! A stand-in for SES in front of the SES emulator that refuses some recipients as SES refuses a
//! message for good (`MessageRejected`, SES v2's error shape) and passes every other request on.
//! The emulator sends to any address; this is how a worker meets a mail that can never be sent.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::forward::{bad_gateway, forward, read_body, upstream_client, Upstream};

async fn answer(
    req: Request<Incoming>,
    upstream: String,
    refused: String,
    client: Upstream,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = read_body(body).await;
    if String::from_utf8_lossy(&body).contains(&refused) {
        let mut response = Response::new(Full::new(Bytes::from_static(
            br#"{"message":"Email address is not verified."}"#,
        )));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        let headers = response.headers_mut();
        headers.insert(
            "x-amzn-errortype",
            "MessageRejected".parse().expect("header"),
        );
        headers.insert("content-type", "application/json".parse().expect("header"));
        return Ok(response);
    }
    Ok(forward(&client, &upstream, &parts, body)
        .await
        .unwrap_or_else(bad_gateway))
}

/// Starts the stand-in in front of the SES at `upstream`, refusing every message whose request
/// holds `refused` (a recipient's address); it serves until the test process ends.
pub async fn start(upstream: String, refused: &str) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let client = upstream_client();
    let refused = refused.to_owned();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (upstream, refused, client) = (upstream.clone(), refused.clone(), client.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    answer(req, upstream.clone(), refused.clone(), client.clone())
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}
