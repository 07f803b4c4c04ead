//! What the pipeline learns about a request before the handler runs, and what the handler tells
//! it back (the authenticated user, for the log line).

use std::sync::{Arc, OnceLock};

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The id API Gateway gave the request, or failing that the Lambda invocation id.
pub fn request_id(req: &Request) -> String {
    let gateway_id = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    gateway_id
        .filter(|id| !id.is_empty())
        .or_else(|| {
            req.lambda_context_ref()
                .map(|context| context.request_id.clone())
                .filter(|id| !id.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The viewer's address the front door passed on with a request that came through it
/// (`front_door`), which stands for the client in place of the CDN's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerAddress(pub String);

/// The client's address: behind the front door, the viewer's as the CDN saw it; otherwise as
/// API Gateway saw it. Never a header a client can set.
pub fn source_ip(req: &Request) -> Option<String> {
    if let Some(ViewerAddress(ip)) = req.extensions().get::<ViewerAddress>() {
        return Some(ip.clone());
    }
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    }
    .filter(|ip| !ip.is_empty())
}

/// A slot the authenticator fills with the user id, read back by the pipeline's log line.
#[derive(Debug, Clone, Default)]
pub struct UserSlot(Arc<OnceLock<String>>);

impl UserSlot {
    pub fn set(&self, user_id: &str) {
        let _ = self.0.set(user_id.to_owned());
    }

    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// Reads request metadata that the pipeline and handlers share.
pub trait RequestContextExt {
    /// Records who made the request, for the request's log line.
    fn record_user(&self, user_id: &str);
    /// A header as text, if present and valid UTF-8.
    fn header_str(&self, name: &str) -> Option<&str>;
}

impl RequestContextExt for Request {
    fn record_user(&self, user_id: &str) {
        if let Some(slot) = self.extensions().get::<UserSlot>() {
            slot.set(user_id);
        }
    }

    fn header_str(&self, name: &str) -> Option<&str> {
        self.headers().get(name).and_then(|v| v.to_str().ok())
    }
}
