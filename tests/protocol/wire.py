"""
botocore's side of the wire: requests as its serializers write them (what a
boto3 client sends), answers read by its response parsers (what a boto3
client sees). The protocol layer is tested against these.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.handlers import parse_get_bucket_location
from botocore.model import OperationModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from ruststack.protocol import ProtocolRequest, Response
from ruststack.protocol.model import is_raw_payload, payload_member

ENDPOINT = "https://service.us-east-1.amazonaws.com"


def request_from_botocore(operation: OperationModel, params: dict[str, Any]) -> ProtocolRequest:
    """
    The request a boto3 client sends for C{params} (botocore's serializer,
    without its client-side validation, and its request preparation).
    """
    serializer = create_serializer(operation.service_model.protocol, include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = create_request_object(request_dict).prepare()
    parts = urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode("utf-8")
    return ProtocolRequest(prepared.method, parts.path, parts.query, dict(prepared.headers.items()), body)


def response_dict(operation: OperationModel, response: Response) -> dict[str, Any]:
    body = response.body
    shape = operation.output_shape
    # botocore hands a raw payload's body through as a stream (StreamingBody
    # in a client); as bytes it would decode them as text.
    if shape is not None and response.status < 300 and is_raw_payload(shape):
        if shape.members[payload_member(shape)].type_name == "blob":
            body = io.BytesIO(body if isinstance(body, bytes) else body.read())
    return {
        "status_code": response.status,
        "headers": HeadersDict(response.headers),
        "body": body,
        "context": {"operation_name": operation.name},
    }


def parse_with_botocore(operation: OperationModel, response: Response) -> dict[str, Any]:
    """
    What a boto3 client reads from C{response}: for an error, its C{Error}
    (code, message) and the modeled members, as botocore's endpoint adds them.
    """
    protocol = operation.service_model.protocol
    parser = create_parser(protocol)
    raw = response_dict(operation, response)
    parsed = parser.parse(raw, operation.output_shape)
    if response.status >= 300:
        code = parsed.get("Error", {}).get("Code")
        shape = operation.service_model.shape_for_error_code(code)
        if shape is not None:
            parsed.update(parser.parse(response_dict(operation, response), shape))
    elif operation.name == "GetBucketLocation" and protocol == "rest-xml":
        # botocore reads this one root-as-value answer with a handler.
        parse_get_bucket_location(parsed, _Content(response.body))
        if parsed.get("LocationConstraint") is None:
            parsed.pop("LocationConstraint", None)
    parsed.pop("ResponseMetadata", None)
    return parsed


def status_of(response: Response) -> int:
    return response.status


class _Content:
    raw = True

    def __init__(self, content: bytes) -> None:
        self.content = content
