//! Secrets a function loads once, at cold start: from AWS Secrets Manager when deployed, from a
//! git-ignored file locally.
//!
//! Deployed, a secret never travels through CloudFormation or a function's environment: the
//! environment names the secret (`<NAME>_SECRET_ID`), and only the functions whose IAM role may
//! read that one secret can fetch it.

use std::path::PathBuf;

use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use secrecy::SecretString;

use crate::config::ConfigError;
use crate::store::client::{timeouts, AwsEnvironment};

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A Secrets Manager secret id or ARN; its `SecretString` is the secret.
    SecretsManager(String),
    /// A local file holding the secret (`make dev` generates these into `.dev/keys/`).
    File(PathBuf),
}

/// Why a secret could not be loaded; said once at cold start, before the function exits.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    #[error("cannot get secret {id} from Secrets Manager: {reason}")]
    SecretsManager { id: String, reason: String },
    #[error("secret {id} has no SecretString")]
    Empty { id: String },
}

impl SecretSource {
    /// `<name>_SECRET_ID` (deployed) or `<name>_FILE` (local), whichever is set; `None` if
    /// neither is, and an error if both are.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        name: &'static str,
    ) -> Result<Option<Self>, ConfigError> {
        let id = get(&format!("{name}_SECRET_ID"));
        let file = get(&format!("{name}_FILE"));
        match (id, file) {
            (Some(_), Some(_)) => Err(ConfigError::Invalid {
                name,
                reason: format!("set {name}_SECRET_ID or {name}_FILE, not both"),
            }),
            (Some(id), None) => Ok(Some(Self::SecretsManager(id))),
            (None, Some(file)) => Ok(Some(Self::File(PathBuf::from(file)))),
            (None, None) => Ok(None),
        }
    }

    /// Fetches the secret.
    pub async fn load(&self) -> Result<SecretString, SecretError> {
        match self {
            Self::File(path) => std::fs::read_to_string(path)
                .map(SecretString::from)
                .map_err(|e| SecretError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }),
            Self::SecretsManager(id) => {
                let output = client_from_env()
                    .get_secret_value()
                    .secret_id(id)
                    .send()
                    .await
                    .map_err(|e| SecretError::SecretsManager {
                        id: id.clone(),
                        // The SDK's error code and message (AccessDeniedException, ...), which
                        // never include the secret's value.
                        reason: DisplayErrorContext(&e).to_string(),
                    })?;
                output
                    .secret_string
                    .map(SecretString::from)
                    .ok_or_else(|| SecretError::Empty { id: id.clone() })
            }
        }
    }
}

/// A Secrets Manager client for the environment's region and credentials, built by hand like
/// the DynamoDB client (`store::client`). `AWS_ENDPOINT_URL_SECRETSMANAGER` points it elsewhere.
pub fn client_from_env() -> aws_sdk_secretsmanager::Client {
    let env = AwsEnvironment::read("AWS_ENDPOINT_URL_SECRETSMANAGER");
    let mut config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(env.region))
        .credentials_provider(env.credentials)
        .timeout_config(timeouts());
    if let Some(endpoint) = env.endpoint {
        config = config.endpoint_url(endpoint);
    }
    aws_sdk_secretsmanager::Client::from_conf(config.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(vars: &[(&str, &str)]) -> Result<Option<SecretSource>, ConfigError> {
        SecretSource::from_lookup(
            |name| {
                vars.iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            },
            "CURSOR_KEY",
        )
    }

    #[test]
    fn a_secret_id_means_secrets_manager() {
        assert_eq!(
            source(&[("CURSOR_KEY_SECRET_ID", "arn:aws:secretsmanager:x")]).expect("valid"),
            Some(SecretSource::SecretsManager(
                "arn:aws:secretsmanager:x".to_owned()
            ))
        );
    }

    #[test]
    fn a_file_means_a_local_file() {
        assert_eq!(
            source(&[("CURSOR_KEY_FILE", ".dev/keys/cursor-key")]).expect("valid"),
            Some(SecretSource::File(PathBuf::from(".dev/keys/cursor-key")))
        );
    }

    #[test]
    fn both_at_once_are_refused() {
        assert!(source(&[("CURSOR_KEY_FILE", "a"), ("CURSOR_KEY_SECRET_ID", "b")]).is_err());
    }

    #[test]
    fn neither_is_none() {
        assert_eq!(source(&[]).expect("valid"), None);
    }
}
