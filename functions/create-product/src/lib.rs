//! `POST /api/products`: creates a product owned by the caller, at version 1, and counts it in
//! the totals in the same transaction.

use shared::domain::{Id, Product, ProductInput, ProductRequest};
use shared::http::body::ReadBody;
use shared::http::caller;
use shared::http::response::product_response;
use shared::http::with_header;
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::accounts;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = caller(&req)?;
    let input = ProductInput::try_from(ProductRequest::read(&req)?)?;

    let now = state.clock.now();
    let product = Product {
        id: Id::generate(now)?,
        name: input.name,
        price: input.price,
        description: input.description,
        category: input.category,
        owner_id: caller.user_id().clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    // Only while the account is there: a product is never created for an account deleted
    // meanwhile, whose purge would miss it.
    let created = accounts::create_product(
        state.products(),
        state.users(),
        &caller.user.user,
        &product,
        state.shards(),
    )
    .await?;
    if !created {
        return Err(ApiError::Unauthorized("The account is gone.".to_owned()));
    }

    let response = product_response(StatusCode::CREATED, &product)?;
    let location = format!("/api/products/{}", product.id);
    Ok(with_header(response, "location", &location))
}
