//! The attribute values the store writes and reads, built in one way everywhere: text as `S`,
//! numbers as `N` in their decimal text, as DynamoDB's wire format carries them.

use std::fmt::Display;

use aws_sdk_dynamodb::types::AttributeValue;

use super::Item;

/// A string attribute.
pub(crate) fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// A number attribute.
pub(crate) fn n(number: impl Display) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// The number attribute `name` of `item`, if it holds a whole number.
pub(crate) fn number_of(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(text)) => text.parse().ok(),
        _ => None,
    }
}

/// The string attribute `name` of `item`.
pub(crate) fn text_of<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(text)) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_travel_as_their_decimal_text_and_read_back() {
        let item = Item::from([("count".to_owned(), n(42_u64)), ("key".to_owned(), s("a"))]);
        assert_eq!(number_of(&item, "count"), Some(42));
        assert_eq!(number_of(&item, "key"), None);
        assert_eq!(text_of(&item, "key"), Some("a"));
        assert_eq!(text_of(&item, "count"), None);
    }
}
