"""
GetParametersByPath and DescribeParameters over a real RustStack with
boto3: hierarchies and their path rules, filters (legacy and parameter
filters) with AWS's errors, and pagination through boto3's paginators.
"""

from __future__ import annotations

import pytest

from ruststack.ssm import names
from tests.ssm.conftest import refused

TREE = {
    "top": "String",
    "/other": "String",
    "/app/url": "String",
    "/app/db/user": "String",
    "/app/db/password": "SecureString",
    "/app/db/hosts": "StringList",
    "/app/deep/a/b/c": "String",
    "/application/x": "String",
}


@pytest.fixture
def tree(ssm):
    for name, kind in TREE.items():
        ssm.put_parameter(Name=name, Value=f"value of {name}", Type=kind)
    return ssm


def by_path(ssm, path: str, **kwargs) -> list[str]:
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=path, **kwargs)
    return [p["Name"] for page in pages for p in page["Parameters"]]


def described(ssm, **kwargs) -> list[str]:
    pages = ssm.get_paginator("describe_parameters").paginate(**kwargs)
    return [p["Name"] for page in pages for p in page["Parameters"]]


def test_one_level_and_recursive(tree):
    assert by_path(tree, "/app") == ["/app/url"]
    assert by_path(tree, "/app/") == ["/app/url"]
    assert by_path(tree, "/app", Recursive=True) == [
        "/app/db/hosts",
        "/app/db/password",
        "/app/db/user",
        "/app/deep/a/b/c",
        "/app/url",
    ]
    assert by_path(tree, "/app/db") == ["/app/db/hosts", "/app/db/password", "/app/db/user"]
    # The root: the single levels, slashed or not; recursively, everything.
    assert by_path(tree, "/") == ["/other", "top"]
    assert sorted(by_path(tree, "/", Recursive=True)) == sorted(TREE)
    # A parameter's own name is no path of it; a path is no prefix of a name.
    assert by_path(tree, "/app/url") == []
    assert by_path(tree, "/ap", Recursive=True) == []
    assert by_path(tree, "/nowhere", Recursive=True) == []


def test_values_of_a_path(tree):
    found = tree.get_parameters_by_path(Path="/app/db", WithDecryption=True)["Parameters"]
    assert {p["Name"]: p["Value"] for p in found} == {
        name: f"value of {name}" for name in TREE if name.startswith("/app/db/")
    }
    hidden = tree.get_parameters_by_path(Path="/app/db")["Parameters"]
    assert [p["Value"] == f"value of {p['Name']}" for p in hidden] == [True, False, True]
    assert {tuple(sorted(p)) for p in found} == {
        ("ARN", "DataType", "LastModifiedDate", "Name", "Type", "Value", "Version")
    }


def test_path_rules(tree):
    for path in ("app", "/app//db", "/app db", "/ssm/x", "/SSMx", "/awsx", "app/", "/app/:1"):
        assert refused(tree.get_parameters_by_path, Path=path) == ("ValidationException", 400, names.INVALID_PATH), path
    # The public /aws namespace is not in RustStack.
    assert by_path(tree, "/aws/service/ami-amazon-linux-latest") == []


def test_paths_page_by_ten_at_most(ssm):
    for i in range(23):
        ssm.put_parameter(Name=f"/paged/p{i:02d}", Value=str(i), Type="String")
    first = ssm.get_parameters_by_path(Path="/paged")
    assert len(first["Parameters"]) == 10 and "NextToken" in first
    pages = list(ssm.get_paginator("get_parameters_by_path").paginate(Path="/paged", PaginationConfig={"PageSize": 4}))
    assert [len(page["Parameters"]) for page in pages] == [4, 4, 4, 4, 4, 3]
    assert "NextToken" not in pages[-1]
    assert [p["Name"] for page in pages for p in page["Parameters"]] == [f"/paged/p{i:02d}" for i in range(23)]
    assert refused(ssm.get_parameters_by_path, Path="/paged", NextToken="!!not a token!!") == (
        "InvalidNextToken",
        400,
        "The specified token isn't valid.",
    )
    code, status, message = refused(ssm.get_parameters_by_path, Path="/paged", MaxResults=11)
    assert (code, status) == (
        "ValidationException",
        400,
    ) and "Member must have value less than or equal to 10" in message


def test_paging_survives_changes(ssm):
    for i in range(6):
        ssm.put_parameter(Name=f"/changing/p{i}", Value=str(i), Type="String")
    first = ssm.get_parameters_by_path(Path="/changing", MaxResults=3)
    ssm.delete_parameter(Name="/changing/p3")
    ssm.put_parameter(Name="/changing/p0a", Value="new, before the token", Type="String")
    rest = ssm.get_parameters_by_path(Path="/changing", MaxResults=3, NextToken=first["NextToken"])
    assert [p["Name"] for p in rest["Parameters"]] == ["/changing/p4", "/changing/p5"]


