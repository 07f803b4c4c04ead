//! The one authenticator every protected route uses: a token whose session must still be
//! live, checked against the account and the session read in one round trip.
//!
//! Where the token comes from, and turning a refusal into a response, is the HTTP layer's.

use crate::clock::Timestamp;
use crate::domain::{Id, Session};
use crate::error::ApiError;
use crate::store::accounts;
use crate::store::sessions::Sessions;
use crate::store::users::{StoredUser, Users};

use super::jwt::TokenVerifier;

/// Who is making a request, and in which session: both read in the same round trip.
#[derive(Debug)]
pub struct Authenticated {
    pub user: StoredUser,
    pub session: Session,
}

impl Authenticated {
    pub fn user_id(&self) -> &Id {
        &self.user.user.id
    }
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("The access token is invalid or has expired.".to_owned())
}

/// The user `token` was issued to, at `now`: 401 unless the token is valid and its session is
/// live for the account it names.
pub async fn authenticate(
    tokens: &TokenVerifier,
    users: Users<'_>,
    sessions: Sessions<'_>,
    token: &str,
    now: Timestamp,
) -> Result<Authenticated, ApiError> {
    let subject = tokens.verify(token, now).map_err(|reason| {
        tracing::debug!(reason = %reason, "token refused");
        unauthorized()
    })?;
    let found = accounts::read_with_user(
        users,
        sessions,
        &subject.email,
        &subject.user_id,
        &subject.session_id,
    )
    .await?;
    // The account must still be the one the token names, and the session one of its live ones.
    let user = found
        .user
        .filter(|stored| stored.user.id == subject.user_id)
        .ok_or_else(|| {
            tracing::debug!("token refused: account gone");
            unauthorized()
        })?;
    let session = found
        .session
        .filter(|session| session.is_live(user.session_epoch, now))
        .ok_or_else(|| {
            tracing::debug!("token refused: session ended");
            unauthorized()
        })?;
    Ok(Authenticated { user, session })
}
