//! The purger: deletes what a deleted account owned, its products and its sessions, however
//! many (a page of the owner index at a time, 25 deletions to a batch). A purge that fails is
//! given again by the stream and finds what is left.

use shared::domain::outbox::{Job, OutboxEntry};
use shared::store::{products, sessions};
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, entry: OutboxEntry) -> Result<(), ApiError> {
    let Job::Purge { user_id } = entry.job else {
        return Ok(());
    };
    let products = products::purge_owner(state.products(), &user_id, state.shards()).await?;
    let sessions = sessions::purge_user(state.sessions(), &user_id).await?;
    tracing::info!(userId = %user_id, products, sessions, "account purged");
    Ok(())
}
