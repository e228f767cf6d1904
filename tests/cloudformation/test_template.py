"""
Templates read as CloudFormation reads them (JSON, YAML with the short
intrinsic tags) and their functions evaluated, without a server: property
tests for the YAML loader and the functions, and AWS's error texts.
"""

from __future__ import annotations

import json

import pytest
import pytest_twisted
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.cloudformation import graph, intrinsics, parameters, template
from ruststack.cloudformation.provisioners import is_known

_TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20)
_WORD = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}", fullmatch=True)


def scope(**kwargs) -> intrinsics.Scope:
    return intrinsics.Scope(
        account="123456789012",
        region="eu-west-1",
        stack_name="demo",
        stack_id="arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/1",
        **kwargs,
    )


def error_of(raised: pytest.ExceptionInfo) -> str:
    assert isinstance(raised.value, AwsError)
    assert raised.value.code == "ValidationError"
    return raised.value.message


def test_yaml_short_tags():
    document = template.parse(
        """
AWSTemplateFormatVersion: 2010-09-09
Conditions:
  Prod: !Equals [!Ref Env, prod]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-${Env}"
      Tags:
        - Key: arn
          Value: !GetAtt Table.Arn
        - Key: joined
          Value: !Join [",", !Split ["-", !Select [0, [a-b, c]]]]
        - Key: picked
          Value: !If [Prod, !Base64 x, !Ref "AWS::NoValue"]
        - Key: found
          Value: !FindInMap [M, !Ref "AWS::Region", k]
        - Key: azs
          Value: !Select [1, !GetAZs ""]
        - Key: imported
          Value: !ImportValue shared
        - Key: cidr
          Value: !Select [0, !Cidr ["10.0.0.0/16", 2, 8]]
        - Key: c
          Value: !Condition Prod
        - Key: n
          Value: !Not [!And [!Or [!Condition Prod, true], true]]
"""
    )
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"  # not a date
    tags = document["Resources"]["Bucket"]["Properties"]["Tags"]
    values = [tag["Value"] for tag in tags]
    assert values[0] == {"Fn::GetAtt": ["Table", "Arn"]}
    assert values[1] == {"Fn::Join": [",", {"Fn::Split": ["-", {"Fn::Select": [0, ["a-b", "c"]]}]}]}
    assert values[2] == {"Fn::If": ["Prod", {"Fn::Base64": "x"}, {"Ref": "AWS::NoValue"}]}
    assert values[5] == {"Fn::ImportValue": "shared"}
    assert values[7] == {"Condition": "Prod"}
    assert document["Conditions"]["Prod"] == {"Fn::Equals": [{"Ref": "Env"}, "prod"]}


def test_yaml_duplicate_keys_and_bad_yaml():
    with pytest.raises(AwsError) as raised:
        template.parse("Resources:\n  A: 1\n  A: 2\n")
    assert error_of(raised).startswith("Template format error: YAML not well-formed. (line 3, column 3)")
    with pytest.raises(AwsError) as raised:
        template.parse('{"Resources": ')
    assert error_of(raised).startswith("Template format error: JSON not well-formed.")
    with pytest.raises(AwsError) as raised:
        template.parse("- a\n- b\n")
    assert error_of(raised) == "Template format error: unsupported structure."


_SCALAR = st.one_of(_TEXT, st.integers(-1000, 1000), st.booleans())
_VALUES = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_WORD, inner, max_size=4)),
    max_leaves=12,
)
_TAGS = ("Ref", "Sub", "Join", "Select", "Split", "Base64", "GetAZs", "ImportValue", "FindInMap", "If", "Not")


@given(value=_VALUES, tag=st.sampled_from(_TAGS))
def test_yaml_tags_round_trip(value, tag):
    # A short tag on any node reads as the long form with the node's value.
    node = yaml.safe_dump({"x": value}, default_flow_style=True).strip()[4:-1]
    text = f"Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      P: !{tag} {node}\n"
    document = template.parse(text)
    expected_key = "Ref" if tag == "Ref" else f"Fn::{tag}"
    # A tagged scalar is read as text, as CloudFormation reads it.
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, int):
        value = str(value)
    assert document["Resources"]["R"]["Properties"]["P"] == {expected_key: value}


