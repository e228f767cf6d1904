"""
Fixtures of the ECR tests: one RustStack child process running ECR alone
for the session, emptied before each test.
"""

from __future__ import annotations

import json

import pytest

from tests.stacks import ruststack_fixture

ecr_stack = ruststack_fixture("--services", "ecr", scope="session")
ACCOUNT, REGION = "000000000000", "us-east-1"
LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "expire untagged images after a day",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LambdaECRImageRetrievalPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            }
        ],
    }
)


@pytest.fixture
def stack(ecr_stack):
    ecr_stack.reset("ecr")
    return ecr_stack


@pytest.fixture
def ecr(stack):
    return stack.client("ecr")
