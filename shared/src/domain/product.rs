//! Products: the checked fields a client may write, and the stored product they become.

use serde::Serialize;
use serde_json::value::RawValue;

use super::body::{JsonObject, RequestBody};
use super::merge_patch::merge_patch;
use super::words::{stems, words};

use super::field::Field;
use super::id::Id;
use super::image::Images;
use super::price::Price;
use crate::clock::Timestamp;
use crate::error::{ApiError, FieldError};

/// The most stems a product's name may have (a name with more is refused): the product is filed
/// under each, in one transaction with it.
pub const MAX_NAME_STEMS: usize = 30;

/// The most stems a category can have: 50 characters hold at most 12 words of three letters.
pub const MAX_CATEGORY_STEMS: usize = 12;

/// The most stems a product is filed under, its name's and its category's.
pub const MAX_STEMS: usize = MAX_NAME_STEMS + MAX_CATEGORY_STEMS;

/// A product name: trimmed, 1–200 characters, no control characters, and at most
/// [`MAX_NAME_STEMS`] distinct search stems (words of three or more letters that begin
/// differently): search files a product under each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ProductName(String);

impl ProductName {
    pub fn parse(field: &Field) -> Result<Self, FieldError> {
        let name = field.required_string()?.trim().to_owned();
        match name.chars().count() {
            0 => Err(field.error("must not be empty")),
            n if n > 200 => Err(field.error("must be at most 200 characters")),
            _ if name.chars().any(char::is_control) => {
                Err(field.error("must not contain control characters"))
            }
            _ if stems(&words(&name)).len() > MAX_NAME_STEMS => Err(field.error(format!(
                "must have at most {MAX_NAME_STEMS} distinct words of three or more letters \
                 (search files a product under the first three letters of each)"
            ))),
            _ => Ok(Self(name)),
        }
    }

    /// A name read back from storage, where only checked names are written.
    pub fn from_stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional description of up to 2000 characters, trimmed and otherwise kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    pub fn parse(field: &Field) -> Result<Option<Self>, FieldError> {
        let Some(text) = field.optional_string()? else {
            return Ok(None);
        };
        let text = text.trim().to_owned();
        if text.chars().count() > 2000 {
            return Err(field.error("must be at most 2000 characters"));
        }
        Ok(Some(Self(text)))
    }

    /// A description read back from storage, where only checked descriptions are written.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A category slug: 1–50 characters of `a-z`, `0-9` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Category(String);

impl Category {
    pub fn parse_str(text: &str) -> Option<Self> {
        let valid = (1..=50).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        valid.then(|| Self(text.to_owned()))
    }