@given(value=_VALUES)
def test_json_and_yaml_read_alike(value):
    document = {"Resources": {"R": {"Type": "AWS::S3::Bucket", "Properties": {"P": value}}}}
    assert template.parse(json.dumps(document)) == document
    assert template.parse(yaml.safe_dump(document)) == document


@given(
    items=st.lists(st.text(alphabet="abc,-", max_size=6), min_size=1, max_size=6),
    delimiter=st.sampled_from([",", "-", "::"]),
)
def test_join_split_select(items, delimiter):
    joined = intrinsics.evaluate({"Fn::Join": [delimiter, items]}, scope())
    assert joined == delimiter.join(items)
    split = intrinsics.evaluate({"Fn::Split": [delimiter, joined]}, scope())
    assert split == joined.split(delimiter)
    assert intrinsics.evaluate({"Fn::Join": [delimiter, {"Fn::Split": [delimiter, joined]}]}, scope()) == joined
    for index, item in enumerate(split):
        assert intrinsics.evaluate({"Fn::Select": [str(index), {"Fn::Split": [delimiter, joined]}]}, scope()) == item


@given(
    literal=st.text(alphabet=st.characters(blacklist_characters="${}", blacklist_categories=["Cs"]), max_size=20),
    name=_WORD,
)
def test_sub(literal, name):
    evaluated = intrinsics.evaluate(
        {"Fn::Sub": [f"{literal}${{{name}}}-${{!{name}}}-${{AWS::Region}}", {name: "v"}]}, scope()
    )
    assert evaluated == f"{literal}v-${{{name}}}-eu-west-1"


def test_sub_refs_and_attributes():
    s = scope(
        parameters={"Env": "prod", "Names": ["a", "b"]},
        resources={"Table": {}},
        ref=lambda name: f"{name}-physical",
        get_att=lambda name, attribute: f"{name}:{attribute}",
    )
    assert intrinsics.evaluate({"Fn::Sub": "${Env}/${Table}/${Table.Arn}/${Names}/${AWS::AccountId}"}, s) == (
        "prod/Table-physical/Table:Arn/a,b/123456789012"
    )
    with pytest.raises(AwsError) as raised:
        intrinsics.evaluate({"Fn::Sub": "${Missing}"}, s)
    assert "Unresolved resource dependencies [Missing]" in error_of(raised)


def test_no_value_and_conditions():
    s = scope(
        parameters={"Env": "dev"},
        condition_definitions={
            "Prod": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "Dev": {"Fn::Not": [{"Condition": "Prod"}]},
        },
    )
    value = {"A": {"Fn::If": ["Prod", "x", {"Ref": "AWS::NoValue"}]}, "B": [1, {"Ref": "AWS::NoValue"}, 2]}
    assert intrinsics.evaluate(value, s) == {"B": [1, 2]}
    assert intrinsics.evaluate({"Fn::If": ["Dev", "d", "p"]}, s) == "d"
    # An IAM statement's Condition object is a property, not the function.
    statement = {"Condition": {"StringEquals": {"a": "b"}}}
    assert intrinsics.evaluate(statement, s) == statement


def test_function_errors():
    with pytest.raises(AwsError) as raised:
        intrinsics.evaluate({"Fn::Select": [5, ["a"]]}, scope())
    assert error_of(raised) == "Template error: Fn::Select  cannot select nonexistent value at index 5"
    with pytest.raises(AwsError) as raised:
        intrinsics.evaluate({"Fn::FindInMap": ["M", "a", "b"]}, scope(mappings={"M": {}}))
    assert error_of(raised) == "Template error: Unable to get mapping for M::a::b"
    with pytest.raises(AwsError) as raised:
        intrinsics.evaluate({"Fn::GetAtt": ["Nope", "Arn"]}, scope())
    assert error_of(raised) == "Template error: instance of Fn::GetAtt references undefined resource Nope"


def test_pseudo_parameters():
    s = scope(notification_arns=["arn:aws:sns:eu-west-1:123456789012:t"])
    names = intrinsics.PSEUDO_PARAMETERS
    values = {name: intrinsics.evaluate({"Ref": name}, s) for name in names if name != "AWS::NoValue"}
    assert values == {
        "AWS::AccountId": "123456789012",
        "AWS::Region": "eu-west-1",
        "AWS::StackName": "demo",
        "AWS::StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/1",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": ["arn:aws:sns:eu-west-1:123456789012:t"],
    }


