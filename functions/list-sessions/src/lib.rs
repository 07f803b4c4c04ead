//! `GET /api/auth/sessions`: the user's live sessions, newest first, the current one marked.

use shared::domain::session::SessionView;
use shared::http::Caller;
use shared::http::{data, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Response};
use shared::store::sessions;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, caller: Caller) -> Result<Response<Body>, ApiError> {
    let now = state.clock.now();
    let mut live: Vec<_> = sessions::list_unexpired(state.sessions(), caller.user_id(), now)
        .await?
        .into_iter()
        .filter(|session| session.is_live(caller.session_epoch(), now))
        .collect();
    live.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    let views: Vec<SessionView<'_>> = live
        .iter()
        .map(|session| SessionView::of(session, &caller.session.id))
        .collect();
    let response = data(StatusCode::OK, &views)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
