"""
With --data-dir, functions (configuration, code, policy) survive a restart.
"""

from __future__ import annotations

import json

from ruststack.testing import RustStackProcess
from tests.awslambda import functions


def test_functions_survive_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "lambda", "--data-dir", data_dir)
    try:
        client = first.client("lambda")
        functions.create(client, "kept", functions.ECHO, Environment={"Variables": {"MY_KEPT": "yes"}})
        client.add_permission(
            FunctionName="kept", StatementId="s1", Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com"
        )
        client.put_function_concurrency(FunctionName="kept", ReservedConcurrentExecutions=5)
        before = client.get_function_configuration(FunctionName="kept")
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "lambda", "--data-dir", data_dir)
    try:
        client = second.client("lambda")
        after = client.get_function_configuration(FunctionName="kept")
        assert after["State"] == "Active"
        for field in ("FunctionArn", "CodeSha256", "CodeSize", "RevisionId", "Environment", "LastModified"):
            assert after[field] == before[field], field
        body = json.loads(client.invoke(FunctionName="kept", Payload=b'{"again": true}')["Payload"].read())
        assert body["event"] == {"again": True}
        assert body["env"]["MY_KEPT"] == "yes"
        assert json.loads(client.get_policy(FunctionName="kept")["Policy"])["Statement"][0]["Sid"] == "s1"
        assert client.get_function_concurrency(FunctionName="kept")["ReservedConcurrentExecutions"] == 5
    finally:
        second.stop()
