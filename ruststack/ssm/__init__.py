"""
SSM Parameter Store: parameters (String, StringList, SecureString) with
versions, labels, tags and hierarchies, per account and region.
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing).
CLAIMS = Claims(signing_names=("ssm",), target_prefixes=("AmazonSSM",), model="ssm")
