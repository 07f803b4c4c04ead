//! Typed configuration, read once per cold start from the environment.

use std::path::PathBuf;
use std::time::Duration;

use crate::tables::TableNames;

/// Why the configuration could not be read; printed once at start-up, before exiting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required but not set")]
    Missing(&'static str),
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The most shards the listing indexes may be spread over: a page reads every one.
pub const MAX_LISTING_SHARDS: u16 = 64;

/// The creates a second one listing shard absorbs alone: each create writes its product (up to
/// 1 KB, one write unit) once to each listing index's partition of its shard, and a partition
/// takes 1,000 write units a second. Updates count against it too (twice, in an index whose sort
/// key they change).
pub const CREATES_PER_SHARD: u32 = 1_000;

/// The creates a second each of several shards is planned for: ids fall among them by hash, so
/// in a given second the busiest takes a few percent more than its share (`make scale`: at 10,000
/// a second over 13 shards, about 800 where the share is 770).
pub const CREATES_PER_SPREAD_SHARD: u32 = 800;

/// The peak create rate a deployment declares unless it says otherwise: one shard's worth.
pub const DEFAULT_PEAK_CREATES_PER_SECOND: u32 = 1_000;

/// The highest peak create rate the shards can absorb.
pub const MAX_PEAK_CREATES_PER_SECOND: u32 = CREATES_PER_SPREAD_SHARD * MAX_LISTING_SHARDS as u32;

/// The shards a peak of `creates_per_second` needs: one up to [`CREATES_PER_SHARD`], past it one
/// per [`CREATES_PER_SPREAD_SHARD`], at most [`MAX_LISTING_SHARDS`].
pub fn listing_shards_for(creates_per_second: u32) -> u16 {
    if creates_per_second <= CREATES_PER_SHARD {
        return 1;
    }
    let needed = creates_per_second.div_ceil(CREATES_PER_SPREAD_SHARD);
    u16::try_from(needed).map_or(MAX_LISTING_SHARDS, |n| n.min(MAX_LISTING_SHARDS))
}

/// The most public keys the JWKS publishes (openapi.yaml, `JwkSet.keys`): a rotation needs two.
pub const MAX_PUBLIC_KEYS: usize = 4;

/// Everything a function needs to know about where it runs.
#[derive(Debug, Clone)]
pub struct Config {
    pub tokens: TokenConfig,
    pub tables: TableNames,
    pub allowed_origins: Vec<String>,
    pub limits: LimitConfig,
    pub rate_limit: RateLimitConfig,
    pub metrics: MetricsConfig,
    pub mail: MailConfig,
    pub media: MediaConfig,
    pub verified_email: VerifiedEmail,
    /// How many shards the listing indexes are spread over (1–64): `LISTING_SHARDS` if set,
    /// otherwise what `PEAK_CREATES_PER_SECOND` (default 1,000) needs ([`listing_shards_for`]).
    pub listing_shards: u16,
    /// Where login's private key comes from (`JWT_SIGNING_KEY_SECRET_ID` or `_FILE`).
    pub signing_key: Option<SecretSource>,
    /// Where list-products' cursor key comes from (`CURSOR_KEY_SECRET_ID` or `_FILE`).
    pub cursor_key: Option<SecretSource>,
    /// Where the mailer's key of the per-address mail cap comes from (`ADDRESS_KEY_SECRET_ID`
    /// or `_FILE`).
    pub address_key: Option<SecretSource>,
    /// Behind the front door, where the origin header's secret comes from
    /// (`ORIGIN_VERIFY_SECRET_ID` or `_FILE`; `front_door`); unset, no check (locally, or
    /// with an edge of the deployment's own).
    pub origin_verify: Option<SecretSource>,
}

/// The keys tokens are verified with and the claims they must carry. Nothing here is secret.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// `JWT_PUBLIC_KEYS`: the current key and the previous one, as JWK `x` values (the
    /// verifier checks that each is an Ed25519 public key).
    pub public_keys: Vec<String>,
    pub issuer: String,
    pub audience: String,
}

/// The brute-force limits of the auth routes; every number can be changed by environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitConfig {
    pub window: Duration,
    /// Failed logins for one email from one source address (then that address is locked out
    /// of that email until the window ends).
    pub login_failures_per_email_and_ip: u32,
    /// Failed logins for one email from all addresses together (then the email is locked for
    /// everyone: distributed guessing).
    pub login_failures_per_email: u32,
    pub login_failures_per_ip: u32,
    pub registrations_per_ip: u32,
    /// `POST /api/auth/password/forgot` requests per source address and window.
    pub forgot_requests_per_ip: u32,
    /// Reset mails per email and hour (past it, forgot-password still answers 202, silently).
    pub reset_mails_per_email: u32,
    /// Verification mails a user may ask for again per hour.
    pub verification_mails_per_user: u32,
    /// Mails of any kind to one address per hour, whatever the accounts (past it they are not
    /// sent, silently).
    pub mails_per_address: u32,
}

