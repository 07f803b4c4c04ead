//! `GET /api/products/{id}`: one product, with an `ETag` for revalidation (304).

use shared::domain::product_not_found;
use shared::domain::Id;
use shared::http::path::InPath;
use shared::http::preconditions::if_none_match;
use shared::http::response::{not_modified, product_response};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::products;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    InPath(id): InPath<Id>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let product = products::find(state.products(), &id)
        .await?
        .ok_or_else(product_not_found)?;
    if if_none_match(&req, &product.etag())? {
        return Ok(not_modified(&product));
    }
    product_response(StatusCode::OK, &product)
}
