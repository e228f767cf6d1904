"""
Errors on the wire, per protocol, and the errors the protocol layer itself
raises (no such operation, an operation RustStack lacks, a service it does
not run, a body it cannot read).

- C{query}: C{<ErrorResponse xmlns=...><Error><Type>Sender</Type><Code>...
  </Code><Message>...</Message></Error><RequestId>...</RequestId></ErrorResponse>}
  (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html).
- C{json}: C{{"__type":"Code","message":"..."}} (DynamoDB's namespaced).
- C{rest-json}: the code in C{x-amzn-ErrorType}, C{{"message":"..."}}.
- C{rest-xml}: S3's C{<Error><Code>...</Code><Message>...</Message>...
  <RequestId>...</RequestId><HostId>...</HostId></Error>}, no body for HEAD.

An error's extra members (L{AwsError.fields}) are written as its shape in
the model types them, so that botocore reads them back as modeled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from botocore.model import ServiceModel, Shape

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.protocol.dialects import Dialect
from ruststack.protocol.model import error_code, error_status
from ruststack.protocol.request import ProtocolRequest, Response
from ruststack.protocol.serialize import header_value, json_content_type, json_dumps, json_value, xml_members

NOT_IMPLEMENTED_STATUS = 501
_S3_NOT_IMPLEMENTED = "A header or query you provided implies functionality that is not implemented."


def modeled(model: ServiceModel, code: str, message: str = "", status: int | None = None, **fields: Any) -> AwsError:
    """
    The error the model declares under C{code} (or whose shape is named
    C{code}, as boto3 names its exceptions: IAM's C{NoSuchEntityException}
    travels as C{NoSuchEntity}), its status from the model, with its extra
    members in C{fields}; any other code is a 400 (or C{status}).
    """
    shape = model.shape_for_error_code(code)
    if shape is None and code in model.shape_names:
        named = model.shape_for(code)
        if named.metadata.get("exception"):
            shape, code = named, error_code(named)
    if status is None:
        status = error_status(shape) if shape is not None else 400
    return AwsError(code, message, status, fields)


def not_implemented(model: ServiceModel, operation_name: str) -> AwsError:
    """
    The answer to an operation the model has and RustStack does not: 501
    C{NotImplemented}, which botocore does not retry.
    """
    if model.service_name == "s3":
        return AwsError("NotImplemented", _S3_NOT_IMPLEMENTED, NOT_IMPLEMENTED_STATUS)
    return AwsError(
        "NotImplemented",
        f"RustStack does not implement the operation {operation_name} of {model.service_id} yet.",
        NOT_IMPLEMENTED_STATUS,
    )


def not_running(model: ServiceModel, message: str = "") -> AwsError:
    """
    The answer for a service RustStack does not run (or does not have),
    to be rendered in that service's protocol.
    """
    return AwsError(
        "NotImplemented",
        message or f"The service {model.service_id} is not running in this RustStack.",
        NOT_IMPLEMENTED_STATUS,
    )


def internal_error(model: ServiceModel, dialect: Dialect | None = None) -> AwsError:
    """
    The answer when RustStack itself fails: S3's InternalError, the common
    InternalFailure elsewhere (a 500, which clients retry).
    """
    if dialect is not None and dialect.internal_error is not None:
        return AwsError(*dialect.internal_error, 500)
    if model.protocol == "rest-xml":
        return AwsError("InternalError", "We encountered an internal error. Please try again.", 500)
    return AwsError(
        "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500
    )


def unknown_operation(model: ServiceModel, request: ProtocolRequest) -> AwsError:
    """
    No operation of a json or rest-json service is this request.
    """
    if model.protocol == "json":
        # As DynamoDB answers a target it does not know: a type, no message.
        return AwsError("UnknownOperationException", "", 400)
    return AwsError("UnknownOperationException", f"Unknown operation {request.method} {request.path}", 404)


def missing_action(model: ServiceModel) -> AwsError:
    return AwsError("MissingAction", "The request is missing an action or a required parameter.", 400)


def invalid_action(model: ServiceModel, action: str, version: str | None) -> AwsError:
    # Coral's words for an action it cannot find at that version.
    return AwsError("InvalidAction", f"Could not find operation {action} for version {version or 'NO_VERSION'}", 400)


def malformed_uri(model: ServiceModel) -> AwsError:
    if model.protocol == "rest-xml":
        return AwsError("InvalidURI", "Couldn't parse the specified URI.", 400)
    return AwsError("SerializationException", "The request URI is not valid UTF-8.", 400)


def no_route(model: ServiceModel, request: ProtocolRequest, names_subresource: bool, other: str | None) -> AwsError:
    """
    No REST operation has this method, path and query. S3 answers a method
    it has elsewhere at that path MethodNotAllowed, anything else (a
    subresource it does not know) NotImplemented.
    """
    if model.protocol != "rest-xml":
        return unknown_operation(model, request)
    if other is not None and not names_subresource:
        resource = "SERVICE" if other == "/" else "BUCKET" if other.count("/") == 1 else "OBJECT"
        return AwsError(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
            405,
            {"Method": request.method, "ResourceType": resource},
        )
    return not_implemented(model, "")


def serialization(model: ServiceModel, message: str) -> AwsError:
    """
    A body (or value) the protocol cannot read: C{SerializationException}
    for the JSON protocols, C{MalformedXML} for S3, C{MalformedInput} for
    query.
    """
    if model.protocol in ("json", "rest-json"):
        return AwsError("SerializationException", message, 400)
    if model.protocol == "rest-xml":
        return AwsError(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
            400,
        )
    return AwsError("MalformedInput", message, 400)


def xml_error_document(code: str, message: str, fields: Mapping[str, object], request_id: str, host_id: str) -> bytes:
    """
    The REST-XML error document: Code, Message, the extra fields, RequestId,
    HostId (S3's "Error responses").
    """
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
        f"<Code>{escape(code)}</Code>",
        f"<Message>{escape(message)}</Message>",
    ]
    for name, value in fields.items():
        parts.append(f"<{name}>{escape(str(value))}</{name}>")
    parts.append(f"<RequestId>{request_id}</RequestId>")
    if host_id:
        parts.append(f"<HostId>{host_id}</HostId>")
    parts.append("</Error>")
    return "".join(parts).encode("utf-8")


def render(
    model: ServiceModel, dialect: Dialect, error: AwsError, method: str = "POST", request_id: str | None = None
) -> Response:
    """
    C{error} as the service's protocol sends it.
    """
    protocol = model.protocol
    shape = model.shape_for_error_code(error.code)
    headers: list[tuple[str, str]] = []
    fields = dict(error.fields)
    if shape is not None:
        # Members bound to headers (API Gateway's Retry-After) travel there.
        for name, member in shape.members.items():
            if member.serialization.get("location") == "header" and fields.get(name) is not None:
                headers.append(
                    (member.serialization.get("name", name), header_value(member, fields.pop(name), protocol))
                )
    headers.extend(error.headers.items())
    if protocol == "rest-xml":
        request_id = request_id or ids.s3_request_id()
        host_id = ids.s3_host_id()
        headers = [("x-amz-request-id", request_id), ("x-amz-id-2", host_id), *headers]
        if method == "HEAD":
            return Response(error.status, headers, b"")
        headers.append(("Content-Type", "application/xml"))
        return Response(
            error.status, headers, xml_error_document(error.code, error.message, fields, request_id, host_id)
        )
    request_id = request_id or ids.request_id()
    headers.insert(0, ("x-amzn-RequestId", request_id))
    if protocol == "query":
        headers.append(("Content-Type", "text/xml"))
        return Response(error.status, headers, _query_body(model, shape, error, fields, request_id))
    body = _json_body(shape, error, fields, protocol)
    if protocol == "json":
        body = {"__type": dialect.json_type(error.code), **body}
        headers.append(("Content-Type", json_content_type(model)))
    else:
        headers.append(("x-amzn-ErrorType", error.code))
        headers.append(("Content-Type", "application/json"))
    return Response(error.status, headers, json_dumps(body))


def _message_key(shape: Shape | None) -> str:
    if shape is not None and "Message" in shape.members and "message" not in shape.members:
        return "Message"
    return "message"


def _json_body(shape: Shape | None, error: AwsError, fields: dict[str, Any], protocol: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    key = _message_key(shape)
    if error.message:
        body[key] = error.message
    if shape is not None and "Type" in shape.members and "Type" not in fields:
        # Lambda's errors say whose fault they are.
        fields["Type"] = "User" if error.sender_fault else "Service"
    members = shape.members if shape is not None else {}
    for name, value in fields.items():
        if value is None or name == key:
            continue
        member = members.get(name)
        if member is None:
            body[name] = value
        else:
            body[member.serialization.get("name", name)] = json_value(member, value, protocol)
    return body


def _query_body(
    model: ServiceModel, shape: Shape | None, error: AwsError, fields: dict[str, Any], request_id: str
) -> bytes:
    kind = "Sender" if error.sender_fault else "Receiver"
    parts = [
        f"<ErrorResponse xmlns={quoteattr(model.metadata.get('xmlNamespace', ''))}>",
        f"<Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>",
    ]
    if error.message:
        parts.append(f"<Message>{escape(error.message)}</Message>")
    modeled_names = set(shape.members) - {"message", "Message"} if shape is not None else set()
    if modeled_names:
        parts.append(xml_members(shape, fields, "query", modeled_names))
    for name, value in fields.items():
        if name not in modeled_names and value is not None:
            parts.append(f"<{name}>{escape(str(value))}</{name}>")
    parts.append(f"</Error><RequestId>{escape(request_id)}</RequestId></ErrorResponse>")
    return "".join(parts).encode("utf-8")


def code_of(shape: Shape) -> str:
    """
    The code a modeled error shape travels under.
    """
    return error_code(shape)
