import pytest

from tests.issuer import issuer  # noqa: F401  (the JWT issuer fixture of the authorizer stacks)
from tests.stacks import ruststack_fixture

# What CloudFormation's stacks in these tests are made of.
SERVICES = "s3,dynamodb,lambda,apigateway,sts,cloudformation"


# One RustStack with CloudFormation and the services its stacks use.
cfn_process = ruststack_fixture("--services", SERVICES, "--lambda-idle-timeout", "60", scope="session")


@pytest.fixture
def stack(cfn_process):
    cfn_process.reset()
    return cfn_process


@pytest.fixture
def cfn(stack):
    return stack.client("cloudformation")
