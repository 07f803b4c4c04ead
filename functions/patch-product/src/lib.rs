//! `PATCH /api/products/{id}`: changes only the members a JSON Merge Patch (RFC 7396,
//! `application/merge-patch+json`) gives — `name`, `price`, `description`, `category`; `null`
//! removes `description` or `category`.
//!
//! The patch is checked member by member before anything is read (400 with field errors, 415
//! with `Accept-Patch` for another media type); then it is merged into the product as stored
//! and the result checked as a whole, and written as a `PUT` is: on the condition that the
//! caller owns the product and, with `If-Match`, that its version is the one expected, bumping
//! the version. A patch applies to the version it was merged into, never to another.

use shared::domain::{Id, ProductPatch, ProductRequest};
use shared::http::path::InPath;
use shared::http::preconditions::if_match;
use shared::http::response::product_response;
use shared::http::{Caller, MergePatch};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::products;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    InPath(id): InPath<Id>,
    MergePatch(body): MergePatch<ProductRequest>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let patch = ProductPatch::try_from(body)?;

    let expected = if_match(&req, &id)?;
    let now = state.clock.now();
    let product = products::change(
        state.products(),
        &id,
        caller.user_id(),
        &expected,
        state.shards(),
        now,
        |stored| patch.apply(stored),
    )
    .await?;
    product_response(StatusCode::OK, &product)
}
