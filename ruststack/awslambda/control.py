"""
Lambda's REST-JSON API: one leaf resource, a table of routes, one method per
AWS operation (botocore's lambda model gives each operation's C{requestUri}).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

import attrs
from twisted.internet import defer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import server
from twisted.web.resource import Resource

from ruststack.aws import errors, ids
from ruststack.awslambda import access, functions, names, policy
from ruststack.awslambda.environment import abandonable
from ruststack.awslambda.functions import LambdaFunction, invalid
from ruststack.awslambda.policy_match import Requester
from ruststack.twisted_private import client_gone

if TYPE_CHECKING:
    from ruststack.awslambda.service import LambdaService

log = Logger()

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_EVENT_PAYLOAD = 1024 * 1024


@attrs.frozen
class Reply:
    status: int
    body: Any = None  # dict (JSON), bytes, or None
    headers: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Call:
    """
    One parsed request: who calls, the path parameters, the query.
    """

    request: Any
    account: str
    region: str
    params: dict[str, str]
    query: dict[str, list[str]]
    # The IAM action the operation needs on the function it names.
    action: str | None = None

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> dict:
        raw = self.request.content.read()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError as e:
            raise errors.AwsError(
                "InvalidRequestContentException", f"Could not parse request body into json: {e}", 400
            ) from None
        if not isinstance(body, dict):
            raise errors.AwsError("InvalidRequestContentException", "Could not parse request body into json", 400)
        return body


Operation = Callable[["LambdaApiResource", Call], Awaitable[Reply]]
_FUNCTION = r"(?P<name>[^/]+)"
_ROUTES: list[tuple[bytes, re.Pattern, str, str | None]] = []


def route(method: str, pattern: str, action: str | None = None) -> Callable[[Operation], Operation]:
    """
    Register an operation; C{action} is the IAM action it needs on the
    function it names ("Resources and conditions for Lambda actions").
    """

    def register(operation: Operation) -> Operation:
        compiled = re.compile(f"^{pattern}/?$".replace("{function}", _FUNCTION))
        _ROUTES.append((method.encode(), compiled, operation.__name__, action))
        return operation

    return register


class LambdaApiResource(Resource):
    isLeaf = True

    def __init__(self, service: LambdaService) -> None:
        super().__init__()
        self.service = service

    @property
    def store(self):
        return self.service.store

    def render(self, request) -> bytes | int:
        path, query = request.raw_path_and_query()
        text = path.decode("latin-1")
        name, match, action = _operation(request.method, text)
        params = {key: unquote(value) for key, value in match.groupdict().items()}
        caller = request.caller
        call = Call(request, caller.account, caller.region, params, parse_qs(query.decode("latin-1")), action)
        running = defer.ensureDeferred(getattr(self, name)(call))
        if running.called:
            # Most operations never wait: answer without a round trip
            # through NOT_DONE_YET.
            return self._render_now(request, running)
        running.addCallbacks(self._write, self._write_error, callbackArgs=(request,), errbackArgs=(request,))
        request.notifyFinish().addErrback(lambda _: running.cancel())
        return server.NOT_DONE_YET

    def _render_now(self, request, running: defer.Deferred) -> bytes:
        outcome: list[Any] = []
        running.addBoth(outcome.append)
        if isinstance(outcome[0], Failure):
            return self._error_body(request, outcome[0])
        return self._encode(request, outcome[0])

    def _encode(self, request, reply: Reply) -> bytes:
        request.setResponseCode(reply.status)
        if "x-amzn-requestid" not in reply.headers:
            request.setHeader(b"x-amzn-requestid", ids.request_id().encode())
        for name, value in reply.headers.items():
            request.setHeader(name.encode(), value.encode())
        if reply.body is None:
            return b""
        if isinstance(reply.body, bytes):
            return reply.body
        request.setHeader(b"content-type", b"application/json")
        return json.dumps(reply.body).encode()

    def _error_body(self, request, failure) -> bytes:
        if failure.check(errors.AwsError):
            return self.service.render_error(request, failure.value)
        log.failure("Lambda operation failed", failure)
        return self.service.render_error(
            request, errors.AwsError("ServiceException", "An internal error occurred.", 500)
        )

    def _write(self, reply: Reply, request) -> None:
        if request.finished or client_gone(request):
            return
        request.write(self._encode(request, reply))
        request.finish()

    def _write_error(self, failure, request) -> None:
        if failure.check(defer.CancelledError) or request.finished or client_gone(request):
            return
        request.write(self._error_body(request, failure))
        request.finish()

    # Functions

    @route("POST", "/2015-03-31/functions")
    async def create_function(self, call: Call) -> Reply:
        body = call.json()
        name = _plain_name(body.get("FunctionName"), call)
        if self.store.get(call.account, call.region, name) is not None:
            raise errors.AwsError("ResourceConflictException", f"Function already exist: {name}", 409)
        values = functions.settings(body, creating=True)
        data = await self._code_bytes(call, body.get("Code") or {})
        package = await self.store.describe(data)
        if self.store.get(call.account, call.region, name) is not None:
            raise errors.AwsError("ResourceConflictException", f"Function already exist: {name}", 409)
        function = LambdaFunction(
            account=call.account,
            region=call.region,
            name=name,
            code=package,
            last_modified=self.service.reactor.seconds(),
            tags=dict(body.get("Tags") or {}),
            **values,
        )
        self.store.put(function)
        self._install(function, data, on_success=lambda: setattr(function, "state", "Active"))
        return Reply(201, function.configuration())

    @route("GET", "/2015-03-31/functions")
    async def list_functions(self, call: Call) -> Reply:
        listed = self.store.list(call.account, call.region)
        marker = call.arg("Marker")
        if marker:
            try:
                after = base64.urlsafe_b64decode(marker.encode()).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise invalid("Invalid Marker") from None
            listed = [function for function in listed if function.name > after]
        size = _int(call.arg("MaxItems"), "MaxItems", 1, 10000, default=50)
        page = listed[:size]
        body: dict[str, Any] = {"Functions": [function.configuration() for function in page]}
        if len(listed) > size:
            body["NextMarker"] = base64.urlsafe_b64encode(page[-1].name.encode()).decode()
        return Reply(200, body)

    @route("GET", "/2015-03-31/functions/{function}", "lambda:GetFunction")
    async def get_function(self, call: Call) -> Reply:
        function = self._function(call)
        location = f"{self.service.edge_url()}/2015-03-31/code-packages/{function.code.key}.zip"
        body: dict[str, Any] = {
            "Configuration": function.configuration(),
            "Code": {"RepositoryType": "S3", "Location": location},
        }
        if function.tags:
            body["Tags"] = dict(function.tags)
        if function.reserved_concurrency is not None:
            body["Concurrency"] = {"ReservedConcurrentExecutions": function.reserved_concurrency}
        return Reply(200, body)

    @route("GET", "/2015-03-31/functions/{function}/configuration", "lambda:GetFunctionConfiguration")
    async def get_function_configuration(self, call: Call) -> Reply:
        return Reply(200, self._function(call).configuration())

    @route("DELETE", "/2015-03-31/functions/{function}", "lambda:DeleteFunction")
    async def delete_function(self, call: Call) -> Reply:
        function = self._function(call)
        self.store.remove(function)
        self.service.code_changed(function, None)
        return Reply(204)

    @route("PUT", "/2015-03-31/functions/{function}/code", "lambda:UpdateFunctionCode")
    async def update_function_code(self, call: Call) -> Reply:
        function = self._function(call)
        body = call.json()
        _check_revision(function, body.get("RevisionId"))
        data = await self._code_bytes(call, body)
        package = await self.store.describe(data)
        if body.get("DryRun"):
            return Reply(200, function.configuration())
        function.code = package
        if body.get("Architectures"):
            function.architectures = list(body["Architectures"])
        self._updated(function)
        function.last_update_status = "InProgress"
        self.store.put(function)
        self._install(function, data, on_success=lambda: setattr(function, "last_update_status", "Successful"))
        return Reply(200, function.configuration())

    @route("PUT", "/2015-03-31/functions/{function}/configuration", "lambda:UpdateFunctionConfiguration")
    async def update_function_configuration(self, call: Call) -> Reply:
        function = self._function(call)
        body = call.json()
        _check_revision(function, body.get("RevisionId"))
        for field, value in functions.settings(body, creating=False).items():
            setattr(function, field, value)
        self._updated(function)
        self.store.put(function)
        self.service.code_changed(function, self.service.installing.get(function))
        return Reply(200, function.configuration())

    @route("GET", "/2015-03-31/functions/{function}/versions", "lambda:ListVersionsByFunction")
    async def list_versions_by_function(self, call: Call) -> Reply:
        # Only $LATEST exists here (no PublishVersion).
        return Reply(200, {"Versions": [self._function(call).configuration()]})

    # Tags (botocore lambda model: TagResource, UntagResource, ListTags)

    @route("POST", "/2017-03-31/tags/(?P<name>[^/]+)", "lambda:TagResource")
    async def tag_resource(self, call: Call) -> Reply:
        function = self._function(call)
        function.tags.update(call.json().get("Tags") or {})
        self.store.save()
        return Reply(204)

    @route("DELETE", "/2017-03-31/tags/(?P<name>[^/]+)", "lambda:UntagResource")
    async def untag_resource(self, call: Call) -> Reply:
        function = self._function(call)
        for key in call.query.get("tagKeys", []):
            function.tags.pop(key, None)
        self.store.save()
        return Reply(204)

    @route("GET", "/2017-03-31/tags/(?P<name>[^/]+)", "lambda:ListTags")
    async def list_tags(self, call: Call) -> Reply:
        return Reply(200, {"Tags": dict(self._function(call).tags)})

    @route("GET", "/2015-03-31/code-packages/(?P<key>[0-9a-f]{64})\\.zip")
    async def download_code(self, call: Call) -> Reply:
        # GetFunction's Code.Location: in AWS a presigned S3 URL, here RustStack's own.
        path = self.store.zip_path(call.params["key"])
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            raise errors.AwsError(
                "ResourceNotFoundException", "The resource you requested does not exist.", 404
            ) from None
        return Reply(200, data, {"content-type": "application/zip"})

    # Invoke

    @route("POST", "/2015-03-31/functions/{function}/invocations", "lambda:InvokeFunction")
    async def invoke(self, call: Call) -> Reply:
        function = self._function(call)
        request = call.request
        invocation_type = _header(request, b"x-amz-invocation-type") or "RequestResponse"
        payload = request.content.read()
        limit = MAX_EVENT_PAYLOAD if invocation_type == "Event" else MAX_SYNC_PAYLOAD
        if len(payload) > limit:
            raise errors.AwsError(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                413,
            )
        if payload:
            try:
                json.loads(payload)
            except ValueError as e:
                raise errors.AwsError(
                    "InvalidRequestContentException", f"Could not parse request body into json: {e}", 400
                ) from None
        if invocation_type == "DryRun":
            return Reply(204, None, {"x-amzn-requestid": _request_id()})
        if invocation_type == "Event":
            request_id = self.service.enqueue_event(function, payload)
            return Reply(202, None, {"x-amzn-requestid": request_id})
        if invocation_type != "RequestResponse":
            raise invalid(f"Unsupported InvocationType {invocation_type!r}")
        tail = _header(request, b"x-amz-log-type") == "Tail"
        client_context = _header(request, b"x-amz-client-context")
        if client_context:
            try:
                client_context = base64.b64decode(client_context, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise invalid("Client context must be a valid Base64-encoded JSON object.") from None
        # A client that goes away abandons its wait, not the invocation.
        running = defer.ensureDeferred(self.service.run(function, payload, tail, client_context))
        result, request_id = await abandonable(running)
        headers = {
            "x-amzn-requestid": request_id,
            "x-amz-executed-version": result.executed_version,
            "content-type": "application/json",
        }
        if result.function_error:
            headers["x-amz-function-error"] = result.function_error
        if result.log_result is not None:
            headers["x-amz-log-result"] = result.log_result
        return Reply(result.status, result.payload, headers)

    @route("POST", "/2014-11-13/functions/{function}/invoke-async", "lambda:InvokeFunction")
    async def invoke_async(self, call: Call) -> Reply:
        function = self._function(call)
        payload = call.request.content.read()
        request_id = self.service.enqueue_event(function, payload)
        return Reply(202, {"Status": 202}, {"x-amzn-requestid": request_id})

    # Resource policy

    @route("POST", "/2015-03-31/functions/{function}/policy", "lambda:AddPermission")
    async def add_permission(self, call: Call) -> Reply:
        function = self._function(call)
        entry = policy.add_permission(function, call.json())
        self.store.save()
        return Reply(201, {"Statement": json.dumps(entry, separators=(",", ":"))})

    @route("DELETE", "/2015-03-31/functions/{function}/policy/(?P<sid>[^/]+)", "lambda:RemovePermission")
    async def remove_permission(self, call: Call) -> Reply:
        function = self._function(call)
        policy.remove_permission(function, call.params["sid"], call.arg("RevisionId"))
        self.store.save()
        return Reply(204)

    @route("GET", "/2015-03-31/functions/{function}/policy", "lambda:GetPolicy")
    async def get_policy(self, call: Call) -> Reply:
        return Reply(200, policy.get_policy(self._function(call)))

    # Concurrency

    @route("PUT", "/2017-10-31/functions/{function}/concurrency", "lambda:PutFunctionConcurrency")
    async def put_function_concurrency(self, call: Call) -> Reply:
        function = self._function(call)
        value = call.json().get("ReservedConcurrentExecutions")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise functions.validation(
                value, "reservedConcurrentExecutions", "Member must have value greater than or equal to 0"
            )
        function.reserved_concurrency = value
        self.store.save()
        return Reply(200, {"ReservedConcurrentExecutions": value})

    @route("GET", "/2019-09-30/functions/{function}/concurrency", "lambda:GetFunctionConcurrency")
    async def get_function_concurrency(self, call: Call) -> Reply:
        function = self._function(call)
        if function.reserved_concurrency is None:
            return Reply(200, {})
        return Reply(200, {"ReservedConcurrentExecutions": function.reserved_concurrency})

    @route("DELETE", "/2017-10-31/functions/{function}/concurrency", "lambda:DeleteFunctionConcurrency")
    async def delete_function_concurrency(self, call: Call) -> Reply:
        function = self._function(call)
        function.reserved_concurrency = None
        self.store.save()
        return Reply(204)

    @route("GET", "/2016-08-19/account-settings")
    async def get_account_settings(self, call: Call) -> Reply:
        listed = self.store.list(call.account, call.region)
        limit = self.service.pool.limit
        reserved = sum(function.reserved_concurrency or 0 for function in listed)
        return Reply(
            200,
            {
                "AccountLimit": {
                    "TotalCodeSize": 80530636800,
                    "CodeSizeUnzipped": 262144000,
                    "CodeSizeZipped": 52428800,
                    "ConcurrentExecutions": limit,
                    "UnreservedConcurrentExecutions": max(0, limit - reserved),
                },
                "AccountUsage": {"TotalCodeSize": sum(f.code.size for f in listed), "FunctionCount": len(listed)},
            },
        )

    # Helpers

    def _function(self, call: Call) -> LambdaFunction:
        assert call.action is not None, "an operation on a function names its IAM action"
        return self.service.find(
            Requester(call.account), call.region, call.params["name"], call.action, call.arg("Qualifier")
        )

    def _updated(self, function: LambdaFunction) -> None:
        function.revision_id = str(uuid.uuid4())
        function.last_modified = self.service.reactor.seconds()

    def _install(self, function: LambdaFunction, data: bytes, on_success: Callable[[], None]) -> None:
        installing = self.store.install(function.code, data)

        def succeeded(_: Any) -> None:
            on_success()
            self.store.save()

        def failed(failure: Any) -> None:
            log.failure("Unpacking the code of {function} failed", failure, function=function.name)
            function.state = "Failed"
            function.state_reason = failure.getErrorMessage()
            function.last_update_status = "Failed"

        installing.addCallbacks(succeeded, failed)
        self.service.code_changed(function, installing)

    async def _code_bytes(self, call: Call, source: dict) -> bytes:
        if source.get("ZipFile"):
            try:
                return base64.b64decode(source["ZipFile"], validate=True)
            except (binascii.Error, TypeError):
                raise invalid("ZipFile must be base64-encoded") from None
        bucket, key = source.get("S3Bucket"), source.get("S3Key")
        if bucket and key:
            return await self._read_s3(call, bucket, key)
        if source.get("ImageUri"):
            raise invalid("RustStack runs .zip file packages only (ImageUri is not supported).")
        raise invalid("Please provide a source for function code.")

    async def _read_s3(self, call: Call, bucket: str, key: str) -> bytes:
        reader = self.service.objects
        if reader is None:
            raise invalid(
                "Error occurred while GetObject. S3 Error Code: NoSuchBucket."
                f" S3 Error Message: The S3 service is not running in this RustStack (bucket {bucket})."
            )
        try:
            return await reader.read_object(call.account, bucket, key)
        except errors.AwsError as error:
            # Lambda reports S3's error inside its own (CreateFunction / UpdateFunctionCode).
            raise invalid(
                f"Error occurred while GetObject. S3 Error Code: {error.code}. S3 Error Message: {error.message}"
            ) from None


def _operation(method: bytes, path: str) -> tuple[str, re.Match, str | None]:
    for route_method, pattern, name, action in _ROUTES:
        match = pattern.match(path)
        if match and method == route_method:
            return name, match, action
    raise errors.AwsError("UnknownOperationException", f"Unknown operation {method.decode()} {path}", 404)


def _check_revision(function: LambdaFunction, revision: str | None) -> None:
    if revision and revision != function.revision_id:
        raise policy.precondition_failed()


def _plain_name(value: Any, call: Call) -> str:
    if isinstance(value, str) and ":" in value:
        ref = names.parse(value, call.account, call.region)
        access.check_creation(Requester(call.account), ref)
        return functions.check_name(ref.name)
    return functions.check_name(value)


def _header(request, name: bytes) -> str | None:
    value = request.getHeader(name)
    return value.decode("latin-1") if value is not None else None


def _int(text: str | None, member: str, low: int, high: int, default: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise invalid(f"Invalid {member}: {text!r}") from None
    if not low <= value <= high:
        raise functions.validation(value, member, f"Member must have value between {low} and {high}")
    return value


def _request_id() -> str:
    return ids.request_id()
