"""
DynamoDB: the real DynamoDB Local (Java) as a supervised child process
(L{ruststack.dynamodb.local}), behind a proxy (L{ruststack.dynamodb.proxy})
that makes it answer as AWS DynamoDB does.
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing).
CLAIMS = Claims(
    signing_names=("dynamodb",), target_prefixes=("DynamoDB_20120810", "DynamoDBStreams_20120810"), model="dynamodb"
)