def test_path_filters(tree):
    tree.label_parameter_version(Name="/app/db/user", Labels=["blue"])
    tree.put_parameter(Name="/app/db/user", Value="new", Overwrite=True)
    tree.add_tags_to_resource(ResourceType="Parameter", ResourceId="/app/url", Tags=[{"Key": "team", "Value": "web"}])
    assert by_path(tree, "/app", Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}]) == [
        "/app/db/hosts"
    ]
    secure = [{"Key": "Type", "Option": "Equals", "Values": ["SecureString", "StringList"]}]
    assert by_path(tree, "/app/db", ParameterFilters=secure) == ["/app/db/hosts", "/app/db/password"]
    begins = [{"Key": "Type", "Option": "BeginsWith", "Values": ["String"]}]
    assert by_path(tree, "/app/db", ParameterFilters=begins) == ["/app/db/hosts", "/app/db/user"]
    key_id = [{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]
    assert by_path(tree, "/app", Recursive=True, ParameterFilters=key_id) == ["/app/db/password"]
    tagged = [{"Key": "tag:team", "Values": ["web"]}]
    assert by_path(tree, "/app", Recursive=True, ParameterFilters=tagged) == ["/app/url"]
    assert by_path(tree, "/app", Recursive=True, ParameterFilters=[{"Key": "tag:team"}]) == ["/app/url"]
    # A label filter answers the labelled version.
    labelled = tree.get_parameters_by_path(Path="/app/db", ParameterFilters=[{"Key": "Label", "Values": ["blue"]}])
    assert [(p["Name"], p["Version"], p["Value"]) for p in labelled["Parameters"]] == [
        ("/app/db/user", 1, "value of /app/db/user")
    ]


def test_path_filter_errors(tree):
    for key in ("Name", "Path", "Tier"):
        assert refused(tree.get_parameters_by_path, Path="/app", ParameterFilters=[{"Key": key, "Values": ["x"]}]) == (
            "InvalidFilterKey",
            400,
            f"The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId].",
        )
    contains = [{"Key": "Type", "Option": "Contains", "Values": ["S"]}]
    assert refused(tree.get_parameters_by_path, Path="/app", ParameterFilters=contains) == (
        "InvalidFilterOption",
        400,
        "The following filter option is not valid: Contains. Valid options include: [BeginsWith, Equals].",
    )  # fmt: skip
    number = [{"Key": "Type", "Values": ["Number"]}]
    assert refused(tree.get_parameters_by_path, Path="/app", ParameterFilters=number) == (
        "InvalidFilterValue",
        400,
        "The following filter value is not valid: Number. Valid values include: [String, StringList, SecureString].",
    )  # fmt: skip
    code, status, message = refused(tree.get_parameters_by_path, Path="/app", ParameterFilters=[{"Key": "Bogus"}])
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value 'Bogus' at 'parameterFilters.1.member.key' failed to satisfy constraint:"
        " Member must satisfy regular expression pattern: ^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$"
    )


def test_describe_everything_in_order(tree):
    assert described(tree) == sorted(TREE, key=names.key_of)
    metadata = tree.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/db/password"]}])
    [password] = metadata["Parameters"]
    assert password == {
        "Name": "/app/db/password",
        "ARN": "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/password",
        "Type": "SecureString",
        "KeyId": "alias/aws/ssm",
        "LastModifiedDate": password["LastModifiedDate"],
        "LastModifiedUser": "arn:aws:iam::000000000000:root",
        "Version": 1,
        "Tier": "Standard",
        "Policies": [],
        "DataType": "text",
    }


def test_describe_pages(ssm):
    for i in range(25):
        ssm.put_parameter(Name=f"param-{i:02d}", Value=str(i), Type="SecureString" if i % 5 == 0 else "String")
    first = ssm.describe_parameters()
    assert len(first["Parameters"]) == 10 and first["NextToken"]
    assert described(ssm) == [f"param-{i:02d}" for i in range(25)]
    pages = list(ssm.get_paginator("describe_parameters").paginate(PaginationConfig={"PageSize": 50}))
    assert [len(page["Parameters"]) for page in pages] == [25]
    secure = described(ssm, Filters=[{"Key": "Type", "Values": ["SecureString"]}], PaginationConfig={"PageSize": 2})
    assert secure == ["param-00", "param-05", "param-10", "param-15", "param-20"]
    assert refused(ssm.describe_parameters, NextToken="%%%") == (
        "InvalidNextToken",
        400,
        "The specified token isn't valid.",
    )
    code, _, message = refused(ssm.describe_parameters, MaxResults=51)
    assert code == "ValidationException" and "less than or equal to 50" in message
    assert ssm.describe_parameters(Shared=True)["Parameters"] == []


