//! Idempotent creates (draft-ietf-httpapi-idempotency-key-header): the `Idempotency-Key` a
//! client sends, the fingerprint of the request it came with, and what a stored record of an
//! earlier request with that key means for a new one.

use std::time::Duration;

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::Id;
use crate::clock::Timestamp;

/// The longest key taken, in characters.
pub const MAX_KEY_CHARS: usize = 255;

/// How long a completed request's response is given again for the same key.
pub const RECORD_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// A client's idempotency key: 1–255 printable ASCII characters, the same whether it was sent
/// as the draft's Structured Field string (`"a-key"`) or bare (`a-key`), as Stripe's clients do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const INVALID: &'static str = "Idempotency-Key must be 1-255 printable ASCII characters, \
        sent as a quoted string (\"a-key\") or bare (a-key).";

    /// The key of a header value; `None` for anything but 1–255 printable ASCII characters.
    pub fn parse(header: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(header).ok()?.trim_matches([' ', '\t']);
        let key = match text.strip_prefix('"') {
            Some(quoted) => unquote(quoted.strip_suffix('"')?)?,
            None => text.to_owned(),
        };
        let printable = key.bytes().all(|b| (0x20..=0x7e).contains(&b));
        (printable && (1..=MAX_KEY_CHARS).contains(&key.len())).then_some(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where `owner`'s requests with this key are recorded: the owner, then a SHA-256 of the
    /// key, so that records have one length whatever the key.
    pub fn record_id(&self, owner: &Id) -> String {
        format!("{owner}#{}", sha256(self.0.as_bytes()))
    }
}

/// The inside of a Structured Field string (RFC 8941 §3.3.3): `\"` and `\\` are the only
/// escapes, and a bare `"` or `\` is not allowed.
fn unquote(inner: &str) -> Option<String> {
    let mut key = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                escaped @ ('"' | '\\') => key.push(escaped),
                _ => return None,
            },
            '"' => return None,
            c => key.push(c),
        }
    }
    Some(key)
}

/// The fingerprint of a request body: its SHA-256, so the same key with another body is told
/// apart from a retry.
pub fn fingerprint(body: &[u8]) -> String {
    sha256(body)
}

fn sha256(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, bytes).as_ref())
}

/// A response kept to be given again: what a retry with the same key and body gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    pub etag: Option<String>,
}

/// A record of a keyed request, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub fingerprint: String,
    pub state: RecordState,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordState {
    /// The first request is running; another may take over once the lease ends (the first
    /// request's function can no longer be running then).
    Running {
        lease_ends_at: Timestamp,
    },
    Done(StoredResponse),
}

/// What a request with a key gets when a live record of the key exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The same body, completed: its response again.
    Replay(StoredResponse),
    /// Another body under the same key: 422.
    OtherRequest,
    /// The same body, still running: 409, worth retrying after this many seconds.
    InProgress { retry_after: u64 },
}

impl Record {
    /// What a request with `fingerprint` gets at `now` from this record, which refused its
    /// own start (so it is live, and running only under a live lease).
    pub fn outcome_for(&self, fingerprint: &str, now: Timestamp) -> Outcome {
        if self.fingerprint != fingerprint {
            return Outcome::OtherRequest;
        }
        match &self.state {
            RecordState::Done(response) => Outcome::Replay(response.clone()),
            RecordState::Running { lease_ends_at } => {
                let left = lease_ends_at.millis().saturating_sub(now.millis()).max(0);
                Outcome::InProgress {
                    retry_after: u64::try_from(left).unwrap_or(0).div_ceil(1000).max(1),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(header: &str) -> Option<String> {
        IdempotencyKey::parse(header.as_bytes()).map(|k| k.0)
    }

    #[test]
    fn a_key_is_the_same_quoted_or_bare() {
        assert_eq!(key("\"8e03978e-40d5\""), Some("8e03978e-40d5".to_owned()));
        assert_eq!(key("8e03978e-40d5"), Some("8e03978e-40d5".to_owned()));
        assert_eq!(key("  spaced key\t"), Some("spaced key".to_owned()));
        assert_eq!(
            key(r#""say \"hi\" \\ bye""#),
            Some(r#"say "hi" \ bye"#.to_owned())
        );
    }

    #[test]
    fn a_key_is_one_to_255_printable_ascii_characters() {
        assert_eq!(key(&"k".repeat(255)).map(|k| k.len()), Some(255));
        for bad in [
            "".to_owned(),
            "   ".to_owned(),
            "\"\"".to_owned(),
            "k".repeat(256),
            format!("\"{}\"", "k".repeat(256)),
            "caf\u{e9}".to_owned(),
            "tab\tinside".to_owned(),
            "\"unterminated".to_owned(),
            r#""bad \n escape""#.to_owned(),
            r#""bare " quote""#.to_owned(),
        ] {
            assert_eq!(key(&bad), None, "{bad:?}");
        }
        assert_eq!(IdempotencyKey::parse(&[0xff, 0x41]), None);
    }

    #[test]
    fn records_are_per_owner_and_fingerprints_per_body() {
        let owner = Id::parse("01HZY3T7J9K2M4N6P8Q0R2S4T6").expect("id");
        let other = Id::parse("01HZY3T7J9K2M4N6P8Q0R2S4T7").expect("id");
        let key = IdempotencyKey::parse(b"abc").expect("key");
        assert_ne!(key.record_id(&owner), key.record_id(&other));
        assert_eq!(fingerprint(b"{\"a\":1}"), fingerprint(b"{\"a\":1}"));
        assert_ne!(fingerprint(b"{\"a\":1}"), fingerprint(b"{\"a\": 1}"));
    }

    #[test]
    fn a_live_record_replays_refuses_or_asks_to_wait() {
        let now = Timestamp::from_millis(1_000_000);
        let done = StoredResponse {
            status: 201,
            body: "{}".to_owned(),
            location: Some("/api/products/x".to_owned()),
            etag: Some("\"x-1\"".to_owned()),
        };
        let record = |state| Record {
            fingerprint: "f".to_owned(),
            state,
            expires_at: Timestamp::from_millis(2_000_000),
        };
        assert_eq!(
            record(RecordState::Done(done.clone())).outcome_for("f", now),
            Outcome::Replay(done.clone())
        );
        assert_eq!(
            record(RecordState::Done(done)).outcome_for("g", now),
            Outcome::OtherRequest
        );
        let running = record(RecordState::Running {
            lease_ends_at: Timestamp::from_millis(1_002_500),
        });
        assert_eq!(
            running.outcome_for("f", now),
            Outcome::InProgress { retry_after: 3 }
        );
        assert_eq!(running.outcome_for("g", now), Outcome::OtherRequest);
    }
}
