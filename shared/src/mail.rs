//! Sending mail through Amazon SES (API v2), from `MAIL_FROM`. `AWS_ENDPOINT_URL_SESV2` points
//! the client elsewhere: at the local SES emulator `make dev` runs.

use aws_lc_rs::hmac;
use aws_sdk_sesv2::config::{BehaviorVersion, Intercept, Region};
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::aws::{timeouts, AwsEnvironment};
use crate::config::MailConfig;
use crate::domain::mail::Letter;
use crate::domain::Email;

/// Why a mail was not sent: SES's error code, or the kind of failure, never SES's message, which
/// may quote the recipient's address (and would then reach the logs).
#[derive(Debug, thiserror::Error)]
#[error("mail not sent: {reason}")]
pub struct SendError {
    reason: String,
    /// SES's error code when SES refused this message itself, so that no retry can send it
    /// (`BadRequestException`: an address or content it cannot take; `MessageRejected`).
    refused: Option<String>,
}

impl SendError {
    fn other(reason: impl std::fmt::Display) -> Self {
        Self {
            reason: format!("{reason}"),
            refused: None,
        }
    }

    /// SES's error code, when SES refused this message for good; `None` when a retry may send
    /// it (throttling, a timeout, SES failing, the account paused: none of them the message's
    /// fault).
    pub fn refusal(&self) -> Option<&str> {
        self.refused.as_deref()
    }
}

/// The key of the per-address mail cap: its counters hold an HMAC of the address under this
/// key, never the address, so they can outlive a deleted account without keeping its address
/// (nor one a dictionary of addresses could find without the key).
pub struct AddressKey(hmac::Key);

impl std::fmt::Debug for AddressKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressKey(..)")
    }
}

/// The shortest address key accepted.
const MIN_ADDRESS_KEY_BYTES: usize = 32;

impl AddressKey {
    pub fn from_secret(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_ADDRESS_KEY_BYTES {
            return Err(format!(
                "must be at least {MIN_ADDRESS_KEY_BYTES} bytes long (got {})",
                secret.len()
            ));
        }
        let root = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derived = hmac::sign(&root, b"products-api/mail-cap/v1");
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())))
    }

    /// What the cap's counter of `address` is keyed by: 128 bits of its HMAC.
    pub fn tag(&self, address: &Email) -> String {
        let tag = hmac::sign(&self.0, address.as_str().as_bytes());
        URL_SAFE_NO_PAD.encode(&tag.as_ref()[..16])
    }
}

/// An SES client and the address mail goes out from.
#[derive(Debug, Clone)]
pub struct MailSender {
    client: aws_sdk_sesv2::Client,
    from: String,
}

impl MailSender {
    /// A sender for the environment's region and credentials.
    pub fn from_env(config: &MailConfig) -> Self {
        Self::at(config, None)
    }

    /// A sender like [`MailSender::from_env`]'s, talking to `endpoint` when one is given.
    pub fn at(config: &MailConfig, endpoint: Option<&str>) -> Self {
        let mut env = AwsEnvironment::read("AWS_ENDPOINT_URL_SESV2");
        if let Some(endpoint) = endpoint {
            env.endpoint = Some(endpoint.to_owned());
        }
        let mut builder = aws_sdk_sesv2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(env.region))
            .credentials_provider(env.credentials)
            .timeout_config(timeouts());
        if let Some(endpoint) = env.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        if let Some(name) = env.app_name {
            builder = builder.app_name(name);
        }
        Self {
            client: aws_sdk_sesv2::Client::from_conf(builder.build()),
            from: config.from.clone(),
        }
    }

    /// The same sender, its calls passing through `interceptor` too.
    pub fn with_interceptor(self, interceptor: impl Intercept + 'static) -> Self {
        let config = self.client.config().to_builder().interceptor(interceptor);
        Self {
            client: aws_sdk_sesv2::Client::from_conf(config.build()),
            from: self.from,
        }
    }

    /// Sends `letter` to `to`; the message id SES gave it.
    pub async fn send(&self, to: &Email, letter: &Letter) -> Result<String, SendError> {
        let content = |text: &str| {
            Content::builder()
                .data(text)
                .charset("UTF-8")
                .build()
                .map_err(SendError::other)
        };
        let message = Message::builder()
            .subject(content(&letter.subject)?)
            .body(
                Body::builder()
                    .text(content(&letter.text)?)
                    .html(content(&letter.html)?)
                    .build(),
            )
            .build();
        let output = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to.as_str()).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| {
                let refused = match e.as_service_error() {
                    Some(
                        error @ (SendEmailError::BadRequestException(_)
                        | SendEmailError::MessageRejected(_)),
                    ) => Some(error.meta().code().unwrap_or("refused").to_owned()),
                    _ => None,
                };
                let reason = match &e {
                    SdkError::ServiceError(error) => {
                        error.err().code().unwrap_or("an SES error").to_owned()
                    }
                    SdkError::TimeoutError(_) => "a timeout".to_owned(),
                    SdkError::DispatchFailure(_) => "no connection to SES".to_owned(),
                    _ => "an unreadable SES response".to_owned(),
                };
                SendError { reason, refused }
            })?;
        Ok(output.message_id.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_tag_is_stable_keyed_and_holds_no_address() {
        let key = AddressKey::from_secret(&[7; 32]).expect("key");
        let other = AddressKey::from_secret(&[8; 32]).expect("key");
        let address = Email::parse("someone@example.com").expect("email");
        let tag = key.tag(&address);
        assert_eq!(tag, key.tag(&address));
        assert_ne!(tag, other.tag(&address), "keyed");
        assert!(!tag.contains("someone") && tag.len() == 22, "{tag}");
    }

    #[test]
    fn a_short_address_key_is_refused() {
        assert!(AddressKey::from_secret(&[7; 31]).is_err());
    }
}
