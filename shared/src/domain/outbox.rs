//! The outbox: work the API owes once a request is done, written in the request's own
//! transaction (so it exists exactly when the request's change does) and done by the workers
//! that read the outbox table's stream: the mailer sends mails, the purger removes what a
//! deleted account leaves.

use super::id::Id;
use super::mail::MailKind;
use super::session::random_128_bits;
use super::Email;
use crate::clock::Timestamp;
use crate::error::ApiError;

/// One piece of work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// A mail of `kind` to `to`, the address of the account `user_id`, owed while the account
    /// was in session epoch `epoch`: a reset link is made only while it still is, so a reset or
    /// a password change since voids it.
    Mail {
        kind: MailKind,
        to: Email,
        user_id: Id,
        epoch: u64,
    },
    /// Everything the deleted account `user_id`, registered under `email`, owned: its products
    /// and sessions. The purger first makes sure that account is gone: whoever wrote the job,
    /// it never purges an account that exists.
    Purge { user_id: Id, email: Email },
    /// What is served of image `image_id` of product `product_id`: made from its checked upload
    /// by the image worker, which then shows it in the product.
    Image { product_id: Id, image_id: Id },
}

impl Job {
    /// The worker a job is for, as the outbox stores it (`job`): the stream's filters choose by it.
    pub const fn worker(&self) -> &'static str {
        match self {
            Self::Mail { .. } => MAIL_JOB,
            Self::Purge { .. } => PURGE_JOB,
            Self::Image { .. } => IMAGE_JOB,
        }
    }
}

/// The `job` of a mail.
pub const MAIL_JOB: &str = "mail";
/// The `job` of a purge.
pub const PURGE_JOB: &str = "purge";
/// What the id of every mail job starts with (see [`OutboxEntry::new`]).
pub const MAIL_JOBS: &str = "mail#";
/// What the id of every purge job starts with.
pub const PURGE_JOBS: &str = "purge#";
/// The `job` of an image to make.
pub const IMAGE_JOB: &str = "image";
/// What the id of every image job starts with.
pub const IMAGE_JOBS: &str = "image#";

/// A job as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: String,
    pub job: Job,
    pub created_at: Timestamp,
}

impl OutboxEntry {
    /// A new job; its id starts with its worker's name (`mail#...`, `purge#...`), so a role
    /// can be granted the writing of one kind of job alone (`dynamodb:LeadingKeys`).
    pub fn new(job: Job, now: Timestamp) -> Result<Self, ApiError> {
        Ok(Self {
            id: format!("{}#{}", job.worker(), random_128_bits()?),
            job,
            created_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;

    #[test]
    fn a_jobs_id_starts_with_its_kinds_prefix() {
        let user_id = Id::generate(Timestamp::from_millis(1_700_000_000_000)).expect("id");
        let email = Email::parse("a@example.com").expect("email");
        let now = Timestamp::from_millis(1_700_000_000_000);
        let mail = Job::Mail {
            kind: MailKind::VerifyEmail,
            to: email.clone(),
            user_id: user_id.clone(),
            epoch: 0,
        };
        let purge = Job::Purge { user_id, email };
        assert!(OutboxEntry::new(mail, now)
            .expect("entry")
            .id
            .starts_with(MAIL_JOBS));
        assert!(OutboxEntry::new(purge, now)
            .expect("entry")
            .id
            .starts_with(PURGE_JOBS));
    }
}
