//! Money, exactly: a price is a whole number of cents from parse to storage to response.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::field::Field;
use crate::error::FieldError;

/// 999999.99, the highest price the API takes.
pub const MAX_CENTS: u64 = 99_999_999;

/// A price between 0 and 999999.99 with at most two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Price(u64);

impl Price {
    pub fn from_cents(cents: u64) -> Option<Self> {
        (cents <= MAX_CENTS).then_some(Self(cents))
    }

    pub fn cents(self) -> u64 {
        self.0
    }

    /// Reads a JSON number from its text, without rounding through floating point.
    pub fn parse(field: &Field) -> Result<Self, FieldError> {
        let text = field.json().ok_or_else(|| field.error("is required"))?;
        let cents = cents_from_json_number(text).map_err(|problem| field.error(problem))?;
        Self::from_cents(cents).ok_or_else(|| field.error("must be at most 999999.99"))
    }

    /// Reads a price written as a JSON number would be (a query parameter, say).
    pub fn parse_text(text: &str) -> Result<Self, &'static str> {
        Self::from_cents(cents_from_json_number(text)?).ok_or("must be at most 999999.99")
    }
}

/// Converts JSON number text (`-?int(.frac)?([eE][+-]?exp)?`) to cents.
fn cents_from_json_number(text: &str) -> Result<u64, &'static str> {
    const NOT_A_NUMBER: &str = "must be a number";
    const TOO_PRECISE: &str = "must have at most 2 decimal places";
    const TOO_LARGE: &str = "must be at most 999999.99";

    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], &unsigned[at + 1..]),
        None => (unsigned, "0"),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if integer.is_empty() || !is_digits(integer) || !is_digits(fraction) {
        return Err(NOT_A_NUMBER);
    }
    let exponent_digits = exponent.trim_start_matches(['+', '-']);
    if exponent_digits.is_empty() || !is_digits(exponent_digits) {
        return Err(NOT_A_NUMBER);
    }

    let digits: String = format!("{integer}{fraction}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(0); // any spelling of zero, including -0 and 0e999
    }
    if negative {
        return Err("must be at least 0");
    }
    // Beyond a few hundred the exponent cannot land a non-zero value in range either way.
    let exponent: i64 = if exponent_digits.len() > 6 {
        if exponent.starts_with('-') {
            return Err(TOO_PRECISE);
        }
        return Err(TOO_LARGE);
    } else {
        let magnitude: i64 = exponent_digits.parse().map_err(|_| NOT_A_NUMBER)?;
        if exponent.starts_with('-') {
            -magnitude
        } else {
            magnitude
        }
    };
    // value = digits × 10^(exponent − fraction.len()); cents = value × 100.
    let shift = exponent - fraction.len() as i64 + 2;
    let cents_digits = if shift >= 0 {
        if digits.len() as i64 + shift > 12 {
            return Err(TOO_LARGE);
        }
        format!("{digits}{}", "0".repeat(shift as usize))
    } else {
        let drop = (-shift) as usize;
        if drop >= digits.len() {
            return Err(TOO_PRECISE);
        }
        let (kept, dropped) = digits.split_at(digits.len() - drop);
        if dropped.bytes().any(|b| b != b'0') {
            return Err(TOO_PRECISE);
        }
        kept.to_owned()
    };
    if cents_digits.len() > 12 {
        return Err(TOO_LARGE);
    }
    cents_digits.parse().map_err(|_| TOO_LARGE)
}

/// `29.90` as `29.90`: two decimals, always exact.
impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Serialised as a JSON number written from the exact decimal, never from an `f64`.
impl Serialize for Price {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Price, FieldError> {
        let raw = RawValue::from_string(json.to_owned()).expect("valid json");
        Price::parse(&Field::new("price", Some(raw)))
    }

    fn cents(json: &str) -> u64 {
        parse(json).expect(json).cents()
    }

    #[test]
    fn prices_round_trip_exactly() {
        for (json, expected) in [
            ("0.1", 10),
            ("29.90", 2_990),
            ("29.9", 2_990),
            ("999999.99", 99_999_999),
            ("0", 0),
            ("-0", 0),
            ("0.0", 0),
            ("12", 1_200),
            ("1e2", 10_000),
            ("1.5E1", 1_500),
            ("2990e-2", 2_990),
            ("29.900", 2_990),
        ] {
            assert_eq!(cents(json), expected, "{json}");
        }
    }

    #[test]
    fn price_is_written_with_two_decimals() {
        assert_eq!(
            Price::from_cents(2_990).expect("in range").to_string(),
            "29.90"
        );
        assert_eq!(
            serde_json::to_string(&Price::from_cents(10).expect("in range")).expect("json"),
            "0.10"
        );
    }

    #[test]
    fn price_with_three_decimals_is_rejected() {
        assert_eq!(
            parse("1.234").unwrap_err().message,
            "must have at most 2 decimal places"
        );
        assert!(parse("0.001").is_err());
        assert!(parse("1e-3").is_err());
    }

    #[test]
    fn negative_price_is_rejected() {
        assert_eq!(parse("-1").unwrap_err().message, "must be at least 0");
        assert!(parse("-0.01").is_err());
    }

    #[test]
    fn price_above_the_maximum_is_rejected() {
        for json in [
            "1000000",
            "999999.991",
            "1e7",
            "1e400",
            "99999999999999999999999",
        ] {
            assert!(parse(json).is_err(), "{json}");
        }
        assert_eq!(
            parse("1000000").unwrap_err().message,
            "must be at most 999999.99"
        );
    }

    #[test]
    fn non_numbers_are_rejected() {
        for json in [r#""10""#, "null", "true", "[1]", r#"{"a":1}"#] {
            assert!(parse(json).is_err(), "{json}");
        }
        assert_eq!(parse(r#""10""#).unwrap_err().message, "must be a number");
        assert_eq!(parse("null").unwrap_err().message, "is required");
    }
}
