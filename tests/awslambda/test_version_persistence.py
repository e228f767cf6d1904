"""
With --data-dir, versions and aliases (with their code, policies and
routing) survive a restart; a reset forgets them.
"""

from __future__ import annotations

import json

from ruststack.testing import RustStackProcess
from tests.awslambda import functions

SAYS = """
def handler(event, context):
    return "{word}"
"""


def test_versions_and_aliases_survive_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "lambda", "--data-dir", data_dir)
    try:
        client = first.client("lambda")
        functions.create(client, "kept", SAYS.format(word="one"))
        client.publish_version(FunctionName="kept", Description="first")
        client.update_function_code(FunctionName="kept", ZipFile=functions.package({"app.py": SAYS.format(word="two")}))
        client.get_waiter("function_updated_v2").wait(FunctionName="kept", WaiterConfig={"Delay": 0.1})
        client.publish_version(FunctionName="kept")
        client.create_alias(
            FunctionName="kept",
            Name="live",
            FunctionVersion="2",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        )
        client.add_permission(
            FunctionName="kept:live", StatementId="s", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com"
        )
        before = client.get_function_configuration(FunctionName="kept", Qualifier="1")
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "lambda", "--data-dir", data_dir)
    try:
        client = second.client("lambda")
        after = client.get_function_configuration(FunctionName="kept", Qualifier="1")
        for field in ("FunctionArn", "CodeSha256", "RevisionId", "Description", "Version", "LastModified"):
            assert after[field] == before[field], field
        assert json.loads(client.invoke(FunctionName="kept:1")["Payload"].read()) == "one"
        assert json.loads(client.invoke(FunctionName="kept:2")["Payload"].read()) == "two"
        alias = client.get_alias(FunctionName="kept", Name="live")
        assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.5}}
        assert json.loads(client.get_policy(FunctionName="kept:live")["Policy"])["Statement"][0]["Sid"] == "s"
        # Numbers go on from where they were.
        client.update_function_configuration(FunctionName="kept", Timeout=9)
        client.get_waiter("function_updated_v2").wait(FunctionName="kept", WaiterConfig={"Delay": 0.1})
        assert client.publish_version(FunctionName="kept")["Version"] == "3"
        second.reset("lambda")
        assert client.list_functions()["Functions"] == []
    finally:
        second.stop()
