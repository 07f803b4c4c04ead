//! template.yaml grants secrets by least privilege: no function's environment holds a secret,
//! only login may read the signing key, only list-products the cursor key.

use serde_yaml::Value;

const TEMPLATE: &str = include_str!("../../template.yaml");

fn template() -> Value {
    serde_yaml::from_str(TEMPLATE).expect("template.yaml parses")
}

/// `!Ref X` as `Some("X")`.
fn reference(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        _ => None,
    }
}

/// Every function's logical id, with its environment (Globals, then its own) and the
/// resources each IAM action of its policies is granted on.
struct Function {
    name: String,
    binary: String,
    environment: Vec<(String, Value)>,
    grants: Vec<(String, Value)>,
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Sequence(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn functions() -> Vec<Function> {
    let template = template();
    let globals = template["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .cloned()
        .unwrap_or_default();
    let mut functions = Vec::new();
    for (name, resource) in template["Resources"].as_mapping().expect("resources") {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let own = resource["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        let environment = globals
            .iter()
            .chain(own.iter())
            .map(|(k, v)| (k.as_str().expect("variable").to_owned(), v.clone()))
            .collect();
        let mut grants = Vec::new();
        for policy in as_list(&resource["Properties"]["Policies"]) {
            for statement in as_list(&policy["Statement"]) {
                for action in as_list(&statement["Action"]) {
                    for target in as_list(&statement["Resource"]) {
                        let action = action.as_str().unwrap_or_default().to_owned();
                        grants.push((action, target));
                    }
                }
            }
        }
        functions.push(Function {
            name: name.as_str().expect("id").to_owned(),
            binary: resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .expect("Binary")
                .to_owned(),
            environment,
            grants,
        });
    }
    functions
}

#[test]
fn no_function_environment_holds_a_secret() {
    for function in functions() {
        for (variable, value) in &function.environment {
            let text = serde_yaml::to_string(value).expect("yaml");
            assert!(
                !text.contains("resolve:secretsmanager") && !text.contains("resolve:ssm-secure"),
                "{}: {variable} resolves a secret into the environment",
                function.name
            );
            assert_ne!(variable, "JWT_SECRET", "{}", function.name);
            if variable.ends_with("_SECRET_ID") {
                assert!(
                    reference(value).is_some(),
                    "{}: {variable} names a secret by reference only",
                    function.name
                );
            }
        }
    }
}

#[test]
fn only_login_reads_the_signing_key_and_only_list_products_the_cursor_key() {
    let mut readers: Vec<(String, String)> = Vec::new();
    for function in functions() {
        for (action, target) in &function.grants {
            if action.starts_with("secretsmanager:") {
                assert_eq!(action, "secretsmanager:GetSecretValue", "{}", function.name);
                let target = reference(target).unwrap_or("a secret not named by !Ref");
                readers.push((function.name.clone(), target.to_owned()));
            }
        }
    }
    readers.sort();
    assert_eq!(
        readers,
        [
            (
                "ListProductsFunction".to_owned(),
                "CursorKeySecret".to_owned()
            ),
            ("LoginFunction".to_owned(), "SigningKeySecretArn".to_owned()),
        ]
    );
    let names_secret = |function: &Function, variable: &str, secret: &str| {
        function
            .environment
            .iter()
            .any(|(name, value)| name == variable && reference(value) == Some(secret))
    };
    for function in functions() {
        assert_eq!(
            names_secret(
                &function,
                "JWT_SIGNING_KEY_SECRET_ID",
                "SigningKeySecretArn"
            ),
            function.name == "LoginFunction",
            "{}",
            function.name
        );
        assert_eq!(
            names_secret(&function, "CURSOR_KEY_SECRET_ID", "CursorKeySecret"),
            function.name == "ListProductsFunction",
            "{}",
            function.name
        );
    }
}

#[test]
fn every_function_is_configured_with_the_public_keys() {
    for function in functions() {
        let keys = function
            .environment
            .iter()
            .find(|(name, _)| name == "JWT_PUBLIC_KEYS")
            .map(|(_, value)| reference(value));
        assert_eq!(keys, Some(Some("TokenPublicKeys")), "{}", function.name);
    }
}

#[test]
fn exactly_the_functions_whose_requests_count_may_update_the_limits_table() {
    // Every route counts against its client's budget but health (openapi.yaml, `TooManyRequests`).
    for function in functions() {
        let counts = function.grants.iter().any(|(action, target)| {
            action == "dynamodb:UpdateItem"
                && matches!(target, Value::Tagged(t) if t.tag == "GetAtt"
                    && t.value.as_str() == Some("AuthLimitsTable.Arn"))
        });
        assert_eq!(counts, function.binary != "health", "{}", function.name);
    }
}

/// Every alarm of the template, as YAML text, by logical id.
fn alarms() -> Vec<(String, String)> {
    let template = template();
    template["Resources"]
        .as_mapping()
        .expect("resources")
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(name, resource)| {
            (
                name.as_str().expect("id").to_owned(),
                serde_yaml::to_string(&resource["Properties"]).expect("yaml"),
            )
        })
        .collect()
}

/// The route key a function's request lines carry as their `Route` dimension.
fn route_of(binary: &str) -> String {
    if binary == shared::http::routes::FALLBACK.function {
        return shared::http::routes::FALLBACK.path.to_owned();
    }
    shared::http::ROUTES
        .iter()
        .find(|route| route.function == binary)
        .map(|route| route.key.to_owned())
        .unwrap_or_else(|| panic!("{binary} serves no route"))
}

#[test]
fn every_function_has_its_error_throttle_and_latency_alarms() {
    let alarms = alarms();
    let alarm_on = |needles: &[&str]| {
        alarms
            .iter()
            .any(|(_, text)| needles.iter().all(|needle| text.contains(needle)))
    };
    let mut missing = Vec::new();
    for function in functions() {
        let reference = format!("!Ref {}", function.name);
        for metric in ["MetricName: Errors", "MetricName: Throttles"] {
            if !alarm_on(&["Namespace: AWS/Lambda", metric, &reference]) {
                missing.push(format!("{}: {metric}", function.name));
            }
        }
        let route = format!("Value: {}", route_of(&function.binary));
        if !alarm_on(&["MetricName: Latency", "ExtendedStatistic: p99", &route]) {
            missing.push(format!("{}: p99 latency of {route}", function.name));
        }
    }
    assert!(missing.is_empty(), "alarms missing: {missing:#?}");
}

#[test]
fn every_table_has_its_throttle_and_system_error_alarms() {
    let template = template();
    let alarms = alarms();
    let mut missing = Vec::new();
    for (name, resource) in template["Resources"].as_mapping().expect("resources") {
        if resource["Type"].as_str() != Some("AWS::DynamoDB::Table") {
            continue;
        }
        let table = name.as_str().expect("id");
        let reference = format!("!Ref {table}");
        let substituted = format!("${{{table}}}");
        let throttles = alarms.iter().any(|(_, text)| {
            text.contains("ReadThrottleEvents")
                && text.contains("WriteThrottleEvents")
                && text.contains(&reference)
        });
        let errors = alarms
            .iter()
            .any(|(_, text)| text.contains("SystemErrors") && text.contains(&substituted));
        if !throttles {
            missing.push(format!("{table}: throttled requests"));
        }
        if !errors {
            missing.push(format!("{table}: system errors"));
        }
    }
    assert!(missing.is_empty(), "alarms missing: {missing:#?}");
}

#[test]
fn every_alarm_notifies_the_alarm_topic() {
    for (name, text) in alarms() {
        assert!(
            text.contains("AlarmActions:\n- !Ref AlarmTopic"),
            "{name}: {text}"
        );
    }
}