    pub fn parse(field: &Field) -> Result<Option<Self>, FieldError> {
        match field.optional_string()? {
            None => Ok(None),
            Some(text) => Self::parse_str(&text).map(Some).ok_or_else(|| {
                field.error("must be 1-50 characters of lowercase letters, digits and hyphens")
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

request_body!(
    /// The body of `POST /api/products` and `PUT /api/products/{id}`, as received.
    ProductRequest {
        name: "name",
        price: "price",
        description: "description",
        category: "category",
    }
);

/// What a client may set on a product, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInput {
    pub name: ProductName,
    pub price: Price,
    pub description: Option<Description>,
    pub category: Option<Category>,
}

impl TryFrom<ProductRequest> for ProductInput {
    type Error = ApiError;

    fn try_from(request: ProductRequest) -> Result<Self, ApiError> {
        let (name, price, description, category) = collect_fields!(
            name = ProductName::parse(&request.name),
            price = Price::parse(&request.price),
            description = Description::parse(&request.description),
            category = Category::parse(&request.category),
        )?;
        Ok(Self {
            name,
            price,
            description,
            category,
        })
    }
}

/// A JSON Merge Patch (RFC 7396) of a product's writable fields, each member given checked on
/// its own: an absent member leaves its field, `null` removes `description` or `category` (a
/// product always has a name and a price), a value replaces the field.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductPatch {
    document: serde_json::Value,
}

impl TryFrom<ProductRequest> for ProductPatch {
    type Error = ApiError;

    fn try_from(request: ProductRequest) -> Result<Self, ApiError> {
        collect_fields!(
            name = required_member(&request.name, ProductName::parse),
            price = required_member(&request.price, Price::parse),
            description = Description::parse(&request.description),
            category = Category::parse(&request.category),
        )?;
        let mut document = serde_json::Map::new();
        for field in [
            &request.name,
            &request.price,
            &request.description,
            &request.category,
        ] {
            if field.is_null() {
                document.insert(field.name().to_owned(), serde_json::Value::Null);
            } else if let Some(json) = field.json() {
                let value = serde_json::from_str(json)
                    .map_err(|e| ApiError::unexpected("read product patch", e))?;
                document.insert(field.name().to_owned(), value);
            }
        }
        Ok(Self {
            document: serde_json::Value::Object(document),
        })
    }
}

/// A patch member for a field every product has: absent, or a valid value; never `null`.
fn required_member<T>(
    field: &Field,
    parse: fn(&Field) -> Result<T, FieldError>,
) -> Result<(), FieldError> {
    if field.is_null() {
        Err(field.error("must not be null: a product always has one"))
    } else if field.is_absent() {
        Ok(())
    } else {
        parse(field).map(drop)
    }
}

impl ProductPatch {
    /// The writable fields of `product` with this patch merged in, checked as a whole as a
    /// `PUT` body is.
    pub fn apply(&self, product: &Product) -> Result<ProductInput, ApiError> {
        const CONTEXT: &str = "apply product patch";
        let mut target = serde_json::json!({
            "name": product.name,
            "price": product.price,
            "description": product.description,
            "category": product.category,
        });
        merge_patch(&mut target, &self.document);
        let serde_json::Value::Object(members) = target else {
            return Err(ApiError::unexpected(
                CONTEXT,
                "a patched product is not an object",
            ));
        };
        let mut fields = std::collections::BTreeMap::new();
        for (name, value) in members {
            let raw = RawValue::from_string(value.to_string())
                .map_err(|e| ApiError::unexpected(CONTEXT, e))?;
            fields.insert(name, raw);
        }
        let request = ProductRequest::take_fields(&mut JsonObject::new(fields));
        ProductInput::try_from(request)
    }
}

/// A stored product, as every response shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: Id,
    pub name: ProductName,
    pub price: Price,
    pub description: Option<Description>,
    pub category: Option<Category>,
    /// Shown: the ready ones, in upload order (see [`Images`]).
    pub images: Images,
    pub owner_id: Id,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl Product {
    /// The entity tag of this version: strong, and changing with every update.
    pub fn etag(&self) -> String {
        etag_for(&self.id, self.version)
    }
}

/// `"<id>.<version>"`, quoted as RFC 9110 wants.
pub fn etag_for(id: &Id, version: u64) -> String {
    format!("\"{id}.{version}\"")
}

/// The version `tag` names if it is a strong entity tag of product `id` (the inverse of
/// [`etag_for`]); a weak tag, another product's tag or anything else names none.
pub fn version_in_etag(tag: &str, id: &Id) -> Option<u64> {
    tag.strip_prefix('"')
        .and_then(|tag| tag.strip_suffix('"'))
        .and_then(|opaque| opaque.split_once('.'))
        .filter(|(tag_id, _)| *tag_id == id.as_str())
        .and_then(|(_, version)| version.parse().ok())
}

/// Which stored versions a conditional write may replace (from `If-Match`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// No `If-Match`, or `If-Match: *`: whatever version is current.
    AnyVersion,
    /// Only one of these versions; an empty list matches nothing.
    Versions(Vec<u64>),
}

impl Expected {
    /// Whether a write may replace `version`.
    pub fn allows(&self, version: u64) -> bool {
        match self {
            Self::AnyVersion => true,
            Self::Versions(versions) => versions.contains(&version),
        }
    }
}

/// Why a conditional write on a product did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteRefused {
    NotFound,
    NotOwner,
    VersionMismatch,
}

impl From<WriteRefused> for ApiError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::NotFound => product_not_found(),
            WriteRefused::NotOwner => {
                ApiError::Forbidden("Only the product's owner may change it.".to_owned())
            }
            WriteRefused::VersionMismatch => ApiError::PreconditionFailed(
                "The product has changed since the given If-Match version.".to_owned(),
            ),
        }
    }
}

/// The 404 for a product id that names nothing, wherever that is found out.
pub fn product_not_found() -> ApiError {
    ApiError::NotFound("No product has this id.".to_owned())
}

