"""
The HTTP API service: the control plane and the data plane behind one
resource, reached through the REST API service (see the package's
docstring).
"""

from __future__ import annotations

import json
from typing import Any

from zope.interface import implementer

from ruststack.apigatewayv2 import authorizer_operations, import_operations, operations
from ruststack.apigatewayv2.execute import HttpApiResource, api_id_of, requires_signature
from ruststack.apigatewayv2.store import HttpApiStore
from ruststack.aws import errors
from ruststack.interfaces import RUNNING, IAwsService, ILambdaInvoker, IPublicRequests, ServiceStatus
from ruststack.service_resource import ServiceResource, SplitResource

_CONTROL_PLANE = "/v2/"
# Every operation RustStack's HTTP APIs have, by name.
HANDLERS = {**operations.HANDLERS, **authorizer_operations.HANDLERS, **import_operations.HANDLERS}


def _path_of(request: Any) -> str:
    return str(request.uri.decode("latin-1").partition("?")[0])


def _host_of(request: Any) -> str:
    return str((request.getHeader(b"host") or b"").decode("latin-1"))


@implementer(IAwsService, IPublicRequests)
class HttpApiService:
    """
    API Gateway HTTP APIs of one RustStack.
    """

    name = "apigatewayv2"

    def __init__(self, store: HttpApiStore, services: dict[str, Any], clock: Any, edge_url: Any) -> None:
        self.store = store
        self._services = services
        self.control_plane = ServiceResource(
            operations.PROTOCOL,
            HANDLERS,
            operations.context_of(store, clock, edge_url),
        )
        execute = HttpApiResource(store, self._invoker, clock)
        self.resource = SplitResource(self.control_plane, execute, self._is_execute)

    def _invoker(self) -> ILambdaInvoker | None:
        return ILambdaInvoker(self._services.get("lambda"), None)

    def _is_execute(self, request: Any) -> bool:
        return not _path_of(request).startswith(_CONTROL_PLANE)

    def owns(self, request: Any) -> bool:
        """
        Whether a request the edge routed to API Gateway is for an HTTP API:
        a control-plane call under C{/v2/}, or a stage request naming one.
        """
        path = _path_of(request)
        if path.startswith(_CONTROL_PLANE):
            return True
        api_id = api_id_of(_host_of(request), path)
        return api_id is not None and api_id in self.store.apis

    def is_public(self, request: Any) -> bool:
        # Routes are served unsigned, but for AWS_IAM ones, which the edge
        # authenticates like any call.
        return self._is_execute(request) and not requires_signature(self.store, request)

    def status(self) -> ServiceStatus:
        return RUNNING

    def reset(self) -> None:
        self.store.reset()

    def render_error(self, request: Any, error: errors.AwsError) -> bytes:
        if self._is_execute(request):
            # The edge refused an AWS_IAM route's signature: the data plane's
            # own answer, {"message": ...}, "Forbidden" when unsigned.
            unsigned = error.code == "MissingAuthenticationTokenException"
            request.setResponseCode(error.status)
            request.responseHeaders.removeHeader(b"server")
            request.setHeader(b"content-type", b"application/json")
            return json.dumps({"message": "Forbidden" if unsigned else error.message}).encode()
        return self.control_plane.render_error(request, error)

    def auth_error(self, failure: Any) -> errors.AwsError:
        # As REST APIs refuse a bad signature (the edge asks the apigateway service).
        return errors.json_auth_error(failure, 403)


def make_service(context: Any) -> HttpApiService:
    """
    The HTTP API service of a stack (L{ruststack.config.SERVICE_PACKAGES}).
    """
    rest_apis = context.services.get("apigateway")
    store = HttpApiStore(
        context.state_dir("apigatewayv2"),
        taken=lambda api_id: rest_apis is not None and api_id in rest_apis.store.apis,
    )
    return HttpApiService(store, context.services, context.reactor, context.edge_url)
