"""
The API Gateway service: the REST API v1 control plane under C{/restapis}
and the execute-api data plane, behind one leaf resource.
"""

from __future__ import annotations

from typing import Any

from twisted.web.resource import Resource
from zope.interface import implementer

from ruststack.apigateway import control
from ruststack.apigateway.execute import ExecuteApiResource, is_execute_request, requires_signature
from ruststack.apigateway.store import ApiStore
from ruststack.aws import errors
from ruststack.interfaces import RUNNING, IAwsService, ILambdaInvoker, IPublicRequests, ServiceStatus
from ruststack.service_resource import ServiceResource, SplitResource


def _is_execute(request, store: ApiStore) -> bool:
    # execute-api requests and those to custom domain names go to the data
    # plane, the rest to the control plane.
    path = request.uri.decode("latin-1").partition("?")[0]
    host = (request.getHeader(b"host") or b"").decode("latin-1")
    return is_execute_request(host, path) or store.regional.owns_host(host)


@implementer(IAwsService, IPublicRequests)
class ApiGatewayService:
    """
    API Gateway (REST APIs, v1) of one RustStack.
    """

    name = "apigateway"

    def __init__(
        self, store: ApiStore, services: dict[str, Any], clock: Any, edge_url: Any = None, authenticator: Any = None
    ) -> None:
        self.store = store
        self._services = services
        execute = ExecuteApiResource(store, self._invoker, clock)
        # AWS service integrations call RustStack's edge as the API's account.
        execute.backends.edge_url, execute.backends.authenticator = edge_url, authenticator
        self.control_plane = ServiceResource(control.PROTOCOL, control.HANDLERS, control.context_of(store, clock))
        self.rest_apis = SplitResource(self.control_plane, execute, lambda request: _is_execute(request, store))
        self.resource = _Shared(self)
        store.taken = lambda api_id: (v2 := self._services.get("apigatewayv2")) is not None and api_id in v2.store.apis

    def http_apis(self, request) -> Any:
        """
        The HTTP API service (apigatewayv2) if C{request} is its: the edge
        routes both API Gateways here (they share a signing name, hosts and
        ids).
        """
        v2 = self._services.get("apigatewayv2")
        if v2 is None or self.owns_host((request.getHeader(b"host") or b"").decode("latin-1")):
            # A custom domain's paths are its mappings' (a base path "v2" too).
            return None
        return v2 if v2.owns(request) else None

    def _invoker(self) -> ILambdaInvoker | None:
        return ILambdaInvoker(self._services.get("lambda"), None)

    def is_public(self, request) -> bool:
        v2 = self.http_apis(request)
        if v2 is not None:
            return bool(v2.is_public(request))
        # Stages are served unsigned, as AWS serves methods with authorization
        # NONE; AWS_IAM methods are authenticated by the edge like any call.
        return _is_execute(request, self.store) and not requires_signature(self.store, request)

    def owns_host(self, host: str) -> bool:
        """
        Whether C{host} is one of the custom domain names (the edge routes
        such requests here, L{ruststack.routing.Router.dynamic_hosts}).
        """
        return self.store.regional.owns_host(host)

    def status(self) -> ServiceStatus:
        return RUNNING

    def reset(self) -> None:
        self.store.reset()

    def render_error(self, request, error: errors.AwsError) -> bytes:
        v2 = self.http_apis(request)
        if v2 is not None:
            return bytes(v2.render_error(request, error))
        return self.control_plane.render_error(request, error)

    def auth_error(self, failure) -> errors.AwsError:
        return errors.json_auth_error(failure, 403)


class _Shared(Resource):
    """
    REST APIs' resource, or HTTP APIs' for their requests.
    """

    isLeaf = True

    def __init__(self, service: ApiGatewayService) -> None:
        super().__init__()
        self.service = service

    def render(self, request) -> bytes | int:
        v2 = self.service.http_apis(request)
        return (v2.resource if v2 is not None else self.service.rest_apis).render(request)


def make_service(context) -> ApiGatewayService:
    return ApiGatewayService(
        ApiStore(context.state_dir("apigateway")),
        context.services,
        context.reactor,
        context.edge_url,
        context.authenticator,
    )
