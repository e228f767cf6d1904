"""
The Lambda service object: what the edge renders (the control plane), what
API Gateway invokes (L{ILambdaInvoker}), and the environments it runs.
"""

from __future__ import annotations

import base64
import os
import random
import uuid
from typing import Any, cast

import attrs
from twisted.application import service
from twisted.internet import defer
from twisted.logger import Logger
from zope.interface import implementer

from ruststack.aws import errors, identity
from ruststack.awslambda import access, control, names, runtime_api
from ruststack.awslambda.async_invocations import AsyncInvocations, ServiceRunner
from ruststack.awslambda.calls import context_of
from ruststack.awslambda.code_packages import CodePackageResource
from ruststack.awslambda.environment import Executor, FunctionSnapshot, Invocation, abandonable, log_tail, when_fired
from ruststack.awslambda.event_sources import EventSourceMappings, MappingStore
from ruststack.awslambda.functions import LambdaFunction
from ruststack.awslambda.layer_store import LayerStore
from ruststack.awslambda.policy_match import Requester
from ruststack.awslambda.pool import EnvironmentPool
from ruststack.awslambda.response_streaming import StreamingControlPlane
from ruststack.awslambda.store import FunctionStore
from ruststack.awslambda.url_endpoint import UrlEndpoint, is_url_request, url_refusal
from ruststack.awslambda.wire import PROTOCOL
from ruststack.interfaces import (
    RUNNING,
    IAwsService,
    ILambdaInvoker,
    ILogSink,
    InvokeResult,
    InvokeSource,
    IObjectReader,
    IPublicRequests,
    IRoles,
    ServiceStatus,
)
from ruststack.service_resource import ServiceResource, SplitResource

log = Logger()

# A function's role credentials last 12 hours; environments started after
# fewer than 1 remain get fresh ones.
CREDENTIALS_LIFETIME = 12 * 3600.0
CREDENTIALS_RENEWAL = 3600.0
# Where GetFunction's Code.Location points (ruststack.awslambda.code_packages).
CODE_PACKAGES = b"/2015-03-31/code-packages/"


def _is_code_download(request) -> bool:
    # Code package downloads go to their resource, the rest to the control plane.
    return request.method == b"GET" and request.uri.startswith(CODE_PACKAGES)


