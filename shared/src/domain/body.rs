//! A request body as a client sent it: a JSON object whose keys are all known, taken field by
//! field into the body's own type, and the one list each body's fields are declared in.
//!
//! Reading the object from an HTTP request (content type, size, shape) is the HTTP layer's
//! (`http::body`); what the fields must hold is each domain type's `TryFrom`.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::field::Field;

/// A parsed JSON object whose keys are all known; its fields are taken one by one.
#[derive(Debug, Default)]
pub struct JsonObject {
    fields: BTreeMap<String, Box<RawValue>>,
}

impl JsonObject {
    /// The object of `fields`, every key of which the body declares.
    pub fn new(fields: BTreeMap<String, Box<RawValue>>) -> Self {
        Self { fields }
    }

    /// Removes and returns a field, absent if the client did not send it.
    pub fn take(&mut self, name: &'static str) -> Field {
        Field::new(name, self.fields.remove(name))
    }
}

/// A request body as received: its field list, and how it takes its fields from the object.
/// Declared with [`request_body!`](crate::request_body), which writes both from one list.
pub trait RequestBody: Sized {
    /// Every field a client may send; any other is rejected.
    const FIELDS: &'static [&'static str];

    fn take_fields(object: &mut JsonObject) -> Self;
}

/// Declares a request body: a struct of its raw [`Field`]s and its [`RequestBody`] field list,
/// from one list of `field: "jsonName"` pairs, so a field can be neither accepted and dropped
/// nor declared and refused.
#[macro_export]
macro_rules! request_body {
    ($(#[$meta:meta])* $name:ident { $($field:ident: $json:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Default)]
        pub struct $name {
            $(pub $field: $crate::domain::Field,)+
        }

        impl $crate::domain::body::RequestBody for $name {
            const FIELDS: &'static [&'static str] = &[$($json),+];

            fn take_fields(object: &mut $crate::domain::body::JsonObject) -> Self {
                Self {
                    $($field: object.take($json),)+
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    request_body!(
        /// A body of two fields.
        Pair { first: "first", second_one: "secondOne" }
    );

    #[test]
    fn a_declared_body_lists_and_takes_exactly_its_fields() {
        assert_eq!(Pair::FIELDS, ["first", "secondOne"]);
        let raw = |json: &str| RawValue::from_string(json.to_owned()).expect("json");
        let mut object = JsonObject::new(BTreeMap::from([
            ("first".to_owned(), raw("1")),
            ("secondOne".to_owned(), raw("\"two\"")),
        ]));
        let pair = Pair::take_fields(&mut object);
        assert_eq!(pair.first.json(), Some("1"));
        assert_eq!(pair.second_one.json(), Some("\"two\""));
        assert_eq!(pair.second_one.name(), "secondOne");
    }
}
