//! DynamoDB stream records as Lambda hands them to a function (the event source mapping's
//! `{"Records": [...]}`), their images in DynamoDB's JSON (`{"S": "..."}`) read back into items.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::store::Item;

/// One record of a stream event, as far as a worker reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: String,
    /// Where the stream resumes if this record fails (a partial batch failure names it).
    pub sequence_number: String,
    pub new_image: Option<Item>,
}

/// The records of a stream event, in order; `None` if it is not one.
pub fn records(event: &Value) -> Option<Vec<Record>> {
    event["Records"]
        .as_array()?
        .iter()
        .map(|record| {
            Some(Record {
                event_name: record["eventName"].as_str()?.to_owned(),
                sequence_number: record["dynamodb"]["SequenceNumber"].as_str()?.to_owned(),
                new_image: record["dynamodb"].get("NewImage").and_then(image),
            })
        })
        .collect()
}

/// An item from its DynamoDB JSON.
pub fn image(json: &Value) -> Option<Item> {
    json.as_object()?
        .iter()
        .map(|(name, value)| Some((name.clone(), attribute(value)?)))
        .collect()
}

fn attribute(json: &Value) -> Option<AttributeValue> {
    let (kind, value) = json.as_object()?.iter().next()?;
    let strings = |value: &Value| -> Option<Vec<String>> {
        value
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    Some(match kind.as_str() {
        "S" => AttributeValue::S(value.as_str()?.to_owned()),
        "N" => AttributeValue::N(value.as_str()?.to_owned()),
        "BOOL" => AttributeValue::Bool(value.as_bool()?),
        "NULL" => AttributeValue::Null(value.as_bool()?),
        "SS" => AttributeValue::Ss(strings(value)?),
        "NS" => AttributeValue::Ns(strings(value)?),
        "M" => AttributeValue::M(image(value)?),
        "L" => AttributeValue::L(
            value
                .as_array()?
                .iter()
                .map(attribute)
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}

/// The DynamoDB JSON of an item: what a stream record carries (the local stream poller writes
/// it as the event source mapping does).
pub fn to_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(name, value)| (name.clone(), attribute_json(value)))
            .collect(),
    )
}

fn attribute_json(value: &AttributeValue) -> Value {
    use serde_json::json;
    match value {
        AttributeValue::S(text) => json!({ "S": text }),
        AttributeValue::N(number) => json!({ "N": number }),
        AttributeValue::Bool(flag) => json!({ "BOOL": flag }),
        AttributeValue::Null(flag) => json!({ "NULL": flag }),
        AttributeValue::Ss(texts) => json!({ "SS": texts }),
        AttributeValue::Ns(numbers) => json!({ "NS": numbers }),
        AttributeValue::M(map) => json!({ "M": to_json(map) }),
        AttributeValue::L(list) => {
            json!({ "L": list.iter().map(attribute_json).collect::<Vec<_>>() })
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_image_reads_back_from_its_json() {
        let item = Item::from([
            ("id".to_owned(), AttributeValue::S("a".to_owned())),
            ("n".to_owned(), AttributeValue::N("12".to_owned())),
            ("ok".to_owned(), AttributeValue::Bool(true)),
            (
                "m".to_owned(),
                AttributeValue::M(Item::from([(
                    "x".to_owned(),
                    AttributeValue::L(vec![AttributeValue::S("y".to_owned())]),
                )])),
            ),
        ]);
        assert_eq!(image(&to_json(&item)), Some(item));
    }

    #[test]
    fn records_keep_their_order_and_sequence_numbers() {
        let event = json!({ "Records": [
            { "eventName": "INSERT", "dynamodb": { "SequenceNumber": "1", "NewImage": { "id": { "S": "a" } } } },
            { "eventName": "REMOVE", "dynamodb": { "SequenceNumber": "2" } }
        ]});
        let records = records(&event).expect("records");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].sequence_number, "1");
        assert!(records[0].new_image.is_some());
        assert_eq!(records[1].event_name, "REMOVE");
        assert_eq!(super::records(&json!({ "nope": 1 })), None);
    }
}
