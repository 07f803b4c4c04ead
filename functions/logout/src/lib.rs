//! `POST /api/auth/logout`: ends the session the request is made in, and has the browser drop
//! the token cookie. The same token, bearer or cookie, is refused from the next request on.

use shared::http::credentials::logged_out;
use shared::http::Caller;
use shared::lambda_http::{Body, Response};
use shared::store::sessions;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, caller: Caller) -> Result<Response<Body>, ApiError> {
    sessions::delete(state.sessions(), caller.user_id(), &caller.session.id).await?;
    Ok(logged_out())
}
