//! What every response carries, whatever answered it: the standard headers (`X-Request-Id`,
//! security headers), CORS for an allowed origin, compression when the client takes it, and no
//! `public` caching of a response to a request with credentials.

use std::convert::Infallible;

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::tower::{Service, ServiceExt};
use lambda_http::{Body, Request, Response};

use super::{arrival, BoxFuture, Middleware};
use crate::http::compression;
use crate::http::context::RequestContextExt;
use crate::http::cors;
use crate::http::headers::{add_vary, apply_standard_headers, carries_credentials, keep_private};
use crate::state::AppState;

/// Finishes every response's headers and body encoding.
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    pub state: &'a AppState,
}

impl<'a> Middleware<'a> for Headers<'a> {
    type Inner = Infallible;
    type Error = Infallible;

    fn around<S>(self, req: Request, inner: S) -> BoxFuture<'a, Result<Response<Body>, Infallible>>
    where
        S: Service<Request, Response = Response<Body>, Error = Infallible> + 'a,
        S::Future: 'a,
    {
        let state = self.state;
        Box::pin(async move {
            let request_id = arrival(&req).request_id;
            let origin = req.header_str("origin").map(str::to_owned);
            let accept_encoding = req.header_str("accept-encoding").map(str::to_owned);
            let credentials = carries_credentials(req.headers());
            let mut response = inner.oneshot(req).await?;
            apply_standard_headers(response.headers_mut(), &request_id);
            if credentials {
                keep_private(response.headers_mut());
            }
            cors::apply_cors(response.headers_mut(), &state.config, origin.as_deref());
            compress(&mut response, accept_encoding.as_deref());
            Ok(response)
        })
    }
}

fn compress(response: &mut Response<Body>, accept_encoding: Option<&str>) {
    let status = response.status();
    if status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || response.headers().contains_key("content-encoding")
        || response.body().as_ref().len() < compression::MIN_SIZE
    {
        return;
    }
    add_vary(response.headers_mut(), "Accept-Encoding");
    let Some(encoding) = accept_encoding.and_then(compression::negotiate) else {
        return;
    };
    if let Some(compressed) = compression::compress(response.body().as_ref(), encoding) {
        *response.body_mut() = Body::Binary(compressed);
        response.headers_mut().insert(
            "content-encoding",
            HeaderValue::from_static(encoding.name()),
        );
    }
}
