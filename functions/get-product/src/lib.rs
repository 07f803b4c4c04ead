//! `GET /api/products/{id}`: one product, with an `ETag` for revalidation (304).

use shared::http::path::product_id;
use shared::http::preconditions::if_none_match;
use shared::http::response::{empty, product_response, PRODUCT_CACHE_CONTROL};
use shared::http::with_header;
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::products;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let id = product_id(&req)?;
    let product = products::find(state, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No product has this id.".to_owned()))?;
    let etag = product.etag();
    if if_none_match(&req, &etag) {
        let response = with_header(empty(StatusCode::NOT_MODIFIED), "etag", &etag);
        return Ok(with_header(
            response,
            "cache-control",
            PRODUCT_CACHE_CONTROL,
        ));
    }
    product_response(StatusCode::OK, &product)
}
