//! The one place an [`ApiError`] becomes a response: RFC 9457 problem details.

use lambda_http::http::header::HeaderValue;
use lambda_http::{Body, Response};
use serde::Serialize;

use super::body::MERGE_PATCH;
use crate::error::{ApiError, FieldError};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

/// The longest `detail` a problem carries (openapi.yaml, `Problem.detail`).
pub const MAX_DETAIL_CHARS: usize = 1000;

/// `text`, cut to at most `max` characters.
fn at_most(mut text: String, max: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(max) {
        text.truncate(cut);
    }
    text
}

/// The cause chain of the server error a problem response stands for, carried in the response's
/// extensions to the request line, the one place it is logged (never to the client).
#[derive(Debug, Clone)]
pub struct Cause(String);

impl Cause {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The problem response of `error` (see [`render`]), with its [`Cause`] if it is a server error.
pub fn respond(error: &ApiError, request_id: &str) -> Response<Body> {
    let mut response = render(error, request_id);
    if response.status().is_server_error() {
        response.extensions_mut().insert(Cause(error.cause_chain()));
    }
    response
}

/// Renders `error` as `application/problem+json`, with the headers its status calls for.
pub fn render(error: &ApiError, request_id: &str) -> Response<Body> {
    let status = error.status();
    let errors = match error {
        ApiError::Validation { errors, .. } if !errors.is_empty() => Some(errors.as_slice()),
        _ => None,
    };
    let problem = Problem {
        kind: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: at_most(error.detail(), MAX_DETAIL_CHARS),
        request_id,
        errors,
    };
    // Serialising this struct cannot fail; the fallback keeps the promise of a problem body anyway.
    let body = serde_json::to_string(&problem).unwrap_or_else(|_| {
        format!(
            r#"{{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"Internal Server Error","requestId":"{request_id}"}}"#
        )
    });

    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    match error {
        ApiError::Unauthorized(_) => {
            headers.insert("www-authenticate", HeaderValue::from_static("Bearer"));
        }
        ApiError::UnsupportedPatch(_) => {
            headers.insert("accept-patch", HeaderValue::from_static(MERGE_PATCH));
        }
        ApiError::MethodNotAllowed { allow, .. } => {
            if let Ok(allow) = HeaderValue::from_str(allow) {
                headers.insert("allow", allow);
            }
        }
        ApiError::TooManyRequests { retry_after, .. }
        | ApiError::InProgress { retry_after, .. }
        | ApiError::Unavailable { retry_after, .. } => {
            headers.insert("retry-after", HeaderValue::from(*retry_after));
        }
        _ => {}
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).expect("json body")
    }

    #[test]
    fn validation_problem_lists_field_errors() {
        let error = ApiError::invalid_fields(vec![FieldError::new("price", "must be a number")]);
        let response = render(&error, "req-1");
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(
            body_json(&response),
            serde_json::json!({
                "type": "about:blank",
                "title": "Bad Request",
                "status": 400,
                "detail": "The request has invalid fields.",
                "requestId": "req-1",
                "errors": [{"field": "price", "message": "must be a number"}]
            })
        );
    }

    #[test]
    fn problem_without_field_errors_has_no_errors_member() {
        let response = render(&ApiError::NotFound("No such product.".into()), "req-2");
        assert!(body_json(&response).get("errors").is_none());
    }

    #[test]
    fn unauthorized_problem_asks_for_a_bearer_token() {
        let response = render(&ApiError::Unauthorized("no token".into()), "req-3");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }

    #[test]
    fn rate_limited_problem_says_when_to_retry() {
        let error = ApiError::TooManyRequests {
            detail: "slow down".into(),
            retry_after: 42,
        };
        assert_eq!(render(&error, "r").headers()["retry-after"], "42");
    }

    #[test]
    fn internal_error_says_nothing_more() {
        let error = ApiError::unexpected("query products", "ResourceNotFound: table prod-products");
        let body = body_json(&render(&error, "r"));
        assert_eq!(body["detail"], "Internal Server Error");
        assert!(!body.to_string().contains("prod-products"));
    }
}
