//! `DELETE /api/products/{id}`: removes a product; owner only, `If-Match` honoured.

use shared::http::caller;
use shared::http::no_content;
use shared::http::path::product_id;
use shared::http::preconditions::if_match;
use shared::lambda_http::{Body, Request, Response};
use shared::store::products;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = caller(&req)?;
    let id = product_id(&req)?;
    let expected = if_match(&req, &id)?;
    products::delete(state.products(), &id, caller.user_id(), &expected).await?;
    Ok(no_content())
}
