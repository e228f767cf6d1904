"""
The proxy's parsers of what a caller sends and DynamoDB Local answers, on
anything: they never raise but AWS's error, and what they write is an AWS
error body.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.dynamodb import rewrite, shapes
from ruststack.dynamodb.proxy import _checked, _parameters
from ruststack.dynamodb.shapes import _model

CALLER = rewrite.Identity.of("123456789012", "eu-west-1", "0" * 64)
OPERATIONS = st.sampled_from(sorted(_model().operation_names) + ["NoSuchOperation", ""])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)
BODIES = (
    st.binary(max_size=200)
    | JSON.map(lambda value: json.dumps(value).encode())
    | st.integers(0, 2000).map(lambda depth: b"[" * depth + b"]" * depth)
)


def assert_error_body(body: bytes) -> dict:
    document = json.loads(body)
    namespace, _, code = document["__type"].rpartition("#")
    assert namespace in ("com.amazon.coral.service", "com.amazon.coral.validate", "com.amazonaws.dynamodb.v20120810")
    assert code
    return document


@settings(max_examples=500)
@given(operation=OPERATIONS, body=BODIES)
def test_a_request_is_read_or_refused_as_aws_does(operation, body):
    try:
        params = _checked(operation, body)
    except AwsError as error:
        assert error.status == 400
        assert error.code in ("SerializationException", "ValidationException")
        assert_error_body(rewrite.error_body(error.code, error.message))
    else:
        assert isinstance(params, dict) and params == _parameters(body)


@settings(max_examples=500)
@given(operation=OPERATIONS, params=JSON)
def test_the_model_check_takes_any_document(operation, params):
    refused = shapes.refusal(operation, params)
    assert refused is None or refused.code in ("SerializationException", "ValidationException")


@settings(max_examples=500)
@given(
    status=st.sampled_from([400, 500, 503]),
    answer=st.one_of(
        BODIES,
        st.builds(
            lambda code, message, extra: json.dumps(
                {"__type": "com.amazonaws.dynamodb.v20120810#" + code, "Message": message, **extra}
            ).encode(),
            st.sampled_from(
                ["InternalFailure", "ValidationException", "ResourceNotFoundException", "ResourceInUseException"]
            ),
            st.text(max_size=30)
            | st.sampled_from(
                ["Cannot do operations on a non-existent table", "Value null at 'x' failed to satisfy constraint: y"]
            ),
            st.dictionaries(st.sampled_from(["Item", "CancellationReasons", "message", "code"]), JSON, max_size=2),
        ),
    ),
    operation=OPERATIONS,
    sent=BODIES,
)
def test_any_backend_error_becomes_an_aws_error(status, answer, operation, sent):
    new_status, body = rewrite.error_from_local(status, answer, operation, sent, CALLER)
    assert new_status in (400, 500, 503)
    assert_error_body(body)
