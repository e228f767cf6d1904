"""
PutParameter, GetParameter, GetParameters, DeleteParameter(s) over a real
RustStack with boto3: versions, SecureString, tiers, data types, allowed
patterns, and each error with AWS's code, status and message.
"""

from __future__ import annotations

import base64
import datetime

from botocore.config import Config

from ruststack.ssm import names
from tests import conformance
from tests.ssm.conftest import refused

ALREADY_EXISTS = (
    "ParameterAlreadyExists",
    400,
    "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
)


def test_put_and_get(ssm, stack):
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    put = ssm.put_parameter(Name="/app/prod/url", Value="https://example.com", Type="String", Description="site")
    assert (put["Version"], put["Tier"]) == (1, "Standard")
    parameter = ssm.get_parameter(Name="/app/prod/url")["Parameter"]
    assert parameter == {
        "Name": "/app/prod/url",
        "Type": "String",
        "Value": "https://example.com",
        "Version": 1,
        "LastModifiedDate": parameter["LastModifiedDate"],
        "ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/app/prod/url",
        "DataType": "text",
    }
    assert before < parameter["LastModifiedDate"] < before + datetime.timedelta(minutes=1)


def test_arns_with_and_without_a_leading_slash(ssm):
    ssm.put_parameter(Name="plain", Value="1", Type="String")
    ssm.put_parameter(Name="/slashed", Value="2", Type="String")
    ssm.put_parameter(Name="/a/b", Value="3", Type="String")
    arns = {name: ssm.get_parameter(Name=name)["Parameter"]["ARN"] for name in ("plain", "/slashed", "/a/b")}
    assert arns == {
        "plain": "arn:aws:ssm:us-east-1:000000000000:parameter/plain",
        "/slashed": "arn:aws:ssm:us-east-1:000000000000:parameter/slashed",
        "/a/b": "arn:aws:ssm:us-east-1:000000000000:parameter/a/b",
    }


def test_a_single_level_is_one_parameter_with_or_without_its_slash(ssm):
    ssm.put_parameter(Name="level", Value="1", Type="String")
    # Answers carry the name as the caller wrote it.
    assert ssm.get_parameter(Name="/level")["Parameter"]["Name"] == "/level"
    assert ssm.get_parameter(Name="level")["Parameter"]["Name"] == "level"
    assert refused(ssm.put_parameter, Name="/level", Value="2", Type="String") == ALREADY_EXISTS
    assert ssm.put_parameter(Name="/level", Value="2", Overwrite=True)["Version"] == 2
    assert [p["Name"] for p in ssm.describe_parameters()["Parameters"]] == ["level"]


def test_get_by_arn(ssm):
    ssm.put_parameter(Name="/x/y", Value="v", Type="String")
    ssm.put_parameter(Name="flat", Value="f", Type="String")
    arn = ssm.get_parameter(Name="/x/y")["Parameter"]["ARN"]
    assert ssm.get_parameter(Name=arn)["Parameter"]["Name"] == "/x/y"
    assert ssm.get_parameter(Name=f"{arn}:1")["Parameter"]["Selector"] == ":1"
    assert ssm.get_parameter(Name="arn:aws:ssm:us-east-1:000000000000:parameter/flat")["Parameter"]["Value"] == "f"
    other = "arn:aws:ssm:us-east-1:444455556666:parameter/x/y"
    assert refused(ssm.get_parameter, Name=other) == ("ParameterNotFound", 400, f"Parameter {other} not found.")


