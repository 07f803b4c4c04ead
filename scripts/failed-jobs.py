#!/usr/bin/env python3
"""Prints what waits in the workers' failure queues of the local SQS emulator `make dev` runs:
one JSON line per job, with the queue it is in. Messages are only looked at, not taken.

Usage: failed-jobs.py [SQS_ENDPOINT] (default http://127.0.0.1:8006, or AWS_ENDPOINT_URL_SQS)
"""

import json
import os
import sys

import boto3  # installed with moto[server], which serves the queues

endpoint = (sys.argv[1] if len(sys.argv) > 1 else None) or os.environ.get(
    "AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:8006"
)
sqs = boto3.client(
    "sqs",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="local",
    aws_secret_access_key="local",
)
for url in sqs.list_queues().get("QueueUrls", []):
    # A visibility timeout of 0 leaves each message where it is for the next look.
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    for message in answer.get("Messages", []):
        try:
            body = json.loads(message["Body"])
        except ValueError:
            body = message["Body"]
        print(json.dumps({"queue": url.rsplit("/", 1)[-1], "message": body}))
