"""
Lambda's wire protocol: botocore's C{lambda} model through the protocol layer
(rest-json), with what Lambda answers that the model does not say.

- One request id per request: the answer's C{x-amzn-RequestId} is the
  handler's C{call.request_id}, which Invoke gives the invocation (the
  function's C{context.aws_request_id} is the id its caller sees).
- The request size limits (Invoke's payload, CreateFunction's and
  UpdateFunctionCode's 50 MB zip in base64) are checked before the body is
  read, so that no larger body is ever held.
- C{Runtime} is checked by Lambda, not by the model's constraints:
  C{InvalidParameterValueException} "Value x at 'runtime' failed to satisfy
  constraint: Member must satisfy enum value set: [...] or be a valid ARN".
- AWS's authorization layer answers C{AccessDeniedException} with a body of
  C{Message} alone (L{ruststack.awslambda.access.AccessDenied}).
- Invoke's answer is C{application/json}, as Lambda sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from botocore.model import OperationModel

from ruststack.aws.errors import AwsError
from ruststack.awslambda import invocations
from ruststack.awslambda.access import AccessDenied
from ruststack.awslambda.functions import invalid
from ruststack.protocol import Protocol, ProtocolRequest, Response
from ruststack.protocol.model import service_model
from ruststack.protocol.operations import Match

# The function URL operations, whose Qualifier names an alias.
_URL_OPERATIONS = frozenset(f"{verb}FunctionUrlConfig" for verb in ("Create", "Get", "Update", "Delete"))


class LambdaProtocol(Protocol):
    """
    The protocol layer as Lambda speaks it.
    """

    def parse(self, operation: OperationModel | Match, request: ProtocolRequest) -> dict[str, Any]:
        name = (operation.operation if isinstance(operation, Match) else operation).name
        limit = invocations.payload_limit(name, request.header("x-amz-invocation-type"))
        if limit is not None and body_size(request.body) > limit:
            raise invocations.too_large(name, limit)
        return super().parse(operation, request)

    def validate(self, operation: OperationModel, params: Mapping[str, Any]) -> None:
        if operation.name in _URL_OPERATIONS and str(params.get("Qualifier", "")).isdigit():
            # Lambda refuses a version in its own words (ruststack.awslambda.urls).
            params = {name: value for name, value in params.items() if name != "Qualifier"}
        runtime = params.get("Runtime")
        shape = operation.input_shape
        if runtime is None or shape is None or "Runtime" not in shape.members:
            super().validate(operation, params)
            return
        super().validate(operation, {name: value for name, value in params.items() if name != "Runtime"})
        known = shape.members["Runtime"].enum
        if runtime not in known:
            raise invalid(
                f"Value {runtime} at 'runtime' failed to satisfy constraint:"
                f" Member must satisfy enum value set: [{', '.join(known)}] or be a valid ARN"
            )

    def serialize(
        self, operation: OperationModel, output: Mapping[str, Any] | None, request_id: str | None = None
    ) -> Response:
        response = super().serialize(operation, output, request_id)
        if operation.name == "Invoke" and response.body:
            response.headers.append(("Content-Type", "application/json"))
        return response

    def error(self, error: AwsError, method: str = "POST", request_id: str | None = None) -> Response:
        if isinstance(error, AccessDenied):
            # No Type, and Message rather than Lambda's message.
            error = AwsError(error.code, "", error.status, {"Message": error.message}, error.headers)
        return super().error(error, method, request_id)


def body_size(body: bytes | IO[bytes]) -> int:
    """
    The length of a request body, without reading it.
    """
    if isinstance(body, bytes | bytearray | memoryview):
        return len(body)
    position = body.tell()
    size = body.seek(0, 2)
    body.seek(position)
    return size


PROTOCOL = LambdaProtocol(service_model("lambda"))
