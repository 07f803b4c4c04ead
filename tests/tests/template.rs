//! template.yaml grants secrets by least privilege: no function's environment holds a secret,
//! only login may read the signing key, only list-products the cursor key, every HTTP function
//! the front door's origin secret.

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

/// `!Ref X`, or `!If [Condition, !Ref X, !Ref AWS::NoValue]` (X when the condition holds, nothing
/// otherwise), as `Some("X")`.
fn reference_if_any(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "If" => {
            let otherwise = reference(&tagged.value[2]);
            (otherwise == Some("AWS::NoValue"))
                .then(|| reference(&tagged.value[1]))
                .flatten()
        }
        other => reference(other),
    }
}

/// Every function's logical id, with its environment (Globals, then its own) and the
/// resources each IAM action of its policies is granted on.
struct Function {
    name: String,
    binary: String,
    environment: Vec<(String, Value)>,
    grants: Vec<(String, Value)>,
    /// Each statement's actions, resources and condition.
    statements: Vec<Statement>,
}

struct Statement {
    actions: Vec<String>,
    resources: Vec<Value>,
    condition: Value,
}

impl Statement {
    fn on(&self, table_arn: &str) -> bool {
        self.resources.iter().any(|target| {
            matches!(target, Value::Tagged(t) if t.tag == "GetAtt" && t.value.as_str() == Some(table_arn))
        })
    }

    fn writes(&self) -> bool {
        self.actions.iter().any(|action| {
            [
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
            ]
            .contains(&action.as_str())
        })
    }

    /// The strings of `condition[operator][key]`.
    fn condition_values(&self, operator: &str, key: &str) -> Vec<String> {
        as_list(&self.condition[operator][key])
            .iter()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect()
    }
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
        let mut statements = Vec::new();
        for policy in as_list(&resource["Properties"]["Policies"]) {
            for statement in as_list(&policy["Statement"]) {
                statements.push(Statement {
                    actions: as_list(&statement["Action"])
                        .iter()
                        .filter_map(|a| a.as_str().map(str::to_owned))
                        .collect(),
                    resources: as_list(&statement["Resource"]),
                    condition: statement["Condition"].clone(),
                });
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
            statements,
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
                    reference_if_any(value).is_some(),
                    "{}: {variable} names a secret by reference only",
                    function.name
                );
            }
        }
    }
}

