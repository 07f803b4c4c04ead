//! The local stand-in for API Gateway's front door, between clients and `cargo lambda watch`.
//!
//! `make dev` serves the API through it. It forwards every request unchanged, with one
//! exception: a body that is not valid UTF-8. API Gateway hands such a body to the function
//! base64-encoded, and the function answers 400 (or 415); `cargo lambda watch` instead refuses
//! to build the event when the content type looks textual (no type, `text/*`,
//! `application/json...`, compared case-sensitively) and answers a bare 500 itself. Writing the
//! media type with a capital first letter (media types are case-insensitive, RFC 9110 §8.3.1)
//! makes watch base64-encode the body, as API Gateway would, and the function sees the same
//! media type. A missing type becomes `application/octet-stream`, which the functions answer
//! with the 415 they give any body without `Content-Type: application/json`.
//!
//! The same holds for a header value that is not valid UTF-8 (bytes above 0x7F that are not
//! UTF-8, which HTTP allows as obs-text): watch cannot put it in the event's JSON and answers a
//! bare 500. API Gateway's events carry every header as text; here such a value is read as
//! ISO-8859-1, HTTP's historical reading of those bytes, and passed on as that text, which the
//! functions then judge as they judge any header (a malformed one is 400).
//!
//! Given a third argument, the API reference `make docs` renders from openapi.yaml, it also
//! serves that page at `/docs`: read anew on every request, so `make docs` while `make dev` runs
//! shows at the next reload. `/docs` is not an API path; deployed, the reference is a file.
//!
//! With `AWS_ENDPOINT_URL_S3` and `MEDIA_BUCKET` set, it also stands in for the CDN in front of
//! the media bucket: `GET /media/<key>` serves the served image `<key>` (under `images/` only,
//! as the deployed bucket policy lets the CDN read nothing else) from the S3 emulator, with its
//! own Content-Type and Cache-Control and the CDN's `X-Content-Type-Options: nosniff`.
//! `IMAGES_BASE_URL` points there locally.
//!
//! Usage: `local-gateway LISTEN_ADDR UPSTREAM_ADDR [DOCS_FILE]`, e.g.
//! `127.0.0.1:9000 127.0.0.1:9001 target/docs/index.html`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// API Gateway's own payload limit; larger requests never reach a function.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

type Upstream = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// Whether `cargo lambda watch` would insist on reading the body as UTF-8 text.
fn watch_reads_as_text(content_type: Option<&HeaderValue>) -> bool {
    match content_type {
        None => true,
        Some(value) => {
            let value = value.to_str().unwrap_or_default();
            value.starts_with("text/") || value.starts_with("application/json")
        }
    }
}

fn binary_safe_content_type(content_type: Option<&HeaderValue>) -> HeaderValue {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return HeaderValue::from_static("application/octet-stream");
    };
    let mut chars = value.chars();
    let capitalised: String = chars
        .next()
        .map(|first| first.to_ascii_uppercase())
        .into_iter()
        .chain(chars)
        .collect();
    HeaderValue::from_str(&capitalised)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

/// Where the API reference is served.
fn is_docs_path(path: &str) -> bool {
    matches!(path, "/docs" | "/docs/")
}

/// 405 for anything but a read (the page and the images are only read).
fn refused_unless_read(method: &Method) -> Option<Response<Full<Bytes>>> {
    if method == Method::GET || method == Method::HEAD {
        return None;
    }
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed");
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(response)
}

/// The API reference page, or why there is none.
async fn docs(method: &Method, file: &Path) -> Response<Full<Bytes>> {
    if let Some(refused) = refused_unless_read(method) {
        return refused;
    }
    let Ok(page) = tokio::fs::read(file).await else {
        return plain(
            StatusCode::NOT_FOUND,
            "The API reference is not built: run make docs.",
        );
    };
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(page)
    };
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Where the CDN's paths start, locally.
const MEDIA_PATH: &str = "/media/";

/// The media bucket, read as the CDN reads it: with access of its own (the bucket is private).
struct MediaOrigin {
    client: aws_sdk_s3::Client,
    bucket: String,
}

/// A served image from the bucket, as the CDN answers.
async fn media_file(media: &MediaOrigin, method: &Method, key: &str) -> Response<Full<Bytes>> {
    if let Some(refused) = refused_unless_read(method) {
        return refused;
    }
    if !key.starts_with("images/") || key.contains("..") {
        return plain(StatusCode::FORBIDDEN, "Forbidden");
    }
    let object = media
        .client
        .get_object()
        .bucket(&media.bucket)
        .key(key)
        .send()
        .await;
    let object = match object {
        Ok(object) => object,
        Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
            return plain(StatusCode::NOT_FOUND, "Not Found")
        }
        Err(_) => return plain(StatusCode::BAD_GATEWAY, "Bad Gateway"),
    };
    let headers = [
        (CONTENT_TYPE, object.content_type.clone()),
        (CACHE_CONTROL, object.cache_control.clone()),
        (hyper::header::ETAG, object.e_tag.clone()),
    ];
    let Ok(body) = object.body.collect().await else {
        return plain(StatusCode::BAD_GATEWAY, "Bad Gateway");
    };
    let body = if method == Method::HEAD {
        Bytes::new()
    } else {
        body.into_bytes()
    };
    let mut served = Response::new(Full::new(body));
    for (name, value) in headers {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            served.headers_mut().insert(name, value);
        }
    }
    served.headers_mut().insert(
        hyper::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    served
}

