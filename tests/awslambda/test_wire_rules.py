"""
Lambda's protocol rules (ruststack/awslambda/wire.py) without a socket, and
property tests of what its control plane reads from a request beyond the
model: code package paths, client contexts, list markers, body sizes.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet import defer

from ruststack.aws.errors import AwsError
from ruststack.awslambda.access import AccessDenied
from ruststack.awslambda.code_packages import package_key
from ruststack.awslambda.control import marker_name
from ruststack.awslambda.invocations import client_context
from ruststack.awslambda.wire import PROTOCOL, body_size
from ruststack.protocol import ProtocolRequest, Response

HEX = "0123456789abcdef"
PATHS = st.one_of(
    st.text(max_size=120),
    st.builds("/2015-03-31/code-packages/{}.zip".format, st.text(max_size=80)),
    st.builds("/2015-03-31/code-packages/{}.zip".format, st.text(alphabet=HEX + "./%2F", min_size=60, max_size=70)),
)


@given(PATHS)
def test_a_package_path_names_a_digest_or_nothing(path):
    key = package_key(path)
    if key is None:
        return
    assert len(key) == 64 and set(key) <= set(HEX)
    folder = os.path.join(os.sep, "code")
    assert os.path.dirname(os.path.normpath(os.path.join(folder, f"{key}.zip"))) == folder


@given(st.text(alphabet=HEX, min_size=64, max_size=64), st.sampled_from(["", "/"]))
def test_every_digest_is_a_package_path(key, slash):
    assert package_key(f"/2015-03-31/code-packages/{key}.zip{slash}") == key


@given(st.text(max_size=200))
def test_a_client_context_is_base64_text_or_refused(text):
    try:
        decoded = client_context(text)
    except AwsError as error:
        assert (error.code, error.status) == ("InvalidParameterValueException", 400)
        return
    if not text:
        assert decoded is None
        return
    assert text.isascii() and decoded == base64.b64decode(text, validate=True).decode()


@given(st.text(min_size=1, max_size=200))
def test_a_client_context_reads_back_what_was_encoded(context):
    assert client_context(base64.b64encode(context.encode()).decode()) == context


@given(st.text(max_size=100))
def test_a_marker_names_what_it_was_made_from(name):
    assert marker_name(base64.urlsafe_b64encode(name.encode()).decode()) == name


@given(st.text(max_size=100))
def test_any_marker_is_a_name_or_refused(marker):
    try:
        name = marker_name(marker)
    except AwsError as error:
        assert (error.code, error.message) == ("InvalidParameterValueException", "Invalid Marker")
        return
    try:
        expected = base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AssertionError(f"{marker!r} read as {name!r}") from None
    assert name == expected


@given(st.binary(max_size=4096), st.integers(min_value=0, max_value=4096))
def test_a_body_is_measured_where_it_stands(data, position):
    body = io.BytesIO(data)
    body.seek(min(position, len(data)))
    before = body.tell()
    assert body_size(body) == body_size(data) == len(data)
    assert body.tell() == before


class Unreadable(io.BytesIO):
    """
    A body that may be measured but not read.
    """

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body was read")


INVOKE = ("POST", "/2015-03-31/functions/f/invocations", "InvokeFunction")


@pytest.mark.parametrize(
    ("target", "invocation_type", "size", "limit"),
    [
        (INVOKE, None, 6 * 1024 * 1024 + 1, 6291456),
        (INVOKE, "RequestResponse", 7 * 1024 * 1024, 6291456),
        (INVOKE, "Event", 1024 * 1024 + 1, 1048576),
        (("POST", "/2014-11-13/functions/f/invoke-async", "InvokeAsync"), None, 1024 * 1024 + 1, 1048576),
        (("POST", "/2015-03-31/functions", "CreateFunction"), None, 69905068, 69905067),
        (("PUT", "/2015-03-31/functions/f/code", "UpdateFunctionCode"), None, 69905068, 69905067),
    ],
)
def test_a_body_over_its_limit_is_never_read(target, invocation_type, size, limit):
    method, path, operation = target
    headers = {"X-Amz-Invocation-Type": invocation_type} if invocation_type else {}
    request = ProtocolRequest.from_target(method, path, headers, Unreadable(b"x" * size))
    with pytest.raises(AwsError) as raised:
        PROTOCOL.parse(PROTOCOL.match(request), request)
    assert (raised.value.code, raised.value.status) == ("RequestEntityTooLargeException", 413)
    assert raised.value.message == f"Request must be smaller than {limit} bytes for the {operation} operation"


@pytest.mark.parametrize("size", [0, 1, 1024 * 1024])
def test_a_body_within_its_limit_is_read(size):
    payload = b" " * size
    request = ProtocolRequest.from_target("POST", "/2015-03-31/functions/f/invocations", {}, io.BytesIO(payload))
    params = PROTOCOL.parse(PROTOCOL.match(request), request)
    assert params.get("Payload", b"") == payload


def test_the_answer_carries_the_calls_request_id():
    class Call:
        request_id = "11111111-2222-3333-4444-555555555555"

    async def get_account_settings(call: Any, params: dict) -> dict:
        return {}

    async def get_function(call: Any, params: dict) -> dict:
        raise AccessDenied("AccessDeniedException", "User: x is not authorized", 403)

    handlers = {"GetAccountSettings": get_account_settings, "GetFunction": get_function}
    for target, status in (("/2016-08-19/account-settings", 200), ("/2015-03-31/functions/f", 403)):
        answers: list[Response] = []
        # The service contract hands the context's request id over (ruststack/service_resource.py).
        request = ProtocolRequest.from_target("GET", target)
        defer.ensureDeferred(PROTOCOL.handle(request, handlers, Call(), Call.request_id)).addCallback(answers.append)
        (response,) = answers  # the handlers never wait
        assert response.status == status
        assert ("x-amzn-RequestId", Call.request_id) in response.headers
    assert json.loads(response.body) == {"Message": "User: x is not authorized"}
