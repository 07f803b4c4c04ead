//! Stands between the functions and one local AWS endpoint (DynamoDB Local, the SES emulator,
//! Secrets Manager in moto), passes every request on unchanged, and writes one JSON line per
//! call: which function made it, the operation and the request body — what IAM evaluates a call
//! on. `make test` puts one in front of each endpoint, and the role check
//! (`scripts/check-roles.mjs`) holds every recorded call to its function's role in template.yaml.
//!
//! A function names itself in the SDK's user agent (`app/<function>`, see `shared::aws`); the
//! test apps, which run every handler in one process, name the handler they are running the same
//! way (`api_tests::calls`). A call without a name (table setup, the tests' own reads) is
//! recorded with `"function": null`: the check counts it, and holds no role to it.
//!
//! Usage: `aws-recorder LISTEN_PORT UPSTREAM_URL SERVICE LOG_FILE` (`SERVICE`: `dynamodb`,
//! `ses`, `secretsmanager`, `sqs`, `s3`).

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use api_tests::forward::{bad_gateway, forward, read_body, upstream_client, Upstream};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;

struct Recorder {
    upstream: String,
    service: String,
    client: Upstream,
    log: Mutex<std::io::BufWriter<std::fs::File>>,
}

/// The function a request names in its user agent: the last `app/<name>` token.
fn function_of(headers: &hyper::HeaderMap) -> Option<String> {
    ["x-amz-user-agent", "user-agent"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .flat_map(|agent| {
            agent
                .split(' ')
                .filter_map(|token| token.strip_prefix("app/"))
        })
        .last()
        .map(str::to_owned)
}

impl Recorder {
    fn record(&self, parts: &hyper::http::request::Parts, body: &[u8], status: u16) {
        let line = json!({
            "service": self.service,
            "function": function_of(&parts.headers),
            "target": parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()),
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "query": parts.uri.query(),
            "status": status,
            "body": String::from_utf8_lossy(self.what_iam_reads(&parts.method, parts.uri.query(), body)),
        });
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        // A line a reader can trust whole: written and flushed under the lock.
        let written = writeln!(log, "{line}").and_then(|()| log.flush());
        if let Err(error) = written {
            eprintln!("aws-recorder: cannot write the call log: {error}");
        }
    }

    /// The part of a request's body IAM's decision rests on. S3 authorises an object's reads and
    /// writes on its key, in the path, whatever the body: of an S3 call, only a DeleteObjects
    /// (its keys) and a form upload (its fields, before the file) are kept.
    fn what_iam_reads<'b>(
        &self,
        method: &hyper::Method,
        query: Option<&str>,
        body: &'b [u8],
    ) -> &'b [u8] {
        const FORM_FIELDS: usize = 16 * 1024;
        if self.service != "s3" || query == Some("delete") {
            body
        } else if method == hyper::Method::POST {
            &body[..body.len().min(FORM_FIELDS)]
        } else {
            &[]
        }
    }

    async fn forward(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = read_body(body).await;
        match forward(&self.client, &self.upstream, &parts, body.clone()).await {
            Some(answer) => {
                self.record(&parts, &body, answer.status().as_u16());
                answer
            }
            None => {
                self.record(&parts, &body, 502);
                bad_gateway()
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [port, upstream, service, log] = args.as_slice() else {
        eprintln!("usage: aws-recorder LISTEN_PORT UPSTREAM_URL SERVICE LOG_FILE");
        std::process::exit(2);
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|error| panic!("cannot open {log}: {error}"));
    let recorder = Arc::new(Recorder {
        upstream: upstream.trim_end_matches('/').to_owned(),
        service: service.clone(),
        client: upstream_client(),
        log: Mutex::new(std::io::BufWriter::new(file)),
    });
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .unwrap_or_else(|error| panic!("cannot listen on port {port}: {error}"));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let recorder = recorder.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let recorder = recorder.clone();
                async move { Ok::<_, Infallible>(recorder.forward(req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
