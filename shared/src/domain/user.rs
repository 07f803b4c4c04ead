//! Users: registration input, the password rule, and the public view of an account.

use secrecy::SecretString;
use serde::Serialize;

use super::email::Email;
use super::field::Field;
use super::id::Id;
use super::token::OneTimeToken;
use crate::clock::Timestamp;
use crate::error::{ApiError, FieldError};

/// A password as typed: 8–128 characters (not bytes), never trimmed, never logged.
#[derive(Debug)]
pub struct Password(SecretString);

impl Password {
    pub fn parse(field: &Field) -> Result<Self, FieldError> {
        let text = field.required_string()?;
        match text.chars().count() {
            n if n < 8 => Err(field.error("must be at least 8 characters")),
            n if n > 128 => Err(field.error("must be at most 128 characters")),
            _ => Ok(Self(SecretString::from(text))),
        }
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

/// An optional display name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &Field) -> Result<Option<Self>, FieldError> {
        let Some(text) = field.optional_string()? else {
            return Ok(None);
        };
        let text = text.trim().to_owned();
        match text.chars().count() {
            0 => Err(field.error("must not be empty")),
            n if n > 100 => Err(field.error("must be at most 100 characters")),
            _ if text.chars().any(char::is_control) => {
                Err(field.error("must not contain control characters"))
            }
            _ => Ok(Some(Self(text))),
        }
    }

    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

request_body!(
    /// The body of `POST /api/auth/register`, as received.
    RegisterRequest {
        email: "email",
        password: "password",
        name: "name",
    }
);

/// A registration, checked.
#[derive(Debug)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub name: Option<DisplayName>,
}

impl TryFrom<RegisterRequest> for Registration {
    type Error = ApiError;

    fn try_from(request: RegisterRequest) -> Result<Self, ApiError> {
        let (email, password, name) = collect_fields!(
            email = request
                .email
                .required_string()
                .and_then(|e| Email::parse(&e)),
            password = Password::parse(&request.password),
            name = DisplayName::parse(&request.name),
        )?;
        Ok(Self {
            email,
            password,
            name,
        })
    }
}

/// A password presented to be checked against a stored hash: only its presence and length are
/// checked, so that a password too long to hash cheaply never reaches argon2.
fn presented_password(field: &Field) -> Result<SecretString, FieldError> {
    let text = field.required_string()?;
    if text.is_empty() || text.chars().count() > 128 {
        return Err(field.error("must be 1-128 characters"));
    }
    Ok(SecretString::from(text))
}

request_body!(
    /// The body of `POST /api/auth/login`, as received.
    LoginRequest {
        email: "email",
        password: "password",
    }
);

/// Login credentials; the password as [`presented_password`] takes it.
#[derive(Debug)]
pub struct Credentials {
    pub email: Email,
    pub password: SecretString,
}

impl TryFrom<LoginRequest> for Credentials {
    type Error = ApiError;

    fn try_from(request: LoginRequest) -> Result<Self, ApiError> {
        let (email, password) = collect_fields!(
            email = request
                .email
                .required_string()
                .and_then(|e| Email::parse(&e)),
            password = presented_password(&request.password),
        )?;
        Ok(Self { email, password })
    }
}

request_body!(
    /// The body of `PUT /api/profile/password`, as received.
    PasswordChangeRequest {
        current_password: "currentPassword",
        new_password: "newPassword",
    }
);

/// A password change, checked: the current password only for presence and length (as at
/// login), the new one by the registration rules.
#[derive(Debug)]
pub struct PasswordChange {
    pub current: SecretString,
    pub new: Password,
}

impl TryFrom<PasswordChangeRequest> for PasswordChange {
    type Error = ApiError;

    fn try_from(request: PasswordChangeRequest) -> Result<Self, ApiError> {
        let (current, new) = collect_fields!(
            current = presented_password(&request.current_password),
            new = Password::parse(&request.new_password),
        )?;
        Ok(Self { current, new })
    }
}

request_body!(
    /// The body of `POST /api/auth/password/forgot`, as received.
    ForgotPasswordRequest { email: "email" }
);

