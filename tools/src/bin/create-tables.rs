//! Creates the tables of `template.yaml` in the DynamoDB that `AWS_ENDPOINT_URL_DYNAMODB` names,
//! under the names the functions read (`PRODUCTS_TABLE`, ...). Safe to run again: existing tables
//! are kept, with their data, and given the indexes and stream the template has now (an index
//! it no longer has as it is, dropped). `make dev` runs it before serving. With an S3 emulator
//! (`AWS_ENDPOINT_URL_S3`), it makes the media bucket (`MEDIA_BUCKET`) there too.

use api_tests::tables::{self, Ttl};

#[tokio::main]
async fn main() {
    let client = shared::store::client::from_env();
    let config = tools::table_config("create-tables");
    let name_of = |definition: &tables::TableDefinition| {
        let variable = definition.env_var.as_str();
        config
            .tables
            .by_variable(variable)
            .unwrap_or_else(|| {
                panic!("template names a table variable the functions do not read: {variable}")
            })
            .to_owned()
    };
    match tables::create_all(&client, Ttl::Enabled, name_of).await {
        Ok(names) => println!("tables ready: {}", names.join(", ")),
        Err(error) => {
            eprintln!("create-tables: {error:?}");
            std::process::exit(1);
        }
    }
    if std::env::var_os("AWS_ENDPOINT_URL_S3").is_some() {
        let bucket = &config.media.bucket;
        match api_tests::media::create_bucket(bucket).await {
            Ok(()) => println!("bucket ready: {bucket}"),
            Err(error) => {
                eprintln!("create-tables: {error}");
                std::process::exit(1);
            }
        }
    }
}
