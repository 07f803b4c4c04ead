//! The front door: deployed behind its CDN, the API answers only what came through it. The CDN
//! adds a secret header ([`ORIGIN_HEADER`]) to every request it passes on; a request without one
//! of the accepted values did not come through it (someone called the API Gateway URL directly)
//! and is refused before any other work. A request that came through it carries the viewer's
//! address as the CDN saw it ([`VIEWER_ADDRESS_HEADER`], which the CDN sets itself), and that
//! address then stands for the client: the one API Gateway sees is the CDN's.
//!
//! The secret is JSON, `{"current": "...", "previous": "..."}`: the CDN sends `current`, and
//! during a rotation the functions accept `previous` too. A value they do not know makes them
//! read the secret again (at most once per [`REFRESH_INTERVAL`]), so a rotation reaches warm
//! instances as soon as the CDN sends the new value.

use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config::SecretSource;

/// The header the CDN adds to every request it passes on.
pub const ORIGIN_HEADER: &str = "x-origin-verify";
/// The viewer's address as the CDN saw it, `ip:port`; the CDN sets it, whatever a client sent.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";
/// The viewer's TLS version and cipher as the CDN saw them (`TLSv1.3:TLS_AES_128_GCM_SHA256:...`).
pub const VIEWER_TLS_HEADER: &str = "cloudfront-viewer-tls";
/// The least time between two reads of the secret that unknown values cause.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(30);
/// The shortest value accepted (the template generates 48 characters).
const MIN_LENGTH: usize = 32;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Values {
    current: String,
    #[serde(default)]
    previous: Option<String>,
}

/// The values a request may present.
struct Accepted {
    current: SecretString,
    previous: Option<SecretString>,
}

