//! Each function's part of `template.yaml`: its resource with a least-privilege policy built
//! from what its route declares, and its three alarms (errors, throttles, p99 latency).

use shared::deploy::{http_functions, Grant, MediaGrant, Route, Worker, WORKERS};
use shared::store::limits::REQUEST_COUNTERS;
use shared::tables::TableName;

use crate::{logical_id, replace_part, GenError};

/// What generates the functions' part of the template.
pub const FUNCTIONS: &str = "functions";
/// What generates the tables' alarms.
pub const TABLE_ALARMS: &str = "table alarms";
/// What generates the functions' alarms.
pub const ALARMS: &str = "function alarms";
/// The template's resources are indented by this much.
const INDENT: &str = "  ";
/// The memory every function has unless its route says otherwise (the template's Globals).
pub const DEFAULT_MEMORY_MB: u32 = 256;

/// One IAM statement of a function's policy, as YAML lines (at the statement list's indent).
struct Statement {
    why: String,
    actions: Vec<String>,
    resources: Vec<String>,
    condition: Vec<String>,
    /// Why it is kept though no test reaches it; such a statement's `Sid` says so, for the role
    /// check (scripts/check-roles.mjs).
    untested: Option<String>,
}

/// The `Sid` of a statement kept though no test reaches it.
pub const UNTESTED_SID: &str = "KeptUntested";

