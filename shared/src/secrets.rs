//! Secrets a function loads once, at cold start: from AWS Secrets Manager when deployed, from a
//! git-ignored file locally.
//!
//! Deployed, a secret never travels through CloudFormation or a function's environment: the
//! environment names the secret (`<NAME>_SECRET_ID`), and only the functions whose IAM role may
//! read that one secret can fetch it.

use aws_sdk_secretsmanager::config::{BehaviorVersion, Region};
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use secrecy::SecretString;

use crate::aws::{timeouts, AwsEnvironment};
use crate::config::SecretSource;

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
    if let Some(name) = env.app_name {
        config = config.app_name(name);
    }
    aws_sdk_secretsmanager::Client::from_conf(config.build())
}
