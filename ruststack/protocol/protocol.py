"""
One service's protocol, from its botocore model: what a service's resource
uses to turn a request into an operation's input and an output (or an
error) into the answer AWS would send.

    protocol = Protocol.for_service("iam")
    response = await protocol.handle(request, HANDLERS, context)

or step by step: L{Protocol.operation}, L{Protocol.parse},
L{Protocol.validate}, L{Protocol.serialize}, L{Protocol.error}.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Container, Mapping
from typing import Any

from botocore import xform_name
from botocore.model import OperationModel, ServiceModel
from twisted.internet.defer import CancelledError
from twisted.logger import Logger

from ruststack.aws.errors import AwsError
from ruststack.protocol import errors, parse, serialize, validate
from ruststack.protocol.dialects import Dialect, dialect_for
from ruststack.protocol.model import service_model
from ruststack.protocol.operations import Match, OperationIndex, index_for, query_params
from ruststack.protocol.parse import Malformed
from ruststack.protocol.request import ProtocolRequest, Response
from ruststack.protocol.validate import Violation

log = Logger()
_TOO_DEEP = "The request is nested too deeply."

Handler = Callable[[Any, dict[str, Any]], "Mapping[str, Any] | None | Awaitable[Mapping[str, Any] | None]"]


class Protocol:
    """
    The protocol of one service, as its model describes it.

    @ivar model: botocore's service model.
    @ivar name: the protocol: C{rest-xml}, C{rest-json}, C{json} or C{query}.
    @ivar dialect: what the service does differently within its protocol.
    """

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.name: str = model.protocol
        self.dialect: Dialect = dialect_for(model)
        self._index: OperationIndex = index_for(model)

    @classmethod
    def for_service(cls, name: str) -> Protocol:
        """
        The protocol of the service botocore names C{name} (C{s3},
        C{iam}, C{logs}...), built once per process.
        """
        return _protocol(name)

    # -- requests

    def match(self, request: ProtocolRequest, implemented: Container[str] | None = None) -> Match:
        """
        The operation C{request} is, with its URI labels; where the wire
        cannot tell two operations apart, the first that is in
        C{implemented}. An L{AwsError} in the service's protocol if it is
        none.
        """
        matches = self._index.find(request)
        if implemented is not None:
            for match in matches:
                if match.operation.name in implemented:
                    return match
        return matches[0]

    def operation(self, request: ProtocolRequest, implemented: Container[str] | None = None) -> OperationModel:
        """
        The operation model of C{request} (see L{match}).
        """
        return self.match(request, implemented).operation

    def parse(self, operation: OperationModel | Match, request: ProtocolRequest) -> dict[str, Any]:
        """
        The input of C{request}, typed as its shape says; a streaming payload
        is the body as a file, unread. An L{AwsError} in the service's
        protocol if the request cannot be read.
        """
        match = operation if isinstance(operation, Match) else self._match_of(operation, request)
        try:
            if self.name == "json":
                return parse.json_input(match.operation, request)
            if self.name == "query":
                params = match.params if match.params is not None else query_params(request)
                return parse.query_input(match.operation, params)
            return parse.rest_input(match.operation, request, match.labels, self.name)
        except Malformed as malformed:
            raise self._malformed(malformed) from None
        except RecursionError:
            # A document nested deeper than Python's stack (a recursive shape,
            # DynamoDB's lists of lists): refused, not a crash.
            raise errors.serialization(self.model, _TOO_DEEP) from None

    def _match_of(self, operation: OperationModel, request: ProtocolRequest) -> Match:
        if self.name not in ("rest-json", "rest-xml"):
            return Match(operation)
        for match in self._index.find(request):
            if match.operation.name == operation.name:
                return match
        return Match(operation)

    def _malformed(self, malformed: Malformed) -> AwsError:
        if malformed.kind == "uri":
            return errors.malformed_uri(self.model)
        if self.name == "rest-xml" and malformed.argument:
            if malformed.kind in ("integer", "long"):
                message = f"Provided {malformed.argument} not an integer or within integer range."
            else:
                message = f"Invalid value for {malformed.argument}."
            return AwsError(
                "InvalidArgument", message, 400, {"ArgumentName": malformed.argument, "ArgumentValue": malformed.value}
            )
        if self.name == "query":
            return AwsError("InvalidParameterValue", malformed.message, 400)
        return errors.serialization(self.model, malformed.message)

    def validate(self, operation: OperationModel, params: Mapping[str, Any]) -> None:
        """
        Check C{params} against the input shape's constraints; an
        L{AwsError} as the service reports a violation.
        """
        try:
            found = validate.violations(operation.input_shape, params)
        except RecursionError:
            raise errors.serialization(self.model, _TOO_DEEP) from None
        if not found:
            return
        if self.dialect.coral_messages:
            raise AwsError(self.dialect.validation_code, validate.coral_message(found), 400)
        raise self._s3_violation(operation, found[0])

    def _s3_violation(self, operation: OperationModel, violation: Violation) -> AwsError:
        # S3 checks a body against its XML schema, and each header or query
        # parameter on its own (S3 API reference, "List of error codes").
        shape = operation.input_shape
        member = shape.members[violation.member]
        location = member.serialization.get("location")
        if location is None:
            if (
                violation.top
                and violation.kind == "required"
                and shape.serialization.get("payload") == violation.member
            ):
                return AwsError("MissingRequestBodyError", "Request body is empty.", 400)
            return errors.serialization(self.model, "")
        wire = member.serialization.get("name", violation.member)
        if violation.member == "StorageClass" and violation.kind == "enum":
            return AwsError(
                "InvalidStorageClass",
                "The storage class you specified is not valid",
                400,
                {"StorageClassRequested": violation.value},
            )
        if violation.kind == "required":
            return AwsError("InvalidArgument", f"{wire} is required.", 400, {"ArgumentName": wire})
        return AwsError(
            "InvalidArgument",
            f"Invalid value for {wire}.",
            400,
            {"ArgumentName": wire, "ArgumentValue": validate.render(violation.value)},
        )

    # -- answers

    def serialize(
        self, operation: OperationModel, output: Mapping[str, Any] | None, request_id: str | None = None
    ) -> Response:
        """
        The answer carrying C{output}, the output shape's members by name.
        """
        return serialize.serialize(operation, output, self.dialect, request_id)

    def error(self, error: AwsError, method: str = "POST", request_id: str | None = None) -> Response:
        """
        The answer carrying C{error} (C{method}: the request's; S3 sends no
        body for HEAD).
        """
        return errors.render(self.model, self.dialect, error, method, request_id)

    def modeled_error(self, code: str, message: str = "", status: int | None = None, **fields: Any) -> AwsError:
        """
        The error the model declares under C{code}, its status from the
        model; C{fields} its other members by name.
        """
        return errors.modeled(self.model, code, message, status, **fields)

    def not_implemented(self, operation: OperationModel | str) -> AwsError:
        """
        The answer to an operation of the model that RustStack lacks.
        """
        name = operation if isinstance(operation, str) else operation.name
        return errors.not_implemented(self.model, name)

    def not_running(self, message: str = "") -> AwsError:
        """
        The answer of a service RustStack does not run (render it with
        L{error}): botocore reports C{NotImplemented} and C{message}.
        """
        return errors.not_running(self.model, message)

    # -- the whole exchange

    async def handle(
        self,
        request: ProtocolRequest,
        handlers: Mapping[str, Handler],
        context: Any,
        request_id: str | None = None,
    ) -> Response:
        """
        Serve C{request} with the handler its operation has in C{handlers}
        (by operation name): find the operation, parse and validate its
        input, call C{handler(context, input)} (a coroutine or not), and
        serialize what it returns; any L{AwsError} on the way is the answer,
        any other exception (logged) the service's internal error. An
        operation without a handler is L{not_implemented}.
        """
        try:
            match = self.match(request, handlers)
            handler = handlers.get(match.operation.name)
            if handler is None:
                raise self.not_implemented(match.operation)
            params = self.parse(match, request)
            self.validate(match.operation, params)
            output = handler(context, params)
            if inspect.isawaitable(output):
                output = await output
            return self.serialize(match.operation, output, request_id)
        except AwsError as error:
            return self.error(error, request.method, request_id)
        except CancelledError:
            # The client went away: nobody to answer.
            raise
        except Exception:
            log.failure("A handler of {service} failed", service=self.model.service_name)
            return self.error(errors.internal_error(self.model, self.dialect), request.method, request_id)

    def handlers_from(self, namespace: Any) -> dict[str, Handler]:
        """
        A dispatch table from the functions of C{namespace} (a module, a
        class, an object) named after operations in snake case
        (C{put_bucket_tagging} for PutBucketTagging).
        """
        table: dict[str, Handler] = {}
        for name in self.model.operation_names:
            handler = getattr(namespace, xform_name(name), None)
            if callable(handler):
                table[name] = handler
        return table


@functools.lru_cache(maxsize=32)
def _protocol(name: str) -> Protocol:
    return Protocol(service_model(name))