impl Accepted {
    fn parse(secret: &SecretString) -> Result<Self, String> {
        let values: Values = serde_json::from_str(secret.expose_secret())
            .map_err(|_| r#"must be JSON: {"current": "...", "previous": "..."}"#.to_owned())?;
        for (name, value) in [
            ("current", Some(&values.current)),
            ("previous", values.previous.as_ref()),
        ] {
            let valid = |value: &String| {
                value.len() >= MIN_LENGTH && value.bytes().all(|b| b.is_ascii_graphic())
            };
            if value.is_some_and(|value| !valid(value)) {
                return Err(format!(
                    "{name} must be at least {MIN_LENGTH} printable characters"
                ));
            }
        }
        Ok(Self {
            current: values.current.into(),
            previous: values.previous.map(Into::into),
        })
    }

    fn admits(&self, presented: &[u8]) -> bool {
        let current = same(self.current.expose_secret().as_bytes(), presented);
        let previous = self
            .previous
            .as_ref()
            .is_some_and(|previous| same(previous.expose_secret().as_bytes(), presented));
        current | previous
    }
}

/// Whether two values are equal, in a time that depends on their lengths only.
fn same(expected: &[u8], presented: &[u8]) -> bool {
    expected.len() == presented.len()
        && expected
            .iter()
            .zip(presented)
            .fold(0u8, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// Why the front door's secret could not be used.
#[derive(Debug, thiserror::Error)]
#[error("ORIGIN_VERIFY: {0}")]
pub struct FrontDoorError(String);

/// The check of one function instance: the values it accepts, and when it last read them again.
pub struct FrontDoor {
    source: SecretSource,
    accepted: Mutex<Accepted>,
    refreshed: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for FrontDoor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontDoor")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl FrontDoor {
    /// Reads the secret from `source` (at cold start).
    pub async fn load(source: SecretSource) -> Result<Self, FrontDoorError> {
        let accepted = read(&source).await?;
        Ok(Self {
            source,
            accepted: Mutex::new(accepted),
            refreshed: Mutex::new(None),
        })
    }

    /// Whether `presented`, the value of the request's [`ORIGIN_HEADER`] if it has one, is an
    /// accepted value. An unknown one has the secret read again first, unless it was read for
    /// that reason less than [`REFRESH_INTERVAL`] ago; no header, no read.
    pub async fn admits(&self, presented: Option<&[u8]>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        if lock(&self.accepted).admits(presented) {
            return true;
        }
        if !self.may_read_again() {
            return false;
        }
        match read(&self.source).await {
            Ok(accepted) => {
                let admitted = accepted.admits(presented);
                *lock(&self.accepted) = accepted;
                admitted
            }
            Err(error) => {
                tracing::warn!(error = %error, "the front door's secret could not be read again");
                false
            }
        }
    }

    fn may_read_again(&self) -> bool {
        let mut refreshed = lock(&self.refreshed);
        let now = Instant::now();
        if refreshed.is_some_and(|at| now.duration_since(at) < REFRESH_INTERVAL) {
            return false;
        }
        *refreshed = Some(now);
        true
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn read(source: &SecretSource) -> Result<Accepted, FrontDoorError> {
    let secret = source
        .load()
        .await
        .map_err(|error| FrontDoorError(error.to_string()))?;
    Accepted::parse(&secret).map_err(FrontDoorError)
}

/// Whether a [`VIEWER_TLS_HEADER`] value names TLS 1.2 or later. CloudFront's default
/// certificate cannot set a minimum version, so the check is here.
pub fn modern_tls(value: &str) -> bool {
    let version = value.split(':').next().unwrap_or_default();
    matches!(version, "TLSv1.2" | "TLSv1.3")
}

/// The viewer's IP address in a [`VIEWER_ADDRESS_HEADER`] value: `198.51.100.10:46532`,
/// `2001:db8::1:46532` (the port after the last colon).
pub fn viewer_ip(value: &str) -> Option<IpAddr> {
    let (ip, port) = value.trim().rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn accepted(json: &str) -> Result<Accepted, String> {
        Accepted::parse(&SecretString::from(json.to_owned()))
    }

    #[test]
    fn the_current_value_and_during_a_rotation_the_previous_one_are_accepted() {
        let one = accepted(&format!(r#"{{"current":"{A}"}}"#)).expect("valid");
        assert!(one.admits(A.as_bytes()));
        assert!(!one.admits(B.as_bytes()));
        let rotating =
            accepted(&format!(r#"{{"current":"{B}","previous":"{A}"}}"#)).expect("valid");
        assert!(rotating.admits(A.as_bytes()));
        assert!(rotating.admits(B.as_bytes()));
        assert!(!rotating.admits(&A.as_bytes()[1..]));
        assert!(!rotating.admits(b""));
    }

    #[test]
    fn a_secret_that_is_not_two_long_values_is_refused() {
        for secret in [
            "",
            A,
            r#"{"previous":"x"}"#,
            r#"{"current":"short"}"#,
            &format!(r#"{{"current":"{A}","previous":"short"}}"#),
            &format!(r#"{{"current":"{A} with spaces"}}"#),
            &format!(r#"{{"current":"{A}","next":"{B}"}}"#),
        ] {
            assert!(accepted(secret).is_err(), "{secret}");
        }
    }

    #[test]
    fn tls_before_1_2_is_not_modern() {
        assert!(modern_tls("TLSv1.3:TLS_AES_128_GCM_SHA256:fullHandshake"));
        assert!(modern_tls(
            "TLSv1.2:ECDHE-RSA-AES128-GCM-SHA256:sessionResumed"
        ));
        for old in [
            "TLSv1.1:ECDHE-RSA-AES128-SHA:fullHandshake",
            "TLSv1:x:y",
            "SSLv3:x:y",
            "",
        ] {
            assert!(!modern_tls(old), "{old}");
        }
    }

    #[test]
    fn the_viewer_address_is_its_ip_without_the_port() {
        assert_eq!(
            viewer_ip("198.51.100.10:46532"),
            Some("198.51.100.10".parse().expect("ip"))
        );
        assert_eq!(
            viewer_ip("2001:db8:1:2::1:46532"),
            Some("2001:db8:1:2::1".parse().expect("ip"))
        );
        for value in [
            "",
            "198.51.100.10",
            "not an address:80",
            "198.51.100.10:port",
        ] {
            assert_eq!(viewer_ip(value), None, "{value}");
        }
    }
}