async fn forward(
    upstream: Upstream,
    upstream_addr: SocketAddr,
    docs_file: Arc<Option<PathBuf>>,
    media: Arc<Option<MediaOrigin>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if let Some(file) = docs_file.as_ref() {
        if is_docs_path(request.uri().path()) {
            return Ok(docs(request.method(), file).await);
        }
    }
    if let (Some(media), Some(key)) = (
        media.as_ref(),
        request.uri().path().strip_prefix(MEDIA_PATH),
    ) {
        return Ok(media_file(media, request.method(), key).await);
    }
    let (mut parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_PAYLOAD).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request Entity Too Large",
            ))
        }
    };
    if !body.is_empty()
        && std::str::from_utf8(&body).is_err()
        && watch_reads_as_text(parts.headers.get(CONTENT_TYPE))
    {
        let content_type = binary_safe_content_type(parts.headers.get(CONTENT_TYPE));
        parts.headers.insert(CONTENT_TYPE, content_type);
    }
    for value in parts.headers.values_mut() {
        if std::str::from_utf8(value.as_bytes()).is_err() {
            let text: String = value.as_bytes().iter().map(|&b| char::from(b)).collect();
            if let Ok(utf8) = HeaderValue::from_str(&text) {
                *value = utf8;
            }
        }
    }
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    parts.uri = match Uri::try_from(format!("http://{upstream_addr}{path}")) {
        Ok(uri) => uri,
        Err(_) => return Ok(plain(StatusCode::BAD_REQUEST, "Bad Request")),
    };
    // The body is forwarded whole, with its length: no chunking, no interim 100 Continue.
    parts.headers.remove(hyper::header::TRANSFER_ENCODING);
    parts.headers.remove(hyper::header::EXPECT);
    let request = Request::from_parts(parts, Full::new(body));
    match upstream.request(request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            match body.collect().await {
                Ok(collected) => Ok(Response::from_parts(parts, Full::new(collected.to_bytes()))),
                Err(_) => Ok(plain(StatusCode::BAD_GATEWAY, "Bad Gateway")),
            }
        }
        Err(_) => Ok(plain(StatusCode::BAD_GATEWAY, "Bad Gateway")),
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(upstream_addr)) = (args.next(), args.next()) else {
        eprintln!("usage: local-gateway LISTEN_ADDR UPSTREAM_ADDR [DOCS_FILE]");
        std::process::exit(2);
    };
    let docs_file = Arc::new(args.next().map(PathBuf::from));
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let media = Arc::new(
        var("AWS_ENDPOINT_URL_S3")
            .and(var("MEDIA_BUCKET"))
            .map(|bucket| MediaOrigin {
                client: api_tests::media::client(),
                bucket,
            }),
    );
    let (listen, upstream_addr): (SocketAddr, SocketAddr) =
        match (listen.parse(), upstream_addr.parse()) {
            (Ok(listen), Ok(upstream)) => (listen, upstream),
            _ => {
                eprintln!("local-gateway: addresses must look like 127.0.0.1:9000");
                std::process::exit(2);
            }
        };
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("local-gateway: cannot listen on {listen}: {error}");
            std::process::exit(1);
        }
    };
    let upstream: Upstream = Client::builder(TokioExecutor::new()).build_http();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let upstream = upstream.clone();
        let docs_file = Arc::clone(&docs_file);
        let media = Arc::clone(&media);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                forward(
                    upstream.clone(),
                    upstream_addr,
                    Arc::clone(&docs_file),
                    Arc::clone(&media),
                    request,
                )
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_binary_safe_with_the_same_media_type() {
        let json = HeaderValue::from_static("application/json; charset=utf-8");
        assert!(watch_reads_as_text(Some(&json)));
        let rewritten = binary_safe_content_type(Some(&json));
        assert_eq!(rewritten, "Application/json; charset=utf-8");
        assert!(!watch_reads_as_text(Some(&rewritten)));
    }

    #[test]
    fn a_missing_type_becomes_octet_stream() {
        assert!(watch_reads_as_text(None));
        assert_eq!(binary_safe_content_type(None), "application/octet-stream");
    }
}