/// Where the request lines' metrics are published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// `METRICS_NAMESPACE`: the CloudWatch namespace, `ProductsApi` by default.
    pub namespace: String,
    /// `SERVICE_NAME`: the `Service` dimension, `products-api` by default.
    pub service: String,
}

/// The per-client request budget (every request but health checks and preflights): `requests` per fixed `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// 0 turns the limiter off.
    pub requests: u32,
    pub window: Duration,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            requests: 100,
            window: Duration::from_secs(900),
        }
    }
}

impl Default for LimitConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            login_failures_per_email_and_ip: 5,
            login_failures_per_email: 100,
            login_failures_per_ip: 50,
            registrations_per_ip: 20,
            forgot_requests_per_ip: 20,
            reset_mails_per_email: 3,
            verification_mails_per_user: 3,
            mails_per_address: 5,
        }
    }
}

/// The window of the mail limits (reset and verification mails): an hour.
pub const MAIL_LIMIT_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Where mail goes out from, and where its links point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// `MAIL_FROM`: the sender, an SES-verified identity.
    pub from: String,
    /// `APP_BASE_URL`: the client application, where the links in mails lead.
    pub app_base_url: String,
}

/// Where product images are kept and served from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// `MEDIA_BUCKET`: the private bucket uploads go to and served images are kept in.
    pub bucket: String,
    /// `IMAGES_BASE_URL`: where the bucket's served images are public (deployed: the CDN in
    /// front of the bucket; locally the gateway `make dev` runs), without a trailing slash.
    pub images_base_url: String,
    /// `MAX_IMAGE_BYTES`: the largest upload taken.
    pub max_image_bytes: u64,
}

/// The largest upload taken unless `MAX_IMAGE_BYTES` says otherwise: 10 MiB.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
/// The most `MAX_IMAGE_BYTES` may say: 100 MiB (the pixel cap bounds a decode's memory).
pub const MAX_IMAGE_BYTES_LIMIT: u64 = 100 * 1024 * 1024;

