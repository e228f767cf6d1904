import pytest

from ruststack.testing import RustStackProcess

# What CloudFormation's stacks in these tests are made of.
SERVICES = "s3,dynamodb,lambda,apigateway,sts,cloudformation"


@pytest.fixture(scope="session")
def cfn_process():
    """
    One RustStack with CloudFormation and the services its stacks use.
    """
    process = RustStackProcess.start("--services", SERVICES, "--lambda-idle-timeout", "60")
    yield process
    process.stop()


@pytest.fixture
def stack(cfn_process):
    cfn_process.reset()
    return cfn_process


@pytest.fixture
def cfn(stack):
    return stack.client("cloudformation")