def test_overwrite_makes_versions(ssm):
    ssm.put_parameter(Name="counter", Value="1", Type="String", Description="first", AllowedPattern="[0-9]+")
    assert refused(ssm.put_parameter, Name="counter", Value="2", Type="String") == ALREADY_EXISTS
    assert refused(ssm.put_parameter, Name="counter", Value="2", Overwrite=False) == ALREADY_EXISTS
    first = ssm.get_parameter(Name="counter")["Parameter"]
    put = ssm.put_parameter(Name="counter", Value="2", Overwrite=True)
    assert (put["Version"], put["Tier"]) == (2, "Standard")
    assert ssm.put_parameter(Name="counter", Value="3", Overwrite=True)["Version"] == 3
    latest = ssm.get_parameter(Name="counter")["Parameter"]
    assert (latest["Value"], latest["Version"]) == ("3", 3)
    assert latest["LastModifiedDate"] >= first["LastModifiedDate"]
    assert ssm.get_parameter(Name="counter:1")["Parameter"]["Value"] == "1"
    # Type, description and pattern carry over when not given again.
    described = ssm.describe_parameters()["Parameters"][0]
    assert (described["Type"], described["Description"], described["AllowedPattern"]) == ("String", "first", "[0-9]+")
    # Overwriting may change the type.
    ssm.put_parameter(Name="counter", Value="4,5", Type="StringList", Overwrite=True, AllowedPattern="[0-9,]+")
    assert ssm.get_parameter(Name="counter")["Parameter"]["Type"] == "StringList"


def test_version_and_label_selectors(ssm):
    for value in ("a", "b", "c"):
        ssm.put_parameter(Name="/sel/p", Value=value, Type="String", Overwrite=True)
    ssm.label_parameter_version(Name="/sel/p", ParameterVersion=2, Labels=["stable"])
    by_version = ssm.get_parameter(Name="/sel/p:1")["Parameter"]
    assert (by_version["Name"], by_version["Value"], by_version["Version"], by_version["Selector"]) == (
        "/sel/p",
        "a",
        1,
        ":1",
    )
    by_label = ssm.get_parameter(Name="/sel/p:stable")["Parameter"]
    assert (by_label["Value"], by_label["Version"], by_label["Selector"]) == ("b", 2, ":stable")
    assert "Selector" not in ssm.get_parameter(Name="/sel/p")["Parameter"]
    assert refused(ssm.get_parameter, Name="/sel/p:9") == (
        "ParameterVersionNotFound",
        400,
        "Systems Manager could not find version 9 of /sel/p. Verify the version and try again.",
    )
    assert refused(ssm.get_parameter, Name="/sel/p:nolabel") == (
        "ParameterNotFound",
        400,
        "Parameter /sel/p:nolabel not found.",
    )
    assert refused(ssm.get_parameter, Name="/sel/p:1:2") == ("ValidationException", 400, names.INVALID_NAME)


def test_get_parameter_errors(ssm):
    assert refused(ssm.get_parameter, Name="missing") == ("ParameterNotFound", 400, "Parameter missing not found.")
    # Reads of names no parameter can have are refused, as AWS refuses them.
    for name in ("a/b/c", "/a//b//c", "with space", "/trailing/"):
        assert refused(ssm.get_parameter, Name=name) == ("ValidationException", 400, names.INVALID_NAME)


def test_secure_string(ssm):
    put = ssm.put_parameter(Name="/db/password", Value="hunter2", Type="SecureString")
    assert put["Version"] == 1
    hidden = ssm.get_parameter(Name="/db/password")["Parameter"]
    again = ssm.get_parameter(Name="/db/password", WithDecryption=False)["Parameter"]
    assert hidden["Type"] == "SecureString" and hidden["Value"] == again["Value"]
    blob = base64.b64decode(hidden["Value"], validate=True)
    assert b"hunter2" not in blob and len(blob) > len("hunter2")
    assert ssm.get_parameter(Name="/db/password", WithDecryption=True)["Parameter"]["Value"] == "hunter2"
    described = ssm.describe_parameters()["Parameters"][0]
    assert described["KeyId"] == "alias/aws/ssm"
    # Each version has its own ciphertext; values of a path come encrypted too.
    ssm.put_parameter(Name="/db/password", Value="hunter2", Overwrite=True)
    assert ssm.get_parameter(Name="/db/password")["Parameter"]["Value"] != hidden["Value"]
    assert ssm.get_parameter(Name="/db/password:1")["Parameter"]["Value"] == hidden["Value"]
    listed = ssm.get_parameters_by_path(Path="/db")["Parameters"][0]
    assert listed["Value"] != "hunter2"
    assert ssm.get_parameters_by_path(Path="/db", WithDecryption=True)["Parameters"][0]["Value"] == "hunter2"
    history = ssm.get_parameter_history(Name="/db/password")["Parameters"]
    assert [h["Value"] for h in history][0] == hidden["Value"]
    assert [h["KeyId"] for h in history] == ["alias/aws/ssm", "alias/aws/ssm"]


