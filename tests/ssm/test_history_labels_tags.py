"""
GetParameterHistory, LabelParameterVersion, UnlabelParameterVersion and
the tagging operations over a real RustStack with boto3.
"""

from __future__ import annotations

from ruststack.ssm import names
from tests.ssm.conftest import refused


def versions(ssm, name: str, count: int) -> None:
    for number in range(1, count + 1):
        ssm.put_parameter(Name=name, Value=f"v{number}", Type="String", Overwrite=True, Description=f"d{number}")


def test_history(ssm):
    versions(ssm, "/h/p", 3)
    ssm.put_parameter(Name="/h/p", Value="secret", Type="SecureString", Overwrite=True, Tier="Advanced")
    history = ssm.get_parameter_history(Name="/h/p")["Parameters"]
    assert [(h["Version"], h["Type"], h["Description"], h["Tier"]) for h in history] == [
        (1, "String", "d1", "Standard"),
        (2, "String", "d2", "Standard"),
        (3, "String", "d3", "Standard"),
        (4, "SecureString", "d3", "Advanced"),
    ]
    assert [h["Value"] for h in history[:3]] == ["v1", "v2", "v3"] and history[3]["Value"] != "secret"
    assert ssm.get_parameter_history(Name="/h/p", WithDecryption=True)["Parameters"][3]["Value"] == "secret"
    first = history[0]
    assert first == {
        "Name": "/h/p",
        "Type": "String",
        "LastModifiedDate": first["LastModifiedDate"],
        "LastModifiedUser": "arn:aws:iam::000000000000:root",
        "Description": "d1",
        "Value": "v1",
        "Version": 1,
        "Labels": [],
        "Tier": "Standard",
        "Policies": [],
        "DataType": "text",
    }


def test_history_pages(ssm):
    versions(ssm, "paged", 7)
    first = ssm.get_parameter_history(Name="paged", MaxResults=3)
    assert [h["Version"] for h in first["Parameters"]] == [1, 2, 3]
    second = ssm.get_parameter_history(Name="paged", MaxResults=3, NextToken=first["NextToken"])
    assert [h["Version"] for h in second["Parameters"]] == [4, 5, 6]
    third = ssm.get_parameter_history(Name="paged", MaxResults=3, NextToken=second["NextToken"])
    assert [h["Version"] for h in third["Parameters"]] == [7] and "NextToken" not in third
    pages = ssm.get_paginator("get_parameter_history").paginate(Name="paged", PaginationConfig={"PageSize": 2})
    assert [h["Version"] for page in pages for h in page["Parameters"]] == list(range(1, 8))
    assert refused(ssm.get_parameter_history, Name="paged", NextToken="bm90IGEgbnVtYmVy")[0] == "InvalidNextToken"


def test_history_errors(ssm):
    assert refused(ssm.get_parameter_history, Name="none") == ("ParameterNotFound", 400, "Parameter none not found.")
    ssm.put_parameter(Name="x", Value="v", Type="String")
    assert refused(ssm.get_parameter_history, Name="x:1") == ("ValidationException", 400, names.INVALID_NAME)
    arn = ssm.get_parameter(Name="x")["Parameter"]["ARN"]
    assert [h["Version"] for h in ssm.get_parameter_history(Name=arn)["Parameters"]] == [1]


def test_labels_move_between_versions(ssm):
    versions(ssm, "/l/p", 3)
    labelled = ssm.label_parameter_version(Name="/l/p", ParameterVersion=1, Labels=["prod", "blue"])
    assert (labelled["InvalidLabels"], labelled["ParameterVersion"]) == ([], 1)
    # Without a version, the latest; a label names one version: it moves.
    assert ssm.label_parameter_version(Name="/l/p", Labels=["prod"])["ParameterVersion"] == 3
    history = ssm.get_parameter_history(Name="/l/p")["Parameters"]
    assert [h["Labels"] for h in history] == [["blue"], [], ["prod"]]
    assert ssm.get_parameter(Name="/l/p:prod")["Parameter"]["Version"] == 3
    assert ssm.get_parameter(Name="/l/p:blue")["Parameter"]["Version"] == 1


