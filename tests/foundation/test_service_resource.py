"""
The service contract (ruststack/service_resource.py) without the edge: a
leaf resource driven by treq's StubTreq, its answers read by botocore.
"""

from __future__ import annotations

import io
from typing import Any

import attrs
from botocore.parsers import create_parser
from treq.testing import StubTreq
from twisted.internet import defer
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web.test.requesthelper import DummyRequest

from ruststack.protocol import Protocol
from ruststack.service_resource import ServiceResource

STS = Protocol.for_service("sts")


@attrs.frozen
class Caller:
    account: str


async def get_caller_identity(caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    return {"Account": caller.account, "UserId": "AIDA", "Arn": f"arn:aws:iam::{caller.account}:root"}


async def assume_role(caller: Caller, params: dict[str, Any]) -> dict[str, Any]:
    raise STS.modeled_error("MalformedPolicyDocument", "not today")


def sts_resource(**handlers) -> ServiceResource:
    table = {"GetCallerIdentity": get_caller_identity, "AssumeRole": assume_role, **handlers}
    return ServiceResource(STS, table, lambda request: Caller("123456789012"))


def parsed(operation: str, status: int, headers, body: bytes) -> dict:
    model = STS.model.operation_model(operation)
    response = {"status_code": status, "headers": {k.decode(): v[0].decode() for k, v in headers.getAllRawHeaders()}}
    return create_parser("query").parse({**response, "body": body}, model.output_shape)


@defer.inlineCallbacks
def test_an_operation_is_answered_as_aws_sends_it():
    client: Any = StubTreq(sts_resource())  # Any: StubTreq makes its methods at run time
    response = yield client.post(
        "http://sts/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    body = yield response.content()
    assert response.code == 200
    assert parsed("GetCallerIdentity", 200, response.headers, body)["Account"] == "123456789012"


@defer.inlineCallbacks
def test_errors_and_missing_operations_in_the_services_protocol():
    client: Any = StubTreq(sts_resource())
    for action, code, status in [
        ("AssumeRole&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=session", "MalformedPolicyDocument", 400),
        ("AssumeRole", "ValidationError", 400),  # required members, from the model
        ("DecodeAuthorizationMessage&EncodedMessage=x", "NotImplemented", 501),
    ]:
        response = yield client.post(
            "http://sts/", data=f"Action={action}&Version=2011-06-15".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        body = yield response.content()
        error = parsed("GetCallerIdentity", response.code, response.headers, body)["Error"]
        assert (response.code, error["Code"]) == (status, code), body


def test_a_client_that_leaves_cancels_its_handler():
    waiting: defer.Deferred = defer.Deferred()
    seen: list[str] = []

    async def slow(caller, params):
        try:
            await waiting
        except defer.CancelledError:
            seen.append("cancelled")
            raise

    request: Any = DummyRequest([b""])
    request.method = b"POST"
    request.uri = b"/"
    request.requestHeaders.setRawHeaders(b"content-type", [b"application/x-www-form-urlencoded"])
    request.content = io.BytesIO(b"Action=GetCallerIdentity&Version=2011-06-15")
    sts_resource(GetCallerIdentity=slow).render(request)
    request.processingFailed(Failure(ConnectionLost()))
    assert seen == ["cancelled"]
    assert not request.written


def test_an_unexpected_failure_is_the_services_internal_error():
    def broken(caller, params):
        raise RuntimeError("bug")

    request: Any = DummyRequest([b""])
    request.method = b"POST"
    request.uri = b"/"
    request.content = io.BytesIO(b"Action=GetCallerIdentity&Version=2011-06-15")
    sts_resource(GetCallerIdentity=broken).render(request)
    assert request.responseCode == 500
    assert b"<Code>InternalFailure</Code>" in b"".join(request.written)
