//! Building success responses: `{"data": ...}` bodies and the headers handlers add to them.

use lambda_http::http::header::{HeaderName, HeaderValue};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::domain::idempotency::StoredResponse;
use crate::domain::Product;
use crate::error::ApiError;

#[derive(Serialize)]
struct Data<'a, T> {
    data: &'a T,
}

/// A JSON response of any serialisable body.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Response<Body>, ApiError> {
    let text =
        serde_json::to_string(body).map_err(|e| ApiError::unexpected("serialise response", e))?;
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(text))
        .map_err(|e| ApiError::unexpected("build response", e))
}

/// A single resource: `{"data": {...}}`.
pub fn data<T: Serialize>(status: StatusCode, value: &T) -> Result<Response<Body>, ApiError> {
    json(status, &Data { data: value })
}

/// An empty response with the given status (204, 304).
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    response
}

/// 204 No Content.
pub fn no_content() -> Response<Body> {
    empty(StatusCode::NO_CONTENT)
}

/// Sets a header; a value that is not a valid header (it never comes from a client) is dropped.
pub fn with_header(
    mut response: Response<Body>,
    name: &'static str,
    value: &str,
) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(value) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
    response
}

/// Single products may be cached but must be revalidated (cheaply, by `ETag`) before reuse.
pub const PRODUCT_CACHE_CONTROL: &str = "no-cache";

/// `{"data": product}` with its `ETag` and `Cache-Control`.
pub fn product_response(status: StatusCode, product: &Product) -> Result<Response<Body>, ApiError> {
    Ok(with_product_validators(data(status, product)?, product))
}

/// The 201 a create answers, as it is kept for replays of its idempotency key: the body
/// `{"data": product}`, `Location` and `ETag`.
pub fn created_product(product: &Product) -> Result<StoredResponse, ApiError> {
    let body = serde_json::to_string(&Data { data: product })
        .map_err(|e| ApiError::unexpected("serialise response", e))?;
    Ok(StoredResponse {
        status: StatusCode::CREATED.as_u16(),
        body,
        location: Some(format!("/api/products/{}", product.id)),
        etag: Some(product.etag()),
    })
}

/// 304 Not Modified for a product the client holds: its `ETag` and `Cache-Control` again, no
/// body (RFC 9110 §15.4.5).
pub fn not_modified(product: &Product) -> Response<Body> {
    with_product_validators(empty(StatusCode::NOT_MODIFIED), product)
}

fn with_product_validators(response: Response<Body>, product: &Product) -> Response<Body> {
    let response = with_header(response, "etag", &product.etag());
    with_header(response, "cache-control", PRODUCT_CACHE_CONTROL)
}
