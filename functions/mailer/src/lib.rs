//! The mailer: sends the mail jobs of the outbox through SES. A verification or reset mail's
//! token is made here, as the mail goes out, and only its hash stored: no job, log line or other
//! item ever holds a token; and it is made only while its account is still there (a reset
//! token, while the account is still in the epoch the mail was owed in), so a mail owed before a
//! deletion or a password change carries no working link and is not sent.
//!
//! At most `MAILS_PER_ADDRESS` (5) mails an hour go to one address, whatever the kind or the
//! account: counted under an HMAC of the address (`mail::AddressKey`), which outlives a deleted
//! account without holding its address. Beyond it, a mail is silently not sent.
//!
//! A send that fails for a passing reason fails the job, which the stream gives again; a mail
//! SES refuses for good is final at once (the failure queue). No log line holds the address.

use shared::auth::limits::Limit;
use shared::domain::mail::{self, Letter, MailKind};
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::token::{OneTimeToken, TokenPurpose};
use shared::mail::{AddressKey, MailSender};
use shared::store::accounts;
use shared::store::tokens::NewToken;
use shared::worker::JobError;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    mail: &MailSender,
    address_key: &AddressKey,
    entry: OutboxEntry,
) -> Result<(), JobError> {
    let Job::Mail {
        kind,
        to,
        user_id,
        epoch,
    } = entry.job
    else {
        return Ok(());
    };
    let now = state.clock.now();
    let app = &state.config.mail.app_base_url;
    let with_token = |purpose: TokenPurpose| {
        let (to, user_id) = (&to, &user_id);
        async move {
            let token = OneTimeToken::generate()?;
            let hash = token.hash();
            let new = NewToken {
                hash: &hash,
                purpose,
                user_id,
                email: to,
                epoch,
                now,
            };
            let issued = accounts::issue_token(state.tokens(), state.users(), &new).await?;
            Ok::<_, ApiError>(issued.then_some(token))
        }
    };
    let letter: Option<Letter> = match kind {
        MailKind::VerifyEmail => with_token(TokenPurpose::VerifyEmail)
            .await?
            .map(|token| mail::verification(app, &token)),
        MailKind::ResetPassword => with_token(TokenPurpose::ResetPassword)
            .await?
            .map(|token| mail::password_reset(app, &token)),
        MailKind::PasswordChanged => Some(mail::password_changed()),
        MailKind::AccountDeleted => Some(mail::account_deleted()),
    };
    let Some(letter) = letter else {
        tracing::info!(
            kind = kind.as_str(),
            "mail not sent: its account is gone or moved on"
        );
        return Ok(());
    };
    // Counted as it goes out: a mail not sent for its account counts for nothing.
    let cap = Limit::mails_to_address(&state.config.limits, &address_key.tag(&to));
    match cap.consume(state.limits(), now).await {
        Ok(()) => {}
        Err(ApiError::TooManyRequests { .. }) => {
            tracing::info!(
                kind = kind.as_str(),
                "mail not sent: its address had its mails this hour"
            );
            return Ok(());
        }
        Err(error) => return Err(JobError::Retry(error)),
    }
    let message_id = match mail.send(&to, &letter).await {
        Ok(message_id) => message_id,
        Err(error) => {
            return Err(match error.refusal() {
                Some(code) => {
                    JobError::Final(format!("SES refused the {} mail: {code}", kind.as_str()))
                }
                None => JobError::Retry(ApiError::Unavailable {
                    context: "send mail",
                    retry_after: 1,
                    source: Box::new(error),
                }),
            });
        }
    };
    tracing::info!(kind = kind.as_str(), messageId = %message_id, "mail sent");
    Ok(())
}
