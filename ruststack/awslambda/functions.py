"""
A Lambda function as the control plane keeps it, and the parameter checks of
CreateFunction / UpdateFunctionConfiguration (botocore's lambda model:
C{CreateFunctionRequest}, C{FunctionConfiguration}).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from ruststack.aws import ids
from ruststack.aws.errors import AwsError

# botocore lambda model, shape Runtime: those Lambda lets a function be made
# with (the Python ones run here). The CDK's own providers use nodejs24.x.
PYTHON_RUNTIME = re.compile(r"^python3\.(\d+)$")
KNOWN_RUNTIMES = frozenset(
    "nodejs18.x nodejs20.x nodejs22.x nodejs24.x java11 java17 java21 java25 python3.8 python3.9 python3.10 "
    "python3.11 python3.12 python3.13 python3.14 dotnet8 dotnet10 ruby3.2 ruby3.3 ruby3.4 provided provided.al2 "
    "provided.al2023".split()
)
_NAME = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_ROLE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_HANDLER = re.compile(r"^[^\s]{1,128}$")
_ENV_KEY = re.compile(r"^[a-zA-Z]([a-zA-Z0-9_])+$")
# Keys Lambda reserves: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
RESERVED_ENV_KEYS = frozenset(
    "_HANDLER _X_AMZN_TRACE_ID AWS_DEFAULT_REGION AWS_REGION AWS_EXECUTION_ENV AWS_LAMBDA_FUNCTION_NAME "
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE AWS_LAMBDA_FUNCTION_VERSION AWS_LAMBDA_INITIALIZATION_TYPE "
    "AWS_LAMBDA_LOG_GROUP_NAME AWS_LAMBDA_LOG_STREAM_NAME AWS_ACCESS_KEY AWS_ACCESS_KEY_ID "
    "AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_LAMBDA_RUNTIME_API LAMBDA_TASK_ROOT LAMBDA_RUNTIME_DIR".split()
)


def not_found(arn: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"Function not found: {arn}", 404)


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message, 400)


def validation(value: Any, member: str, constraint: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}",
        400,
    )


def function_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


@attrs.define
class FunctionCode:
    """
    One deployment package, stored once per digest.

    @ivar key: the package's hex SHA-256, which names its files.
    """

    sha256: str
    size: int
    key: str
    # Its unzipped size, which counts with its layers' against Lambda's 250 MB.
    unzipped: int = 0


@attrs.define(eq=False)
class Alias:
    """
    A name for a version of a function, optionally sending a share of the
    invocations to a second version (C{weights}: version -> share).
    """

    name: str
    function_version: str
    description: str = ""
    weights: dict[str, float] = attrs.field(factory=dict)
    revision_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    policy: list[dict] = attrs.field(factory=list)
    policy_revision_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))

    def configuration(self, function_arn: str) -> dict:
        """
        The C{AliasConfiguration} shape.
        """
        config: dict[str, Any] = {
            "AliasArn": f"{function_arn}:{self.name}",
            "Name": self.name,
            "FunctionVersion": self.function_version,
            "Description": self.description,
            "RevisionId": self.revision_id,
        }
        if self.weights:
            config["RoutingConfig"] = {"AdditionalVersionWeights": dict(self.weights)}
        return config


@attrs.define(eq=False)
class LambdaFunction:
    """
    A function's $LATEST: its configuration, its code, its resource policy,
    its published versions (each a L{LambdaFunction} of its own, a frozen
    copy) and its aliases.

    @ivar revision_id: changes with every update; environments started for
        one revision are not reused for the next.
    @ivar version: C{$LATEST}, or the number of a published version.
    @ivar last_version: the highest version number ever published (numbers
        are never reused, even once a version is deleted).
    @ivar published_from: on a version, the revision of C{$LATEST} it was
        published from (publishing that revision again returns it).
    """

    account: str
    region: str
    name: str
    runtime: str
    role: str
    handler: str
    code: FunctionCode
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: dict[str, str] = attrs.field(factory=dict)
    architectures: list[str] = attrs.field(factory=lambda: ["x86_64"])
    ephemeral_storage: int = 512
    tags: dict[str, str] = attrs.field(factory=dict)
    last_modified: float = 0.0
    revision_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    state: str = "Pending"
    last_update_status: str = "Successful"
    state_reason: str | None = None
    reserved_concurrency: int | None = None
    policy: list[dict] = attrs.field(factory=list)
    policy_revision_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))
    version: str = "$LATEST"
    versions: dict[str, LambdaFunction] = attrs.field(factory=dict)
    aliases: dict[str, Alias] = attrs.field(factory=dict)
    last_version: int = 0
    published_from: str | None = None
    # Function URLs by qualifier ($LATEST or an alias), JSON-ready (ruststack.awslambda.urls).
    urls: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    # Its layers, in order: {"Arn", "CodeSize", "key", "unzipped"} (ruststack.awslambda.layers).
    layers: list[dict] = attrs.field(factory=list)
    # Kept on $LATEST for the function and each qualifier (ruststack.awslambda.event_invoke_config).
    event_invoke_configs: dict[str, dict] = attrs.field(factory=dict)
    # Per version (ruststack.awslambda.plan_reads).
    runtime_management: dict[str, str] = attrs.field(factory=dict)
    recursive_loop: str = "Terminate"

    @property
    def arn(self) -> str:
        """
        The function's ARN, qualified with the version number for a version.
        """
        arn = function_arn(self.region, self.account, self.name)
        return arn if self.version == "$LATEST" else f"{arn}:{self.version}"

    @property
    def function_arn(self) -> str:
        """
        The unqualified ARN (the function's, whichever version this is).
        """
        return function_arn(self.region, self.account, self.name)

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    def configuration(self, arn: str | None = None) -> dict:
        """
        The C{FunctionConfiguration} shape; C{arn} is the ARN it was asked
        by when that is an alias's (AWS answers with the alias ARN then).
        """
        config: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": arn or self.arn,
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code.size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": ids.lambda_timestamp(self.last_modified),
            "CodeSha256": self.code.sha256,
            "Version": self.version,
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": self.revision_id,
            "State": self.state,
            "LastUpdateStatus": self.last_update_status,
            "PackageType": "Zip",
            "Architectures": list(self.architectures),
            "EphemeralStorage": {"Size": self.ephemeral_storage},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": self.log_group},
        }
        if self.environment:
            config["Environment"] = {"Variables": dict(self.environment)}
        if self.layers:
            config["Layers"] = [{"Arn": layer["Arn"], "CodeSize": layer["CodeSize"]} for layer in self.layers]
        if self.state == "Pending":
            config["StateReason"] = "The function is being created."
            config["StateReasonCode"] = "Creating"
        elif self.state == "Failed":
            config["StateReason"] = self.state_reason or "The function could not be created."
            config["StateReasonCode"] = "InternalError"
        if self.last_update_status == "InProgress":
            config["LastUpdateStatusReason"] = "The function is being created."
            config["LastUpdateStatusReasonCode"] = "Creating"
        return config

    def to_json(self) -> dict:
        """
        What L{from_json} reads back (the persisted form).
        """
        data = attrs.asdict(self)
        data["versions"] = {key: version.to_json() for key, version in self.versions.items()}
        data["state"] = "Active" if self.state == "Pending" else self.state
        data["last_update_status"] = (
            "Successful" if self.last_update_status == "InProgress" else self.last_update_status
        )
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LambdaFunction:
        values = dict(data)
        values["code"] = FunctionCode(**values["code"])
        values["versions"] = {key: cls.from_json(value) for key, value in values.get("versions", {}).items()}
        values["aliases"] = {key: Alias(**value) for key, value in values.get("aliases", {}).items()}
        return cls(**values)


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise validation(name, "functionName", "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+")
    return name


def settings(body: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """
    The L{LambdaFunction} fields named by a CreateFunction or
    UpdateFunctionConfiguration body, checked as Lambda checks them.
    """
    values: dict[str, Any] = {}
    if "Runtime" in body or creating:
        runtime = body.get("Runtime")
        if runtime not in KNOWN_RUNTIMES:
            raise invalid(
                f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda"
                " functions. We recommend you use a supported runtime while creating or updating functions."
                if runtime
                else "Runtime is required for .zip file packages."
            )
        values["runtime"] = runtime
    if "Role" in body or creating:
        role = body.get("Role")
        if not isinstance(role, str) or not _ROLE.match(role):
            raise validation(
                role,
                "role",
                "Member must satisfy regular expression pattern: " + _ROLE.pattern[1:-1],
            )
        values["role"] = role
    if "Handler" in body or creating:
        handler = body.get("Handler")
        if not isinstance(handler, str) or not _HANDLER.match(handler):
            if handler is None:
                raise invalid("Handler is required for .zip file packages.")
            raise validation(handler, "handler", "Member must satisfy regular expression pattern: [^\\s]+")
        values["handler"] = handler
    if "Description" in body:
        description = body["Description"]
        if not isinstance(description, str) or len(description) > 256:
            raise validation(description, "description", "Member must have length less than or equal to 256")
        values["description"] = description
    if "Timeout" in body:
        values["timeout"] = _bounded(body["Timeout"], "timeout", 1, 900)
    if "MemorySize" in body:
        values["memory_size"] = _bounded(body["MemorySize"], "memorySize", 128, 10240)
    if "Environment" in body:
        variables = (body["Environment"] or {}).get("Variables") or {}
        for key, value in variables.items():
            if not _ENV_KEY.match(key):
                raise validation(
                    key,
                    "environment.variables",
                    "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+",
                )
            if key in RESERVED_ENV_KEYS:
                raise invalid(
                    "Lambda was unable to configure your environment variables because the environment variables"
                    f" you have provided contains reserved keys that are currently not supported for modification."
                    f" Reserved keys used in this request: {key}"
                )
            if not isinstance(value, str):
                raise validation(value, f"environment.variables.{key}", "Member must be a string")
        values["environment"] = dict(variables)
    if "Architectures" in body and body["Architectures"]:
        values["architectures"] = list(body["Architectures"])
    if "EphemeralStorage" in body:
        values["ephemeral_storage"] = _bounded(
            (body["EphemeralStorage"] or {}).get("Size"), "ephemeralStorage.size", 512, 10240
        )
    if creating and body.get("PackageType", "Zip") != "Zip":
        raise invalid("RustStack runs .zip file packages only (PackageType Zip).")
    return values


def _bounded(value: Any, member: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise validation(value, member, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise validation(value, member, f"Member must have value less than or equal to {high}")
    return value