def test_secure_string_key_id(ssm):
    ssm.put_parameter(Name="k", Value="s", Type="SecureString", KeyId="alias/my-key")
    assert ssm.describe_parameters()["Parameters"][0]["KeyId"] == "alias/my-key"
    ssm.put_parameter(Name="k", Value="t", Overwrite=True)
    assert ssm.describe_parameters()["Parameters"][0]["KeyId"] == "alias/my-key"
    assert refused(ssm.put_parameter, Name="s", Value="v", Type="String", KeyId="alias/my-key") == (
        "ValidationException",
        400,
        "KeyId is required for SecureString type parameter only.",
    )
    ssm.put_parameter(Name="plain", Value="v", Type="String")
    assert "KeyId" not in ssm.get_parameter_history(Name="plain")["Parameters"][0]


def test_names_aws_refuses(ssm):
    for name, expected in [
        ("awsname", ("ValidationException", 400, names.RESERVED_NAME)),
        ("SSMname", ("ValidationException", 400, names.RESERVED_NAME)),
        ("/ssm/x", ("ValidationException", 400, names.INVALID_NAME)),
        ("/aws/x", ("AccessDeniedException", 400, "No access to reserved parameter name: /aws/x.")),
        ("/AWS/x", ("AccessDeniedException", 400, "No access to reserved parameter name: /AWS/x.")),
        ("Dev MySQL DB", ("ValidationException", 400, names.INVALID_NAME)),
        ("/prefix/support@example.com", ("ValidationException", 400, names.INVALID_NAME)),
        ("relative/path", ("ValidationException", 400, names.INVALID_NAME)),
        ("/" + "/".join(f"l{i}" for i in range(16)), ("HierarchyLevelLimitExceededException", 400, names.TOO_DEEP)),
    ]:
        assert refused(ssm.put_parameter, Name=name, Value="v", Type="String") == expected, name
    ssm.put_parameter(Name="/" + "/".join(f"l{i}" for i in range(15)), Value="v", Type="String")
    # Spaces at the ends are removed, as AWS does.
    ssm.put_parameter(Name="  spaced  ", Value="v", Type="String")
    assert ssm.get_parameter(Name="spaced")["Parameter"]["Name"] == "spaced"


def test_name_length(ssm):
    # 1011 characters including "arn:aws:ssm:us-east-1:000000000000:parameter/" (45).
    longest = "n" * (1011 - 45)
    ssm.put_parameter(Name=longest, Value="v", Type="String")
    code, status, message = refused(ssm.put_parameter, Name=longest + "n", Value="v", Type="String")
    assert (code, status) == ("ValidationException", 400) and "1011" in message
    code, status, message = refused(ssm.put_parameter, Name="n" * 2049, Value="v", Type="String")
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value '") and "at 'name'" in message
    assert message.endswith("Member must have length less than or equal to 2048")


def test_put_parameter_errors(ssm):
    assert refused(ssm.put_parameter, Name="typeless", Value="v") == (
        "ValidationException",
        400,
        "A parameter type is required when you create a parameter.",
    )
    tags = [{"Key": "a", "Value": "b"}]
    assert refused(ssm.put_parameter, Name="t", Value="v", Type="String", Overwrite=True, Tags=tags) == (
        "ValidationException",
        400,
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove"
        " overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or"
        " RemoveTagsFromResource.",
    )  # fmt: skip
    assert refused(ssm.put_parameter, Name="t", Value="v", Type="String", DataType="Text") == (
        "ValidationException",
        400,
        "The following data type is not supported: Text (Data type names are all lowercase.)",
    )
    code, status, message = refused(ssm.put_parameter, Name="t", Value="v", Type="Strang")
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value 'Strang' at 'type' failed to satisfy constraint: Member must satisfy"
        " enum value set: [String, StringList, SecureString]"
    )


