//! openapi.yaml and the functions describe the same API: every route of the manifest is
//! documented, nothing undocumented is routed, and the problem body matches its schema.
//! (Schemathesis, in `make test`, holds the served responses to the document in full.)

use std::collections::BTreeSet;

use serde_yaml::Value;
use shared::deploy::ROUTES;
use shared::error::{ApiError, FieldError};
use shared::http::problem;

const OPENAPI: &str = include_str!("../../openapi.yaml");

fn spec() -> Value {
    serde_yaml::from_str(OPENAPI).expect("openapi.yaml parses")
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_routed() {
    let spec = spec();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for (method, _) in item.as_mapping().expect("path item") {
            let method = method.as_str().expect("method");
            if method != "parameters" {
                documented.insert(format!(
                    "{} {}",
                    method.to_uppercase(),
                    path.as_str().expect("path")
                ));
            }
        }
    }
    let routed: BTreeSet<String> = ROUTES.iter().map(|route| route.key.to_owned()).collect();

    assert_eq!(documented, routed);
}

#[test]
fn problem_bodies_have_exactly_the_documented_members() {
    let spec = spec();
    let schema = &spec["components"]["schemas"]["Problem"];
    let documented: BTreeSet<&str> = schema["properties"]
        .as_mapping()
        .expect("properties")
        .keys()
        .filter_map(Value::as_str)
        .collect();
    let required: BTreeSet<&str> = schema["required"]
        .as_sequence()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();

    let error = ApiError::invalid_fields(vec![FieldError::new("price", "must be a number")]);
    let response = problem::render(&error, "req-1");
    let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).expect("json");
    let members: BTreeSet<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();

    assert_eq!(members, documented);
    assert!(required.is_subset(&members));
}

#[test]
fn every_documented_response_carries_the_request_id_header() {
    let spec = spec();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        for (method, operation) in item.as_mapping().expect("path item") {
            let Some(responses) = operation["responses"].as_mapping() else {
                continue;
            };
            for (status, response) in responses {
                let response = match response["$ref"].as_str() {
                    Some(reference) => {
                        let name = reference.rsplit('/').next().expect("name");
                        &spec["components"]["responses"][name]
                    }
                    None => response,
                };
                if response["headers"]["X-Request-Id"].is_null() {
                    missing.push(format!("{method:?} {path:?} {status:?}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{missing:?}");
}