#[test]
fn each_secret_is_read_by_the_one_function_that_needs_it() {
    let mut readers: Vec<(String, String)> = Vec::new();
    for function in functions() {
        for (action, target) in &function.grants {
            if action.starts_with("secretsmanager:") {
                assert_eq!(action, "secretsmanager:GetSecretValue", "{}", function.name);
                let target = reference(target).unwrap_or("a secret not named by !Ref");
                // The front door's secret is every HTTP function's (below).
                if target != "OriginVerifySecret" {
                    readers.push((function.name.clone(), target.to_owned()));
                }
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
            ("MailerFunction".to_owned(), "AddressKeySecret".to_owned()),
        ]
    );
    let names_secret = |function: &Function, variable: &str, secret: &str| {
        function
            .environment
            .iter()
            .any(|(name, value)| name == variable && reference(value) == Some(secret))
    };
    for function in functions() {
        // Behind the front door, every HTTP function checks the origin secret; no worker does.
        let http = route_of_binary(&function.binary).is_some();
        let front_door = function.environment.iter().any(|(name, value)| {
            name == "ORIGIN_VERIFY_SECRET_ID"
                && reference_if_any(value) == Some("OriginVerifySecret")
        });
        let reads_front_door = function.grants.iter().any(|(action, target)| {
            action == "secretsmanager:GetSecretValue"
                && reference(target) == Some("OriginVerifySecret")
        });
        assert_eq!(
            (front_door, reads_front_door),
            (http, http),
            "{}",
            function.name
        );
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
        assert_eq!(
            names_secret(&function, "ADDRESS_KEY_SECRET_ID", "AddressKeySecret"),
            function.name == "MailerFunction",
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

/// The route of a function, by its binary; `None` for a worker.
fn route_of_binary(binary: &str) -> Option<&'static shared::deploy::Route> {
    let route = shared::deploy::http_functions().find(|route| route.function == binary);
    if route.is_none() {
        assert!(
            shared::deploy::WORKERS.iter().any(|w| w.function == binary),
            "{binary} serves no route and is no worker"
        );
    }
    route
}

/// Whether a function's requests count against the rate limit (a worker's are no requests).
fn counted(binary: &str) -> bool {
    route_of_binary(binary).is_some_and(|route| route.counted)
}

#[test]
fn exactly_the_functions_whose_requests_count_may_update_the_request_counters() {
    use shared::store::limits::REQUEST_COUNTERS;
    let request_counters = format!("{REQUEST_COUNTERS}*");
    for function in functions() {
        let counts = function.statements.iter().any(|statement| {
            statement.on("AuthLimitsTable.Arn")
                && statement.actions.iter().any(|a| a == "dynamodb:UpdateItem")
                && statement
                    .condition_values("ForAllValues:StringLike", "dynamodb:LeadingKeys")
                    .contains(&request_counters)
        });
        assert_eq!(counts, counted(&function.binary), "{}", function.name);
    }
}

#[test]
fn each_function_may_write_only_the_counters_it_keeps() {
    use shared::store::limits::{
        FORGOT_IP_COUNTERS, LOGIN_EMAIL_COUNTERS, LOGIN_IP_COUNTERS, MAIL_ADDRESS_COUNTERS,
        REGISTRATION_COUNTERS, REQUEST_COUNTERS, RESET_MAIL_COUNTERS, VERIFICATION_MAIL_COUNTERS,
    };
    for function in functions() {
        let mut keys: Vec<String> = Vec::new();
        for statement in function
            .statements
            .iter()
            .filter(|s| s.on("AuthLimitsTable.Arn"))
        {
            let leading =
                statement.condition_values("ForAllValues:StringLike", "dynamodb:LeadingKeys");
            assert!(
                !leading.is_empty(),
                "{}: a statement on the limits table without dynamodb:LeadingKeys",
                function.name
            );
            keys.extend(leading);
        }
        keys.sort();
        keys.dedup();
        let binary = function.binary.as_str();
        let mut expected: Vec<String> = Vec::new();
        if counted(binary) {
            expected.push(format!("{REQUEST_COUNTERS}*"));
        }
        let own: &[&str] = match binary {
            "login" | "delete-account" => &[LOGIN_EMAIL_COUNTERS, LOGIN_IP_COUNTERS],
            "change-password" | "reset-password" => &[LOGIN_EMAIL_COUNTERS],
            "register" => &[REGISTRATION_COUNTERS],
            "forgot-password" => &[FORGOT_IP_COUNTERS, RESET_MAIL_COUNTERS],
            "resend-verification" => &[VERIFICATION_MAIL_COUNTERS],
            "mailer" => &[MAIL_ADDRESS_COUNTERS],
            // The deleted account's own counters, deleted.
            "purger" => &[
                LOGIN_EMAIL_COUNTERS,
                RESET_MAIL_COUNTERS,
                VERIFICATION_MAIL_COUNTERS,
            ],
            _ => &[],
        };
        expected.extend(own.iter().map(|prefix| format!("{prefix}*")));
        expected.sort();
        assert_eq!(keys, expected, "{}", function.name);
    }
}

#[test]
fn logout_all_may_write_only_the_session_epoch_of_an_account() {
    let logout_all = functions()
        .into_iter()
        .find(|function| function.binary == "logout-all")
        .expect("logout-all");
    let writes: Vec<&Statement> = logout_all
        .statements
        .iter()
        .filter(|s| s.on("UsersTable.Arn") && s.writes())
        .collect();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].actions, ["dynamodb:UpdateItem"]);
    let attributes = writes[0].condition_values("ForAllValues:StringEquals", "dynamodb:Attributes");
    assert_eq!(attributes, ["email", "sessionEpoch"]);
}

#[test]
fn no_offered_log_level_logs_request_bodies() {
    let template = template();
    let levels: Vec<String> = as_list(&template["Parameters"]["LogLevel"]["AllowedValues"])
        .iter()
        .filter_map(|level| level.as_str().map(str::to_owned))
        .collect();
    let levels: Vec<&str> = levels.iter().map(String::as_str).collect();
    assert!(!levels.contains(&"TRACE"), "{levels:?}");
    assert!(levels.contains(&"INFO"), "{levels:?}");
}

#[test]
fn reserved_concurrency_is_a_parameter_off_by_default_applied_to_every_function() {
    let template = template();
    let parameter = &template["Parameters"]["ReservedConcurrency"];
    assert_eq!(parameter["Default"].as_u64(), Some(0));
    let global =
        serde_yaml::to_string(&template["Globals"]["Function"]["ReservedConcurrentExecutions"])
            .expect("yaml");
    assert!(
        global.contains("HasReservedConcurrency") && global.contains("ReservedConcurrency"),
        "{global}"
    );
    for (name, resource) in template["Resources"].as_mapping().expect("resources") {
        if resource["Type"].as_str() == Some("AWS::Serverless::Function") {
            assert!(
                resource["Properties"]["ReservedConcurrentExecutions"].is_null(),
                "{name:?} overrides the reserved concurrency"
            );
        }
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

/// The route key a function's request lines carry as their `Route` dimension (a worker has
/// none).
fn route_of(binary: &str) -> Option<String> {
    route_of_binary(binary).map(|route| route.key.to_owned())
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
        match route_of(&function.binary) {
            Some(route) => {
                let route = format!("Value: {route}");
                if !alarm_on(&["MetricName: Latency", "ExtendedStatistic: p99", &route]) {
                    missing.push(format!("{}: p99 latency of {route}", function.name));
                }
            }
            None => {
                let name = function.name.trim_end_matches("Function");
                let queue = format!("{name}FailedJobsQueue");
                for needles in [
                    ["MetricName: IteratorAge", reference.as_str()],
                    ["ApproximateNumberOfMessagesVisible", queue.as_str()],
                ] {
                    if !alarm_on(&needles) {
                        missing.push(format!("{}: {}", function.name, needles[0]));
                    }
                }
            }
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

#[test]
fn the_folder_the_deploy_steps_write_the_production_key_to_is_git_ignored() {
    let readme = include_str!("../../docs/deploying.md");
    let folder = readme
        .lines()
        .find_map(|line| line.split("--bin keygen -- ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the deploy steps (docs/deploying.md) run keygen into a folder");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let key = format!("{folder}/signing-key.pem");
    assert!(
        !std::path::Path::new(&key).is_absolute() && !key.starts_with(".."),
        "{key}: the deploy steps keep the key inside the checkout, where .gitignore covers it"
    );
    let ignored = std::process::Command::new("git")
        .args(["check-ignore", "--quiet", "--no-index", &key])
        .current_dir(root)
        .status()
        .expect("git runs");
    assert!(ignored.success(), "{key} is not git-ignored");
}

#[test]
fn only_the_mailer_may_send_mail_and_only_from_the_configured_identity() {
    let mut senders = Vec::new();
    for function in functions() {
        for (action, target) in &function.grants {
            if action.starts_with("ses:") {
                assert_eq!(action, "ses:SendEmail", "{}", function.name);
                let target = serde_yaml::to_string(target).expect("yaml");
                assert!(
                    target.contains(":identity/${MailIdentity}"),
                    "{}: {target}",
                    function.name
                );
                senders.push(function.name.clone());
            }
        }
    }
    assert_eq!(senders, ["MailerFunction"]);
}

#[test]
fn every_worker_is_fed_by_its_own_jobs_with_retries_and_a_failure_queue() {
    let template = template();
    for worker in shared::deploy::WORKERS {
        let id = functions()
            .into_iter()
            .find(|f| f.binary == worker.function)
            .map(|f| f.name)
            .unwrap_or_else(|| panic!("{} is not in the template", worker.function));
        let mapping =
            &template["Resources"][id.as_str()]["Properties"]["Events"]["Outbox"]["Properties"];
        let text = serde_yaml::to_string(mapping).expect("yaml");
        assert!(text.contains("OutboxTable.StreamArn"), "{id}: {text}");
        assert!(
            text.contains(&format!("\"job\": {{\"S\": [\"{}\"]}}", worker.job)),
            "{id}: filter on its job: {text}"
        );
        assert_eq!(
            mapping["BisectBatchOnFunctionError"].as_bool(),
            Some(true),
            "{id}"
        );
        assert_eq!(
            mapping["MaximumRecordAgeInSeconds"].as_u64(),
            Some(86_400),
            "{id}"
        );
        assert!(text.contains("ReportBatchItemFailures"), "{id}");
        assert!(text.contains("OnFailure"), "{id}");
    }
}

/// The value the template sets `name` to for `function`.
fn environment_value<'a>(function: &'a Function, name: &str) -> Option<&'a Value> {
    function
        .environment
        .iter()
        .rev()
        .find(|(variable, _)| variable == name)
        .map(|(_, value)| value)
}

/// What a tagged value (`!Ref X`, `!GetAtt X.Arn`) names.
fn tagged(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) => tagged.value.as_str(),
        _ => None,
    }
}

/// What a function reads at cold start, besides what every function reads: its route's (or
/// worker's) needs, and a worker's failure queue.
fn read_at_init(binary: &str) -> Vec<&'static str> {
    let mut names = Vec::new();
    let needs = route_of_binary(binary)
        .map(|route| route.needs)
        .or_else(|| {
            shared::deploy::WORKERS
                .iter()
                .find(|worker| worker.function == binary)
                .map(|worker| {
                    names.push(worker.failure_queue_variable);
                    worker.needs
                })
        });
    let needs = needs.unwrap_or_else(|| panic!("{binary} is neither a route nor a worker"));
    if needs.signing_key {
        names.push("JWT_SIGNING_KEY_SECRET_ID");
    }
    if needs.cursor_key {
        names.push("CURSOR_KEY_SECRET_ID");
    }
    if needs.address_key {
        names.push("ADDRESS_KEY_SECRET_ID");
    }
    if needs.mail {
        names.extend(["MAIL_FROM", "APP_BASE_URL"]);
    }
    names
}

#[test]
fn every_variable_naming_a_resource_that_a_function_reads_is_set_for_it() {
    // What every function's configuration reads, found by reading it: each variable that names
    // a deployed resource (a table) or must be given (the public keys) is set for every
    // function; the rest are tuning knobs whose defaults are the deployed values.
    let asked = std::sync::Mutex::new(Vec::new());
    let _ = shared::Config::from_lookup(|name| {
        asked.lock().expect("lock").push(name.to_owned());
        (name == "JWT_PUBLIC_KEYS").then(|| "A".repeat(43))
    });
    let asked = asked.into_inner().expect("lock");
    let must_be_set: Vec<&String> = asked
        .iter()
        .filter(|name| name.ends_with("_TABLE") || *name == "JWT_PUBLIC_KEYS")
        .collect();
    assert!(must_be_set.len() >= 8, "the configuration reads {asked:?}");
    for function in functions() {
        for name in must_be_set
            .iter()
            .map(|name| name.as_str())
            .chain(read_at_init(&function.binary))
        {
            let value = environment_value(&function, name).unwrap_or_else(|| {
                panic!(
                    "{}: reads {name} at cold start, which the template does not set for it",
                    function.binary
                )
            });
            assert!(
                reference(value).is_some() || value.as_str().is_some_and(|v| !v.is_empty()),
                "{}: {name} is set to nothing",
                function.binary
            );
        }
    }
}

#[test]
fn every_table_variable_names_a_table_of_the_template() {
    let template = template();
    for function in functions() {
        for (name, value) in &function.environment {
            if !name.ends_with("_TABLE") {
                continue;
            }
            let table = reference(value).unwrap_or_else(|| panic!("{name} is not a !Ref"));
            assert_eq!(
                template["Resources"][table]["Type"].as_str(),
                Some("AWS::DynamoDB::Table"),
                "{}: {name} names {table}",
                function.binary
            );
        }
    }
}

#[test]
fn every_worker_failure_queue_variable_names_its_mapping_destination_under_an_alarm() {
    let template = template();
    for worker in shared::deploy::WORKERS {
        let function = functions()
            .into_iter()
            .find(|f| f.binary == worker.function)
            .expect("the worker's function");
        let queue = environment_value(&function, worker.failure_queue_variable)
            .and_then(reference)
            .unwrap_or_else(|| panic!("{}: no {}", worker.function, worker.failure_queue_variable))
            .to_owned();
        let resource = &template["Resources"][function.name.as_str()];
        let destination = &resource["Properties"]["Events"]["Outbox"]["Properties"]
            ["DestinationConfig"]["OnFailure"]["Destination"];
        assert_eq!(
            tagged(destination).map(|d| d.trim_end_matches(".Arn")),
            Some(queue.as_str()),
            "{}: the worker parks jobs where its mapping sends failed batches",
            worker.function
        );
        let alarmed = template["Resources"]
            .as_mapping()
            .expect("resources")
            .values()
            .any(|alarm| {
                alarm["Type"].as_str() == Some("AWS::CloudWatch::Alarm")
                    && alarm["Properties"]["MetricName"].as_str()
                        == Some("ApproximateNumberOfMessagesVisible")
                    && tagged(&alarm["Properties"]["Dimensions"][0]["Value"])
                        == Some(&format!("{queue}.QueueName"))
                    && alarm["Properties"]["Threshold"].as_f64() == Some(0.0)
            });
        assert!(
            alarmed,
            "{}: an alarm fires on the first message in {queue}",
            worker.function
        );
    }
}

#[test]
fn every_handler_takes_the_keys_and_clients_its_function_declares_and_no_other() {
    // The manifest gives the template a function's secrets and variables; the handler's
    // parameters are what the function loads at cold start. They must be the same.
    for function in shared::deploy::functions() {
        let name = function.name();
        let taken = api_tests::dispatch::needs_of_handler(name)
            .unwrap_or_else(|| panic!("{name}: no handler in the dispatch"));
        let declared = function.needs();
        assert_eq!(
            (taken.signing_key, taken.cursor_key, taken.address_key, taken.mail),
            (declared.signing_key, declared.cursor_key, declared.address_key, declared.mail),
            "{name}: (signing key, cursor key, address key, mail) its handler takes against the manifest"
        );
    }
}
