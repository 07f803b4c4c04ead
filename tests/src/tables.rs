//! The DynamoDB tables of `template.yaml`, created locally from that one definition so local
//! runs, tests and deployments cannot drift apart.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType, TableDescription,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use serde_yaml::Value;

/// The template, read at compile time: the tables cannot differ from what is deployed.
pub const TEMPLATE: &str = include_str!("../../template.yaml");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One table as the template declares it.
#[derive(Debug, Clone)]
pub struct TableDefinition {
    /// The environment variable the functions read its name from (`PRODUCTS_TABLE`).
    pub env_var: String,
    pub logical_id: String,
    properties: Value,
}

/// Strips CloudFormation tags (`!Ref X` becomes `X`) so the template reads as plain YAML.
fn untag(value: &Value) -> &Value {
    match value {
        Value::Tagged(tagged) => &tagged.value,
        other => other,
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Result<&'a str, BoxError> {
    untag(&value[key])
        .as_str()
        .ok_or_else(|| format!("template: {key} is not a string").into())
}

/// Every `AWS::DynamoDB::Table` of the template, with the environment variable naming it.
pub fn definitions() -> Result<Vec<TableDefinition>, BoxError> {
    let template: Value = serde_yaml::from_str(TEMPLATE)?;
    let variables = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .ok_or("template: Globals.Function.Environment.Variables is missing")?;
    let mut env_vars = BTreeMap::new();
    for (name, value) in variables {
        if let (Some(name), Value::Tagged(tagged)) = (name.as_str(), value) {
            if tagged.tag == "Ref" {
                if let Some(target) = tagged.value.as_str() {
                    env_vars.insert(target.to_owned(), name.to_owned());
                }
            }
        }
    }
    let resources = template["Resources"]
        .as_mapping()
        .ok_or("template: Resources is missing")?;
    let mut tables = Vec::new();
    for (logical_id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let logical_id = logical_id.as_str().ok_or("template: odd resource id")?;
        let env_var = env_vars
            .get(logical_id)
            .ok_or_else(|| format!("template: no environment variable names {logical_id}"))?;
        tables.push(TableDefinition {
            env_var: env_var.clone(),
            logical_id: logical_id.to_owned(),
            properties: resource["Properties"].clone(),
        });
    }
    Ok(tables)
}

fn key_schema(value: &Value) -> Result<Vec<KeySchemaElement>, BoxError> {
    let mut keys = Vec::new();
    for key in value
        .as_sequence()
        .ok_or("template: KeySchema is not a list")?
    {
        keys.push(
            KeySchemaElement::builder()
                .attribute_name(text(key, "AttributeName")?)
                .key_type(KeyType::from(text(key, "KeyType")?))
                .build()?,
        );
    }
    Ok(keys)
}

/// Whether DynamoDB's TTL deletion runs on the tables created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// As deployed: items past their TTL attribute are deleted, eventually.
    Enabled,
    /// For tests: DynamoDB Local's sweeper deletes by the machine's wall clock, which a test's
    /// clock does not follow, so it would remove items at random. With it off, what a test sees
    /// is the code's own expiry checks — the only thing production can rely on either, since
    /// DynamoDB's deletion lags by up to days.
    Disabled,
}

impl TableDefinition {
    /// Creates the table under `name`; an existing table is left as it is.
    pub async fn create(&self, client: &Client, name: &str, ttl: Ttl) -> Result<(), BoxError> {
        let props = &self.properties;
        let mut request = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::from(text(props, "BillingMode")?))
            .set_key_schema(Some(key_schema(&props["KeySchema"])?));
        request = request.set_attribute_definitions(Some(attribute_definitions(props)?));
        for index in indexes(props) {
            let (index_name, keys, projection) = index_parts(index)?;
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index_name)
                    .set_key_schema(Some(keys))
                    .projection(projection)
                    .build()?,
            );
        }
        if let Some(spec) = props.get("StreamSpecification") {
            request = request.stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::from(text(spec, "StreamViewType")?))
                    .build()?,
            );
        }
        match request.send().await {
            Ok(_) => {}
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                return self.bring_up_to_date(client, name).await;
            }
            Err(error) => return Err(Box::new(error)),
        }

        if let Some(spec) = props
            .get("TimeToLiveSpecification")
            .filter(|_| ttl == Ttl::Enabled)
        {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(text(spec, "AttributeName")?)
                        .enabled(spec["Enabled"].as_bool().unwrap_or(true))
                        .build()?,
                )
                .send()
                .await?;
        }
        Ok(())
    }
}

