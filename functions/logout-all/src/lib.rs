//! `POST /api/auth/logout-all`: ends every session of the user, this one included, with one
//! write (the user's session epoch moves on), and has the browser drop the token cookie.

use shared::http::credentials::logged_out;
use shared::http::Caller;
use shared::lambda_http::{Body, Response};
use shared::store::users;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, caller: Caller) -> Result<Response<Body>, ApiError> {
    users::end_all_sessions(state.users(), caller.user()).await?;
    Ok(logged_out())
}
