//! `DELETE /api/auth/sessions/{id}`: ends one of the user's live sessions (the current one
//! included). Any other id, another user's session among them, is not found.

use shared::http::caller;
use shared::http::path::{session_id, session_not_found};
use shared::http::{no_content, with_header};
use shared::lambda_http::{Body, Request, Response};
use shared::store::sessions;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = caller(&req)?;
    let id = session_id(&req)?;
    let epoch = caller.user.session_epoch;
    let now = state.clock.now();
    if !sessions::end_live(state.sessions(), caller.user_id(), &id, epoch, now).await? {
        return Err(session_not_found());
    }
    Ok(with_header(no_content(), "cache-control", "no-store"))
}