/// The attribute definitions of a table's properties in the template.
fn attribute_definitions(props: &Value) -> Result<Vec<AttributeDefinition>, BoxError> {
    props["AttributeDefinitions"]
        .as_sequence()
        .ok_or("template: AttributeDefinitions is not a list")?
        .iter()
        .map(|attribute| {
            Ok(AttributeDefinition::builder()
                .attribute_name(text(attribute, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(attribute, "AttributeType")?))
                .build()?)
        })
        .collect()
}

/// The global secondary indexes of a table's properties in the template.
fn indexes(props: &Value) -> impl Iterator<Item = &Value> {
    props["GlobalSecondaryIndexes"]
        .as_sequence()
        .into_iter()
        .flatten()
}

/// An index's name, key schema and projection.
fn index_parts(index: &Value) -> Result<(&str, Vec<KeySchemaElement>, Projection), BoxError> {
    let projection = ProjectionType::from(text(&index["Projection"], "ProjectionType")?);
    Ok((
        text(index, "IndexName")?,
        key_schema(&index["KeySchema"])?,
        Projection::builder().projection_type(projection).build(),
    ))
}

async fn describe(client: &Client, name: &str) -> Result<TableDescription, BoxError> {
    Ok(client
        .describe_table()
        .table_name(name)
        .send()
        .await?
        .table
        .ok_or("describe table: no table")?)
}

/// Waits until the table and every index of it are active (a minute at most).
async fn wait_for_indexes(client: &Client, name: &str) -> Result<(), BoxError> {
    use aws_sdk_dynamodb::types::{IndexStatus, TableStatus};
    for _ in 0..600 {
        let table = describe(client, name).await?;
        let active = table.table_status() == Some(&TableStatus::Active)
            && table
                .global_secondary_indexes()
                .iter()
                .all(|index| index.index_status() == Some(&IndexStatus::Active));
        if active {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("{name}: its indexes were not active after a minute").into())
}

impl TableDefinition {
    /// Gives an existing table what the template has gained since it was made: indexes it
    /// lacks (DynamoDB builds them from the items there), and its stream. The data stays.
    async fn bring_up_to_date(&self, client: &Client, name: &str) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::types::{
            CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
            GlobalSecondaryIndexUpdate,
        };
        let table = describe(client, name).await?;
        let props = &self.properties;
        // Indexes the template no longer has, or has with other keys, go first (one at a time,
        // as DynamoDB builds and drops them); the items stay.
        let wanted: Vec<(&str, Vec<KeySchemaElement>, Projection)> = indexes(props)
            .map(index_parts)
            .collect::<Result<_, BoxError>>()?;
        let mut existing = Vec::new();
        for index in table.global_secondary_indexes() {
            let Some(index_name) = index.index_name() else {
                continue;
            };
            let current = wanted.iter().any(|(name, keys, _)| {
                *name == index_name && keys.as_slice() == index.key_schema()
            });
            if current {
                existing.push(index_name.to_owned());
                continue;
            }
            client
                .update_table()
                .table_name(name)
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .delete(
                            DeleteGlobalSecondaryIndexAction::builder()
                                .index_name(index_name)
                                .build()?,
                        )
                        .build(),
                )
                .send()
                .await?;
            wait_for_indexes(client, name).await?;
            eprintln!("{name}: index {index_name} dropped (not in the template as it is)");
        }
        for (index_name, keys, projection) in wanted {
            if existing.iter().any(|name| name == index_name) {
                continue;
            }
            let update = client
                .update_table()
                .table_name(name)
                .set_attribute_definitions(Some(attribute_definitions(props)?));
            let create = CreateGlobalSecondaryIndexAction::builder()
                .index_name(index_name)
                .set_key_schema(Some(keys))
                .projection(projection)
                .build()?;
            update
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder().create(create).build(),
                )
                .send()
                .await?;
            // One index is built at a time: the next waits for this one.
            wait_for_indexes(client, name).await?;
            eprintln!("{name}: index {index_name} added");
        }
        let has_stream = table
            .stream_specification()
            .is_some_and(|s| s.stream_enabled());
        if let (Some(spec), false) = (props.get("StreamSpecification"), has_stream) {
            client
                .update_table()
                .table_name(name)
                .stream_specification(
                    StreamSpecification::builder()
                        .stream_enabled(true)
                        .stream_view_type(StreamViewType::from(text(spec, "StreamViewType")?))
                        .build()?,
                )
                .send()
                .await?;
            eprintln!("{name}: stream enabled");
        }
        Ok(())
    }
}

