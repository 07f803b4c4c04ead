//! An email address as the API accepts it: trimmed, lower-cased, at most 254 characters, and
//! one SES can send to: the part before the `@` in ASCII (SES refuses any other), a domain
//! with non-ASCII letters kept in its IDNA form (`bücher.example` → `xn--bcher-kva.example`),
//! the form SES and DNS take.

use std::fmt;

use crate::error::FieldError;

const MAX_LENGTH: usize = 254;

/// A normalised email address; two spellings differing only in case are the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let invalid = |message: &str| FieldError::new("email", message);
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if email.chars().count() > MAX_LENGTH {
            return Err(invalid("must be at most 254 characters"));
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err(invalid("must be an email address"));
        };
        if !local.is_ascii() {
            return Err(invalid(
                "must have only ASCII characters before the @ (mail cannot be delivered to any other)",
            ));
        }
        let domain = if domain.is_ascii() {
            domain.to_owned()
        } else {
            idna::domain_to_ascii_strict(domain).map_err(|_| invalid("must be an email address"))?
        };
        let local_ok = !local.is_empty() && local.len() <= 64 && !local.contains('@');
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        let chars_ok = local
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>()[]\\,;:\"".contains(c));
        let email = format!("{local}@{domain}");
        if email.len() > MAX_LENGTH {
            return Err(invalid("must be at most 254 characters"));
        }
        if local_ok && domain_ok && chars_ok {
            Ok(Self(email))
        } else {
            Err(invalid("must be an email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
    }

    #[test]
    fn email_of_255_characters_is_rejected() {
        let raw = format!("{}@{}.com", "a".repeat(60), "b".repeat(190));
        assert_eq!(raw.len(), 255);
        assert!(Email::parse(&raw).is_err());
    }

    #[test]
    fn email_of_254_characters_is_accepted() {
        let raw = format!("{}@{}.com", "a".repeat(60), "b".repeat(189));
        assert_eq!(raw.len(), 254);
        assert!(Email::parse(&raw).is_ok());
    }

    #[test]
    fn text_that_is_not_an_address_is_rejected() {
        for raw in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@.com",
            "a@b..com",
            "a b@c.com",
            "a@b.com.",
            "<a>@b.com",
            "a@-b.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn a_local_part_that_is_not_ascii_is_rejected() {
        let error = Email::parse("jörg@example.com").expect_err("not sendable");
        assert!(error.message.contains("ASCII"), "{}", error.message);
    }

    #[test]
    fn a_domain_that_is_not_ascii_is_kept_in_its_idna_form() {
        let email = Email::parse("a@Bücher.Example").expect("valid");
        assert_eq!(email.as_str(), "a@xn--bcher-kva.example");
        assert_eq!(Email::parse(email.as_str()), Ok(email));
    }
}
