"""
Execution roles for the functions tests create: as on AWS, Lambda accepts
only a role that exists in the function's account (when RustStack runs IAM).
"""

from __future__ import annotations

import json

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Any role ARN does where RustStack runs no IAM.
UNCHECKED_ROLE = "arn:aws:iam::000000000000:role/lambda-role"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def execution_role(client, name: str = "lambda-role") -> str:
    """
    The ARN of role C{name} in the account of C{client}'s credentials (any
    boto3 client of RustStack), created if it does not exist yet.
    """
    credentials = client._get_credentials()  # the same keys, for IAM
    iam = boto3.client(
        "iam",
        endpoint_url=client.meta.endpoint_url,
        region_name=client.meta.region_name,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        config=Config(retries={"max_attempts": 1}),
    )
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code == "EntityAlreadyExists":
            return iam.get_role(RoleName=name)["Role"]["Arn"]
        if code == "NotImplemented":  # IAM is not running: nothing checks roles
            return UNCHECKED_ROLE
        raise
