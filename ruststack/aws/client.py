"""
A small AWS client on Twisted: calls any service RustStack answers, over its
own edge, as a real SDK would -- serialized by botocore's serializers, signed
with SigV4, sent with treq, read back with botocore's parsers. A service that
acts on others (CloudFormation) goes through their APIs this way, so each
service keeps one implementation and its own validation and error texts.

    client = AwsClient(reactor, edge_url, credentials_of)
    table = await client.call("dynamodb", "DescribeTable", {"TableName": "t"}, account, region)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
import treq
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest, HeadersDict, prepare_request_dict
from botocore.credentials import Credentials
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from ruststack.aws.identity import Authenticator
from ruststack.protocol.model import service_model

# A session is renewed when less than this is left of it.
_RENEW_BEFORE = 300.0
_SESSION_SECONDS = 3600.0


def body_bytes(body: bytes | str | None) -> bytes:
    # The query serializer's bodies are text; the others' bytes.
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else body


@attrs.define(eq=False)
class ServiceCallError(Exception):
    """
    A service answered an error: its code, message and HTTP status as the
    service sent them.
    """

    service: str
    operation: str
    code: str
    message: str
    status: int

    def __str__(self) -> str:
        return f"{self.message}" if self.message else self.code


@attrs.define
class ServiceSessions:
    """
    Temporary credentials a service acts with in each account: a session of
    the role C{arn:aws:iam::<account>:role/<role_name>} named C{session_name},
    issued by the edge's authenticator (so accepted under C{--auth verify}
    as that account and no other), renewed before it expires.
    """

    authenticator: Authenticator
    role_name: str
    session_name: str
    _by_account: dict[str, Any] = attrs.field(factory=dict)

    def credentials(self, account: str) -> Credentials:
        now = self.authenticator.now()
        session = self._by_account.get(account)
        if session is None or not self.authenticator.sessions.usable(session, now, _RENEW_BEFORE):
            session = self.authenticator.sessions.assume_role(
                "aws",
                account,
                f"arn:aws:iam::{account}:role/{self.role_name}",
                self.session_name,
                now + _SESSION_SECONDS,
                now,
                service=True,
            )
            self._by_account[account] = session
        return Credentials(session.access_key, session.secret_key, session.token)

    def clear(self) -> None:
        self._by_account.clear()


@attrs.define
class AwsClient:
    """
    @ivar edge_url: a callable returning the edge's URL.
    @ivar credentials: account -> the botocore credentials to sign with.
    """

    edge_url: Callable[[], str | None]
    credentials: Callable[[str], Credentials]
    timeout: float = 120.0

    async def call(
        self, service: str, operation: str, params: Mapping[str, Any], account: str, region: str
    ) -> dict[str, Any]:
        """
        Call C{operation} of C{service} (botocore's name) as C{account} in
        C{region}; the parsed output, or L{ServiceCallError}.
        """
        model = service_model(service)
        operation_model = model.operation_model(operation)
        serializer = create_serializer(model.protocol, include_validation=True)
        request_dict = serializer.serialize_to_request(dict(params), operation_model)
        endpoint = self.edge_url()
        if endpoint is None:
            raise ServiceCallError(service, operation, "ServiceUnavailable", "RustStack is not listening yet", 503)
        prepare_request_dict(request_dict, endpoint)
        request = AWSRequest(
            method=request_dict["method"],
            url=request_dict["url"],
            data=request_dict["body"],
            headers=request_dict["headers"],
        )
        signing_name = model.signing_name or model.endpoint_prefix
        signer = S3SigV4Auth if service == "s3" else SigV4Auth
        signer(self.credentials(account), signing_name, region).add_auth(request)
        prepared = request.prepare()
        # treq writes Content-Length (and Host) itself: one of each.
        headers = {
            name: [value] for name, value in prepared.headers.items() if name.lower() not in ("content-length", "host")
        }
        response = await treq.request(
            prepared.method,
            prepared.url.encode("ascii"),
            headers=headers,
            data=body_bytes(prepared.body),
            timeout=self.timeout,
        )
        body = await treq.content(response)
        answer_headers = HeadersDict()
        for name, values in response.headers.getAllRawHeaders():
            answer_headers[name.decode("latin-1")] = values[-1].decode("latin-1")
        parser = create_parser(model.protocol)
        parsed = parser.parse(
            {"status_code": response.code, "headers": answer_headers, "body": body},
            operation_model.output_shape,
        )
        if response.code >= 300:
            error = parsed.get("Error", {})
            raise ServiceCallError(
                service, operation, error.get("Code") or str(response.code), error.get("Message", ""), response.code
            )
        parsed.pop("ResponseMetadata", None)
        output = operation_model.output_shape
        payload = output.serialization.get("payload") if output is not None else None
        if payload and output.members[payload].type_name == "blob":
            # A streaming payload (S3's GetObject Body) is the body's bytes.
            parsed[payload] = body
        return parsed
