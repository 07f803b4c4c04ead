#!/usr/bin/env python3
"""The deployment as IAM will see it, for the role check (scripts/check-roles.mjs).

Reads template.yaml as CloudFormation reads it (cfn-lint's decoder, tags and all), translates it
as the SAM CLI does on deploy (aws-sam-translator, after packaging's step of pointing each
CodeUri at S3), resolves every intrinsic function to the ARNs of one example account, and writes
JSON: each function's role (its inline policies and the managed policies SAM attaches, the
latter as AWS documents them), its environment, its stream mappings, and every table with its
keys and indexes.

Usage: roles.py TEMPLATE > roles.json
"""

import json
import re
import sys

from cfnlint.decode import decode
from samtranslator.translator.transform import transform

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK = "products-api"

# The AWS managed policies SAM attaches to function roles, as AWS documents them. IAM holds
# them; a role check offline can only take them as written here.
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "AWSLambdaDynamoDBExecutionRole": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        }
    ],
}

NO_VALUE = object()


class NoManagedPolicies:
    """SAM's loader of managed policy names; the template names none."""

    def load(self):
        return {}


def arn_of(logical_id, resource):
    kind = resource.get("Type", "")
    if kind == "AWS::DynamoDB::Table":
        return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{logical_id}"
    if kind == "AWS::SQS::Queue":
        return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{logical_id}"
    if kind == "AWS::SecretsManager::Secret":
        return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{logical_id}-AbCdEf"
    if kind == "AWS::IAM::Role":
        return f"arn:{PARTITION}:iam::{ACCOUNT}:role/{logical_id}"
    if kind == "AWS::S3::Bucket":
        return f"arn:{PARTITION}:s3:::{logical_id.lower()}"
    service = kind.split("::")[1].lower() if "::" in kind else "unknown"
    return f"arn:{PARTITION}:{service}:{REGION}:{ACCOUNT}:{logical_id}"


class Resolver:
    def __init__(self, template):
        self.resources = template.get("Resources", {})
        self.parameters = {}
        for name, spec in template.get("Parameters", {}).items():
            if "Default" in spec:
                self.parameters[name] = spec["Default"]
            elif name.endswith("SecretArn"):
                self.parameters[name] = (
                    f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
                )
            else:
                self.parameters[name] = f"<{name}>"
        self.mappings = template.get("Mappings", {})
        self.conditions_spec = template.get("Conditions", {})
        self.conditions = {}

    def ref(self, name):
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        resource = self.resources.get(name)
        if resource is None:
            raise KeyError(f"Ref to unknown {name}")
        kind = resource.get("Type", "")
        if kind in ("AWS::SecretsManager::Secret", "AWS::IAM::ManagedPolicy"):
            return arn_of(name, resource)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        if kind == "AWS::S3::Bucket":
            return name.lower()
        return name

    def get_att(self, name, attribute):
        resource = self.resources.get(name)
        if resource is None:
            raise KeyError(f"GetAtt of unknown {name}")
        arn = arn_of(name, resource)
        if attribute == "Arn":
            return arn
        if attribute == "StreamArn":
            return f"{arn}/stream/2026-01-01T00:00:00.000"
        if attribute == "QueueName":
            return name
        return f"{name}.{attribute}"

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.conditions_spec[name]))
        return self.conditions[name]

    def sub(self, text, variables):
        def one(match):
            key = match.group(1)
            if key in variables:
                return str(variables[key])
            if "." in key and not key.startswith("AWS::"):
                name, attribute = key.split(".", 1)
                return str(self.get_att(name, attribute))
            return str(self.ref(key))

        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def resolve(self, value):
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self.sub(arg, {})
                text, variables = arg
                return self.sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(v) for v in self.resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                a, b = self.resolve(arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(arg))
            if key == "Fn::Or":
                return any(self.resolve(arg))
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::FindInMap":
                table, top, second = (self.resolve(v) for v in arg)
                return self.mappings[table][top][second]
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}


def managed_policy(arn):
    name = arn.rsplit("/", 1)[-1]
    if name not in MANAGED_POLICIES:
        raise SystemExit(f"roles.py: no document for the managed policy {arn}")
    return {"Version": "2012-10-17", "Statement": MANAGED_POLICIES[name]}


def key_schema(schema):
    keys = {}
    for element in schema:
        keys[element["KeyType"]] = element["AttributeName"]
    return keys


def main(path):
    template, problems = decode(path)
    if problems:
        raise SystemExit(f"roles.py: {path} does not read: {problems}")
    template = json.loads(json.dumps(template, default=str))
    binaries = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::Serverless::Function":
            binaries[logical_id] = resource["Metadata"]["BuildProperties"]["Binary"]
            # What `sam package` does before a deploy: the code is in S3.
            resource["Properties"]["CodeUri"] = f"s3://artifacts/{logical_id}.zip"
    deployed = transform(template, {}, NoManagedPolicies())
    resolver = Resolver(deployed)
    resources = deployed["Resources"]

    tables = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::DynamoDB::Table":
            continue
        props = resolver.resolve(resource["Properties"])
        tables[logical_id] = {
            "arn": arn_of(logical_id, resource),
            "keys": key_schema(props["KeySchema"]),
            "indexes": {
                index["IndexName"]: key_schema(index["KeySchema"])
                for index in props.get("GlobalSecondaryIndexes", [])
                + props.get("LocalSecondaryIndexes", [])
            },
            "stream": "StreamSpecification" in props,
        }

    buckets = {
        logical_id: {"name": resolver.ref(logical_id), "arn": arn_of(logical_id, resource)}
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::S3::Bucket"
    }

    functions = {}
    for logical_id, binary in binaries.items():
        function = resources[logical_id]
        props = function["Properties"]
        role_id = props["Role"]["Fn::GetAtt"][0]
        role = resolver.resolve(resources[role_id]["Properties"])
        policies = [
            {"name": policy["PolicyName"], "document": policy["PolicyDocument"]}
            for policy in role.get("Policies", [])
        ]
        policies += [
            {"name": arn.rsplit("/", 1)[-1], "document": managed_policy(arn)}
            for arn in role.get("ManagedPolicyArns", [])
        ]
        environment = resolver.resolve(props.get("Environment", {}).get("Variables", {}))
        mappings = []
        for resource in resources.values():
            if resource["Type"] != "AWS::Lambda::EventSourceMapping":
                continue
            mapping = resource["Properties"]
            if mapping.get("FunctionName") != {"Ref": logical_id}:
                continue
            mappings.append(resolver.resolve({k: v for k, v in mapping.items() if k != "FunctionName"}))
        functions[binary] = {
            "logicalId": logical_id,
            "role": arn_of(role_id, resources[role_id]),
            "policies": policies,
            "environment": environment,
            "mappings": mappings,
        }

    json.dump(
        {
            "account": ACCOUNT,
            "region": REGION,
            "parameters": resolver.parameters,
            "tables": tables,
            "buckets": buckets,
            "functions": functions,
        },
        sys.stdout,
        indent=1,
        sort_keys=True,
    )
    print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