/// Product writes by an account whose email is not verified: `REQUIRE_VERIFIED_EMAIL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifiedEmail {
    #[default]
    NotRequired,
    Required,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let keys = get("JWT_PUBLIC_KEYS").ok_or(ConfigError::Missing("JWT_PUBLIC_KEYS"))?;
        let public_keys: Vec<String> = keys
            .split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect();
        if public_keys.len() > MAX_PUBLIC_KEYS {
            return Err(ConfigError::Invalid {
                name: "JWT_PUBLIC_KEYS",
                reason: format!(
                    "at most {MAX_PUBLIC_KEYS} keys (the current one and the previous one while rotating), got {}",
                    public_keys.len()
                ),
            });
        }
        let tokens = TokenConfig {
            public_keys,
            issuer: get("JWT_ISSUER").unwrap_or_else(|| "products-api".to_owned()),
            audience: get("JWT_AUDIENCE").unwrap_or_else(|| "products-api".to_owned()),
        };

        let tables = TableNames::from_fn(|table| {
            get(table.variable()).unwrap_or_else(|| table.local_name().to_owned())
        });

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
            login_failures_per_email_and_ip: number(
                "LOGIN_FAILURES_PER_EMAIL_AND_IP",
                defaults.login_failures_per_email_and_ip,
            )?,
            login_failures_per_email: number(
                "LOGIN_FAILURES_PER_EMAIL",
                defaults.login_failures_per_email,
            )?,
            login_failures_per_ip: number("LOGIN_FAILURES_PER_IP", defaults.login_failures_per_ip)?,
            registrations_per_ip: number("REGISTRATIONS_PER_IP", defaults.registrations_per_ip)?,
            forgot_requests_per_ip: number(
                "FORGOT_REQUESTS_PER_IP",
                defaults.forgot_requests_per_ip,
            )?,
            reset_mails_per_email: number("RESET_MAILS_PER_EMAIL", defaults.reset_mails_per_email)?,
            verification_mails_per_user: number(
                "VERIFICATION_MAILS_PER_USER",
                defaults.verification_mails_per_user,
            )?,
            mails_per_address: number("MAILS_PER_ADDRESS", defaults.mails_per_address)?,
        };
        let mail = MailConfig {
            from: get("MAIL_FROM").unwrap_or_else(|| "no-reply@example.com".to_owned()),
            app_base_url: get("APP_BASE_URL")
                .map(|url| url.trim().trim_end_matches('/').to_owned())
                .unwrap_or_else(|| "http://localhost:3000".to_owned()),
        };
        let verified_email = match get("REQUIRE_VERIFIED_EMAIL").as_deref().map(str::trim) {
            None | Some("false") => VerifiedEmail::NotRequired,
            Some("true") => VerifiedEmail::Required,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "REQUIRE_VERIFIED_EMAIL",
                    reason: format!("expected true or false, got {other:?}"),
                })
            }
        };

        // A whole number from a range, or `None` when unset.
        fn in_range<T>(
            get: impl Fn(&str) -> Option<String>,
            name: &'static str,
            range: std::ops::RangeInclusive<T>,
        ) -> Result<Option<T>, ConfigError>
        where
            T: std::str::FromStr + PartialOrd + std::fmt::Display,
        {
            let Some(raw) = get(name) else {
                return Ok(None);
            };
            match raw.trim().parse::<T>() {
                Ok(value) if range.contains(&value) => Ok(Some(value)),
                _ => Err(ConfigError::Invalid {
                    name,
                    reason: format!(
                        "expected a whole number from {} to {}, got {raw:?}",
                        range.start(),
                        range.end()
                    ),
                }),
            }
        }
        let peak_creates = in_range(
            get,
            "PEAK_CREATES_PER_SECOND",
            1..=MAX_PEAK_CREATES_PER_SECOND,
        )?
        .unwrap_or(DEFAULT_PEAK_CREATES_PER_SECOND);
        let listing_shards = in_range(get, "LISTING_SHARDS", 1..=MAX_LISTING_SHARDS)?
            .unwrap_or_else(|| listing_shards_for(peak_creates));
        let media = MediaConfig {
            bucket: get("MEDIA_BUCKET").unwrap_or_else(|| "products-media".to_owned()),
            images_base_url: get("IMAGES_BASE_URL")
                .map(|url| url.trim().trim_end_matches('/').to_owned())
                .unwrap_or_else(|| "http://127.0.0.1:9000/media".to_owned()),
            max_image_bytes: in_range(get, "MAX_IMAGE_BYTES", 1..=MAX_IMAGE_BYTES_LIMIT)?
                .unwrap_or(DEFAULT_MAX_IMAGE_BYTES),
        };

        let rate_defaults = RateLimitConfig::default();
        let rate_limit = RateLimitConfig {
            requests: match get("RATE_LIMIT_REQUESTS") {
                // 0 is allowed here: it turns the limiter off.
                Some(raw) => raw.trim().parse().map_err(|_| ConfigError::Invalid {
                    name: "RATE_LIMIT_REQUESTS",
                    reason: format!("expected a whole number (0 turns it off), got {raw:?}"),
                })?,
                None => rate_defaults.requests,
            },
            window: Duration::from_secs(u64::from(number(
                "RATE_LIMIT_WINDOW_SECONDS",
                rate_defaults.window.as_secs() as u32,
            )?)),
        };

        let metrics = MetricsConfig {
            namespace: get("METRICS_NAMESPACE").unwrap_or_else(|| "ProductsApi".to_owned()),
            service: get("SERVICE_NAME").unwrap_or_else(|| "products-api".to_owned()),
        };

        Ok(Self {
            tokens,
            tables,
            allowed_origins,
            limits,
            rate_limit,
            metrics,
            mail,
            media,
            verified_email,
            listing_shards,
            signing_key: SecretSource::from_lookup(get, "JWT_SIGNING_KEY")?,
            cursor_key: SecretSource::from_lookup(get, "CURSOR_KEY")?,
            address_key: SecretSource::from_lookup(get, "ADDRESS_KEY")?,
            origin_verify: SecretSource::from_lookup(get, "ORIGIN_VERIFY")?,
        })
    }

    /// Whether a browser `Origin` may call the API with credentials.
    pub fn is_allowed_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|allowed| allowed == origin)
    }
}

