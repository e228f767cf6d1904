"""
Lambda layers through boto3 over real sockets: publishing (from the body and
from RustStack's own S3), reading, listing with filters and pages, deleting,
layer version permissions across accounts, a function's C{Layers} (checks,
GetFunction's shape, versions keeping theirs), the layers unpacked under
C{/opt} on both executors in order, and persistence with C{--data-dir}.
"""

from __future__ import annotations

import io
import json
import os
import stat
import urllib.request
import zipfile

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from ruststack.awslambda import layers
from ruststack.awslambda.layer_store import merge
from ruststack.testing import RustStackProcess
from tests.awslambda import functions
from tests.awslambda.conftest import available
from tests.awslambda.functions import create
from tests.tenants import ALICE, BOB, tenants_fixture

LAYER_ARN = "arn:aws:lambda:us-east-1:000000000000:layer"

USES_LAYERS = """
import os, subprocess, sys

def handler(event, context):
    import helper, shadow
    tool = subprocess.run(["layer-tool"], capture_output=True, text=True).stdout.strip()
    return {"helper": helper.VALUE, "shadow": shadow.WHO, "tool": tool, "path": sys.path[:6],
            "opt": sorted(os.listdir("/opt")) if os.path.isdir("/opt") else None}
"""


def layer_zip(files: dict[str, str], executable: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = ((0o755 if name in executable else 0o644) | stat.S_IFREG) << 16
            archive.writestr(info, text)
    return buffer.getvalue()


def publish(client, name: str, files: dict[str, str], **settings) -> dict:
    return client.publish_layer_version(LayerName=name, Content={"ZipFile": layer_zip(files)}, **settings)


def error_of(call, *args, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response


@pytest.fixture(params=["process", "docker"])
def stack(request):
    """
    The tests that invoke run with both executors.
    """
    return request.getfixturevalue(f"{request.param}_stack")


@pytest.fixture
def control(process_stack):
    process_stack.reset("lambda")
    return process_stack.client("lambda")


# The control plane


def test_publish_get_list_and_delete(control):
    first = publish(
        control,
        "libs",
        {"python/a.py": "A = 1"},
        Description="first",
        CompatibleRuntimes=["python3.11", "python3.12"],
        CompatibleArchitectures=["x86_64"],
        LicenseInfo="MIT",
    )
    assert first["LayerArn"] == f"{LAYER_ARN}:libs"
    assert first["LayerVersionArn"] == f"{LAYER_ARN}:libs:1"
    assert first["Version"] == 1
    assert first["Description"] == "first" and first["LicenseInfo"] == "MIT"
    assert first["CompatibleRuntimes"] == ["python3.11", "python3.12"]
    assert first["Content"]["CodeSize"] == len(layer_zip({"python/a.py": "A = 1"}))
    second = publish(control, "libs", {"python/a.py": "A = 2"}, CompatibleRuntimes=["python3.13"])
    assert second["Version"] == 2
    publish(control, "other", {"x": "y"}, CompatibleArchitectures=["arm64"])

    got = control.get_layer_version(LayerName="libs", VersionNumber=1)
    assert {key: got[key] for key in ("LayerVersionArn", "Description", "CreatedDate")} == {
        key: first[key] for key in ("LayerVersionArn", "Description", "CreatedDate")
    }
    by_arn = control.get_layer_version_by_arn(Arn=f"{LAYER_ARN}:libs:2")
    assert by_arn["Content"]["CodeSha256"] == second["Content"]["CodeSha256"]
    # Content.Location downloads the zip, as AWS's presigned URL does.
    with urllib.request.urlopen(got["Content"]["Location"]) as response:
        assert zipfile.ZipFile(io.BytesIO(response.read())).read("python/a.py") == b"A = 1"
    by_layer_arn = control.get_layer_version(LayerName=f"{LAYER_ARN}:libs", VersionNumber=2)
    assert by_layer_arn["Version"] == 2

    listed = control.list_layers()["Layers"]
    assert [(layer["LayerName"], layer["LatestMatchingVersion"]["Version"]) for layer in listed] == [
        ("libs", 2),
        ("other", 1),
    ]
    assert listed[0]["LayerArn"] == f"{LAYER_ARN}:libs"
    python311 = control.list_layers(CompatibleRuntime="python3.11")["Layers"]
    assert [(layer["LayerName"], layer["LatestMatchingVersion"]["Version"]) for layer in python311] == [("libs", 1)]
    arm = control.list_layers(CompatibleArchitecture="arm64")["Layers"]
    assert [layer["LayerName"] for layer in arm] == ["other"]

    versions = control.list_layer_versions(LayerName="libs")["LayerVersions"]
    assert [version["Version"] for version in versions] == [2, 1]
    page = control.list_layer_versions(LayerName="libs", MaxItems=1)
    assert [version["Version"] for version in page["LayerVersions"]] == [2]
    rest = control.list_layer_versions(LayerName="libs", MaxItems=1, Marker=page["NextMarker"])
    assert [version["Version"] for version in rest["LayerVersions"]] == [1] and "NextMarker" not in rest
    filtered = control.list_layer_versions(LayerName="libs", CompatibleRuntime="python3.13")["LayerVersions"]
    assert [version["Version"] for version in filtered] == [2]
    assert control.list_layer_versions(LayerName="nothing")["LayerVersions"] == []

    control.delete_layer_version(LayerName="libs", VersionNumber=2)
    control.delete_layer_version(LayerName="libs", VersionNumber=2)  # gone already: no error, as on AWS
    missing = error_of(control.get_layer_version, LayerName="libs", VersionNumber=2)
    assert missing["Error"]["Code"] == "ResourceNotFoundException"
    assert missing["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert missing["Error"]["Message"] == "The resource you requested does not exist."
    # Numbers are never reused.
    assert publish(control, "libs", {"b": "c"})["Version"] == 3


def test_a_zip_attack_is_refused_as_a_function_package_is(control):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../escape.py", "x")
    error = error_of(control.publish_layer_version, LayerName="bad", Content={"ZipFile": buffer.getvalue()})
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["Error"]["Message"].startswith("Could not unzip uploaded file.")
    assert control.list_layers()["Layers"] == []


@pytest.mark.skipif(not available("s3"), reason="S3 is not in this tree")
def test_publish_from_s3(control, process_stack):
    s3 = process_stack.client("s3")
    s3.create_bucket(Bucket="layer-bucket")
    data = layer_zip({"python/from_s3.py": "X = 1"})
    s3.put_object(Bucket="layer-bucket", Key="layer.zip", Body=data)
    published = control.publish_layer_version(
        LayerName="s3layer", Content={"S3Bucket": "layer-bucket", "S3Key": "layer.zip"}
    )
    assert published["Content"]["CodeSize"] == len(data)
    error = error_of(
        control.publish_layer_version, LayerName="s3layer", Content={"S3Bucket": "layer-bucket", "S3Key": "none.zip"}
    )
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert "S3 Error Code: NoSuchKey" in error["Error"]["Message"]


# A function's Layers


def test_function_layers_are_checked_and_shown(control):
    arns = [publish(control, f"l{n}", {f"python/m{n}.py": "X = 1"})["LayerVersionArn"] for n in range(6)]
    missing = f"{LAYER_ARN}:nope:1"
    empty = {"ZipFile": functions.package({"app.py": ""})}
    error = error_of(functions.create_from, control, "f", empty, Layers=[missing])
    assert error["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": f"Layer version {missing} does not exist.",
    }
    error = error_of(functions.create_from, control, "f", empty, Layers=arns)
    assert error["Error"]["Message"] == "Cannot reference more than 5 layers."
    again = publish(control, "l0", {"python/m0.py": "X = 2"})["LayerVersionArn"]
    error = error_of(
        functions.create_from, control, "f", {"ZipFile": functions.package({"app.py": ""})}, Layers=[arns[0], again]
    )
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert "Two different versions of the same layer" in error["Error"]["Message"]
    bad = error_of(
        functions.create_from, control, "f", {"ZipFile": functions.package({"app.py": ""})}, Layers=["not-an-arn"]
    )
    assert bad["Error"]["Code"] == "ValidationException"

    created = functions.create_from(control, "f", {"ZipFile": functions.package({"app.py": ""})}, Layers=arns[:2])
    sizes = [control.get_layer_version_by_arn(Arn=arn)["Content"]["CodeSize"] for arn in arns[:2]]
    assert created["Layers"] == [{"Arn": arn, "CodeSize": size} for arn, size in zip(arns[:2], sizes, strict=True)]
    control.get_waiter("function_active_v2").wait(FunctionName="f", WaiterConfig={"Delay": 0.1})
    assert control.get_function(FunctionName="f")["Configuration"]["Layers"] == created["Layers"]
    control.publish_version(FunctionName="f")
    updated = control.update_function_configuration(FunctionName="f", Layers=[arns[2]])
    assert [layer["Arn"] for layer in updated["Layers"]] == [arns[2]]
    # The version keeps the layers it was published with.
    assert control.get_function(FunctionName="f", Qualifier="1")["Configuration"]["Layers"] == created["Layers"]
    control.get_waiter("function_updated_v2").wait(FunctionName="f", WaiterConfig={"Delay": 0.1})
    cleared = control.update_function_configuration(FunctionName="f", Layers=[])
    assert "Layers" not in cleared
    # A deleted layer version stays with the functions that use it.
    control.delete_layer_version(LayerName="l1", VersionNumber=1)
    assert control.get_function(FunctionName="f", Qualifier="1")["Configuration"]["Layers"] == created["Layers"]


def test_the_250_mb_limit_counts_the_function_with_its_layers(control):
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("python/big.bin", b"\0" * (200 * 1024 * 1024))
    layer = control.publish_layer_version(LayerName="big", Content={"ZipFile": big.getvalue()})
    function_zip = io.BytesIO()
    with zipfile.ZipFile(function_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app.py", "def handler(event, context): return 1")
        archive.writestr("data.bin", b"\0" * (60 * 1024 * 1024))
    error = error_of(
        functions.create_from, control, "huge", {"ZipFile": function_zip.getvalue()}, Layers=[layer["LayerVersionArn"]]
    )
    total = 200 * 1024 * 1024 + 60 * 1024 * 1024 + len("def handler(event, context): return 1")
    assert error["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": f"Function code combined with layers exceeds the maximum allowed size of 262144000 bytes."
        f" The actual size is {total} bytes.",
    }
    # The layer with a small package fits; a larger package then does not.
    create(control, "small", "def handler(event, context):\n    return 1", Layers=[layer["LayerVersionArn"]])
    error = error_of(control.update_function_code, FunctionName="small", ZipFile=function_zip.getvalue())
    assert error["Error"]["Message"].startswith("Function code combined with layers exceeds")


# Invocations: /opt on both executors


def test_a_function_imports_from_its_layers_in_order(stack):
    client = stack.client("lambda")
    stack.reset("lambda")
    base = client.publish_layer_version(
        LayerName="base",
        Content={
            "ZipFile": layer_zip(
                {
                    "python/helper.py": "VALUE = 'from base'",
                    "python/shadow.py": "WHO = 'base'",
                    "bin/layer-tool": "#!/usr/bin/env sh\necho base tool\n",
                },
                executable=("bin/layer-tool",),
            )
        },
    )
    top = client.publish_layer_version(
        LayerName="top",
        Content={
            "ZipFile": layer_zip(
                {
                    "python/lib/python3.11/site-packages/shadow.py": "WHO = 'top'",
                    "bin/layer-tool": "#!/usr/bin/env sh\necho top tool\n",
                },
                executable=("bin/layer-tool",),
            )
        },
    )
    create(client, "layered", USES_LAYERS, Layers=[base["LayerVersionArn"], top["LayerVersionArn"]])
    result = json.loads(client.invoke(FunctionName="layered")["Payload"].read())
    assert result["helper"] == "from base"
    # The later layer's files over the earlier's; site-packages before /opt/python.
    assert result["shadow"] == "top" and result["tool"] == "top tool"
    # As Lambda's Python runtimes: the task root, then the layers' site-packages, then /opt/python
    # (unsandboxed, the layers are at their host folder rather than /opt).
    # (awslambdaric puts the task root, or "" -- the same folder -- first once more)
    path = [entry for entry in dict.fromkeys(result["path"]) if entry]
    assert path[1].endswith("/python/lib/python3.11/site-packages") and path[2].endswith("/python"), result["path"]

    # The other order: base's shadow.py in /opt/python still loses to top's site-packages,
    # but base's tool now wins.
    reordered = [top["LayerVersionArn"], base["LayerVersionArn"]]
    client.update_function_configuration(FunctionName="layered", Layers=reordered)
    client.get_waiter("function_updated_v2").wait(FunctionName="layered", WaiterConfig={"Delay": 0.1})
    result = json.loads(client.invoke(FunctionName="layered")["Payload"].read())
    assert result["tool"] == "base tool"


def test_a_later_layer_replaces_an_earlier_layers_file(stack):
    client = stack.client("lambda")
    stack.reset("lambda")
    arns = [
        client.publish_layer_version(
            LayerName=f"v{n}", Content={"ZipFile": layer_zip({"python/which.py": f"N = {n}"})}
        )["LayerVersionArn"]
        for n in range(3)
    ]
    source = "def handler(event, context):\n    import which\n    return which.N"
    create(client, "which", source, Layers=arns)
    assert json.loads(client.invoke(FunctionName="which")["Payload"].read()) == 2
    # A version keeps its layers: published, then $LATEST changes.
    client.publish_version(FunctionName="which")
    client.update_function_configuration(FunctionName="which", Layers=[arns[2], arns[0]])
    client.get_waiter("function_updated_v2").wait(FunctionName="which", WaiterConfig={"Delay": 0.1})
    assert json.loads(client.invoke(FunctionName="which")["Payload"].read()) == 0
    assert json.loads(client.invoke(FunctionName="which", Qualifier="1")["Payload"].read()) == 2


def test_opt_is_read_only_in_the_sandbox(process_stack):
    client = process_stack.client("lambda")
    process_stack.reset("lambda")
    health = process_stack.health()
    if "unsandboxed" in json.dumps(health):
        pytest.skip("no sandbox here")
    arn = publish(client, "ro", {"python/ro.py": "X = 1"})["LayerVersionArn"]
    source = """
def handler(event, context):
    try:
        open("/opt/python/ro.py", "a").write("changed")
    except OSError as e:
        return type(e).__name__
    return "written"
"""
    create(client, "writer", source, Layers=[arn])
    assert json.loads(client.invoke(FunctionName="writer")["Payload"].read()) in ("OSError", "PermissionError")


# Other accounts

tenants = tenants_fixture("lambda")


def test_another_account_uses_a_layer_only_if_its_policy_allows(tenants):
    tenants.reset("lambda")
    alice, bob = tenants.client("lambda", ALICE), tenants.client("lambda", BOB)
    arn = publish(alice, "shared", {"python/shared.py": "WHO = 'alice'"})["LayerVersionArn"]
    code = {"ZipFile": functions.package({"app.py": "def handler(e, c):\n    import shared\n    return shared.WHO"})}
    denied = error_of(bob.get_layer_version_by_arn, Arn=arn)
    assert denied["Error"]["Code"] == "AccessDeniedException"
    assert denied["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert f"is not authorized to perform: lambda:GetLayerVersion on resource: {arn}" in denied["Error"]["Message"]
    denied = error_of(functions.create_from, bob, "uses", code, Layers=[arn])
    assert denied["Error"]["Code"] == "AccessDeniedException"
    assert error_of(alice.get_layer_version_policy, LayerName="shared", VersionNumber=1)["Error"]["Code"] == (
        "ResourceNotFoundException"
    )

    added = alice.add_layer_version_permission(
        LayerName="shared", VersionNumber=1, StatementId="bob", Action="lambda:GetLayerVersion", Principal=BOB
    )
    assert json.loads(added["Statement"]) == {
        "Sid": "bob",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{BOB}:root"},
        "Action": "lambda:GetLayerVersion",
        "Resource": arn,
    }
    assert bob.get_layer_version_by_arn(Arn=arn)["LayerVersionArn"] == arn
    assert [v["Version"] for v in bob.list_layer_versions(LayerName=arn.rsplit(":", 1)[0])["LayerVersions"]] == [1]
    functions.create_from(bob, "uses", code, Layers=[arn])
    bob.get_waiter("function_active_v2").wait(FunctionName="uses", WaiterConfig={"Delay": 0.1})
    assert json.loads(bob.invoke(FunctionName="uses")["Payload"].read()) == "alice"
    # Only reads are shared.
    assert error_of(bob.delete_layer_version, LayerName=arn.rsplit(":", 1)[0], VersionNumber=1)["Error"]["Code"] == (
        "AccessDeniedException"
    )

    conflict = error_of(
        alice.add_layer_version_permission,
        LayerName="shared",
        VersionNumber=1,
        StatementId="bob",
        Action="lambda:GetLayerVersion",
        Principal=BOB,
    )
    assert conflict["Error"]["Code"] == "ResourceConflictException"
    policy = alice.get_layer_version_policy(LayerName="shared", VersionNumber=1)
    stale = error_of(
        alice.remove_layer_version_permission, LayerName="shared", VersionNumber=1, StatementId="bob", RevisionId="x"
    )
    assert stale["Error"]["Code"] == "PreconditionFailedException"
    alice.remove_layer_version_permission(
        LayerName="shared", VersionNumber=1, StatementId="bob", RevisionId=policy["RevisionId"]
    )
    assert error_of(bob.get_layer_version_by_arn, Arn=arn)["Error"]["Code"] == "AccessDeniedException"

    # Everyone (in an organization: stored, not checked).
    alice.add_layer_version_permission(
        LayerName="shared",
        VersionNumber=1,
        StatementId="org",
        Action="lambda:GetLayerVersion",
        Principal="*",
        OrganizationId="o-abcdefghij",
    )
    statement = json.loads(alice.get_layer_version_policy(LayerName="shared", VersionNumber=1)["Policy"])["Statement"]
    assert statement[0]["Principal"] == "*"
    assert statement[0]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    assert bob.get_layer_version_by_arn(Arn=arn)["Version"] == 1
    # Listing shows only the caller's own layers.
    assert bob.list_layers()["Layers"] == []


# Persistence


def test_layers_survive_a_restart(tmp_path):
    data_dir = str(tmp_path / "data")
    first = RustStackProcess.start("--services", "lambda", "--data-dir", data_dir)
    try:
        client = first.client("lambda")
        arn = publish(client, "kept", {"python/kept.py": "WORD = 'kept'"})["LayerVersionArn"]
        client.add_layer_version_permission(
            LayerName="kept", VersionNumber=1, StatementId="all", Action="lambda:GetLayerVersion", Principal="*"
        )
        create(client, "uses", "def handler(e, c):\n    import kept\n    return kept.WORD", Layers=[arn])
        assert json.loads(client.invoke(FunctionName="uses")["Payload"].read()) == "kept"
    finally:
        first.stop()
    second = RustStackProcess.start("--services", "lambda", "--data-dir", data_dir)
    try:
        client = second.client("lambda")
        assert [layer["LayerName"] for layer in client.list_layers()["Layers"]] == ["kept"]
        assert client.get_layer_version_policy(LayerName="kept", VersionNumber=1)["Policy"]
        assert client.get_function(FunctionName="uses")["Configuration"]["Layers"][0]["Arn"] == arn
        assert json.loads(client.invoke(FunctionName="uses")["Payload"].read()) == "kept"
        assert publish(client, "kept", {"python/kept.py": "WORD = 2"})["Version"] == 2
        second.reset("lambda")
        assert client.list_layers()["Layers"] == []
    finally:
        second.stop()


# The ARN parsers (hypothesis) and the merge (unit)

accounts = st.from_regex(r"\A\d{12}\Z")
regions = st.sampled_from(["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1"])
layer_names = st.from_regex(r"\A[a-zA-Z0-9_-]{1,140}\Z")


@given(accounts, regions, layer_names, st.integers(min_value=1, max_value=10**12))
def test_a_layer_version_arn_round_trips(account, region, name, version):
    ref = layers.LayerRef(account, region, name, version)
    assert layers.parse_version_arn(ref.arn) == ref
    assert layers.parse_layer_name(ref.layer_arn, "999999999999", "eu-west-1") == layers.LayerRef(account, region, name)
    assert layers.parse_layer_name(name, account, region) == layers.LayerRef(account, region, name)
    # A layer ARN without its version is not a version's.
    assert layers.parse_version_arn(ref.layer_arn) is None


@given(st.text())
def test_the_parsers_take_any_text(text):
    ref = layers.parse_version_arn(text)
    if ref is not None:
        assert ref.arn.split(":", 2)[2] == text.split(":", 2)[2]
    named = layers.parse_layer_name(text, "123456789012", "us-east-1")
    assert named is None or named.version is None


def test_merge_puts_later_layers_over_earlier_ones(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "python").mkdir(parents=True)
    (first / "python" / "a.py").write_text("first")
    (first / "python" / "only_first.py").write_text("first")
    (first / "link").symlink_to("python")
    (second / "python").mkdir(parents=True)
    (second / "python" / "a.py").write_text("second")
    (second / "link").mkdir()
    (second / "link" / "b.py").write_text("second")
    target = tmp_path / "opt"
    merge([str(first), str(second)], str(target))
    assert (target / "python" / "a.py").read_text() == "second"
    assert (target / "python" / "only_first.py").read_text() == "first"
    # A later folder replaces an earlier link rather than being written through it.
    assert not (target / "link").is_symlink() and (target / "link" / "b.py").read_text() == "second"
    assert not (target / "python" / "b.py").exists()
    assert os.stat(target / "python" / "only_first.py").st_ino == os.stat(first / "python" / "only_first.py").st_ino


def test_merge_refuses_a_link_that_leads_out(tmp_path):
    first = tmp_path / "first"
    (first / "deep").mkdir(parents=True)
    # The last guard: whatever the layers hold, no link of the merge may lead out of it.
    (first / "out").symlink_to("../../etc")
    with pytest.raises(Exception, match="outside"):
        merge([str(first)], str(tmp_path / "opt"))
    assert not (tmp_path / "opt").exists()
    assert os.listdir(tmp_path) == ["first"]