def test_describe_filters(tree):
    tree.put_parameter(Name="/tiered", Value="v", Type="String", Tier="Advanced")
    tree.add_tags_to_resource(ResourceType="Parameter", ResourceId="top", Tags=[{"Key": "env", "Value": "prod"}])
    legacy_name = [{"Key": "Name", "Values": ["/app/db"]}]
    assert described(tree, Filters=legacy_name) == ["/app/db/hosts", "/app/db/password", "/app/db/user"]
    assert described(tree, Filters=[{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]) == ["/app/db/password"]
    db = ["/app/db/hosts", "/app/db/password", "/app/db/user"]
    cases = [
        ([{"Key": "Name", "Values": ["top"]}], ["top"]),
        ([{"Key": "Name", "Values": ["/top"]}], ["top"]),
        ([{"Key": "Name", "Option": "BeginsWith", "Values": ["/app/d"]}], [*db, "/app/deep/a/b/c"]),
        ([{"Key": "Name", "Option": "Contains", "Values": ["pass"]}], ["/app/db/password"]),
        ([{"Key": "Path", "Values": ["/app"]}], ["/app/url"]),
        ([{"Key": "Path", "Option": "OneLevel", "Values": ["/app/db/"]}], db),
        ([{"Key": "Path", "Option": "Recursive", "Values": ["/app/deep"]}], ["/app/deep/a/b/c"]),
        ([{"Key": "Path", "Values": ["/"]}], ["/other", "/tiered", "top"]),
        ([{"Key": "Path", "Option": "Recursive", "Values": ["/app"]}, {"Key": "Type", "Values": ["StringList"]}],
         ["/app/db/hosts"]),
        ([{"Key": "Tier", "Values": ["Advanced"]}], ["/tiered"]),
        ([{"Key": "DataType", "Values": ["text"]}], sorted(["/tiered", *TREE], key=names.key_of)),
        ([{"Key": "tag:env", "Values": ["prod"]}], ["top"]),
        ([{"Key": "tag:env", "Values": ["dev"]}], []),
        ([{"Key": "tag:env"}], ["top"]),
    ]  # fmt: skip
    for filters, expected in cases:
        assert described(tree, ParameterFilters=filters) == expected, filters


def test_describe_filter_errors(tree):
    def describe_error(**kwargs):
        return refused(tree.describe_parameters, **kwargs)

    name = [{"Key": "Name", "Values": ["a"]}]
    assert describe_error(Filters=name, ParameterFilters=name) == (
        "ValidationException",
        400,
        "You can use either Filters or ParameterFilters in a single request.",
    )  # fmt: skip
    assert describe_error(ParameterFilters=[{"Key": "Label", "Values": ["x"]}]) == (
        "InvalidFilterKey",
        400,
        "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].",
    )
    assert describe_error(ParameterFilters=[{"Key": "Name"}]) == (
        "InvalidFilterValue",
        400,
        "The following filter values are missing : null for filter key Name.",
    )
    assert describe_error(ParameterFilters=[{"Key": "Name", "Values": ["a"]}, {"Key": "Name", "Values": ["b"]}]) == (
        "InvalidFilterKey",
        400,
        "The following filter is duplicated in the request: Name. A request can contain only one occurrence of a"
        " specific filter.",
    )
    assert describe_error(ParameterFilters=[{"Key": "Path", "Option": "Equals", "Values": ["/a"]}]) == (
        "InvalidFilterOption",
        400,
        "The following filter option is not valid: Equals. Valid options include: [Recursive, OneLevel].",
    )
    assert describe_error(ParameterFilters=[{"Key": "Name", "Option": "Like", "Values": ["a"]}]) == (
        "InvalidFilterOption",
        400,
        "The following filter option is not valid: Like. Valid options include: [BeginsWith, Contains, Equals].",
    )
    assert describe_error(ParameterFilters=[{"Key": "Tier", "Values": ["Gold"]}]) == (
        "InvalidFilterValue",
        400,
        "The following filter value is not valid: Gold. Valid values include: [Standard, Advanced,"
        " Intelligent-Tiering].",
    )
    assert describe_error(ParameterFilters=[{"Key": "Path", "Values": ["/aws/x"]}]) == (
        "ValidationException",
        400,
        'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive). When using global'
        " parameters, please specify within a global namespace.",
    )
    assert describe_error(ParameterFilters=[{"Key": "Path", "Values": ["no-slash"]}]) == (
        "ValidationException",
        400,
        names.INVALID_PATH,
    )
    code, status, message = describe_error(Filters=[{"Key": "Label", "Values": ["x"]}])
    assert (code, status) == ("ValidationException", 400)
    assert "Member must satisfy enum value set: [Name, Type, KeyId]" in message
