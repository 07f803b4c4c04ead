//! Secrets in the Secrets Manager emulator `make test` runs (moto, at
//! `AWS_ENDPOINT_URL_SECRETSMANAGER`), for the tests that run functions reading theirs.

use shared::secrets::client_from_env;

/// The emulator's address; only `make test` sets it.
pub fn emulator() -> String {
    std::env::var("AWS_ENDPOINT_URL_SECRETSMANAGER").expect(
        "AWS_ENDPOINT_URL_SECRETSMANAGER names the Secrets Manager emulator: run through make test",
    )
}

/// A secret name no other test uses, `label` in it.
pub fn unique_name(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("products-api/{label}-{}-{nanos}", std::process::id())
}

/// Stores a new secret.
pub async fn put_secret(name: &str, value: &str) {
    client_from_env()
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("the emulator stores the secret");
}

/// A new value of an existing secret (a rotation's step).
pub async fn put_value(name: &str, value: &str) {
    client_from_env()
        .put_secret_value()
        .secret_id(name)
        .secret_string(value)
        .send()
        .await
        .expect("the emulator stores the new value");
}
