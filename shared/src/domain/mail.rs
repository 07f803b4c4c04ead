//! The mails the API sends, and what each says. Only the links carry a token; nothing here is
//! ever logged.

use super::token::OneTimeToken;

/// Which mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// After registering (and on request): the link that verifies the address.
    VerifyEmail,
    /// After `forgot`: the link that sets a new password.
    ResetPassword,
    /// After a reset or a change: the notice that the password changed.
    PasswordChanged,
    /// After the account's deletion: the notice that it is gone.
    AccountDeleted,
}

impl MailKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify-email",
            Self::ResetPassword => "reset-password",
            Self::PasswordChanged => "password-changed",
            Self::AccountDeleted => "account-deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::VerifyEmail,
            Self::ResetPassword,
            Self::PasswordChanged,
            Self::AccountDeleted,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// A mail, written out.
#[derive(Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Letter {
    /// Subject only: the body may hold a link with a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// The link a mail of `kind` carries: `<app>/<page>#token=...`, the token in the fragment, which
/// browsers never send to a server (nor to any proxy or analytics script on the way).
fn link(app_base_url: &str, page: &str, token: &OneTimeToken) -> String {
    format!("{app_base_url}/{page}#token={}", token.expose())
}

fn letter(subject: &str, lines: &[&str], link: Option<&str>) -> Letter {
    let mut text = lines.join("\n\n");
    let mut html: String = lines.iter().map(|line| format!("<p>{line}</p>")).collect();
    if let Some(link) = link {
        text = format!("{text}\n\n{link}\n");
        html = format!("{html}<p><a href=\"{link}\">{link}</a></p>");
    }
    Letter {
        subject: subject.to_owned(),
        text,
        html,
    }
}

/// The mail that verifies an address, with its link.
pub fn verification(app_base_url: &str, token: &OneTimeToken) -> Letter {
    letter(
        "Verify your email address",
        &[
            "Please confirm this email address for your Products account by opening the link below.",
            "The link works once, within 24 hours. If you did not register, ignore this mail.",
        ],
        Some(&link(app_base_url, "verify-email", token)),
    )
}

/// The mail that lets a user set a new password, with its link.
pub fn password_reset(app_base_url: &str, token: &OneTimeToken) -> Letter {
    letter(
        "Reset your password",
        &[
            "Someone asked to reset the password of your Products account. Open the link below to choose a new one.",
            "The link works once, within 30 minutes. If it was not you, ignore this mail: your password stays as it is.",
        ],
        Some(&link(app_base_url, "reset-password", token)),
    )
}

/// The notice that a password was reset or changed.
pub fn password_changed() -> Letter {
    letter(
        "Your password was changed",
        &[
            "The password of your Products account was just changed, and the sessions signed in with the old one ended.",
            "If this was not you, reset it at once from the login page.",
        ],
        None,
    )
}

/// The notice that an account was deleted.
pub fn account_deleted() -> Letter {
    letter(
        "Your account was deleted",
        &[
            "Your Products account was just deleted, with its sessions and its products.",
            "If this was not you, someone knew your password: use it nowhere else.",
        ],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_start_with_the_application_and_carry_the_token() {
        let token = OneTimeToken::generate().expect("random");
        let mail = password_reset("https://app.example.com", &token);
        let link = format!(
            "https://app.example.com/reset-password#token={}",
            token.expose()
        );
        assert!(mail.text.contains(&link));
        assert!(mail.html.contains(&link));
        assert!(!format!("{mail:?}").contains(token.expose()));
        let mail = verification("https://app.example.com", &token);
        assert!(mail
            .text
            .contains("https://app.example.com/verify-email#token="));
    }

    #[test]
    fn the_notice_carries_no_link() {
        assert!(!password_changed().text.contains("token="));
    }

    #[test]
    fn kinds_read_back() {
        for kind in [
            MailKind::VerifyEmail,
            MailKind::ResetPassword,
            MailKind::PasswordChanged,
        ] {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
    }
}
