//! API Gateway's `$default` route: every request no other route takes. A known path with another
//! method is a 405 with `Allow`; anything else is a 404. Preflights (`OPTIONS`) are answered by
//! the shared pipeline before this handler runs.

use shared::http::routes::{allowed_methods, not_found};
use shared::lambda_http::{Body, Request, Response};
use shared::ApiError;

pub async fn handle(req: Request) -> Result<Response<Body>, ApiError> {
    match allowed_methods(req.uri().path()) {
        Some(allow) => Err(ApiError::MethodNotAllowed {
            detail: format!("{} is not allowed on this path.", req.method()),
            allow,
        }),
        None => Err(not_found()),
    }
}
