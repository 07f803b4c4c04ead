//! The outbox table: jobs written in a request's own transaction (`domain::outbox`), one item
//! each, keyed by a random id. Its stream (new images) feeds the workers, each through a filter
//! on `job`; a worker deletes an item once its job is done (deletions pass no filter).

use aws_sdk_dynamodb::types::Put;

use super::values::{n, number_of, s, text_of};
use super::{corrupt_item, kind, storage_error, Item, Table};
use crate::clock::Timestamp;
use crate::domain::mail::MailKind;
use crate::domain::outbox::{Job, OutboxEntry, IMAGE_JOB, MAIL_JOB, PURGE_JOB};
use crate::domain::{Email, Id};
use crate::error::ApiError;

/// A handle on the outbox table.
pub type Outbox<'a> = Table<'a, kind::Outbox>;

/// The item of an entry.
pub fn item_of(entry: &OutboxEntry) -> Item {
    let mut item = Item::from([
        ("id".to_owned(), s(entry.id.as_str())),
        ("job".to_owned(), s(entry.job.worker())),
        ("createdAt".to_owned(), n(entry.created_at.millis())),
    ]);
    match &entry.job {
        Job::Mail {
            kind,
            to,
            user_id,
            epoch,
        } => {
            item.insert("kind".to_owned(), s(kind.as_str()));
            item.insert("to".to_owned(), s(to.to_string()));
            item.insert("userId".to_owned(), s(user_id.to_string()));
            item.insert("epoch".to_owned(), n(*epoch));
        }
        Job::Purge { user_id, email } => {
            item.insert("userId".to_owned(), s(user_id.to_string()));
            item.insert("email".to_owned(), s(email.to_string()));
        }
        Job::Image {
            product_id,
            image_id,
        } => {
            item.insert("productId".to_owned(), s(product_id.to_string()));
            item.insert("imageId".to_owned(), s(image_id.to_string()));
        }
    }
    item
}

/// An entry read back from its item (as the stream's new image carries it).
/// The id of an outbox item, even one that does not read as an entry.
pub fn id_of(item: &Item) -> Option<&str> {
    text_of(item, "id")
}

pub fn entry_of(item: &Item) -> Result<OutboxEntry, ApiError> {
    const CONTEXT: &str = "read outbox entry";
    let bad = |what: &str| corrupt_item(CONTEXT, what.to_owned());
    let user_id = || {
        text_of(item, "userId")
            .and_then(Id::parse)
            .ok_or_else(|| bad("userId"))
    };
    let job = match text_of(item, "job") {
        Some(MAIL_JOB) => Job::Mail {
            kind: text_of(item, "kind")
                .and_then(MailKind::parse)
                .ok_or_else(|| bad("kind"))?,
            to: text_of(item, "to")
                .and_then(|to| Email::parse(to).ok())
                .ok_or_else(|| bad("to"))?,
            user_id: user_id()?,
            // Jobs owed before mails carried it were owed in the account's first epoch.
            epoch: number_of(item, "epoch")
                .and_then(|epoch| u64::try_from(epoch).ok())
                .unwrap_or_default(),
        },
        Some(PURGE_JOB) => Job::Purge {
            user_id: user_id()?,
            email: text_of(item, "email")
                .and_then(|email| Email::parse(email).ok())
                .ok_or_else(|| bad("email"))?,
        },
        Some(IMAGE_JOB) => Job::Image {
            product_id: text_of(item, "productId")
                .and_then(Id::parse)
                .ok_or_else(|| bad("productId"))?,
            image_id: text_of(item, "imageId")
                .and_then(Id::parse)
                .ok_or_else(|| bad("imageId"))?,
        },
        _ => return Err(bad("job")),
    };
    Ok(OutboxEntry {
        id: text_of(item, "id").ok_or_else(|| bad("id"))?.to_owned(),
        job,
        created_at: Timestamp::from_millis(
            super::values::number_of(item, "createdAt").unwrap_or(0),
        ),
    })
}

/// The put of an entry, for the transaction of the request that owes it.
pub(crate) fn put(table: Outbox<'_>, entry: &OutboxEntry) -> Result<Put, ApiError> {
    Put::builder()
        .table_name(table.name)
        .set_item(Some(item_of(entry)))
        .condition_expression("attribute_not_exists(id)")
        .build()
        .map_err(|e| ApiError::unexpected("build outbox put", e))
}

/// Writes an entry on its own (work that belongs to no other write).
pub async fn insert(table: Outbox<'_>, entry: &OutboxEntry) -> Result<(), ApiError> {
    table
        .client
        .put_item()
        .table_name(table.name)
        .set_item(Some(item_of(entry)))
        .send()
        .await
        .map_err(|e| storage_error("put outbox entry", e))?;
    Ok(())
}

/// Removes an entry whose job is done.
pub async fn remove(table: Outbox<'_>, id: &str) -> Result<(), ApiError> {
    table
        .client
        .delete_item()
        .table_name(table.name)
        .key("id", s(id))
        .send()
        .await
        .map_err(|e| storage_error("delete outbox entry", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_from_their_items() {
        let now = Timestamp::from_millis(1_795_521_600_000);
        let user_id = Id::generate(now).expect("id");
        for job in [
            Job::Mail {
                kind: MailKind::ResetPassword,
                to: Email::parse("a@b.co").expect("email"),
                user_id: user_id.clone(),
                epoch: 3,
            },
            Job::Purge {
                user_id,
                email: Email::parse("a@b.co").expect("email"),
            },
        ] {
            let entry = OutboxEntry::new(job, now).expect("entry");
            assert!(entry.id.starts_with(&format!("{}#", entry.job.worker())));
            assert_eq!(entry_of(&item_of(&entry)).expect("entry"), entry);
        }
    }
}
