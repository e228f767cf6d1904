"""
DynamoDB: the real DynamoDB Local (Java) as a supervised child process
(L{ruststack.dynamodb.local}), behind a proxy (L{ruststack.dynamodb.proxy})
that makes it answer as AWS DynamoDB does.
"""