def test_values_aws_refuses(stack):
    raw = stack.client("ssm", config=conformance.UNCHECKED)
    assert refused(raw.put_parameter, Name="e", Value="", Type="String") == (
        "ValidationException",
        400,
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater"
        " than or equal to 1",
    )
    assert refused(raw.put_parameter, Name="e", Value="x" * 32769, Type="String", Tier="Advanced") == (
        "ValidationException",
        400,
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less"
        " than or equal to 32768",
    )


def test_tiers(ssm):
    standard = "s" * 4096
    assert ssm.put_parameter(Name="std", Value=standard, Type="String")["Tier"] == "Standard"
    too_big = (
        "ValidationException",
        400,
        "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter"
        " value, upgrade the parameter to use the advanced-parameter tier. For more information, see"
        " https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
    )
    assert refused(ssm.put_parameter, Name="big", Value=standard + "s", Type="String") == too_big
    assert refused(ssm.put_parameter, Name="big", Value=standard + "s", Type="String", Tier="Standard") == too_big
    assert ssm.put_parameter(Name="big", Value="a" * 8192, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    code, status, message = refused(ssm.put_parameter, Name="huge", Value="a" * 8193, Type="String", Tier="Advanced")
    assert (code, status) == ("ValidationException", 400) and "8192" in message
    # Intelligent-Tiering: Standard while the value fits, Advanced when it must.
    put = ssm.put_parameter(Name="smart", Value="small", Type="String", Tier="Intelligent-Tiering")
    assert put["Tier"] == "Standard"
    put = ssm.put_parameter(Name="smart", Value="b" * 5000, Tier="Intelligent-Tiering", Overwrite=True)
    assert put["Tier"] == "Advanced"
    # An advanced parameter stays advanced.
    assert ssm.put_parameter(Name="smart", Value="small", Overwrite=True)["Tier"] == "Advanced"
    code, status, message = refused(ssm.put_parameter, Name="smart", Value="x", Tier="Standard", Overwrite=True)
    assert (code, status) == ("ValidationException", 400) and "downgrade" in message
    tiers = {p["Name"]: p["Tier"] for p in ssm.describe_parameters(MaxResults=50)["Parameters"]}
    assert tiers == {"big": "Advanced", "smart": "Advanced", "std": "Standard"}


def test_data_types(ssm):
    ssm.put_parameter(Name="ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name="ami")["Parameter"]["DataType"] == "aws:ec2:image"
    # AWS checks an AMI id after answering: the call succeeds, nothing changes.
    put = ssm.put_parameter(Name="ami", Value="not-an-ami", Overwrite=True)
    assert put["Version"] == 2
    assert ssm.get_parameter(Name="ami")["Parameter"]["Version"] == 1
    ssm.put_parameter(Name="ami2", Value="nope", Type="String", DataType="aws:ec2:image")
    assert refused(ssm.get_parameter, Name="ami2")[0] == "ParameterNotFound"
    ssm.put_parameter(Name="integration", Value="{}", Type="SecureString", DataType="aws:ssm:integration")
    assert (
        ssm.describe_parameters(ParameterFilters=[{"Key": "DataType", "Values": ["aws:ssm:integration"]}])[
            "Parameters"
        ][0]["Name"]
        == "integration"
    )


def test_allowed_pattern(ssm):
    ssm.put_parameter(Name="port", Value="8080", Type="String", AllowedPattern=r"^\d+$")
    assert refused(ssm.put_parameter, Name="port", Value="http", Overwrite=True) == (
        "ParameterPatternMismatchException",
        400,
        r"Parameter value, cannot be validated against allowedPattern: ^\d+$",
    )
    # The whole value must match, as AWS reads a pattern.
    assert refused(ssm.put_parameter, Name="p2", Value="abc1", Type="String", AllowedPattern="[a-z]+")[0] == (
        "ParameterPatternMismatchException"
    )
    # Java syntax Python lacks is read too.
    ssm.put_parameter(Name="p3", Value="Élan", Type="String", AllowedPattern=r"\p{L}+")
    assert refused(ssm.put_parameter, Name="p4", Value="v", Type="String", AllowedPattern="(") == (
        "InvalidAllowedPatternException",
        400,
        "The request doesn't meet the regular expression requirement.",
    )
    # A pattern that backtracks without end is a mismatch, not a stall.
    code, _, _ = refused(ssm.put_parameter, Name="p5", Value="a" * 60 + "!", Type="String", AllowedPattern="(a+)+")
    assert code == "ParameterPatternMismatchException"
    assert ssm.get_parameter(Name="port")["Parameter"]["Value"] == "8080"


def test_versions_beyond_one_hundred(stack):
    ssm = stack.client("ssm", config=Config(retries={"max_attempts": 1}))
    for number in range(1, 102):
        assert ssm.put_parameter(Name="many", Value=str(number), Type="String", Overwrite=True)["Version"] == number
    history = [
        h["Version"]
        for page in ssm.get_paginator("get_parameter_history").paginate(Name="many")
        for h in page["Parameters"]
    ]
    assert history == list(range(2, 102))  # the oldest is gone
    assert refused(ssm.get_parameter, Name="many:1")[0] == "ParameterVersionNotFound"
    ssm.label_parameter_version(Name="many", ParameterVersion=2, Labels=["keep"])
    assert refused(ssm.put_parameter, Name="many", Value="x", Overwrite=True) == (
        "ParameterMaxVersionLimitExceeded",
        400,
        "You attempted to create a new version of many by calling the PutParameter API with the overwrite flag."
        " Version 2, the oldest version, can't be deleted because it has a label associated with it. Move the label"
        " to another version of the parameter, and try again.",
    )  # fmt: skip


def test_get_parameters(ssm):
    ssm.put_parameter(Name="one", Value="1", Type="String")
    ssm.put_parameter(Name="/two/2", Value="2", Type="SecureString")
    ssm.label_parameter_version(Name="one", Labels=["l"])
    got = ssm.get_parameters(Names=["one", "/two/2", "missing", "one:7", "one:l", "one"], WithDecryption=True)
    assert [(p["Name"], p["Value"], p.get("Selector")) for p in got["Parameters"]] == [
        ("one", "1", None),
        ("/two/2", "2", None),
        ("one", "1", ":l"),
    ]
    assert got["InvalidParameters"] == ["missing", "one:7"]
    assert ssm.get_parameters(Names=["one"])["InvalidParameters"] == []
    code, status, message = refused(ssm.get_parameters, Names=[f"p{i}" for i in range(11)])
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value '[p0, p1,") and "at 'names'" in message
    assert refused(ssm.get_parameters, Names=["bad name"]) == ("ValidationException", 400, names.INVALID_NAME)


def test_delete(ssm):
    ssm.put_parameter(Name="gone", Value="v", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    assert ssm.delete_parameter(Name="gone")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert refused(ssm.delete_parameter, Name="gone") == ("ParameterNotFound", 400, "Parameter gone not found.")
    assert refused(ssm.get_parameter, Name="gone")[0] == "ParameterNotFound"
    # A new parameter of the same name starts again at version 1, untagged.
    assert ssm.put_parameter(Name="gone", Value="w", Type="String")["Version"] == 1
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="gone")["TagList"] == []


def test_delete_parameters(ssm):
    for name in ("a", "/b/c"):
        ssm.put_parameter(Name=name, Value="v", Type="String")
    deleted = ssm.delete_parameters(Names=["a", "/b/c", "nope", "a"])
    assert (deleted["DeletedParameters"], deleted["InvalidParameters"]) == (["a", "/b/c"], ["nope"])
    assert ssm.describe_parameters()["Parameters"] == []
    assert ssm.delete_parameters(Names=["x"])["DeletedParameters"] == []
