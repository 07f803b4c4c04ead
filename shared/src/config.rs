//! Typed configuration, read once per cold start from the environment.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The shortest `JWT_SECRET` accepted: HS256 wants a key at least as long as its output.
pub const MIN_SECRET_BYTES: usize = 32;

/// Why the configuration could not be read; printed once at start-up, before exiting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required but not set")]
    Missing(&'static str),
    #[error("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long (got {0})")]
    WeakSecret(usize),
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Everything a function needs to know about where it runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub jwt: JwtConfig,
    pub tables: TableNames,
    pub allowed_origins: Vec<String>,
    pub limits: LimitConfig,
}

/// Token signing and the claims tokens must carry.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub secret: SecretString,
    pub issuer: String,
    pub audience: String,
}

/// DynamoDB table names, as deployed by `template.yaml` or created locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub products: String,
    pub users: String,
    pub limits: String,
}

/// The brute-force limits of API.md; every number can be changed by environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitConfig {
    pub window: Duration,
    pub login_failures_per_email: u32,
    pub login_failures_per_ip: u32,
    pub registrations_per_ip: u32,
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            login_failures_per_email: 5,
            login_failures_per_ip: 50,
            registrations_per_ip: 20,
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let secret = get("JWT_SECRET").ok_or(ConfigError::Missing("JWT_SECRET"))?;
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::WeakSecret(secret.len()));
        }
        let jwt = JwtConfig {
            secret: SecretString::from(secret),
            issuer: get("JWT_ISSUER").unwrap_or_else(|| "products-api".to_owned()),
            audience: get("JWT_AUDIENCE").unwrap_or_else(|| "products-api".to_owned()),
        };

        let tables = TableNames {
            products: get("PRODUCTS_TABLE").unwrap_or_else(|| "products".to_owned()),
            users: get("USERS_TABLE").unwrap_or_else(|| "users".to_owned()),
            limits: get("LIMITS_TABLE").unwrap_or_else(|| "auth-limits".to_owned()),
        };

        let allowed_origins = get("ALLOWED_ORIGINS")
            .map(|list| parse_origins(&list))
            .unwrap_or_default();

        let defaults = LimitConfig::default();
        let number = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|value| *value > 0)
                    .ok_or_else(|| ConfigError::Invalid {
                        name,
                        reason: format!("expected a positive whole number, got {raw:?}"),
                    }),
            }
        };
        let limits = LimitConfig {
            window: Duration::from_secs(u64::from(number(
                "AUTH_LIMIT_WINDOW_SECONDS",
                defaults.window.as_secs() as u32,
            )?)),
            login_failures_per_email: number(
                "LOGIN_FAILURES_PER_EMAIL",
                defaults.login_failures_per_email,
            )?,
            login_failures_per_ip: number("LOGIN_FAILURES_PER_IP", defaults.login_failures_per_ip)?,
            registrations_per_ip: number("REGISTRATIONS_PER_IP", defaults.registrations_per_ip)?,
        };

        Ok(Self {
            jwt,
            tables,
            allowed_origins,
            limits,
        })
    }

    /// Whether a browser `Origin` may call the API with credentials.
    pub fn is_allowed_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|allowed| allowed == origin)
    }

    /// The raw signing key, for the two places that sign: tokens and cursors.
    pub fn secret_bytes(&self) -> &[u8] {
        self.jwt.secret.expose_secret().as_bytes()
    }
}

/// Origins compare exactly as browsers send them: scheme, host and port, no trailing slash.
fn parse_origins(list: &str) -> Vec<String> {
    list.split(',')
        .map(|origin| origin.trim().trim_end_matches('/'))
        .filter(|origin| !origin.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn missing_secret_is_refused() {
        assert!(matches!(
            config_from(&[]),
            Err(ConfigError::Missing("JWT_SECRET"))
        ));
    }

    #[test]
    fn secret_shorter_than_32_bytes_is_refused() {
        assert!(matches!(
            config_from(&[("JWT_SECRET", "too-short")]),
            Err(ConfigError::WeakSecret(9))
        ));
    }

    #[test]
    fn defaults_apply_when_only_the_secret_is_set() {
        let config = config_from(&[("JWT_SECRET", SECRET)]).expect("valid config");
        assert_eq!(config.jwt.issuer, "products-api");
        assert_eq!(config.jwt.audience, "products-api");
        assert_eq!(config.limits, LimitConfig::default());
        assert!(config.allowed_origins.is_empty());
    }

    #[test]
    fn allowed_origins_are_split_and_trimmed() {
        let config = config_from(&[
            ("JWT_SECRET", SECRET),
            ("ALLOWED_ORIGINS", " https://a.example ,https://b.example/,"),
        ])
        .expect("valid config");
        assert!(config.is_allowed_origin("https://a.example"));
        assert!(config.is_allowed_origin("https://b.example"));
        assert!(!config.is_allowed_origin("https://c.example"));
    }

    #[test]
    fn a_limit_that_is_not_a_positive_number_is_refused() {
        let result = config_from(&[("JWT_SECRET", SECRET), ("LOGIN_FAILURES_PER_EMAIL", "0")]);
        assert!(matches!(result, Err(ConfigError::Invalid { .. })));
    }

    #[test]
    fn secret_does_not_appear_in_debug_output() {
        let config = config_from(&[("JWT_SECRET", SECRET)]).expect("valid config");
        assert!(!format!("{config:?}").contains(SECRET));
    }
}