@implementer(IAwsService, ILambdaInvoker, IPublicRequests)
class LambdaService(service.Service):
    name = "lambda"  # type: ignore[assignment]  # Service declares None

    def __init__(
        self,
        reactor: Any,
        store: FunctionStore,
        executor: Executor,
        concurrency: int,
        idle_timeout: float,
        edge_url: Any,
        credentials: RoleCredentials,
        services: dict | None = None,
        async_time_scale: float = 1.0,
    ) -> None:
        self.reactor = reactor
        self.store = store
        self.layers = LayerStore(store)
        self.executor = executor
        self.edge_url = edge_url
        self._services = services if services is not None else {}
        self.credentials = credentials
        self.pool = EnvironmentPool(
            reactor,
            executor,
            concurrency,
            idle_timeout,
            self._current_revision,
            lambda: ILogSink(self._services.get("logs"), None),
        )
        self.control_plane = StreamingControlPlane(PROTOCOL, control.HANDLERS, context_of(self))
        code_packages = CodePackageResource(store, self.render_error)
        self.urls = UrlEndpoint(self)
        # Function URLs first, then code downloads, then the control plane
        # (SplitResource types its first resource as a ServiceResource, though it only renders it).
        control_or_code = cast(ServiceResource, SplitResource(self.control_plane, code_packages, _is_code_download))
        self.resource = SplitResource(control_or_code, self.urls, is_url_request)
        self.installing: dict[LambdaFunction, defer.Deferred] = {}
        self._snapshots: dict[str, FunctionSnapshot] = {}
        # Event invocations (ruststack.awslambda.async_invocations).
        self.async_invocations = AsyncInvocations(reactor, ServiceRunner(self), async_time_scale)
        self._closing = False
        # Which version of a weighted alias serves an invocation.
        self.random = random.Random()
        # Event source mappings and their pollers (make_service builds them).
        self.event_sources: EventSourceMappings | None = None

    @property
    def objects(self) -> Any:
        """
        S3's L{IObjectReader}, or C{None} when S3 is not running; looked up
        when needed, as S3 may be built after Lambda.
        """
        s3 = self._services.get("s3")
        return IObjectReader(s3, None) if s3 is not None else None

    @property
    def roles(self) -> IRoles | None:
        """
        IAM's L{IRoles}, or C{None} when IAM is not running (then any role
        ARN is taken on trust).
        """
        return IRoles(self._services.get("iam"), None)

    # IAwsService

    def status(self) -> ServiceStatus:
        if self.executor.problem:
            return ServiceStatus("unavailable", self.executor.problem)
        # The process executor's sandbox (the docker executor has none to report).
        sandbox_status = getattr(self.executor, "sandbox_status", None)
        status = sandbox_status() if sandbox_status is not None else None
        return status or RUNNING

    def render_error(self, request, error: errors.AwsError) -> bytes:
        if is_url_request(request):
            return url_refusal(request)
        return self.control_plane.render_error(request, error)

    def auth_error(self, failure) -> errors.AwsError:
        return errors.json_auth_error(failure, 403)

    async def _reset(self) -> None:
        if self.event_sources is not None:
            await self.event_sources.reset()
        self._closing = True
        self.async_invocations.clear()
        await self.pool.stop()
        self._closing = False
        self._snapshots.clear()
        self.installing.clear()
        self.store.clear()
        self.layers.clear()

    def reset(self) -> defer.Deferred:
        return defer.ensureDeferred(self._reset())

    def startService(self) -> None:
        super().startService()
        self.executor.start()
        if self.event_sources is not None:
            self.event_sources.start()

    def stopService(self) -> defer.Deferred:
        super().stopService()
        self._closing = True
        self.async_invocations.clear()
        d = self.event_sources.stop() if self.event_sources is not None else defer.succeed(None)
        d.addBoth(lambda _: self.pool.stop())
        d.addBoth(lambda _: self.executor.close())
        d.addBoth(lambda _: self.store.close())
        return d

    def is_public(self, request) -> bool:
        """
        L{IPublicRequests}: GetFunction's C{Code.Location} downloads without
        credentials, as the presigned URL AWS gives does; so do function
        URLs but those of C{AWS_IAM} (L{UrlEndpoint.is_public}).
        """
        return _is_code_download(request) or (is_url_request(request) and self.urls.is_public(request))

    # Functions

    def find(
        self, requester: Requester, region: str, name: str, action: str, qualifier: str | None = None
    ) -> LambdaFunction:
        """
        The function C{name} (any of its forms) names, if C{requester} may
        perform C{action} on it (L{access.find_function}).
        """
        return access.find_function(self.store, requester, region, name, action, qualifier)

    def _current_revision(self, arn: str) -> str | None:
        ref = names.parse(arn, "", "")
        function = self.store.get(ref.account, ref.region, ref.name)
        if function is not None and ref.qualifier is not None:
            function = function.versions.get(ref.qualifier)
        return function.revision_id if function is not None else None

    def exists(self, function: LambdaFunction) -> bool:
        """
        Whether C{function} ($LATEST or a version) is still there.
        """
        latest = self.store.get(function.account, function.region, function.name)
        if latest is None or function.version == "$LATEST":
            return latest is function
        return latest.versions.get(function.version) is function

    def pick(self, target: access.Target) -> LambdaFunction:
        """
        The version that serves an invocation of C{target}: for an alias
        with a routing configuration, a weighted draw.
        """
        alias = target.alias
        if alias is None or not alias.weights:
            return target.version
        draw = self.random.random()
        for version, weight in alias.weights.items():
            if draw < weight:
                return target.function.versions[version]
            draw -= weight
        return target.version

    def code_changed(self, function: LambdaFunction, installing: defer.Deferred | None) -> None:
        """
        A function was created or changed: environments of its old revision
        go, and invocations wait for its code to be unpacked.
        """
        self._snapshots = {k: v for k, v in self._snapshots.items() if v.arn != function.arn}
        self.pool.retire(function.arn)
        if installing is not None:
            self.installing[function] = installing

            def installed(result: Any) -> Any:
                if self.installing.get(function) is installing:
                    del self.installing[function]
                return result

            installing.addBoth(installed)

    def collect_packages(self) -> None:
        """
        Remove the code packages no function or version uses any longer;
        one an environment still runs goes once that environment has ended.
        """
        if self._closing:
            return
        referenced = self.store.referenced()
        in_use = set()
        for environment in self.pool.environments:
            key = os.path.basename(environment.function.code_dir)
            in_use.add(key)
            if key not in referenced:
                environment.ended().addCallback(lambda _: self.collect_packages())
        self.store.collect(in_use | self.layers.referenced())

    # Invocations

    def invoke(
        self,
        account: str,
        region: str,
        function: str,
        payload: bytes,
        qualifier: str | None = None,
        source: InvokeSource | None = None,
    ):
        """
        L{ILambdaInvoker}: a RequestResponse invocation.
        """
        requester = Requester(account) if source is None else Requester(account, source.principal, source.arn)
        try:
            target = access.find_target(self.store, requester, region, function, access.INVOKE, qualifier)
        except errors.AwsError:
            return defer.fail()
        running = defer.ensureDeferred(self.run(self.pick(target), payload, invoked_arn=target.arn))
        return abandonable(running.addCallback(lambda result: result[0]))

    def invoke_event(
        self,
        account: str,
        region: str,
        function: str,
        payload: bytes,
        source: InvokeSource | None = None,
        dry_run: bool = False,
    ) -> str | None:
        """
        L{ILambdaInvoker}: an Event invocation, its access checked now.
        """
        requester = Requester(account) if source is None else Requester(account, source.principal, source.arn)
        target = access.find_target(self.store, requester, region, function, access.INVOKE)
        if dry_run:
            return None
        return self.enqueue_event(self.pick(target), payload, invoked_arn=target.arn)

    async def run(
        self,
        function: LambdaFunction,
        payload: bytes,
        tail: bool = False,
        client_context: str | None = None,
        request_id: str | None = None,
        invoked_arn: str | None = None,
        max_response: int = runtime_api.MAX_RESPONSE,
    ) -> tuple[InvokeResult, str]:
        """
        Invoke C{function} ($LATEST or a version) and wait for its answer;
        the L{InvokeResult} and the invocation's request id (the function's
        C{context.aws_request_id}). C{invoked_arn}: the ARN it was invoked
        by (an alias's), which the function sees; C{max_response}: the
        largest answer it may give (streamed answers may be larger).
        """
        if function in self.installing:
            await when_fired(self.installing[function])
        # A version published while its code was being unpacked waits for it too.
        unpacking = self.store.installs.get(function.code.key)
        if unpacking is not None:
            await when_fired(unpacking)
        if function.state == "Failed":
            raise errors.AwsError(
                "ResourceConflictException",
                "The operation cannot be performed at this time."
                f" The function is currently in the following state: {function.state}",
                409,
            )
        self.executor.check_runtime(function.runtime)
        snapshot = self._snapshots.get(function.revision_id)
        if (
            snapshot is None
            or snapshot.code_dir != self.store.code_dir(function.code.key)
            or not self.credentials.usable(snapshot.credentials)
        ):
            # Its layers merged as its /opt (ruststack.awslambda.layer_store).
            opt_dir = await self.layers.view([layer["key"] for layer in function.layers]) if function.layers else None
            snapshot = self._snapshots[function.revision_id] = FunctionSnapshot.of(
                function, self.store.code_dir(function.code.key), self.credentials.issue(function), opt_dir
            )
        invocation = Invocation(
            request_id or str(uuid.uuid4()),
            payload or b"{}",
            client_context,
            tail,
            invoked_arn=invoked_arn,
            max_response=max_response,
        )
        # Reserved concurrency is the function's, shared by its versions.
        latest = self.store.get(function.account, function.region, function.name) or function
        outcome = await self.pool.invoke(snapshot, latest.reserved_concurrency, invocation)
        log_result = base64.b64encode(log_tail(outcome.log)).decode() if tail else None
        result = InvokeResult(200, outcome.payload, outcome.function_error, log_result, function.version)
        return result, invocation.request_id

    def enqueue_event(
        self, function: LambdaFunction, payload: bytes, request_id: str | None = None, invoked_arn: str | None = None
    ) -> str:
        """
        An Event invocation: queued, run in the background and retried as
        Lambda does (L{ruststack.awslambda.async_invocations}); its request
        id (C{request_id}, or a new one).
        """
        return self.async_invocations.enqueue(function, payload, request_id, invoked_arn).request_id