def test_template_checks():
    def check(document):
        with pytest.raises(AwsError) as raised:
            template.check(document, is_known)
        return error_of(raised)

    assert check({"Resources": {}}) == "Template format error: At least one Resources member must be defined."
    assert check({"Resources": {"A": {"Type": "AWS::Nope::Thing"}, "B": {"Type": "Nope"}}}) == (
        "Template format error: Unrecognized resource types: [AWS::Nope::Thing, Nope]"
    )
    assert check({"Resources": {"A": {}}}) == (
        "Template format error: [/Resources/A] Every Resources object must contain a Type member."
    )
    assert check({"Foo": 1, "Resources": {"A": {"Type": "AWS::S3::Bucket"}}}) == (
        "Template format error: Invalid template property or properties [Foo]"
    )
    template.check({"Resources": {"A": {"Type": "Custom::Thing"}, "B": {"Type": "AWS::CDK::Metadata"}}}, is_known)


def test_graph():
    resources: dict[str, dict] = {
        "A": {"Type": "T", "Properties": {"X": {"Ref": "B"}, "Y": {"Fn::Sub": "${C.Arn} ${Local}"}}},
        "B": {"Type": "T", "DependsOn": "C"},
        "C": {"Type": "T", "Properties": {"Z": {"Fn::Sub": ["${Local}", {"Local": "x"}]}}},
    }
    assert graph.dependencies(resources) == {"A": {"B", "C"}, "B": {"C"}, "C": set()}
    resources["C"]["Properties"] = {"Z": {"Fn::GetAtt": ["A", "Arn"]}}
    with pytest.raises(AwsError) as raised:
        graph.dependencies(resources)
    assert error_of(raised) == "Circular dependency between resources: [A, B, C]"


async def _no_ssm(name: str) -> str:
    raise AssertionError(name)


@pytest.mark.parametrize(
    ("spec", "value", "message"),
    [
        ({"Type": "Number"}, "x", "Parameter 'P' must be a number."),
        ({"Type": "Number", "MaxValue": 5}, "6", "Parameter 'P' must be a number not greater than 5"),
        ({"Type": "String", "AllowedValues": ["a"]}, "b", "Parameter 'P' must be one of AllowedValues"),
        ({"Type": "String", "AllowedPattern": "[a-z]+"}, "A", "Parameter 'P' must match pattern [a-z]+"),
        ({"Type": "String", "MinLength": 2}, "a", "Parameter 'P' must contain at least 2 characters"),
        (
            {"Type": "String", "MinLength": 2, "ConstraintDescription": "is too short"},
            "a",
            "Parameter 'P' is too short",
        ),
    ],
)
@pytest_twisted.inlineCallbacks
def test_parameter_constraints(spec, value, message):
    from twisted.internet import defer

    with pytest.raises(AwsError) as raised:
        yield defer.ensureDeferred(
            parameters.resolve(
                {"Parameters": {"P": spec}}, [{"ParameterKey": "P", "ParameterValue": value}], None, _no_ssm
            )
        )
    assert error_of(raised) == message


@pytest_twisted.inlineCallbacks
def test_parameter_values():
    from twisted.internet import defer

    document = {
        "Parameters": {
            "L": {"Type": "CommaDelimitedList", "Default": "a,b"},
            "N": {"Type": "List<Number>"},
            "S": {"Type": "String", "NoEcho": True},
            "M": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/x"},
        }
    }

    async def ssm(name: str) -> str:
        return f"value-of-{name}"

    resolved = yield defer.ensureDeferred(
        parameters.resolve(
            document,
            [{"ParameterKey": "N", "ParameterValue": "1, 2"}, {"ParameterKey": "S", "ParameterValue": "secret"}],
            None,
            ssm,
        )
    )
    assert resolved.values == {"L": ["a", "b"], "N": ["1", "2"], "S": "secret", "M": "value-of-/x"}
    assert resolved.reported[2] == {"ParameterKey": "S", "ParameterValue": "****"}
    assert resolved.reported[3] == {"ParameterKey": "M", "ParameterValue": "/x", "ResolvedValue": "value-of-/x"}
    with pytest.raises(AwsError) as raised:
        yield defer.ensureDeferred(
            parameters.resolve(document, [{"ParameterKey": "Q", "ParameterValue": "1"}], None, ssm)
        )
    assert error_of(raised) == "Parameters: [Q] do not exist in the template"
    with pytest.raises(AwsError) as raised:
        yield defer.ensureDeferred(parameters.resolve(document, [], None, ssm))
    assert error_of(raised) == "Parameters: [N, S] must have values"


