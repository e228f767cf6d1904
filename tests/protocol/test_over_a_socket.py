"""
The layer serving a real client over a real socket: a stand-in IAM built
from a few handlers, registered with a running RustStack's edge, driven by
boto3. What a service built on the layer looks like, and proof that boto3
reads its answers, its modeled errors, its validation errors, the "not
implemented" answer and a service's "not running" answer as AWS's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import boto3
import pytest
import pytest_twisted
from botocore.config import Config
from botocore.exceptions import ClientError
from twisted.internet import defer, threads
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from zope.interface import implementer

from ruststack.aws import errors
from ruststack.interfaces import RUNNING, IAwsService
from ruststack.protocol import Protocol, ProtocolRequest, Response
from ruststack.testing import start_stack

CREATED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


# -- a service on the layer: handlers, a dispatch table, one resource


@attrs.define
class Users:
    """
    The stand-in's state.
    """

    names: set[str] = attrs.field(factory=lambda: {"bob"})


async def get_user(users: Users, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("UserName", "bob")
    if name not in users.names:
        raise IAM.modeled_error("NoSuchEntity", f"The user with name {name} cannot be found.")
    return {
        "User": {
            "Path": "/",
            "UserName": name,
            "UserId": "AIDAEXAMPLE",
            "Arn": f"arn:aws:iam::123456789012:user/{name}",
            "CreateDate": CREATED,
        }
    }


def create_user(users: Users, params: dict[str, Any]) -> dict[str, Any]:
    users.names.add(params["UserName"])
    return {
        "User": {"Path": "/", "UserName": params["UserName"], "UserId": "AIDANEW", "Arn": "arn", "CreateDate": CREATED}
    }


IAM = Protocol.for_service("iam")
HANDLERS = {"GetUser": get_user, "CreateUser": create_user}


def send(request, response: Response) -> None:
    request.setResponseCode(response.status)
    for name, value in response.headers:
        request.responseHeaders.setRawHeaders(name, [value])
    request.write(response.body)
    request.finish()


class LayerResource(Resource):
    """
    A leaf resource serving every request through the layer.
    """

    isLeaf = True

    def __init__(self, service: StandIn) -> None:
        super().__init__()
        self.service = service

    def render(self, request):
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in request.requestHeaders.getAllRawHeaders()
            for value in values
        ]
        incoming = ProtocolRequest.from_target(
            request.method.decode(), request.uri.decode("latin-1"), headers, request.content
        )
        service = self.service
        if service.handlers is None:
            answer = defer.succeed(service.protocol.error(service.protocol.not_running(), method=incoming.method))
        else:
            answer = defer.ensureDeferred(service.protocol.handle(incoming, service.handlers, service.state))
        answer.addCallback(lambda response: send(request, response))
        request.notifyFinish().addErrback(lambda _: answer.cancel())
        return NOT_DONE_YET


@implementer(IAwsService)
@attrs.define
class StandIn:
    name: str
    handlers: dict | None
    state: Any = None
    resource: Resource = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.resource = LayerResource(self)

    @property
    def protocol(self) -> Protocol:
        return Protocol.for_service(self.name)

    def status(self):
        return RUNNING

    def reset(self):
        pass

    def render_error(self, request, error):
        response = self.protocol.error(error, method=request.method.decode())
        request.setResponseCode(response.status)
        for name, value in response.headers:
            request.responseHeaders.setRawHeaders(name, [value])
        return response.body

    def auth_error(self, failure):
        return errors.json_auth_error(failure, 403)


# -- driven by boto3


@pytest.fixture
def stack():
    running = pytest_twisted.blockon(start_stack(services=()))
    running.stack.edge.register(StandIn("iam", HANDLERS, Users()))
    running.stack.edge.register(StandIn("sts", None))
    yield running
    pytest_twisted.blockon(running.stop())


def client(stack, service: str):
    return boto3.client(
        service,
        endpoint_url=stack.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


def call(stack, service: str, operation: str, **params):
    return threads.deferToThread(lambda: getattr(client(stack, service), operation)(**params))


async def refused(stack, service: str, operation: str, **params) -> ClientError:
    with pytest.raises(ClientError) as raised:
        await call(stack, service, operation, **params)
    return raised.value


@pytest_twisted.ensureDeferred
async def test_boto3_reads_an_answer(stack):
    user = (await call(stack, "iam", "get_user", UserName="bob"))["User"]
    assert user["UserName"] == "bob"
    assert user["CreateDate"] == CREATED


@pytest_twisted.ensureDeferred
async def test_boto3_raises_the_modeled_exception(stack):
    error = await refused(stack, "iam", "get_user", UserName="alice")
    assert type(error).__name__ == "NoSuchEntityException"
    assert error.response["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The user with name alice cannot be found.",
    }
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest_twisted.ensureDeferred
async def test_boto3_reads_a_validation_error(stack):
    error = await refused(stack, "iam", "create_user", UserName="bad name!")
    assert error.response["Error"]["Code"] == "ValidationError"
    assert error.response["Error"]["Message"] == (
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


@pytest_twisted.ensureDeferred
async def test_an_operation_without_handler_is_not_implemented(stack):
    error = await refused(stack, "iam", "list_roles")
    assert error.response["Error"]["Code"] == "NotImplemented"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501


@pytest_twisted.ensureDeferred
async def test_a_service_not_running_is_not_unknown_to_boto3(stack):
    error = await refused(stack, "sts", "get_caller_identity")
    assert error.response["Error"]["Code"] == "NotImplemented"
    assert error.response["Error"]["Message"] == "The service STS is not running in this RustStack."
