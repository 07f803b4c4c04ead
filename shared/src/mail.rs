//! Sending mail through Amazon SES (API v2), from `MAIL_FROM`. `AWS_ENDPOINT_URL_SESV2` points
//! the client elsewhere: at the local SES emulator `make dev` runs.

use aws_sdk_sesv2::config::{BehaviorVersion, Intercept, Region};
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use crate::aws::{timeouts, AwsEnvironment};
use crate::config::MailConfig;
use crate::domain::mail::Letter;
use crate::domain::Email;

/// Why a mail was not sent (SES's error code and message, which never include the mail).
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
                SendError {
                    reason: DisplayErrorContext(&e).to_string(),
                    refused,
                }
            })?;
        Ok(output.message_id.unwrap_or_default())
    }
}
