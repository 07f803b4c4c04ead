//! `DELETE /api/products/{id}`: removes a product; owner only, `If-Match` honoured. Then, if it
//! ever had an image, its images' objects go: every upload and every served file under the
//! product's prefixes (a product that never had one has none, and costs no S3 call).

use shared::domain::Id;
use shared::http::path::InPath;
use shared::http::preconditions::if_match;
use shared::http::{no_content, Caller};
use shared::lambda_http::{Body, Request, Response};
use shared::media::keys::product_prefixes;
use shared::media::Media;
use shared::store::products;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    media: &Media,
    InPath(id): InPath<Id>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let expected = if_match(&req, &id)?;
    let deleted = products::delete(state.products(), &id, caller.user_id(), &expected).await?;
    if deleted.had_images {
        for prefix in product_prefixes(&id) {
            media.delete_under(&prefix).await?;
        }
    }
    Ok(no_content())
}
