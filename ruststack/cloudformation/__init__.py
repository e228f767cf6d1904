"""
AWS CloudFormation: stacks of S3, DynamoDB, Lambda, API Gateway (and, where
RustStack runs them, IAM, CloudWatch Logs, SSM) resources, made through those
services' own APIs; change sets; the AWS::Serverless-2016-10-31 transform.
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing): a query protocol service,
# known by its credential scope.
CLAIMS = Claims(signing_names=("cloudformation",), model="cloudformation")