fn list(items: &[String]) -> String {
    match items {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

fn quoted(items: impl IntoIterator<Item = String>) -> String {
    let quoted: Vec<String> = items
        .into_iter()
        .map(|item| format!("\"{item}\""))
        .collect();
    quoted.join(", ")
}

impl Statement {
    fn render(&self, out: &mut String) {
        out.push_str(&format!("            # {}\n", self.why));
        match &self.untested {
            Some(reason) => {
                out.push_str(&format!(
                    "            # Kept though no test reaches it: {reason}\n"
                ));
                out.push_str(&format!("            - Sid: {UNTESTED_SID}\n"));
                out.push_str("              Effect: Allow\n");
            }
            None => out.push_str("            - Effect: Allow\n"),
        }
        out.push_str(&format!("              Action: {}\n", list(&self.actions)));
        out.push_str(&format!(
            "              Resource: {}\n",
            list(&self.resources)
        ));
        for line in &self.condition {
            out.push_str(&format!("              {line}\n"));
        }
    }
}

fn table_arn(table: TableName) -> String {
    format!("!GetAtt {}.Arn", table.logical_id())
}

fn statement_of(grant: &Grant) -> Statement {
    let resources = if grant.indexes.is_empty() {
        vec![table_arn(grant.table)]
    } else {
        grant
            .indexes
            .iter()
            .map(|index| {
                format!(
                    "!Sub \"${{{}.Arn}}/index/{index}\"",
                    grant.table.logical_id()
                )
            })
            .collect()
    };
    let mut condition = Vec::new();
    if !grant.key_prefixes.is_empty() || !grant.attributes.is_empty() {
        condition.push("Condition:".to_owned());
    }
    if !grant.key_prefixes.is_empty() {
        condition.push("  ForAllValues:StringLike:".to_owned());
        condition.push(format!(
            "    dynamodb:LeadingKeys: [{}]",
            quoted(grant.key_prefixes.iter().map(|prefix| format!("{prefix}*")))
        ));
    }
    if !grant.attributes.is_empty() {
        condition.push("  ForAllValues:StringEquals:".to_owned());
        condition.push(format!(
            "    dynamodb:Attributes: [{}]",
            grant.attributes.join(", ")
        ));
        condition.push("  StringEqualsIfExists:".to_owned());
        condition.push("    dynamodb:ReturnValues: [NONE, UPDATED_OLD, UPDATED_NEW]".to_owned());
    }
    Statement {
        why: grant.why.to_owned(),
        actions: grant.actions.iter().map(|a| (*a).to_owned()).collect(),
        resources,
        condition,
        untested: grant.untested.map(str::to_owned),
    }
}

/// The statements of a function's grants in the media bucket: object actions on the objects
/// under their prefixes, `s3:ListBucket` on the bucket for those prefixes only.
fn media_statements(grants: &[MediaGrant]) -> Vec<Statement> {
    grants
        .iter()
        .map(|grant| {
            let listing = grant.actions == ["s3:ListBucket"];
            let (resources, condition) = if listing {
                (
                    vec!["!GetAtt MediaBucket.Arn".to_owned()],
                    vec![
                        "Condition:".to_owned(),
                        "  StringLike:".to_owned(),
                        format!(
                            "    s3:prefix: [{}]",
                            quoted(grant.prefixes.iter().map(|prefix| format!("{prefix}*")))
                        ),
                    ],
                )
            } else {
                (
                    grant
                        .prefixes
                        .iter()
                        .map(|prefix| {
                            format!(
                                "!Sub \"arn:${{AWS::Partition}}:s3:::${{MediaBucket}}/{prefix}*\""
                            )
                        })
                        .collect(),
                    Vec::new(),
                )
            };
            Statement {
                why: grant.why.to_owned(),
                actions: grant.actions.iter().map(|a| (*a).to_owned()).collect(),
                resources,
                condition,
                untested: grant.untested.map(str::to_owned),
            }
        })
        .collect()
}

/// What a function that keeps images is told of the media bucket.
const MEDIA_VARIABLES: [&str; 3] = [
    "MEDIA_BUCKET: !Ref MediaBucket",
    "IMAGES_BASE_URL: !If [HasCustomDomain, !Sub \"https://${DomainName}\", !Sub \"https://${Distribution.DomainName}\"]",
    "MAX_IMAGE_BYTES: !Ref MaxImageBytes",
];

/// What every HTTP function is told of the front door: the secret's name when it is on.
const FRONT_DOOR_VARIABLE: &str =
    "ORIGIN_VERIFY_SECRET_ID: !If [HasFrontDoor, !Ref OriginVerifySecret, !Ref AWS::NoValue]";

/// Every statement of a route's policy: what its kind of function gets, then its own grants,
/// then the secrets it reads.
fn statements(route: &Route) -> Vec<Statement> {
    let mut statements = vec![Statement {
        why: "The front door's origin secret, read at cold start and again when a request presents a value it does not know (a rotation); HTTP functions only.".to_owned(),
        actions: vec!["secretsmanager:GetSecretValue".to_owned()],
        resources: vec!["!Ref OriginVerifySecret".to_owned()],
        condition: Vec::new(),
        untested: None,
    }];
    if route.needs.storage {
        statements.push(Statement {
            why: "The init-time connection warm-up (shared/src/store/client.rs).".to_owned(),
            actions: vec!["dynamodb:DescribeEndpoints".to_owned()],
            resources: vec!["\"*\"".to_owned()],
            condition: Vec::new(),
            untested: None,
        });
    }
    if route.counted {
        statements.push(Statement {
            why: "The per-client rate limit counts every request in the limits table: its counters only.".to_owned(),
            actions: vec!["dynamodb:UpdateItem".to_owned()],
            resources: vec![table_arn(TableName::Limits)],
            condition: vec![
                "Condition:".to_owned(),
                "  ForAllValues:StringLike:".to_owned(),
                format!("    dynamodb:LeadingKeys: [\"{REQUEST_COUNTERS}*\"]"),
            ],
            untested: None,
        });
    }
    if route.authenticated() {
        statements.push(Statement {
            why: "The authenticator reads the account and the session in one BatchGetItem."
                .to_owned(),
            actions: vec!["dynamodb:BatchGetItem".to_owned()],
            resources: vec![table_arn(TableName::Users), table_arn(TableName::Sessions)],
            condition: Vec::new(),
            untested: None,
        });
    }
    statements.extend(route.grants.iter().map(statement_of));
    statements.extend(media_statements(route.media));
    for (needed, secret, what) in [
        (
            route.needs.signing_key,
            "!Ref SigningKeySecretArn",
            "The signing key",
        ),
        (
            route.needs.cursor_key,
            "!Ref CursorKeySecret",
            "The cursor key",
        ),
    ] {
        if needed {
            statements.push(Statement {
                why: format!("{what}, fetched once at cold start; no other function may read it."),
                actions: vec!["secretsmanager:GetSecretValue".to_owned()],
                resources: vec![secret.to_owned()],
                condition: Vec::new(),
                untested: None,
            });
        }
    }
    statements
}

/// A function's resource.
fn function(route: &Route, out: &mut String) {
    out.push_str(&format!(
        "  {}:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: makefile\n      BuildProperties:\n        Binary: {}\n    Properties:\n      CodeUri: .\n",
        logical_id(route.function),
        route.function
    ));
    if route.hashing {
        out.push_str("      # argon2 is CPU-bound, and Lambda's CPU share grows with memory.\n");
    }
    if route.memory_mb != DEFAULT_MEMORY_MB {
        out.push_str(&format!("      MemorySize: {}\n", route.memory_mb));
    }
    let mut variables = vec![FRONT_DOOR_VARIABLE];
    if route.needs.signing_key {
        variables.push("JWT_SIGNING_KEY_SECRET_ID: !Ref SigningKeySecretArn");
    }
    if route.needs.cursor_key {
        variables.push("CURSOR_KEY_SECRET_ID: !Ref CursorKeySecret");
    }
    if route.needs.media {
        variables.extend(MEDIA_VARIABLES);
    }
    if !variables.is_empty() {
        out.push_str("      Environment:\n        Variables:\n");
        for variable in variables {
            out.push_str(&format!("          {variable}\n"));
        }
    }
    let statements = statements(route);
    if !statements.is_empty() {
        out.push_str("      Policies:\n        - Statement:\n");
        for statement in &statements {
            statement.render(out);
        }
    }
    out.push_str("      Events:\n        Api:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref Api\n");
    if !route.is_fallback() {
        out.push_str(&format!(
            "            Method: {}\n            Path: {}\n",
            route.method, route.path
        ));
    }
    out.push('\n');
}

/// A function's three alarms.
fn alarms(route: &Route, out: &mut String) {
    let function = logical_id(route.function);
    let name = function.trim_end_matches("Function");
    let threshold = if route.hashing {
        "HashingRouteLatencyP99ThresholdMs"
    } else {
        "RouteLatencyP99ThresholdMs"
    };
    out.push_str(&format!(
        r#"  {name}LatencyAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: p99 latency of {key} over {threshold} (docs/operating.md).
      Namespace: !Ref MetricsNamespace
      MetricName: Latency
      Dimensions:
        - Name: Service
          Value: !Ref ServiceName
        - Name: Route
          Value: "{key}"
      ExtendedStatistic: p99
      Period: 300
      EvaluationPeriods: 3
      DatapointsToAlarm: 2
      ComparisonOperator: GreaterThanThreshold
      Threshold: !Ref {threshold}
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
      TreatMissingData: notBreaching

"#,
        key = route.key,
    ));
    lambda_alarms(name, &function, out);
}

/// A function's errors and throttles alarms.
fn lambda_alarms(name: &str, function: &str, out: &mut String) {
    for (metric, what, threshold) in [
        (
            "Errors",
            format!("The {function} reports invocation errors (crashes, timeouts)"),
            "FunctionErrorsThreshold",
        ),
        (
            "Throttles",
            format!("Lambda throttles the {function}"),
            "FunctionThrottlesThreshold",
        ),
    ] {
        out.push_str(&format!(
            r#"  {name}{metric}Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: {what} (docs/operating.md).
      Namespace: AWS/Lambda
      MetricName: {metric}
      Dimensions:
        - Name: FunctionName
          Value: !Ref {function}
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      ComparisonOperator: GreaterThanThreshold
      Threshold: !Ref {threshold}
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
      TreatMissingData: notBreaching

"#
        ));
    }
}

/// A worker's resource, its stream mapping and its failure queue.
fn worker(worker: &Worker, out: &mut String) {
    let id = logical_id(worker.function);
    let queue = format!("{}FailedJobsQueue", id.trim_end_matches("Function"));
    out.push_str(&format!(
        "  {id}:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: makefile\n      BuildProperties:\n        Binary: {}\n    Properties:\n      CodeUri: .\n      Timeout: {}\n",
        worker.function, worker.timeout_seconds
    ));
    if worker.memory_mb != DEFAULT_MEMORY_MB {
        out.push_str(&format!("      MemorySize: {}\n", worker.memory_mb));
    }
    out.push_str(&format!(
        "      Environment:\n        Variables:\n          # Where a job that can never be done goes at once, with its reason.\n          {}: !Ref {queue}\n",
        worker.failure_queue_variable
    ));
    if worker.sends_mail {
        out.push_str(
            "          MAIL_FROM: !Ref MailFrom\n          APP_BASE_URL: !Ref AppBaseUrl\n",
        );
    }
    if worker.needs.address_key {
        out.push_str("          ADDRESS_KEY_SECRET_ID: !Ref AddressKeySecret\n");
    }
    if worker.needs.media {
        for variable in MEDIA_VARIABLES {
            out.push_str(&format!("          {variable}\n"));
        }
    }
    let mut statements = Vec::new();
    if worker.needs.storage {
        statements.push(Statement {
            why: "The init-time connection warm-up (shared/src/store/client.rs).".to_owned(),
            actions: vec!["dynamodb:DescribeEndpoints".to_owned()],
            resources: vec!["\"*\"".to_owned()],
            condition: Vec::new(),
            untested: None,
        });
    }
    statements.extend(worker.grants.iter().map(statement_of));
    statements.extend(media_statements(worker.media));
    statements.push(Statement {
        why: "Removes the outbox jobs it has done.".to_owned(),
        actions: vec!["dynamodb:DeleteItem".to_owned()],
        resources: vec![table_arn(TableName::Outbox)],
        condition: Vec::new(),
        untested: None,
    });
    if worker.needs.address_key {
        statements.push(Statement {
            why: "The key of the per-address mail cap, fetched once at cold start; no other function may read it.".to_owned(),
            actions: vec!["secretsmanager:GetSecretValue".to_owned()],
            resources: vec!["!Ref AddressKeySecret".to_owned()],
            condition: Vec::new(),
            untested: None,
        });
    }
    if worker.sends_mail {
        statements.push(Statement {
            why: "Sends mail from the configured SES identity, and no other.".to_owned(),
            actions: vec!["ses:SendEmail".to_owned()],
            resources: vec!["!Sub \"arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${MailIdentity}\"".to_owned()],
            condition: Vec::new(),
            untested: None,
        });
    }
    out.push_str("      Policies:\n        - Statement:\n");
    for statement in &statements {
        statement.render(out);
    }
    out.push_str(&format!(
        r#"      Events:
        Outbox:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt OutboxTable.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: {batch}
            # Its own jobs, as they are written (a done job's removal passes no filter).
            FilterCriteria:
              Filters:
                - Pattern: '{{"eventName": ["INSERT"], "dynamodb": {{"NewImage": {{"job": {{"S": ["{job}"]}}}}}}}}'
            # A job failed for a passing reason is given again (with what follows it) until it is
            # done or a day old, then its batch goes to the failure queue, which an alarm watches.
            # One that can never be done the worker sends there itself, at once (its role may:
            # SAM grants the destination's SendMessage to the function's role).
            FunctionResponseTypes: [ReportBatchItemFailures]
            BisectBatchOnFunctionError: true
            MaximumRetryAttempts: -1
            MaximumRecordAgeInSeconds: 86400
            DestinationConfig:
              OnFailure:
                Type: SQS
                Destination: !GetAtt {queue}.Arn

  {queue}:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
      SqsManagedSseEnabled: true

"#,
        batch = worker.batch_size,
        job = worker.job,
    ));
}

/// A worker's alarms: errors, throttles, how far behind the stream it is, and failed jobs.
fn worker_alarms(worker: &Worker, out: &mut String) {
    let function = logical_id(worker.function);
    let name = function.trim_end_matches("Function");
    lambda_alarms(name, &function, out);
    out.push_str(&format!(
        r#"  {name}IteratorAgeAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: The {function} is more than WorkerIteratorAgeThresholdMs behind the outbox's stream (docs/operating.md).
      Namespace: AWS/Lambda
      MetricName: IteratorAge
      Dimensions:
        - Name: FunctionName
          Value: !Ref {function}
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      ComparisonOperator: GreaterThanThreshold
      Threshold: !Ref WorkerIteratorAgeThresholdMs
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
      TreatMissingData: notBreaching

  {name}FailedJobsAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: Jobs the {function} could not do within a day wait in its failure queue (docs/operating.md).
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions:
        - Name: QueueName
          Value: !GetAtt {name}FailedJobsQueue.QueueName
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 1
      ComparisonOperator: GreaterThanThreshold
      Threshold: 0
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
      TreatMissingData: notBreaching

"#
    ));
}

/// A table's alarms: throttled requests, and DynamoDB's own errors.
fn table_alarms(table: TableName, out: &mut String) {
    let id = table.logical_id();
    let metric = |name: &str, metric: &str| {
        format!(
            r#"        - Id: {name}
          ReturnData: false
          MetricStat:
            Metric:
              Namespace: AWS/DynamoDB
              MetricName: {metric}
              Dimensions:
                - Name: TableName
                  Value: !Ref {id}
            Period: 300
            Stat: Sum
"#
        )
    };
    out.push_str(&format!(
        r#"  {id}ThrottlesAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: DynamoDB throttles requests to the {id} (docs/operating.md).
      ComparisonOperator: GreaterThanThreshold
      Threshold: !Ref TableThrottlesThreshold
      EvaluationPeriods: 1
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
      TreatMissingData: notBreaching
      Metrics:
{reads}{writes}        - Id: throttled
          Label: Throttled requests
          Expression: reads + writes
          ReturnData: true

  {id}SystemErrorsAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmDescription: DynamoDB answers requests to the {id} with server errors (docs/operating.md).
      ComparisonOperator: GreaterThanThreshold
      Threshold: !Ref TableSystemErrorsThreshold
      EvaluationPeriods: 1
      AlarmActions: [!Ref AlarmTopic]
      OKActions: [!Ref AlarmTopic]
      TreatMissingData: notBreaching
      Metrics:
        - Id: errors
          Label: System errors
          # SystemErrors is published per operation: a Metrics Insights query sums them.
          Expression: !Sub "SELECT SUM(SystemErrors) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '${{{id}}}'"
          Period: 300
          ReturnData: true

"#,
        reads = metric("reads", "ReadThrottleEvents"),
        writes = metric("writes", "WriteThrottleEvents"),
    ));
}

/// `template.yaml` (as `text` holds it) with its functions, workers and their alarms, and the
/// tables' alarms, written from the tables.
pub fn template(text: &str) -> Result<String, GenError> {
    let mut resources = String::new();
    let mut alarm_resources = String::new();
    for route in http_functions() {
        function(route, &mut resources);
        alarms(route, &mut alarm_resources);
    }
    for worker_of in WORKERS {
        worker(worker_of, &mut resources);
        worker_alarms(worker_of, &mut alarm_resources);
    }
    let mut table_alarm_resources = String::new();
    for table in TableName::ALL {
        table_alarms(table, &mut table_alarm_resources);
    }
    let text = replace_part(text, "template.yaml", FUNCTIONS, INDENT, &resources)?;
    let text = replace_part(&text, "template.yaml", ALARMS, INDENT, &alarm_resources)?;
    replace_part(
        &text,
        "template.yaml",
        TABLE_ALARMS,
        INDENT,
        &table_alarm_resources,
    )
}
