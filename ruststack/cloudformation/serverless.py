"""
The C{AWS::Serverless-2016-10-31} transform (SAM), by AWS's own translator
library. It asks for the AWS managed policies by name (normally from IAM):
it gets a fixed map of those SAM templates name, so nothing leaves the
machine.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Mapping
from typing import Any

from ruststack.cloudformation.template import SERVERLESS_TRANSFORM, validation_error

_SERVICE_ROLE = (
    "AWSLambdaBasicExecutionRole",
    "AWSLambdaVPCAccessExecutionRole",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaMSKExecutionRole",
    "AWSLambdaKinesisExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
    "AWSLambdaRole",
    "AWSLambdaENIManagementAccess",
    "AmazonAPIGatewayPushToCloudWatchLogs",
    "AWSLambdaBasicDurableExecutionRolePolicy",
)
_TOP_LEVEL = (
    "AWSLambdaExecute",
    "AWSLambda_FullAccess",
    "AWSLambda_ReadOnlyAccess",
    "AWSLambdaFullAccess",
    "AWSLambdaReadOnlyAccess",
    "AWSLambdaInvocation-DynamoDB",
    "AWSXrayWriteOnlyAccess",
    "AWSXrayReadOnlyAccess",
    "AWSXrayFullAccess",
    "AWSXRayDaemonWriteAccess",
    "AWSXrayCrossAccountSharingConfiguration",
    "AmazonDynamoDBFullAccess",
    "AmazonDynamoDBReadOnlyAccess",
    "AmazonAPIGatewayInvokeFullAccess",
    "AmazonAPIGatewayAdministrator",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonSQSFullAccess",
    "AmazonSNSFullAccess",
    "CloudWatchLogsFullAccess",
    "CloudWatchLambdaInsightsExecutionRolePolicy",
    "AWSStepFunctionsFullAccess",
    "AmazonEventBridgeFullAccess",
    "AmazonSSMReadOnlyAccess",
    "SecretsManagerReadWrite",
)


def managed_policies(partition: str = "aws") -> dict[str, str]:
    """
    AWS managed policy name -> ARN, for those SAM templates use.
    """
    policies = {name: f"arn:{partition}:iam::aws:policy/service-role/{name}" for name in _SERVICE_ROLE}
    policies.update({name: f"arn:{partition}:iam::aws:policy/{name}" for name in _TOP_LEVEL})
    return policies


# The translator keeps the region of its session in a class attribute: one
# transform at a time.
_ONE_AT_A_TIME = threading.Lock()


@functools.lru_cache(maxsize=32)
def _session(region: str):
    # The translator reads the region (and nothing else) from a boto3 session.
    import boto3

    return boto3.session.Session(region_name=region)


def warm_up() -> None:
    """
    Import the translator (a third of a second, pydantic models included)
    and load the models of the services stacks are made of (a tenth of a
    second each), so that the first deployment does not wait for them on
    the reactor thread. Blocking.
    """
    from samtranslator.parser.parser import Parser  # noqa: F401
    from samtranslator.translator.translator import Translator  # noqa: F401

    from ruststack.protocol.model import service_model

    for name in (
        "s3",
        "dynamodb",
        "lambda",
        "apigateway",
        "apigatewayv2",
        "iam",
        "logs",
        "ssm",
        "events",
        "ecr",
        "cloudformation",
    ):
        service_model(name)


def transform(
    template: Mapping[str, Any], parameter_values: Mapping[str, Any], account: str, region: str, stack_name: str
) -> dict[str, Any]:
    """
    C{template} with its SAM resources turned into CloudFormation's; SAM's
    complaints as CloudFormation reports a failed transform. Blocking (the
    translator is plain Python): call it off the reactor thread.
    """
    from samtranslator.model.exceptions import InvalidDocumentException, InvalidResourceException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    partition = "aws-cn" if region.startswith("cn-") else "aws"
    values = {
        **parameter_values,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::Partition": partition,
        "AWS::StackName": stack_name,
    }
    policies = managed_policies(partition)
    try:
        with _ONE_AT_A_TIME:
            return Translator(None, Parser(), boto_session=_session(region)).translate(
                copy.deepcopy(dict(template)), parameter_values=values, get_managed_policy_map=lambda: policies
            )
    except (InvalidDocumentException, InvalidResourceException) as e:
        causes = [cause.message for cause in getattr(e, "causes", [])]
        raise validation_error(
            " ".join([f"Transform {SERVERLESS_TRANSFORM} failed with: {e.message}", *causes])
        ) from None
    except Exception as e:  # the translator's own failures, reported as AWS does
        raise validation_error(f"Transform {SERVERLESS_TRANSFORM} failed with: {e}") from None
