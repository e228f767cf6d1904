"""
L{Protocol.handle}: a request through a dispatch table to a handler and
back, without sockets (the coroutine driven by Twisted's ensureDeferred).
"""

from __future__ import annotations

import json
import types

import pytest
from twisted.internet import defer

from ruststack.aws.errors import AwsError
from ruststack.protocol import Protocol, ProtocolRequest

SSM = Protocol.for_service("ssm")


def get_parameter_request(name: str = "/app/url") -> ProtocolRequest:
    body = json.dumps({"Name": name}).encode()
    return ProtocolRequest("POST", "/", "", {"X-Amz-Target": "AmazonSSM.GetParameter"}, body)


def handled(request: ProtocolRequest, handlers, context=None):
    results: list = []
    failures: list = []
    deferred = defer.ensureDeferred(SSM.handle(request, handlers, context, request_id="rid"))
    deferred.addCallbacks(results.append, failures.append)
    return deferred, results, failures


def test_a_handler_and_its_output():
    def get_parameter(context, params):
        return {"Parameter": {"Name": params["Name"], "Value": context["value"], "Version": 1}}

    _, [response], _ = handled(get_parameter_request(), {"GetParameter": get_parameter}, {"value": "v"})
    assert response.status == 200
    assert json.loads(response.body) == {"Parameter": {"Name": "/app/url", "Value": "v", "Version": 1}}


def test_an_async_handler_answers_when_it_is_done():
    waiting: defer.Deferred = defer.Deferred()

    async def get_parameter(context, params):
        value = await waiting
        return {"Parameter": {"Name": params["Name"], "Value": value}}

    _, results, _ = handled(get_parameter_request(), {"GetParameter": get_parameter})
    assert results == []
    waiting.callback("later")
    assert json.loads(results[0].body)["Parameter"]["Value"] == "later"


def test_a_modeled_error_from_a_handler():
    def get_parameter(context, params):
        raise SSM.modeled_error("ParameterNotFound", f"Parameter {params['Name']} not found.")

    _, [response], _ = handled(get_parameter_request(), {"GetParameter": get_parameter})
    assert response.status == 400
    assert json.loads(response.body) == {"__type": "ParameterNotFound", "message": "Parameter /app/url not found."}


def test_a_failing_handler_is_an_internal_failure():
    def get_parameter(context, params):
        raise ZeroDivisionError

    _, [response], _ = handled(get_parameter_request(), {"GetParameter": get_parameter})
    assert response.status == 500
    assert json.loads(response.body)["__type"] == "InternalFailure"


def test_cancelled_when_the_client_goes():
    async def get_parameter(context, params):
        await defer.Deferred()

    deferred, results, failures = handled(get_parameter_request(), {"GetParameter": get_parameter})
    deferred.cancel()
    assert results == []
    assert failures[0].check(defer.CancelledError)


def test_validation_before_the_handler():
    called = []
    handlers = {"GetParameter": lambda context, params: called.append(1)}
    _, [response], _ = handled(get_parameter_request(name=""), handlers)
    assert called == []
    assert json.loads(response.body)["__type"] == "ValidationException"


def test_an_operation_without_handler():
    _, [response], _ = handled(get_parameter_request(), {})
    assert response.status == 501
    assert json.loads(response.body)["__type"] == "NotImplemented"


def test_a_dispatch_table_from_snake_case_names():
    namespace = types.SimpleNamespace(get_parameter=lambda c, p: {}, put_parameter=lambda c, p: {}, helper=1)
    assert set(SSM.handlers_from(namespace)) == {"GetParameter", "PutParameter"}


def test_modeled_error_status_from_the_model():
    assert Protocol.for_service("iam").modeled_error("NoSuchEntity").status == 404
    # By the name boto3 gives its exception, too.
    by_name = Protocol.for_service("iam").modeled_error("NoSuchEntityException")
    assert (by_name.code, by_name.status) == ("NoSuchEntity", 404)
    assert Protocol.for_service("dynamodb").modeled_error("InternalServerError").status == 500
    assert Protocol.for_service("dynamodb").modeled_error("ResourceNotFoundException").status == 400
    assert Protocol.for_service("dynamodb").modeled_error("Anything", status=418).status == 418


def test_unknown_service():
    with pytest.raises(Exception, match="Unknown service"):
        Protocol.for_service("no-such-service")


def test_the_error_type_is_awserror():
    with pytest.raises(AwsError):
        SSM.validate(SSM.model.operation_model("GetParameter"), {})