@attrs.frozen
class RoleCredentials:
    """
    What a function's environments get, as on AWS: temporary credentials of
    its execution role (session named after the function), which act in the
    function's account -- never in another one its role ARN might name.
    """

    sessions: identity.Sessions
    clock: Any

    def issue(self, function: LambdaFunction) -> identity.Session:
        now = self.clock.seconds()
        partition = function.arn.split(":")[1]
        return self.sessions.assume_role(
            partition, function.account, function.role, function.name, now + CREDENTIALS_LIFETIME, now
        )

    def usable(self, session: identity.Session) -> bool:
        """
        Whether new environments may still start with C{session}.
        """
        return self.sessions.usable(session, self.clock.seconds(), CREDENTIALS_RENEWAL)


def make_service(context: Any) -> LambdaService:
    """
    The Lambda service of a stack (L{ruststack.config.SERVICE_PACKAGES}).
    """
    config = context.config
    if config.lambda_executor == "docker":
        from ruststack.awslambda.docker_executor import DockerExecutor

        executor: Executor = DockerExecutor(context.reactor, config, context.edge_url)
    else:
        from ruststack.awslambda.process_executor import ProcessExecutor

        # What a function must never see, even where it lies in a tree the sandbox shows.
        hidden = (config.data_dir, config.cache_dir, config.credentials_file, config.tls_key, config.url_file)
        executor = ProcessExecutor(
            context.reactor, config.runtime_api_address, context.edge_url, hidden, config.lambda_bwrap
        )
    built = LambdaService(
        reactor=context.reactor,
        store=FunctionStore(context.reactor, context.state_dir("lambda")),
        executor=executor,
        concurrency=config.lambda_concurrency,
        idle_timeout=config.lambda_idle_timeout,
        edge_url=context.edge_url,
        services=context.services,
        credentials=RoleCredentials(context.authenticator.sessions, context.reactor),
        async_time_scale=config.lambda_async_time_scale,
    )
    built.event_sources = EventSourceMappings(
        built, MappingStore(context.state_dir("lambda")), stream_reader(context), context.reactor
    )
    return built


def stream_reader(context: Any) -> Any:
    """
    (account, region) -> a reader of DynamoDB Streams in that account and
    region, through RustStack's own edge (as CloudFormation calls services).
    """
    from ruststack.aws.client import AwsClient, ServiceSessions

    sessions = ServiceSessions(context.authenticator, "ruststack-lambda-poller", "event-source-mapping")
    client = AwsClient(context.edge_url, sessions.credentials, timeout=30.0)

    def reader(account: str, region: str) -> Any:
        return lambda operation, params: client.call("dynamodbstreams", operation, params, account, region)

    return reader
