//! `DELETE /api/auth/sessions/{id}`: ends one of the user's live sessions (the current one
//! included). Any other id, another user's session among them, is not found.

use shared::domain::SessionId;
use shared::http::path::{session_not_found, InPath};
use shared::http::Caller;
use shared::http::{no_content, with_header};
use shared::lambda_http::{Body, Response};
use shared::store::sessions;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    InPath(id): InPath<SessionId>,
) -> Result<Response<Body>, ApiError> {
    let epoch = caller.session_epoch();
    let now = state.clock.now();
    if !sessions::end_live(state.sessions(), caller.user_id(), &id, epoch, now).await? {
        return Err(session_not_found());
    }
    Ok(with_header(no_content(), "cache-control", "no-store"))
}