/// Creates every table of the template, naming each by `name_of(env_var)`.
pub async fn create_all(
    client: &Client,
    ttl: Ttl,
    name_of: impl Fn(&TableDefinition) -> String,
) -> Result<Vec<String>, BoxError> {
    let mut created = Vec::new();
    for definition in definitions()? {
        let name = name_of(&definition);
        definition.create(client, &name, ttl).await?;
        created.push(name);
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_declares_the_six_tables_with_their_variables() {
        let mut vars: Vec<String> = definitions()
            .expect("template parses")
            .into_iter()
            .map(|d| d.env_var)
            .collect();
        vars.sort();
        assert_eq!(
            vars,
            [
                "IDEMPOTENCY_TABLE",
                "LIMITS_TABLE",
                "OUTBOX_TABLE",
                "PRODUCTS_TABLE",
                "SESSIONS_TABLE",
                "TOKENS_TABLE",
                "USERS_TABLE"
            ]
        );
    }

    #[test]
    fn limits_sessions_and_tokens_expire_by_the_attribute_the_store_writes() {
        let with_ttl: Vec<(String, String, bool)> = definitions()
            .expect("template parses")
            .into_iter()
            .filter_map(|d| {
                let spec = d.properties.get("TimeToLiveSpecification")?;
                let attribute = spec["AttributeName"].as_str()?.to_owned();
                Some((
                    d.env_var,
                    attribute,
                    spec["Enabled"].as_bool() == Some(true),
                ))
            })
            .collect();
        let ttl = shared::store::limits::TTL_ATTRIBUTE.to_owned();
        assert_eq!(
            with_ttl,
            [
                ("LIMITS_TABLE".to_owned(), ttl.clone(), true),
                ("SESSIONS_TABLE".to_owned(), ttl.clone(), true),
                ("TOKENS_TABLE".to_owned(), ttl.clone(), true),
                ("IDEMPOTENCY_TABLE".to_owned(), ttl, true)
            ]
        );
    }

    #[test]
    fn products_table_has_its_listing_owner_and_search_indexes() {
        use shared::store::listing;
        let products = definitions()
            .expect("template parses")
            .into_iter()
            .find(|d| d.env_var == "PRODUCTS_TABLE")
            .expect("products table");
        let names: Vec<&str> = products.properties["GlobalSecondaryIndexes"]
            .as_sequence()
            .expect("indexes")
            .iter()
            .filter_map(|i| i["IndexName"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                listing::BY_SHARD_CREATED,
                listing::BY_SHARD_PRICE,
                listing::BY_SHARD_NAME,
                listing::BY_CATEGORY_CREATED,
                listing::BY_CATEGORY_PRICE,
                listing::BY_CATEGORY_NAME,
                shared::store::products::BY_OWNER_INDEX,
                listing::BY_SEARCH_CREATED,
                listing::BY_SEARCH_PRICE,
                listing::BY_SEARCH_NAME,
            ]
        );
    }
}
