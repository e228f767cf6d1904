"""
The resource types CloudFormation makes, one module per service, each type
a L{ruststack.cloudformation.provisioners.base.Provisioner}.
"""

from __future__ import annotations

from ruststack.cloudformation.provisioners import (
    apigateway,
    apigateway_access,
    apigatewayv2,
    awslambda,
    dynamodb,
    ecr,
    events,
    nested,
    others,
    s3,
)
from ruststack.cloudformation.provisioners.base import Provisioner

_PROVISIONERS: list[Provisioner] = [
    s3.Bucket(),
    s3.BucketPolicy(),
    dynamodb.Table(),
    awslambda.Function(),
    awslambda.Permission(),
    awslambda.Version(),
    awslambda.Alias(),
    awslambda.LayerVersion(),
    awslambda.LayerVersionPermission(),
    awslambda.EventSourceMapping(),
    awslambda.Url(),
    apigateway.RestApi(),
    apigateway.Resource(),
    apigateway.Method(),
    apigateway.Deployment(),
    apigateway.Stage(),
    apigateway.Account(),
    apigateway_access.ApiKey(),
    apigateway_access.UsagePlan(),
    apigateway_access.UsagePlanKey(),
    apigateway_access.Model(),
    apigateway_access.RequestValidator(),
    apigateway_access.GatewayResponse(),
    apigateway_access.DomainName(),
    apigateway_access.BasePathMapping(),
    apigateway_access.Authorizer(),
    apigatewayv2.Api(),
    apigatewayv2.Integration(),
    apigatewayv2.Route(),
    apigatewayv2.Stage(),
    apigatewayv2.Deployment(),
    apigatewayv2.Authorizer(),
    others.Role(),
    others.Policy(),
    others.ManagedPolicy(),
    others.LogGroup(),
    others.Parameter(),
    events.Rule(),
    ecr.Repository(),
    nested.NestedStack(),
    *(others.Recorded(name) for name in others.RECORDED_TYPES),
]
PROVISIONERS: dict[str, Provisioner] = {p.type_name: p for p in _PROVISIONERS}
CUSTOM_TYPE = "AWS::CloudFormation::CustomResource"


def is_custom(type_name: str) -> bool:
    return type_name == CUSTOM_TYPE or type_name.startswith("Custom::")


def is_known(type_name: str) -> bool:
    return type_name in PROVISIONERS or is_custom(type_name)