/// Where a secret comes from: the configuration names it, and only a function that needs the
/// secret loads it (`secrets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A Secrets Manager secret id or ARN; its `SecretString` is the secret.
    SecretsManager(String),
    /// A local file holding the secret (`make dev` generates these into `.dev/keys/`).
    File(PathBuf),
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

    /// The example public key of RFC 8037 appendix A.2.
    const KEY: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    #[test]
    fn missing_public_keys_are_refused() {
        assert!(matches!(
            config_from(&[]),
            Err(ConfigError::Missing("JWT_PUBLIC_KEYS"))
        ));
    }

    #[test]
    fn the_current_and_previous_public_keys_are_read_in_order() {
        let previous = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let config = config_from(&[("JWT_PUBLIC_KEYS", &format!("{KEY}, {previous},"))])
            .expect("valid config");
        assert_eq!(config.tokens.public_keys, [KEY, previous]);
    }

    #[test]
    fn defaults_apply_when_only_the_public_keys_are_set() {
        let config = config_from(&[("JWT_PUBLIC_KEYS", KEY)]).expect("valid config");
        assert_eq!(config.tokens.issuer, "products-api");
        assert_eq!(config.tokens.audience, "products-api");
        assert_eq!(config.limits, LimitConfig::default());
        assert_eq!(
            config.tables.get(crate::tables::TableName::Sessions),
            "sessions"
        );
        assert!(config.allowed_origins.is_empty());
        assert_eq!(config.signing_key, None);
        assert_eq!(config.cursor_key, None);
    }

    #[test]
    fn the_shards_follow_the_declared_peak_create_rate_unless_given() {
        let shards = |vars: &[(&str, &str)]| {
            let mut all = vec![("JWT_PUBLIC_KEYS", KEY)];
            all.extend_from_slice(vars);
            config_from(&all).map(|config| config.listing_shards)
        };
        assert_eq!(shards(&[]).ok(), Some(1));
        assert_eq!(shards(&[("PEAK_CREATES_PER_SECOND", "1000")]).ok(), Some(1));
        assert_eq!(shards(&[("PEAK_CREATES_PER_SECOND", "1001")]).ok(), Some(2));
        assert_eq!(shards(&[("PEAK_CREATES_PER_SECOND", "1600")]).ok(), Some(2));
        assert_eq!(
            shards(&[("PEAK_CREATES_PER_SECOND", "10000")]).ok(),
            Some(13)
        );
        assert_eq!(
            shards(&[("PEAK_CREATES_PER_SECOND", "51200")]).ok(),
            Some(64)
        );
        let given = [
            ("PEAK_CREATES_PER_SECOND", "10000"),
            ("LISTING_SHARDS", "3"),
        ];
        assert_eq!(shards(&given).ok(), Some(3));
        for bad in ["0", "51201", "-5", "lots"] {
            assert!(
                shards(&[("PEAK_CREATES_PER_SECOND", bad)]).is_err(),
                "{bad:?}"
            );
        }
        // Empty is unset, as for every variable (the template leaves LISTING_SHARDS out instead).
        assert_eq!(shards(&[("LISTING_SHARDS", "")]).ok(), Some(1));
        assert_eq!(listing_shards_for(u32::MAX), MAX_LISTING_SHARDS);
    }

    #[test]
    fn the_rate_limit_defaults_to_100_per_900_seconds_and_0_turns_it_off() {
        let config = config_from(&[("JWT_PUBLIC_KEYS", KEY)]).expect("valid config");
        assert_eq!(config.rate_limit, RateLimitConfig::default());
        assert_eq!(config.rate_limit.requests, 100);
        assert_eq!(config.rate_limit.window, Duration::from_secs(900));
        let off = config_from(&[("JWT_PUBLIC_KEYS", KEY), ("RATE_LIMIT_REQUESTS", "0")])
            .expect("valid config");
        assert_eq!(off.rate_limit.requests, 0);
        for (name, value) in [
            ("RATE_LIMIT_REQUESTS", "-1"),
            ("RATE_LIMIT_WINDOW_SECONDS", "0"),
        ] {
            let result = config_from(&[("JWT_PUBLIC_KEYS", KEY), (name, value)]);
            assert!(
                matches!(result, Err(ConfigError::Invalid { .. })),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn allowed_origins_are_split_and_trimmed() {
        let config = config_from(&[
            ("JWT_PUBLIC_KEYS", KEY),
            ("ALLOWED_ORIGINS", " https://a.example ,https://b.example/,"),
        ])
        .expect("valid config");
        assert!(config.is_allowed_origin("https://a.example"));
        assert!(config.is_allowed_origin("https://b.example"));
        assert!(!config.is_allowed_origin("https://c.example"));
    }

    #[test]
    fn a_limit_that_is_not_a_positive_number_is_refused() {
        let result = config_from(&[("JWT_PUBLIC_KEYS", KEY), ("LOGIN_FAILURES_PER_EMAIL", "0")]);
        assert!(matches!(result, Err(ConfigError::Invalid { .. })));
    }

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
