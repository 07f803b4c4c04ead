//! `PUT /api/products/{id}`: replaces a product's name, price, description and category.
//!
//! The write is conditional on the caller owning the product and, with `If-Match`, on its
//! version: of concurrent updates against one version exactly one succeeds, and without
//! `If-Match` each update gets its own version, so none is silently lost. A change of category
//! moves the product between the category totals in the same transaction.

use shared::domain::{Id, ProductInput, ProductRequest};
use shared::http::path::InPath;
use shared::http::preconditions::if_match;
use shared::http::response::product_response;
use shared::http::{Caller, Json};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::products;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    InPath(id): InPath<Id>,
    Json(body): Json<ProductRequest>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let input = ProductInput::try_from(body)?;

    let expected = if_match(&req, &id)?;
    let now = state.clock.now();
    let product = products::update(
        state.products(),
        &id,
        caller.user_id(),
        &expected,
        state.shards(),
        &input,
        now,
    )
    .await?;
    product_response(StatusCode::OK, &product)
}
