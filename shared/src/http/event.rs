//! The Lambda event of an HTTP API (payload format 2.0) turned into a [`Request`], and the
//! finished response turned back into the shape API Gateway reads.
//!
//! `lambda_http` does both, but its conversion panics on input it cannot parse before any code of
//! ours runs: `Url::parse(..).unwrap()` on the Host and `X-Forwarded-Proto` headers and the path,
//! `.expect` on a body flagged base64 that is not, and on a query string `http` will not take.
//! Built with `panic = "abort"`, each such event would kill the instance. Here the same
//! conversion is done step by step, and every step that can fail becomes a 400 problem instead.
//!
//! The request's URI is built from what API Gateway itself vouches for, the API's domain
//! (`requestContext.domainName`) and the raw path, never from the `Host` or `X-Forwarded-Proto`
//! headers a client can write: nothing a client sends in them can change the path the pipeline
//! sees (and, with it, what the rate limit counts).

use base64::Engine;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::header::{HeaderMap, HeaderName, HeaderValue, COOKIE, SET_COOKIE};
use lambda_http::http::Uri;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Context, Request, RequestExt, Response};
use serde_json::Value;

use crate::error::ApiError;

/// An event that could not become a request, with what the problem response needs to say.
#[derive(Debug)]
pub struct RejectedEvent {
    pub request_id: String,
    pub method: String,
    pub error: ApiError,
}

