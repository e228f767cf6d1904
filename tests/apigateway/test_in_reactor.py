"""
API Gateway in a stack started inside the test's own reactor
(L{ruststack.testing.start_stack}, pytest-twisted), as a trial or
pytest-twisted suite embeds RustStack: boto3 through deferred clients, the
stage through treq, and a clean stop.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile

import pytest_twisted
import treq

from ruststack.testing import start_stack

HANDLER = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"resource": event["resource"], "id": event["pathParameters"]})}
"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


@pytest_twisted.ensureDeferred
async def test_stage_served_by_an_in_reactor_stack():
    stack = await start_stack(services=("lambda", "apigateway"))
    try:
        lam = stack.deferred_client("lambda")
        apigw = stack.deferred_client("apigateway")
        function = await lam.create_function(
            FunctionName="inreactor",
            Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
            Role="arn:aws:iam::000000000000:role/app",
            Handler="app.handler",
            Code={"ZipFile": _zip()},
        )
        api = await apigw.create_rest_api(name="inreactor")
        item = await apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{id}")
        ids = {"restApiId": api["id"], "resourceId": item["id"], "httpMethod": "GET"}
        await apigw.put_method(**ids, authorizationType="NONE")
        await apigw.put_integration(
            **ids,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function['FunctionArn']}/invocations",
        )
        await lam.add_permission(
            FunctionName="inreactor",
            StatementId="apigateway",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api['id']}/*/GET/*",
        )
        await apigw.create_deployment(restApiId=api["id"], stageName="live")

        response = await treq.get(f"{stack.endpoint_url}/restapis/{api['id']}/live/_user_request_/42")
        assert response.code == 200
        assert json.loads(await response.content()) == {"resource": "/{id}", "id": {"id": "42"}}
        missing = await treq.get(f"{stack.endpoint_url}/restapis/{api['id']}/live/_user_request_/42/more")
        assert missing.code == 403
        await missing.content()
    finally:
        await stack.stop()