@given(text=st.text(max_size=200))
def test_any_text_parses_or_is_refused(text):
    try:
        template.parse(text)
    except AwsError as e:
        assert e.code == "ValidationError" and e.message.startswith("Template format error:")


_BUCKET = st.from_regex(r"[a-z0-9][a-z0-9-]{2,20}", fullmatch=True)
_KEY = st.text(
    alphabet=st.characters(whitelist_categories=["L", "N"], whitelist_characters="-_./ "), min_size=1, max_size=30
)


@given(bucket=_BUCKET, key=_KEY, region=st.sampled_from(["us-east-1", "eu-west-3"]), form=st.integers(0, 5))
def test_template_url_forms(bucket, key, region, form):
    from urllib.parse import quote

    from ruststack.cloudformation.preparing import s3_location

    if key.startswith("/"):
        key = "k" + key
    quoted = quote(key)
    url = [
        f"https://s3.amazonaws.com/{bucket}/{quoted}",
        f"https://{bucket}.s3.amazonaws.com/{quoted}",
        f"https://{bucket}.s3.{region}.amazonaws.com/{quoted}",
        f"https://s3.{region}.amazonaws.com/{bucket}/{quoted}",
        f"http://127.0.0.1:4566/{bucket}/{quoted}",
        f"http://{bucket}.s3.localhost.localstack.cloud:4566/{quoted}",
    ][form]
    assert s3_location(url) == (bucket, key)


@given(url=st.text(max_size=80))
def test_any_template_url_is_read_or_refused(url):
    from ruststack.cloudformation.preparing import s3_location

    try:
        bucket, key = s3_location(url)
    except AwsError as e:
        assert (e.code, e.message) == ("ValidationError", "TemplateURL must be a supported URL.")
    else:
        assert bucket and key


_SPEC = st.fixed_dictionaries(
    {"Type": st.sampled_from(["String", "Number", "CommaDelimitedList", "List<Number>", "List<String>"])},
    optional={
        "MinLength": st.integers(0, 5),
        "MaxLength": st.integers(0, 5),
        "MinValue": st.integers(-5, 5),
        "MaxValue": st.integers(-5, 5),
        "AllowedValues": st.lists(st.text(max_size=3), max_size=3),
        "AllowedPattern": st.sampled_from(["[a-z]*", "\\d+", ".*"]),
        "NoEcho": st.booleans(),
    },
)


def _run(coroutine):
    # resolve() awaits only for SSM types: without them it finishes at once.
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("resolve() waited")


@given(spec=_SPEC, value=st.text(max_size=10))
def test_any_parameter_value_is_taken_or_refused(spec, value):
    given = [{"ParameterKey": "P", "ParameterValue": value}]
    try:
        resolved = _run(parameters.resolve({"Parameters": {"P": spec}}, given, None, _no_ssm))
    except AwsError as e:
        assert e.code == "ValidationError" and e.message.startswith("Parameter 'P' ")
    else:
        expected_list = spec["Type"] not in ("String", "Number")
        assert isinstance(resolved.values["P"], list) == expected_list


def test_bad_constraints_are_template_errors():
    for spec in ({"Type": "String", "AllowedPattern": "("}, {"Type": "String", "MinLength": "x"}):
        with pytest.raises(AwsError) as raised:
            _run(
                parameters.resolve(
                    {"Parameters": {"P": spec}}, [{"ParameterKey": "P", "ParameterValue": "v"}], None, _no_ssm
                )
            )
        assert error_of(raised) == "Template format error: Parameter 'P' has an invalid constraint"


def test_aliases_and_depth_refused():
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    with pytest.raises(AwsError) as raised:
        template.parse(bomb)
    assert error_of(raised) == "Template format error: YAML aliases are not allowed in CloudFormation templates"
    deep = "[" * 5000 + "]" * 5000
    for text in ('{"Resources": ' + deep + "}", "Resources: " + deep):
        with pytest.raises(AwsError) as raised:
            template.parse(text)
        assert error_of(raised).startswith("Template format error: ")