/// Converts an HTTP API event into a request, as `lambda_http` would, without panicking.
pub fn into_request(payload: Value, context: Context) -> Result<Request, RejectedEvent> {
    let request_id = gateway_request_id(&payload)
        .or_else(|| Some(context.request_id.clone()).filter(|id| !id.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned());
    let method = payload["requestContext"]["http"]["method"]
        .as_str()
        .unwrap_or("-")
        .to_owned();
    let reject = |error| RejectedEvent {
        request_id: request_id.clone(),
        method: method.clone(),
        error,
    };
    let event: ApiGatewayV2httpRequest = serde_json::from_value(payload).map_err(|_| {
        reject(ApiError::bad_request(
            "The request could not be read: its method, headers or shape are malformed.",
        ))
    })?;
    build_request(event, context).map_err(reject)
}

fn gateway_request_id(payload: &Value) -> Option<String> {
    payload["requestContext"]["requestId"]
        .as_str()
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

fn build_request(event: ApiGatewayV2httpRequest, context: Context) -> Result<Request, ApiError> {
    let raw_path = event.raw_path.clone().unwrap_or_default();
    let path = path_with_stage(event.request_context.stage.as_deref(), &raw_path);
    let mut uri = request_uri(event.request_context.domain_name.as_deref(), &path)?;
    if let Some(query) = event.raw_query_string.as_deref().filter(|q| !q.is_empty()) {
        uri.push('?');
        uri.push_str(query);
    }
    let uri = Uri::try_from(uri)
        .map_err(|_| ApiError::bad_request("The request's path or query string is not valid."))?;

    // Like API Gateway's own `queryStringParameters`, but parsed the WHATWG way from the raw
    // query, as `lambda_http` does.
    let query: QueryMap = match event.raw_query_string.as_deref() {
        Some(raw) => raw.parse().unwrap_or_default(),
        None => event.query_string_parameters.clone(),
    };
    let body = match event.body.as_deref() {
        None => Body::Empty,
        Some(encoded) if event.is_base64_encoded => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map(Body::Binary)
            .map_err(|_| ApiError::bad_request("The request body is not valid base64."))?,
        Some(text) => Body::Text(text.to_owned()),
    };

    let mut headers = event.headers;
    if let Some(cookies) = event.cookies.as_ref() {
        if let Ok(value) = HeaderValue::from_str(&cookies.join("; ")) {
            headers.insert(COOKIE, value);
        }
    }
    // The X-Ray trace of this invocation, as `lambda_http` passes it on.
    if let Some(trace) = context.xray_trace_id.as_deref() {
        if let Ok(value) = HeaderValue::from_str(trace) {
            headers.insert(HeaderName::from_static("x-amzn-trace-id"), value);
        }
    }

    let mut req = Request::new(body);
    *req.method_mut() = event.request_context.http.method.clone();
    *req.uri_mut() = uri;
    *req.headers_mut() = headers;
    Ok(req
        .with_raw_http_path(raw_path)
        .with_query_string_parameters(query)
        .with_path_parameters(QueryMap::from(event.path_parameters))
        .with_stage_variables(QueryMap::from(event.stage_variables))
        .with_request_context(RequestContext::ApiGatewayV2(event.request_context))
        .with_lambda_context(context))
}

/// The path as the function sees it: API Gateway's named stages prefix it.
fn path_with_stage(stage: Option<&str>, path: &str) -> String {
    match stage {
        None | Some("$default") => path.to_owned(),
        Some(stage) if path.starts_with(&format!("/{stage}/")) => path.to_owned(),
        Some(stage) => format!("/{stage}{path}"),
    }
}

/// The absolute URI of the request on the API's domain (`localhost` when the event names none,
/// or none that is a host), parsed and normalised as `lambda_http` does; a 400 when the path
/// makes no URL.
fn request_uri(domain: Option<&str>, path: &str) -> Result<String, ApiError> {
    let domain = domain
        .filter(|domain| is_host(domain))
        .unwrap_or("localhost");
    url::Url::parse(&format!("https://{domain}{path}"))
        .ok()
        .filter(|url| url.host_str() == Some(domain))
        .map(|url| url.to_string())
        .ok_or_else(|| ApiError::bad_request("The request path is not valid."))
}

/// Whether `text` is a bare host name or address (with an optional port), as a domain name is.
fn is_host(text: &str) -> bool {
    !text.is_empty()
        && !text.contains(['/', '?', '#', '@', '\\'])
        && url::Url::parse(&format!("https://{text}/"))
            .is_ok_and(|url| url.path() == "/" && url.host_str().is_some())
}

/// The response as API Gateway's payload 2.0 wants it: cookies apart from the headers, binary
/// bodies flagged for base64.
pub fn into_gateway_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut headers: HeaderMap = parts.headers;
    let cookies = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    headers.remove(SET_COOKIE);
    let (is_base64_encoded, body) = match body {
        Body::Empty => (false, None),
        text @ Body::Text(_) => (false, Some(text)),
        binary @ Body::Binary(_) => (true, Some(binary)),
        _ => (false, None),
    };
    let mut gateway = ApiGatewayV2httpResponse::default();
    gateway.status_code = i64::from(parts.status.as_u16());
    gateway.headers = headers;
    gateway.cookies = cookies;
    gateway.body = body;
    gateway.is_base64_encoded = is_base64_encoded;
    gateway
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(changes: impl FnOnce(&mut Value)) -> Value {
        let mut event = json!({
            "version": "2.0",
            "routeKey": "GET /api/health",
            "rawPath": "/api/health",
            "rawQueryString": "",
            "headers": { "host": "api.example", "x-forwarded-proto": "https" },
            "requestContext": {
                "domainName": "api.example",
                "http": { "method": "GET", "path": "/api/health", "sourceIp": "203.0.113.10" },
                "requestId": "req-1",
                "stage": "$default"
            },
            "isBase64Encoded": false
        });
        changes(&mut event);
        event
    }

    fn rejection(payload: Value) -> String {
        match into_request(payload, Context::default()) {
            Ok(req) => panic!("accepted: {req:?}"),
            Err(rejected) => {
                assert_eq!(rejected.error.status(), 400);
                assert_eq!(rejected.request_id, "req-1");
                rejected.error.detail()
            }
        }
    }

    #[test]
    fn a_well_formed_event_becomes_the_request_lambda_http_would_build() {
        let req = into_request(
            event(|e| e["rawQueryString"] = json!("limit=5&category=books")),
            Context::default(),
        )
        .expect("request");
        assert_eq!(
            req.uri().to_string(),
            "https://api.example/api/health?limit=5&category=books"
        );
        assert_eq!(req.query_string_parameters().first("limit"), Some("5"));
        assert_eq!(req.raw_http_path(), "/api/health");
    }

    #[test]
    fn neither_host_nor_scheme_headers_change_the_uri() {
        for (host, proto) in [
            ("api.example/x", "https"),
            ("a b", "https"),
            ("api.example", "https:x"),
            ("api.example", "a b"),
            ("evil.example", "http"),
        ] {
            let req = into_request(
                event(|e| {
                    e["headers"]["host"] = json!(host);
                    e["headers"]["x-forwarded-proto"] = json!(proto);
                    e["requestContext"]["domainName"] = json!("api.example");
                }),
                Context::default(),
            )
            .expect("request");
            assert_eq!(
                req.uri().to_string(),
                "https://api.example/api/health",
                "{host} {proto}"
            );
            assert_eq!(req.uri().path(), "/api/health");
        }
    }

    #[test]
    fn without_a_domain_the_uri_is_on_localhost() {
        for domain in [json!(null), json!("a b"), json!("x.example/y"), json!("")] {
            let req = into_request(
                event(|e| e["requestContext"]["domainName"] = domain.clone()),
                Context::default(),
            )
            .expect("request");
            assert_eq!(
                req.uri().to_string(),
                "https://localhost/api/health",
                "{domain}"
            );
        }
    }

    #[test]
    fn a_path_that_makes_no_url_is_a_bad_request() {
        rejection(event(|e| e["rawPath"] = json!(":99999")));
        rejection(event(|e| e["rawPath"] = json!("@evil.example/api/health")));
    }

    #[test]
    fn a_query_string_http_cannot_carry_is_a_bad_request() {
        rejection(event(|e| e["rawQueryString"] = json!("q=a b\"")));
    }

    #[test]
    fn a_body_flagged_base64_that_is_not_is_a_bad_request() {
        let detail = rejection(event(|e| {
            e["body"] = json!("not base64!");
            e["isBase64Encoded"] = json!(true);
        }));
        assert!(detail.contains("base64"), "{detail}");
    }

    #[test]
    fn an_event_of_another_shape_is_a_bad_request() {
        rejection(event(|e| {
            e["requestContext"]["http"]["method"] = json!("GE T")
        }));
        rejection(event(|e| e["headers"] = json!({ "x-bad": "line\nbreak" })));
        rejection(event(|e| e["isBase64Encoded"] = json!("yes")));
    }

    #[test]
    fn set_cookie_headers_travel_as_cookies() {
        let response = Response::builder()
            .header("set-cookie", "a=1")
            .header("x-other", "2")
            .body(Body::Binary(vec![1, 2]))
            .expect("response");
        let gateway = into_gateway_response(response);
        assert_eq!(gateway.cookies, ["a=1"]);
        assert!(gateway.headers.get("set-cookie").is_none());
        assert!(gateway.is_base64_encoded);
    }
}