impl serde::Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn field(name: &'static str, json: Option<&str>) -> Field {
        Field::new(
            name,
            json.map(|j| RawValue::from_string(j.to_owned()).expect("json")),
        )
    }

    fn request(name: Option<&str>, price: Option<&str>) -> ProductRequest {
        ProductRequest {
            name: field("name", name),
            price: field("price", price),
            description: field("description", None),
            category: field("category", None),
        }
    }

    fn field_errors(result: Result<ProductInput, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Validation { errors, .. }) => {
                errors.into_iter().map(|e| e.field).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn name_is_trimmed() {
        let name = ProductName::parse(&field("name", Some(r#""  Lamp  ""#))).expect("valid");
        assert_eq!(name.as_str(), "Lamp");
    }

    #[test]
    fn blank_name_is_rejected() {
        assert!(ProductName::parse(&field("name", Some(r#""   ""#))).is_err());
    }

    #[test]
    fn name_of_201_characters_is_rejected() {
        let json = format!("\"{}\"", "é".repeat(201));
        assert!(ProductName::parse(&field("name", Some(&json))).is_err());
        let json = format!("\"{}\"", "é".repeat(200));
        assert!(ProductName::parse(&field("name", Some(&json))).is_ok());
    }

    #[test]
    fn name_with_a_control_character_is_rejected() {
        assert!(ProductName::parse(&field("name", Some(r#""a\u0007b""#))).is_err());
    }

    #[test]
    fn description_of_2001_characters_is_rejected() {
        let json = format!("\"{}\"", "x".repeat(2001));
        assert!(Description::parse(&field("description", Some(&json))).is_err());
    }

    #[test]
    fn description_keeps_markup_as_given() {
        let parsed = Description::parse(&field("description", Some(r#"" <b>bold</b> ""#)))
            .expect("valid")
            .expect("present");
        assert_eq!(parsed.as_str(), "<b>bold</b>");
    }

    #[test]
    fn category_outside_its_alphabet_is_rejected() {
        for json in [r#""""#, r#""Books""#, r#""a b""#, r#""a_b""#, "7"] {
            assert!(
                Category::parse(&field("category", Some(json))).is_err(),
                "{json}"
            );
        }
        let long = format!("\"{}\"", "a".repeat(51));
        assert!(Category::parse(&field("category", Some(&long))).is_err());
    }

    #[test]
    fn null_category_is_none() {
        assert_eq!(Category::parse(&field("category", Some("null"))), Ok(None));
    }

    #[test]
    fn every_invalid_field_is_reported_together() {
        let errors = field_errors(ProductInput::try_from(request(Some("\"\""), Some("-1"))));
        assert_eq!(errors, ["name", "price"]);
    }

    #[test]
    fn missing_name_and_price_are_both_reported() {
        let errors = field_errors(ProductInput::try_from(request(None, None)));
        assert_eq!(errors, ["name", "price"]);
    }

    #[test]
    fn etag_changes_with_the_version() {
        let id = Id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").expect("id");
        assert_eq!(etag_for(&id, 1), "\"01ARZ3NDEKTSV4RRFFQ69G5FAV.1\"");
        assert_ne!(etag_for(&id, 1), etag_for(&id, 2));
    }

    #[test]
    fn an_etag_names_its_version_back() {
        let id = Id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").expect("id");
        let other = Id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAW").expect("id");
        assert_eq!(version_in_etag(&etag_for(&id, 7), &id), Some(7));
        assert_eq!(version_in_etag(&etag_for(&other, 7), &id), None);
        assert_eq!(
            version_in_etag(&format!("W/{}", etag_for(&id, 7)), &id),
            None
        );
        assert_eq!(
            version_in_etag("\"01ARZ3NDEKTSV4RRFFQ69G5FAV.x\"", &id),
            None
        );
    }

    fn patch(members: &[(&'static str, &str)]) -> Result<ProductPatch, ApiError> {
        let mut request = ProductRequest::default();
        for (name, json) in members {
            let member = field(name, Some(json));
            match *name {
                "name" => request.name = member,
                "price" => request.price = member,
                "description" => request.description = member,
                _ => request.category = member,
            }
        }
        ProductPatch::try_from(request)
    }

    fn lamp() -> Product {
        let now = Timestamp::from_millis(1_700_000_000_000);
        Product {
            id: Id::parse("01HZY3T7J9K2M4N6P8Q0R2S4T6").expect("id"),
            name: ProductName::from_stored("Desk lamp".to_owned()),
            price: Price::from_cents(2990).expect("price"),
            description: Some(Description::from_stored("Warm light".to_owned())),
            category: Category::parse_str("lighting"),
            owner_id: Id::parse("01HZY3T7J9K2M4N6P8Q0R2S4T7").expect("id"),
            created_at: now,
            updated_at: now,
            version: 3,
            images: Images::default(),
        }
    }

    #[test]
    fn a_patch_changes_only_the_members_it_gives() {
        let patched = patch(&[("price", "12.5")])
            .and_then(|p| p.apply(&lamp()))
            .expect("patched");
        assert_eq!(patched.price, Price::from_cents(1250).expect("price"));
        assert_eq!(patched.name.as_str(), "Desk lamp");
        assert_eq!(patched.description, lamp().description);
        assert_eq!(patched.category, lamp().category);
        let empty = patch(&[]).and_then(|p| p.apply(&lamp())).expect("patched");
        assert_eq!(
            (empty.name, empty.price, empty.description, empty.category),
            (
                lamp().name,
                lamp().price,
                lamp().description,
                lamp().category
            )
        );
    }

    #[test]
    fn null_removes_description_and_category_but_never_name_or_price() {
        let patched = patch(&[("category", "null"), ("description", "null")])
            .and_then(|p| p.apply(&lamp()))
            .expect("patched");
        assert_eq!((patched.description, patched.category), (None, None));
        for member in ["name", "price"] {
            match patch(&[(member, "null")]) {
                Err(ApiError::Validation { errors, .. }) => {
                    assert_eq!(errors.len(), 1);
                    assert_eq!(errors[0].field, member);
                }
                other => panic!("{member}: null accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn every_member_given_is_checked_as_a_put_checks_it() {
        let long = format!("\"{}\"", "d".repeat(2001));
        match patch(&[
            ("name", "\"  \""),
            ("price", "1.234"),
            ("description", &long),
            ("category", "\"Not Valid\""),
        ]) {
            Err(ApiError::Validation { errors, .. }) => {
                let mut fields: Vec<String> = errors.into_iter().map(|e| e.field).collect();
                fields.sort();
                assert_eq!(fields, ["category", "description", "name", "price"]);
            }
            other => panic!("accepted: {other:?}"),
        }
    }
}