def test_invalid_labels_are_reported_not_refused(ssm):
    ssm.put_parameter(Name="p", Value="v", Type="String")
    result = ssm.label_parameter_version(Name="p", Labels=["ok", "1digit", "awsx", "SSMy", "sp ace", "dot.dash-und_er"])
    assert result["InvalidLabels"] == ["1digit", "awsx", "SSMy", "sp ace"]
    assert ssm.get_parameter_history(Name="p")["Parameters"][0]["Labels"] == ["ok", "dot.dash-und_er"]
    code, status, message = refused(ssm.label_parameter_version, Name="p", Labels=["l" * 101])
    assert (code, status) == ("ValidationException", 400) and "at 'labels'" in message


def test_label_errors(ssm):
    assert refused(ssm.label_parameter_version, Name="none", Labels=["a"]) == (
        "ParameterNotFound",
        400,
        "Parameter none not found.",
    )
    ssm.put_parameter(Name="p", Value="v", Type="String")
    assert refused(ssm.label_parameter_version, Name="p", ParameterVersion=5, Labels=["a"]) == (
        "ParameterVersionNotFound",
        400,
        "Systems Manager could not find version 5 of p. Verify the version and try again.",
    )
    ssm.label_parameter_version(Name="p", Labels=[f"l{i}" for i in range(10)])
    ssm.label_parameter_version(Name="p", Labels=["l0"])  # already there: no change
    assert refused(ssm.label_parameter_version, Name="p", Labels=["eleventh"]) == (
        "ParameterVersionLabelLimitExceeded",
        400,
        "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
    )


def test_unlabel(ssm):
    versions(ssm, "u", 2)
    ssm.label_parameter_version(Name="u", ParameterVersion=1, Labels=["a", "b"])
    result = ssm.unlabel_parameter_version(Name="u", ParameterVersion=1, Labels=["a", "c"])
    assert (result["RemovedLabels"], result["InvalidLabels"]) == (["a"], ["c"])
    assert ssm.get_parameter_history(Name="u")["Parameters"][0]["Labels"] == ["b"]
    assert refused(ssm.get_parameter, Name="u:a")[0] == "ParameterNotFound"
    assert refused(ssm.unlabel_parameter_version, Name="u", ParameterVersion=3, Labels=["b"]) == (
        "ParameterVersionNotFound",
        400,
        "Systems Manager could not find version 3 of u. Verify the version and try again.",
    )
    assert refused(ssm.unlabel_parameter_version, Name="nope", ParameterVersion=1, Labels=["b"])[0] == (
        "ParameterNotFound"
    )


def test_tags(ssm):
    ssm.put_parameter(Name="/t/p", Value="v", Type="String", Tags=[{"Key": "env", "Value": "dev"}])

    def tags() -> list[dict[str, str]]:
        return ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/t/p")["TagList"]

    assert tags() == [{"Key": "env", "Value": "dev"}]
    ssm.add_tags_to_resource(
        ResourceType="Parameter",
        ResourceId="/t/p",
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}],
    )
    assert tags() == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/t/p", TagKeys=["env", "absent"])
    assert tags() == [{"Key": "team", "Value": "a"}]
    # Tags survive new versions.
    ssm.put_parameter(Name="/t/p", Value="w", Overwrite=True)
    assert tags() == [{"Key": "team", "Value": "a"}]


def test_tag_errors(ssm):
    ssm.put_parameter(Name="p", Value="v", Type="String")
    for kind, resource in [("Parameter", "missing"), ("Parameter", "bad name"), ("Document", "p")]:
        code, status, _ = refused(ssm.list_tags_for_resource, ResourceType=kind, ResourceId=resource)
        assert (code, status) == ("InvalidResourceId", 400)
        code, status, _ = refused(ssm.add_tags_to_resource, ResourceType=kind, ResourceId=resource, Tags=[])
        assert (code, status) == ("InvalidResourceId", 400)
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert refused(ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId="p", Tags=many)[:2] == (
        "TooManyTagsError",
        400,
    )
    code, status, message = refused(ssm.list_tags_for_resource, ResourceType="Bucket", ResourceId="p")
    assert (code, status) == ("ValidationException", 400) and "at 'resourceType'" in message
