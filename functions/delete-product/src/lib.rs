//! `DELETE /api/products/{id}`: removes a product; owner only, `If-Match` honoured.

use shared::domain::Id;
use shared::http::path::InPath;
use shared::http::preconditions::if_match;
use shared::http::{no_content, Caller};
use shared::lambda_http::{Body, Request, Response};
use shared::store::products;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    InPath(id): InPath<Id>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let expected = if_match(&req, &id)?;
    products::delete(state.products(), &id, caller.user_id(), &expected).await?;
    Ok(no_content())
}
