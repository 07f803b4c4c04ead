//! Sessions: what a login starts and a logout, a password change or time ends.
//!
//! A session belongs to one user and lives until its token expires. Every user has a session
//! epoch; a session counts only while it carries its user's current epoch, so ending all of a
//! user's sessions (logout-all, a password change) is one write to the user, and a login that
//! raced a password change starts a session that is already over.

use std::fmt;

use serde::Serialize;

use super::id::Id;
use crate::clock::Timestamp;
use crate::error::ApiError;

/// Characters of a user agent kept with a session: enough to tell browsers and devices apart.
pub const USER_AGENT_CHARS: usize = 256;

/// How long a session lives: its token's lifetime.
pub const SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The most live sessions a user may have: a login beyond it ends the oldest, so listing a
/// user's sessions reads a bounded number of items.
pub const MAX_LIVE_SESSIONS: usize = 50;

/// 128 random bits as 32 lowercase hex digits.
pub fn random_128_bits() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| ApiError::unexpected("generate random id", e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A session id: 32 lowercase hex digits, the first 12 the session's start in milliseconds and
/// the other 20 random (80 bits, so one cannot be guessed). Ids sort by start time, so a user's
/// unexpired sessions are one key range, newest first ([`SessionId::first_started_at`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(String);

/// Hex digits of a session id that hold its start time.
const TIME_DIGITS: usize = 12;

impl SessionId {
    /// A fresh id for a session that starts at `now`.
    pub fn generate(now: Timestamp) -> Result<Self, ApiError> {
        let mut bytes = [0u8; 10];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| ApiError::unexpected("generate session id", e))?;
        let millis = now.millis().clamp(0, (1 << (4 * TIME_DIGITS)) - 1);
        let random: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self(format!("{millis:012x}{random}")))
    }

    /// The lowest id of a session started at `at` or later: every id above it is of a session
    /// that started no earlier.
    pub fn first_started_at(at: Timestamp) -> String {
        format!(
            "{:012x}",
            at.millis().clamp(0, (1 << (4 * TIME_DIGITS)) - 1)
        )
    }

    /// Accepts only the shape [`SessionId::generate`] produces; anything else names nothing.
    pub fn parse(text: &str) -> Option<Self> {
        let shape_ok =
            text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        shape_ok.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for SessionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// One session of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: Id,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The user's session epoch when it started.
    pub epoch: u64,
}

impl Session {
    /// Whether the session still counts at `now` for a user whose epoch is `user_epoch`.
    pub fn is_live(&self, user_epoch: u64, now: Timestamp) -> bool {
        self.epoch == user_epoch && self.expires_at > now
    }
}

/// A user agent as kept with a session: at most [`USER_AGENT_CHARS`], no control characters.
pub fn truncate_user_agent(agent: &str) -> Option<String> {
    let kept: String = agent
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_CHARS)
        .collect();
    let kept = kept.trim().to_owned();
    (!kept.is_empty()).then_some(kept)
}

/// A session as `GET /api/auth/sessions` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView<'a> {
    pub id: &'a SessionId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub source_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub current: bool,
}

impl<'a> SessionView<'a> {
    pub fn of(session: &'a Session, current: &SessionId) -> Self {
        Self {
            id: &session.id,
            created_at: session.created_at,
            expires_at: session.expires_at,
            source_ip: session.source_ip.as_deref(),
            user_agent: session.user_agent.as_deref(),
            current: session.id == *current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_session_ids_parse_back_and_differ() {
        let now = Timestamp::from_millis(1_795_521_600_123);
        let a = SessionId::generate(now).expect("random");
        let b = SessionId::generate(now).expect("random");
        assert_eq!(SessionId::parse(a.as_str()), Some(a.clone()));
        assert_ne!(a, b);
    }

    #[test]
    fn session_ids_sort_by_start_and_above_the_first_of_their_start() {
        let earlier = Timestamp::from_millis(1_795_521_600_123);
        let later = earlier.plus(std::time::Duration::from_millis(1));
        for _ in 0..50 {
            let a = SessionId::generate(earlier).expect("random");
            let b = SessionId::generate(later).expect("random");
            assert!(a < b, "{a} {b}");
            assert!(a.as_str() > SessionId::first_started_at(earlier).as_str());
            assert!(a.as_str() < SessionId::first_started_at(later).as_str());
        }
    }

    #[test]
    fn a_session_id_of_another_shape_names_nothing() {
        for text in ["", "abc", &"A".repeat(32), &"g".repeat(32), &"0".repeat(33)] {
            assert_eq!(SessionId::parse(text), None, "{text}");
        }
    }

    #[test]
    fn a_long_user_agent_is_cut_to_its_first_256_characters() {
        let agent = "é".repeat(300);
        let kept = truncate_user_agent(&agent).expect("kept");
        assert_eq!(kept.chars().count(), USER_AGENT_CHARS);
        assert_eq!(truncate_user_agent(" \u{7} "), None);
    }

    #[test]
    fn a_session_of_an_old_epoch_or_past_its_expiry_is_over() {
        let session = Session {
            id: SessionId::generate(Timestamp::from_millis(0)).expect("random"),
            user_id: Id::generate(Timestamp::from_millis(0)).expect("id"),
            created_at: Timestamp::from_millis(0),
            expires_at: Timestamp::from_millis(1_000),
            source_ip: None,
            user_agent: None,
            epoch: 2,
        };
        assert!(session.is_live(2, Timestamp::from_millis(999)));
        assert!(!session.is_live(2, Timestamp::from_millis(1_000)));
        assert!(!session.is_live(3, Timestamp::from_millis(0)));
    }
}
