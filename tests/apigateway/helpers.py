"""
What the API Gateway tests share: methods whose integration is a Lambda
proxy, set up through boto3, and how they read a refusal.
"""

from __future__ import annotations

from typing import Any


def invocations_uri(function_arn: str, region: str = "us-east-1") -> str:
    """
    The integration URI through which API Gateway invokes C{function_arn}.
    """
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


# The integration URI of a function that need not exist (for the control plane).
LAMBDA_URI = invocations_uri("arn:aws:lambda:us-east-1:000000000000:function:app")


def error_code(excinfo) -> tuple[str, int]:
    """
    The code and HTTP status of the ClientError C{pytest.raises} caught.
    """
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def error_of(excinfo) -> tuple[str, int, str]:
    """
    The code, HTTP status and message of the ClientError C{pytest.raises} caught.
    """
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def proxy_method(
    apigw,
    api_id: str,
    resource_id: str,
    http_method: str,
    uri: str,
    authorization: str = "NONE",
    authorizer_id: str | None = None,
    **integration: Any,
) -> None:
    """
    Put C{http_method} on the resource, authorized by C{authorization} (and
    C{authorizer_id}, if given), with a Lambda proxy integration (AWS_PROXY,
    POST) to C{uri}; C{integration} are more PutIntegration members.
    """
    ids = {"restApiId": api_id, "resourceId": resource_id, "httpMethod": http_method}
    authorizer = {"authorizerId": authorizer_id} if authorizer_id else {}
    apigw.put_method(**ids, authorizationType=authorization, **authorizer)
    apigw.put_integration(**ids, type="AWS_PROXY", integrationHttpMethod="POST", uri=uri, **integration)
