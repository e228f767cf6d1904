"""
The Lambda service inside the test's own reactor (start_stack,
pytest-twisted), through the interface API Gateway uses: ILambdaInvoker.
"""

from __future__ import annotations

import json

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task

from ruststack.aws.errors import AwsError
from ruststack.interfaces import ILambdaInvoker, InvokeResult
from ruststack.testing import start_stack
from tests.awslambda import functions


@pytest_twisted.ensureDeferred
async def test_invoker_interface():
    stack = await start_stack(services=("lambda",))
    try:
        client = stack.deferred_client("lambda")
        await client.create_function(
            FunctionName="direct",
            Runtime="python3.11",
            Role=functions.ROLE,
            Handler="app.handler",
            Code={"ZipFile": functions.package({"app.py": functions.ECHO})},
        )
        invoker = ILambdaInvoker(stack.stack.aws_services["lambda"])
        result = await invoker.invoke("000000000000", "us-east-1", "direct", b'{"via": "interface"}')
        assert isinstance(result, InvokeResult)
        assert result.status == 200 and result.function_error is None and result.executed_version == "$LATEST"
        assert json.loads(result.payload)["event"] == {"via": "interface"}
        arn = "arn:aws:lambda:us-east-1:000000000000:function:direct"
        result = await invoker.invoke("000000000000", "us-east-1", arn, b"{}", qualifier="$LATEST")
        assert json.loads(result.payload)["calls"] == 2

        with pytest.raises(AwsError) as raised:
            await invoker.invoke("000000000000", "us-east-1", "missing", b"{}")
        assert raised.value.code == "ResourceNotFoundException" and raised.value.status == 404

        # Cancelling abandons the wait; the invocation still runs to its end
        # in its environment, which is then reused.
        waiting = invoker.invoke("000000000000", "us-east-1", "direct", b'{"sleep": 0.5}')
        waiting.cancel()
        with pytest.raises(defer.CancelledError):
            await waiting
        await task.deferLater(reactor, 1.0, lambda: None)
        result = await invoker.invoke("000000000000", "us-east-1", "direct", b"{}")
        assert json.loads(result.payload)["calls"] == 4
    finally:
        await stack.stop()
    assert stack.stack.aws_services["lambda"].pool.environments == set()
