"""
The console's AWS client: it calls RustStack's own AWS APIs through the edge,
over a real socket, signed like any SDK's request -- so the tenant rules apply
to the console exactly as to any other client, and it never reads a store.

Requests are serialized and answers parsed with botocore's models, signed
with botocore's SigV4 signers, and sent with treq (never blocking the
reactor).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import attrs
import treq
from botocore import parsers, serialize
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest, HeadersDict, create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.model import OperationModel, ServiceModel
from botocore.utils import parse_timestamp
from twisted.internet.interfaces import IReactorTCP
from twisted.web.client import HTTPConnectionPool, _HTTP11ClientFactory
from twisted.web.iweb import IResponse

USER_AGENT = "ruststack-console"

_models: dict[str, ServiceModel] = {}


def service_model(service: str) -> ServiceModel:
    """
    botocore's model of C{service} (its client name: C{s3}, C{lambda}...),
    loaded once.
    """
    model = _models.get(service)
    if model is None:
        # botocore's session (and client machinery) only once the console is
        # used: a tenth of a second off RustStack's start.
        import botocore.session

        model = _models[service] = botocore.session.get_session().get_service_model(service)
    return model


class _QuietFactory(_HTTP11ClientFactory):
    noisy = False  # not two log lines per console call


def connection_pool(reactor: IReactorTCP) -> HTTPConnectionPool:
    """
    Kept-alive connections to the edge, for a console's calls.
    """
    pool = HTTPConnectionPool(reactor, persistent=True)
    pool.maxPersistentPerHost = 8
    pool.cachedConnectionTimeout = 30
    pool._factory = _QuietFactory
    return pool


@attrs.define(eq=False)
class AwsCallError(Exception):
    """
    An AWS error answer (or a failure to get one) of a console call.

    @ivar status: the HTTP status of the answer (0 when none came).
    """

    code: str
    message: str
    status: int = 0
    operation: str = ""

    def __str__(self) -> str:
        return f"{self.operation}: {self.code}: {self.message}"


@attrs.frozen
class Signer:
    """
    Who the console signs as: an access key pair, in a region.
    """

    access_key: str
    secret_key: str
    region: str


@attrs.define
class AwsClient:
    """
    Calls to the edge at C{endpoint_url} (RustStack's own), signed by
    C{signer}.
    """

    reactor: Any  # IReactorTCP and IReactorTime
    endpoint_url: str
    signer: Signer
    pool: HTTPConnectionPool | None = None
    timeout: float = 30.0

    def _signed(self, service: str, operation: str, params: Mapping[str, Any]) -> tuple[AWSRequest, OperationModel]:
        model = service_model(service)
        op = model.operation_model(operation)
        serializer = serialize.create_serializer(model.metadata["protocol"], include_validation=True)
        request_dict = serializer.serialize_to_request(dict(params), op)
        # The edge is one host: no per-operation host prefixes.
        request_dict.pop("host_prefix", None)
        prepare_request_dict(request_dict, self.endpoint_url, context={}, user_agent=USER_AGENT)
        request = create_request_object(request_dict)
        signing_name = model.metadata.get("signingName") or model.metadata["endpointPrefix"]
        auth_class = S3SigV4Auth if service == "s3" else SigV4Auth
        credentials = Credentials(self.signer.access_key, self.signer.secret_key)
        auth_class(credentials, signing_name, self.signer.region).add_auth(request)
        return request, op

    async def _send(self, request: AWSRequest, operation: str) -> IResponse:
        prepared = request.prepare()
        # twisted.web's agent writes Content-Length (and Host) itself.
        headers = {name: [value] for name, value in prepared.headers.items() if name.lower() != "content-length"}
        connections: dict[str, Any] = {"pool": self.pool} if self.pool is not None else {"persistent": False}
        body = prepared.body
        if isinstance(body, str):  # the query protocol's form
            body = body.encode("utf-8")
        try:
            return await treq.request(
                prepared.method,
                prepared.url,
                headers=headers,
                data=body or None,
                reactor=self.reactor,
                timeout=self.timeout,
                **connections,
            )
        except Exception as e:
            raise AwsCallError("ConnectionError", f"RustStack's edge did not answer: {e}", 0, operation) from e

    async def call(self, service: str, operation: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """
        Call C{operation} of C{service} with C{params} (as boto3 takes them);
        return what botocore parses of the answer, as boto3 would.

        @raise AwsCallError: on an AWS error answer (code, message, status).
        """
        try:
            request, op = self._signed(service, operation, params or {})
        except Exception as e:  # botocore's validation of params
            raise AwsCallError("ValidationError", str(e), 400, operation) from e
        response = await self._send(request, operation)
        body = await treq.content(response)
        if response.code >= 300:
            raise _error(service, operation, response, body)
        parsed = _parser(service).parse(
            {"status_code": response.code, "headers": _headers(response), "body": body}, op.output_shape
        )
        parsed.pop("ResponseMetadata", None)
        return parsed

    async def open(self, service: str, operation: str, params: Mapping[str, Any]) -> IResponse:
        """
        Send C{operation} and return the raw response, its body unread, for
        streaming it on (an object download) without holding it in memory.

        @raise AwsCallError: on an AWS error answer.
        """
        request, op = self._signed(service, operation, params)
        response = await self._send(request, operation)
        if response.code >= 300:
            raise _error(service, operation, response, await treq.content(response))
        return response


def fast_timestamp(value: Any) -> datetime.datetime:
    """
    botocore's timestamp parsing, with ISO 8601 (what S3's listings hold,
    1,000 a page) by the standard library: dateutil's parser took three
    quarters of a listing's parse.
    """
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed
    return parse_timestamp(value)


_PROTOCOLS = ("rest-xml", "rest-json", "json", "query", "ec2")
_parser_classes = {name: type(parsers.create_parser(name)) for name in _PROTOCOLS}


def _parser(service: str):
    protocol = service_model(service).metadata["protocol"]
    if protocol in _parser_classes:
        return _parser_classes[protocol](timestamp_parser=fast_timestamp)
    return parsers.create_parser(protocol)


def _headers(response: IResponse) -> HeadersDict:
    headers = HeadersDict()
    for name, values in response.headers.getAllRawHeaders():
        headers[name.decode("latin-1")] = values[-1].decode("latin-1")
    return headers


def _error(service: str, operation: str, response: IResponse, body: bytes) -> AwsCallError:
    parsed = _parser(service).parse({"status_code": response.code, "headers": _headers(response), "body": body}, None)
    error = parsed.get("Error", {})
    return AwsCallError(
        error.get("Code") or str(response.code),
        error.get("Message") or response.phrase.decode("latin-1", "replace"),
        response.code,
        operation,
    )