impl ForgotPasswordRequest {
    /// The address asked about.
    pub fn email(&self) -> Result<Email, ApiError> {
        let (email,) =
            collect_fields!(email = self.email.required_string().and_then(|e| Email::parse(&e)),)?;
        Ok(email)
    }
}

request_body!(
    /// The body of `POST /api/auth/password/reset`, as received.
    ResetPasswordRequest {
        token: "token",
        new_password: "newPassword",
    }
);

/// A password reset, checked: a token of the right shape, and a new password by the
/// registration rules.
#[derive(Debug)]
pub struct PasswordReset {
    pub token: OneTimeToken,
    pub password: Password,
}

impl TryFrom<ResetPasswordRequest> for PasswordReset {
    type Error = ApiError;

    fn try_from(request: ResetPasswordRequest) -> Result<Self, ApiError> {
        let (token, password) = collect_fields!(
            token = OneTimeToken::parse(&request.token),
            password = Password::parse(&request.new_password),
        )?;
        Ok(Self { token, password })
    }
}

request_body!(
    /// The body of `POST /api/auth/email/verify`, as received.
    VerifyEmailRequest { token: "token" }
);

impl VerifyEmailRequest {
    /// The token of the link.
    pub fn token(&self) -> Result<OneTimeToken, ApiError> {
        let (token,) = collect_fields!(token = OneTimeToken::parse(&self.token),)?;
        Ok(token)
    }
}

request_body!(
    /// The body of `DELETE /api/profile`, as received.
    DeleteAccountRequest { password: "password" }
);

/// An account deletion, checked: the password, as at login.
#[derive(Debug)]
pub struct AccountDeletion {
    pub password: SecretString,
}

impl TryFrom<DeleteAccountRequest> for AccountDeletion {
    type Error = ApiError;

    fn try_from(request: DeleteAccountRequest) -> Result<Self, ApiError> {
        let (password,) = collect_fields!(password = presented_password(&request.password),)?;
        Ok(Self { password })
    }
}

request_body!(
    /// The body of `PATCH /api/profile` (a JSON Merge Patch), as received.
    ProfilePatchRequest { name: "name" }
);

/// A profile change: what becomes of the name, if the patch names it (`null` removes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePatch {
    pub name: Option<Option<DisplayName>>,
}

impl TryFrom<ProfilePatchRequest> for ProfilePatch {
    type Error = ApiError;

    fn try_from(request: ProfilePatchRequest) -> Result<Self, ApiError> {
        let (name,) = collect_fields!(
            name = if request.name.is_absent() {
                Ok(None)
            } else {
                DisplayName::parse(&request.name).map(Some)
            },
        )?;
        Ok(Self { name })
    }
}

/// An account as responses show it: never a password or a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Id,
    pub email: Email,
    pub name: Option<DisplayName>,
    /// Whether the address was shown to be the user's (a verification link was opened).
    pub email_verified: bool,
    pub created_at: Timestamp,
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn field(json: &str) -> Field {
        Field::new(
            "password",
            Some(RawValue::from_string(json.to_owned()).expect("json")),
        )
    }

    #[test]
    fn password_of_seven_characters_is_rejected() {
        assert!(Password::parse(&field(r#""1234567""#)).is_err());
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        // Eight two-byte characters: sixteen bytes, eight characters.
        assert!(Password::parse(&field(r#""éééééééé""#)).is_ok());
        let long = format!("\"{}\"", "é".repeat(128));
        assert!(Password::parse(&field(&long)).is_ok());
        let too_long = format!("\"{}\"", "a".repeat(129));
        assert!(Password::parse(&field(&too_long)).is_err());
    }

    #[test]
    fn password_is_not_trimmed() {
        assert!(Password::parse(&field(r#""  pass  ""#)).is_ok());
    }

    #[test]
    fn user_json_never_mentions_a_password() {
        let user = User {
            id: Id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").expect("id"),
            email: Email::parse("a@b.co").expect("email"),
            name: None,
            email_verified: false,
            created_at: Timestamp::from_millis(0),
        };
        let json = serde_json::to_value(&user).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "id": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
                "email": "a@b.co",
                "name": null,
                "emailVerified": false,
                "createdAt": "1970-01-01T00:00:00.000Z"
            })
        );
    }
}
