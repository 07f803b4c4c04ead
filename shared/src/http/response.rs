//! Building success responses: `{"data": ...}` bodies and the headers handlers add to them.

use lambda_http::http::header::{HeaderName, HeaderValue};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::domain::Product;
use crate::error::ApiError;
use crate::store::products::WriteRefused;

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
    let response = data(status, product)?;
    let response = with_header(response, "etag", &product.etag());
    Ok(with_header(
        response,
        "cache-control",
        PRODUCT_CACHE_CONTROL,
    ))
}

/// The error for a conditional write on a product that did not happen.
pub fn write_refused(refused: &WriteRefused) -> ApiError {
    match refused {
        WriteRefused::NotFound => ApiError::NotFound("No product has this id.".to_owned()),
        WriteRefused::NotOwner => {
            ApiError::Forbidden("Only the product's owner may change it.".to_owned())
        }
        WriteRefused::VersionMismatch => ApiError::PreconditionFailed(
            "The product has changed since the given If-Match version.".to_owned(),
        ),
    }
}
