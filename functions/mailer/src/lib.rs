//! The mailer: sends the mail jobs of the outbox through SES. A verification or reset mail's
//! token is made here, as the mail goes out, and only its hash stored: no job, log line or other
//! item ever holds a token. A send that fails for a passing reason fails the job, which the
//! stream gives again; a mail SES refuses for good is final at once (the failure queue).

use shared::domain::mail::{self, MailKind};
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::token::{OneTimeToken, TokenPurpose};
use shared::mail::MailSender;
use shared::store::tokens;
use shared::worker::JobError;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    mail: &MailSender,
    entry: OutboxEntry,
) -> Result<(), JobError> {
    let Job::Mail { kind, to, user_id } = entry.job else {
        return Ok(());
    };
    let app = &state.config.mail.app_base_url;
    let (to, user_id) = (&to, &user_id);
    let with_token = |purpose: TokenPurpose| async move {
        let token = OneTimeToken::generate()?;
        let now = state.clock.now();
        tokens::insert(state.tokens(), &token.hash(), purpose, user_id, to, now).await?;
        Ok::<_, ApiError>(token)
    };
    let letter = match kind {
        MailKind::VerifyEmail => {
            mail::verification(app, &with_token(TokenPurpose::VerifyEmail).await?)
        }
        MailKind::ResetPassword => {
            mail::password_reset(app, &with_token(TokenPurpose::ResetPassword).await?)
        }
        MailKind::PasswordChanged => mail::password_changed(),
    };
    let message_id = match mail.send(to, &letter).await {
        Ok(message_id) => message_id,
        Err(error) => {
            return Err(match error.refusal() {
                // SES's code alone: its message may hold the address.
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
