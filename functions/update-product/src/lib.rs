//! `PUT /api/products/{id}`: replaces a product's name, price, description and category.
//!
//! The write is conditional on the caller owning the product and, with `If-Match`, on its
//! version: of concurrent updates against one version exactly one succeeds, and without
//! `If-Match` each update gets its own version, so none is silently lost. A change of category
//! moves the product between the category totals in the same transaction.

use shared::domain::{ProductInput, ProductRequest};
use shared::http::body::ReadBody;
use shared::http::caller;
use shared::http::path::product_id;
use shared::http::preconditions::if_match;
use shared::http::response::product_response;
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::products;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = caller(&req)?;
    let id = product_id(&req)?;
    let input = ProductInput::try_from(ProductRequest::read(&req)?)?;

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
