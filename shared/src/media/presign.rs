//! An S3 presigned POST (a browser-based upload): a form whose policy, signed with the
//! function's credentials (Signature Version 4), fixes what the client may upload — the key, the
//! content type and the exact size — until it expires.
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>

use aws_lc_rs::hmac;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};

use crate::clock::Timestamp;

/// Who signs: an access key and its secret (and session token, for a role's credentials).
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
    pub region: &'a str,
}

/// What the upload must be.
pub struct Upload<'a> {
    /// Where the form is sent.
    pub url: String,
    pub bucket: &'a str,
    pub key: &'a str,
    pub content_type: &'a str,
    /// The exact size in bytes.
    pub size: u64,
    pub expires_at: Timestamp,
}

/// The form a client sends: `fields` first, then the file (as `file`), as
/// `multipart/form-data` to `url`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadForm {
    pub url: String,
    pub fields: serde_json::Map<String, Value>,
    pub expires_at: Timestamp,
}

/// `20261205T101500Z`, the form of time SigV4 signs.
fn amz_date(now: Timestamp) -> String {
    // From `2026-12-05T10:15:00.000Z`.
    let text = now.to_string();
    let (seconds, _) = text.split_at(19);
    format!("{}Z", seconds.replace(['-', ':'], ""))
}

/// Signs a POST policy for `upload` at `now` with `signer`'s credentials.
pub fn presigned_post(signer: &Signer<'_>, upload: &Upload<'_>, now: Timestamp) -> UploadForm {
    let date_time = amz_date(now);
    let date = &date_time[..8];
    let credential = format!(
        "{}/{date}/{}/s3/aws4_request",
        signer.access_key_id, signer.region
    );
    let mut fields = serde_json::Map::new();
    fields.insert("key".into(), json!(upload.key));
    fields.insert("Content-Type".into(), json!(upload.content_type));
    fields.insert("x-amz-algorithm".into(), json!("AWS4-HMAC-SHA256"));
    fields.insert("x-amz-credential".into(), json!(credential));
    fields.insert("x-amz-date".into(), json!(date_time));
    if let Some(token) = signer.session_token {
        fields.insert("x-amz-security-token".into(), json!(token));
    }
    let mut conditions = vec![
        json!({ "bucket": upload.bucket }),
        json!(["content-length-range", upload.size, upload.size]),
    ];
    conditions.extend(fields.iter().map(|(name, value)| json!({ name: value })));
    let policy = json!({
        "expiration": upload.expires_at.to_string(),
        "conditions": conditions,
    });
    let policy = STANDARD.encode(policy.to_string());
    let key = signing_key(signer.secret_access_key, date, signer.region, "s3");
    let signature = hex(sign(&key, policy.as_bytes()).as_ref());
    fields.insert("policy".into(), json!(policy));
    fields.insert("x-amz-signature".into(), json!(signature));
    UploadForm {
        url: upload.url.clone(),
        fields,
        expires_at: upload.expires_at,
    }
}

fn sign(key: &[u8], data: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
}

/// SigV4's key of a day, region and service.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let secret = format!("AWS4{secret}");
    [region, service, "aws4_request"]
        .into_iter()
        .fold(sign(secret.as_bytes(), date.as_bytes()), |key, part| {
            sign(key.as_ref(), part.as_bytes())
        })
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNER: Signer<'static> = Signer {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        session_token: None,
        region: "us-east-1",
    };

    #[test]
    fn the_key_of_the_day_is_sigv4s() {
        // AWS's published example of a derived signing key.
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let key = signing_key(secret, "20120215", "us-east-1", "iam");
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn the_policy_fixes_key_type_exact_size_and_expiry() {
        let now = Timestamp::parse_rfc3339("2026-12-05T10:15:00.000Z").expect("time");
        let expires_at = Timestamp::parse_rfc3339("2026-12-05T10:25:00.000Z").expect("time");
        let form = presigned_post(
            &Signer {
                session_token: Some("token"),
                ..SIGNER
            },
            &Upload {
                url: "https://media.s3.us-east-1.amazonaws.com".into(),
                bucket: "media",
                key: "uploads/p/i",
                content_type: "image/png",
                size: 2048,
                expires_at,
            },
            now,
        );
        let policy = STANDARD
            .decode(form.fields["policy"].as_str().expect("policy"))
            .expect("base64");
        let policy: Value = serde_json::from_slice(&policy).expect("json");
        assert_eq!(policy["expiration"], "2026-12-05T10:25:00.000Z");
        let conditions = policy["conditions"].as_array().expect("conditions");
        for condition in [
            json!({ "bucket": "media" }),
            json!({ "key": "uploads/p/i" }),
            json!({ "Content-Type": "image/png" }),
            json!(["content-length-range", 2048, 2048]),
            json!({ "x-amz-date": "20261205T101500Z" }),
            json!({ "x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20261205/us-east-1/s3/aws4_request" }),
            json!({ "x-amz-security-token": "token" }),
        ] {
            assert!(conditions.contains(&condition), "{condition} in {policy}");
        }
        assert_eq!(form.fields["key"], "uploads/p/i");
        assert_eq!(form.fields["x-amz-security-token"], "token");
        let signature = form.fields["x-amz-signature"].as_str().expect("signature");
        assert_eq!(signature.len(), 64);
        let expected = hex(sign(
            &signing_key(SIGNER.secret_access_key, "20261205", "us-east-1", "s3"),
            form.fields["policy"].as_str().expect("policy").as_bytes(),
        )
        .as_ref());
        assert_eq!(signature, expected);
    }
}
