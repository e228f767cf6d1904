"""
The API Gateway service: the REST API v1 control plane under C{/restapis}
and the execute-api data plane, behind one leaf resource.
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from ruststack.apigateway import control
from ruststack.apigateway.execute import ExecuteApiResource, is_execute_request, requires_signature
from ruststack.apigateway.store import ApiStore
from ruststack.aws import errors
from ruststack.interfaces import RUNNING, IAwsService, ILambdaInvoker, IPublicRequests, ServiceStatus
from ruststack.service_resource import ServiceResource, SplitResource


def _is_execute(request) -> bool:
    # execute-api requests go to the data plane, the rest to the control plane.
    path = request.uri.decode("latin-1").partition("?")[0]
    host = (request.getHeader(b"host") or b"").decode("latin-1")
    return is_execute_request(host, path)


@implementer(IAwsService, IPublicRequests)
class ApiGatewayService:
    """
    API Gateway (REST APIs, v1) of one RustStack.
    """

    name = "apigateway"

    def __init__(self, store: ApiStore, services: dict[str, Any], clock: Any) -> None:
        self.store = store
        self._services = services
        execute = ExecuteApiResource(store, self._invoker, clock)
        self.control_plane = ServiceResource(control.PROTOCOL, control.HANDLERS, control.context_of(store, clock))
        self.resource = SplitResource(self.control_plane, execute, _is_execute)

    def _invoker(self) -> ILambdaInvoker | None:
        return ILambdaInvoker(self._services.get("lambda"), None)

    def is_public(self, request) -> bool:
        # Stages are served unsigned, as AWS serves methods with authorization
        # NONE; AWS_IAM methods are authenticated by the edge like any call.
        return _is_execute(request) and not requires_signature(self.store, request)

    def status(self) -> ServiceStatus:
        return RUNNING

    def reset(self) -> None:
        self.store.reset()

    def render_error(self, request, error: errors.AwsError) -> bytes:
        return self.control_plane.render_error(request, error)

    def auth_error(self, failure) -> errors.AwsError:
        return errors.json_auth_error(failure, 403)


def make_service(context) -> ApiGatewayService:
    return ApiGatewayService(ApiStore(context.state_dir("apigateway")), context.services, context.reactor)
