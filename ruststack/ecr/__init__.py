"""
ECR (botocore's C{ecr}, the json protocol under
C{AmazonEC2ContainerRegistry_V20150921}): repositories with their settings,
policies and tags, stored per account and region -- and no registry to
push images to (docs/ecr.md).
"""

from ruststack.interfaces import Claims

# What the edge routes here (ruststack.routing).
CLAIMS = Claims(signing_names=("ecr",), target_prefixes=("AmazonEC2ContainerRegistry_V20150921",), model="ecr")
