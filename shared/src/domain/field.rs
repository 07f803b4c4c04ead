//! One field of a JSON request body, kept as raw JSON text until a domain type parses it.
//!
//! Keeping the text (rather than a `serde_json::Value`) lets a price be read exactly as written,
//! with no detour through `f64`.

use serde_json::value::RawValue;

use crate::error::FieldError;

/// A field as the client sent it: absent, or some JSON value (possibly `null`).
#[derive(Debug, Default)]
pub struct Field {
    name: &'static str,
    raw: Option<Box<RawValue>>,
}

impl Field {
    pub fn new(name: &'static str, raw: Option<Box<RawValue>>) -> Self {
        Self { name, raw }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The JSON text of the value, or `None` when the field is absent or `null`.
    pub fn json(&self) -> Option<&str> {
        self.raw
            .as_deref()
            .map(RawValue::get)
            .filter(|text| *text != "null")
    }

    /// Whether the client sent the field as `null`.
    pub fn is_null(&self) -> bool {
        self.raw.as_deref().map(RawValue::get) == Some("null")
    }

    /// Whether the client did not send the field at all (as opposed to sending `null`).
    pub fn is_absent(&self) -> bool {
        self.raw.is_none()
    }

    pub fn error(&self, message: impl Into<String>) -> FieldError {
        FieldError::new(self.name, message)
    }

    /// A string that must be present.
    pub fn required_string(&self) -> Result<String, FieldError> {
        self.optional_string()?
            .ok_or_else(|| self.error("is required"))
    }

    /// A string that may be absent or `null`.
    pub fn optional_string(&self) -> Result<Option<String>, FieldError> {
        match self.json() {
            None => Ok(None),
            Some(text) if text.starts_with('"') => serde_json::from_str::<String>(text)
                .map(Some)
                .map_err(|_| self.error("must be a valid string")),
            Some(_) => Err(self.error("must be a string")),
        }
    }
}

/// Turns the results of parsing several fields into one value or every error at once.
#[macro_export]
macro_rules! collect_fields {
    ($($name:ident = $parsed:expr),+ $(,)?) => {{
        $(let $name = $parsed;)+
        let mut errors: Vec<$crate::error::FieldError> = Vec::new();
        $(if let Err(error) = &$name { errors.push(error.clone()); })+
        if errors.is_empty() {
            Ok(($($name.unwrap_or_else(|_| unreachable!("checked above")),)+))
        } else {
            Err($crate::error::ApiError::invalid_fields(errors))
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(json: &str) -> Field {
        Field::new(
            "f",
            Some(RawValue::from_string(json.to_owned()).expect("json")),
        )
    }

    #[test]
    fn null_and_absent_are_both_missing() {
        assert_eq!(field("null").optional_string(), Ok(None));
        assert_eq!(Field::new("f", None).optional_string(), Ok(None));
        assert!(field("null").required_string().is_err());
    }

    #[test]
    fn a_number_is_not_a_string() {
        assert_eq!(
            field("10").optional_string(),
            Err(FieldError::new("f", "must be a string"))
        );
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(field(r#""a\nb""#).required_string(), Ok("a\nb".to_owned()));
    }
}
