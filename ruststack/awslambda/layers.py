"""
Lambda layers (botocore lambda model: PublishLayerVersion, GetLayerVersion,
GetLayerVersionByArn, ListLayers, ListLayerVersions, DeleteLayerVersion,
AddLayerVersionPermission, GetLayerVersionPolicy,
RemoveLayerVersionPermission) and the C{Layers} of a function
(https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html).

A layer version is immutable: its zip, checked and unpacked as a function's
package is (L{ruststack.awslambda.code}), and its metadata. Another account
may read it, or configure a function with it, only if the version's policy
allows it (its account or C{*}); a statement's C{OrganizationId} is kept and
shown but, RustStack having no organizations, not checked. A function keeps
the layers it was configured with even once a version is deleted, as on AWS.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from twisted.logger import Logger

from ruststack.aws import ids
from ruststack.aws.errors import AwsError
from ruststack.awslambda import access, code, policy, versions
from ruststack.awslambda.calls import Call
from ruststack.awslambda.functions import FunctionCode, invalid
from ruststack.awslambda.layer_store import LayerVersion
from ruststack.awslambda.policy_match import Requester

log = Logger()

# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_LAYERS = 5
GET_LAYER_VERSION = "lambda:GetLayerVersion"

_REGION = r"(?P<region>[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d)"
_LAYER_ARN = (
    rf"arn:(?P<partition>aws[a-zA-Z-]*):lambda:{_REGION}:(?P<account>\d{{12}}):layer:(?P<name>[a-zA-Z0-9-_]{{1,140}})"
)
_VERSION_ARN = re.compile(rf"^{_LAYER_ARN}:(?P<version>[0-9]+)$")
_NAME_OR_ARN = re.compile(rf"^({_LAYER_ARN}|(?P<plain>[a-zA-Z0-9-_]{{1,140}}))$")


@attrs.frozen
class LayerRef:
    """
    A layer, or one of its versions, as a request names it.
    """

    account: str
    region: str
    name: str
    version: int | None = None

    @property
    def layer_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:layer:{self.name}"

    @property
    def arn(self) -> str:
        return self.layer_arn if self.version is None else f"{self.layer_arn}:{self.version}"


def parse_version_arn(text: str) -> LayerRef | None:
    """
    The layer version a layer version ARN names
    (C{arn:aws:lambda:us-east-1:123456789012:layer:my-layer:3}), or C{None}.
    """
    match = _VERSION_ARN.match(text)
    if match is None:
        return None
    return LayerRef(match["account"], match["region"], match["name"], int(match["version"]))


def parse_layer_name(text: str, account: str, region: str) -> LayerRef | None:
    """
    The layer a C{LayerName} names (a name, in the caller's account and
    region, or a layer ARN), or C{None}.
    """
    match = _NAME_OR_ARN.match(text)
    if match is None:
        return None
    if match["plain"] is not None:
        return LayerRef(account, region, match["plain"])
    return LayerRef(match["account"], match["region"], match["name"])


def not_found() -> AwsError:
    return AwsError("ResourceNotFoundException", "The resource you requested does not exist.", 404)


def _layer_ref(call: Call, params: Mapping[str, Any]) -> LayerRef:
    ref = parse_layer_name(params["LayerName"], call.account, call.region)
    if ref is None:  # the protocol layer checks the model's pattern first
        raise not_found()
    version = params.get("VersionNumber")
    return ref if version is None else attrs.evolve(ref, version=int(version))


def _own(call: Call, ref: LayerRef) -> None:
    # Only reads are ever shared: anything else on another account's layer is denied.
    if ref.account != call.account or ref.region != call.region:
        raise access.access_denied(Requester(call.account), "lambda:PublishLayerVersion", ref.arn)


def readable(call: Call, ref: LayerRef) -> LayerVersion:
    """
    The layer version C{ref} names if the caller may read it (its own, or
    one whose policy allows it); L{access.AccessDenied} or
    C{ResourceNotFoundException}.
    """
    requester = Requester(call.account)
    layer = call.service.layers.get(ref.account, ref.region, ref.name, ref.version or 0)
    if ref.account != call.account and (layer is None or not shared_with(layer, call.account)):
        raise access.access_denied(requester, GET_LAYER_VERSION, ref.arn)
    if layer is None or ref.region != call.region:
        raise not_found()
    return layer


def shared_with(layer: LayerVersion, account: str) -> bool:
    """
    Whether C{layer}'s policy lets C{account} use it.
    """
    for statement in layer.policy:
        principal = statement.get("Principal")
        if principal == "*" or principal == {"AWS": f"arn:aws:iam::{account}:root"}:
            return True
    return False


def _content(call: Call, layer: LayerVersion) -> dict[str, Any]:
    # In AWS a presigned S3 URL; here RustStack's own, as GetFunction's Code.Location.
    location = f"{call.service.edge_url()}/2015-03-31/code-packages/{layer.code.key}.zip"
    return {"Location": location, "CodeSha256": layer.code.sha256, "CodeSize": layer.code.size}


def _list_item(layer: LayerVersion) -> dict[str, Any]:
    item: dict[str, Any] = {
        "LayerVersionArn": layer.arn,
        "Version": layer.version,
        "Description": layer.description,
        "CreatedDate": ids.lambda_timestamp(layer.created),
        "CompatibleRuntimes": list(layer.compatible_runtimes),
        "CompatibleArchitectures": list(layer.compatible_architectures),
    }
    if layer.license_info is not None:
        item["LicenseInfo"] = layer.license_info
    return item


def _described(call: Call, layer: LayerVersion) -> dict[str, Any]:
    item = _list_item(layer)
    return {"Content": _content(call, layer), "LayerArn": layer.layer_arn, **item}


# Operations


async def publish_layer_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ref = _layer_ref(call, params)
    _own(call, ref)
    # The same sources as a function's code (CreateFunction's Code).
    from ruststack.awslambda.control import _code_bytes

    content = params["Content"]
    if content.get("ImageUri"):
        raise invalid("Please provide a source for layer content.")
    data = await _code_bytes(call, content)
    package = await call.service.store.describe(data)
    store = call.service.layers
    layer = LayerVersion(
        account=ref.account,
        region=ref.region,
        name=ref.name,
        version=store.next_version(ref.account, ref.region, ref.name),
        code=package,
        created=call.service.reactor.seconds(),
        description=params.get("Description", ""),
        license_info=params.get("LicenseInfo"),
        compatible_runtimes=list(params.get("CompatibleRuntimes") or []),
        compatible_architectures=list(params.get("CompatibleArchitectures") or []),
    )
    store.put(layer)
    # Unpacked once, in a thread; functions' environments wait for it.
    installing = call.service.store.install(package, data)
    installing.addErrback(lambda failure: log.failure("Unpacking layer {arn} failed", failure, arn=layer.arn))
    return _described(call, layer)


async def get_layer_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    return _described(call, readable(call, _layer_ref(call, params)))


async def get_layer_version_by_arn(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ref = parse_version_arn(params["Arn"])
    if ref is None:  # an AWS-managed layer (arn:aws:lambda:::awslayer:...)
        raise not_found()
    return _described(call, readable(call, ref))


async def list_layer_versions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ref = _layer_ref(call, params)
    listed = [layer for layer in _visible(call, ref) if _matches(layer, params)]
    page, marker = versions.page_of([str(layer.version) for layer in listed], params)
    by_version = {str(layer.version): layer for layer in listed}
    body: dict[str, Any] = {"LayerVersions": [_list_item(by_version[key]) for key in page]}
    if marker:
        body["NextMarker"] = marker
    return body


def _visible(call: Call, ref: LayerRef) -> list[LayerVersion]:
    # Another account's layer lists the versions shared with the caller.
    versions = call.service.layers.versions(ref.account, ref.region, ref.name)
    if ref.account == call.account:
        return versions
    return [layer for layer in versions if shared_with(layer, call.account)]


async def list_layers(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    store = call.service.layers
    latest: dict[str, LayerVersion] = {}
    for name in store.names(call.account, call.region):
        matching = [layer for layer in store.versions(call.account, call.region, name) if _matches(layer, params)]
        if matching:
            latest[name] = matching[0]
    page, marker = versions.page_of(sorted(latest), params)
    body: dict[str, Any] = {
        "Layers": [
            {"LayerName": name, "LayerArn": latest[name].layer_arn, "LatestMatchingVersion": _list_item(latest[name])}
            for name in page
        ]
    }
    if marker:
        body["NextMarker"] = marker
    return body


def _matches(layer: LayerVersion, params: Mapping[str, Any]) -> bool:
    runtime = params.get("CompatibleRuntime")
    architecture = params.get("CompatibleArchitecture")
    if runtime is not None and runtime not in layer.compatible_runtimes:
        return False
    return architecture is None or architecture in layer.compatible_architectures


async def delete_layer_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    ref = _layer_ref(call, params)
    if ref.account != call.account:
        raise access.access_denied(Requester(call.account), "lambda:DeleteLayerVersion", ref.arn)
    layer = call.service.layers.get(ref.account, ref.region, ref.name, ref.version or 0)
    # Deleting a version that is not there succeeds, as on AWS.
    if layer is not None and ref.region == call.region:
        call.service.layers.remove(layer)
        call.service.collect_packages()
    return {}


async def add_layer_version_permission(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    layer = _owned(call, params, "lambda:AddLayerVersionPermission")
    revision = params.get("RevisionId")
    if revision and revision != layer.policy_revision_id:
        raise policy.precondition_failed()
    sid = params["StatementId"]
    if any(entry["Sid"] == sid for entry in layer.policy):
        raise AwsError(
            "ResourceConflictException",
            f"The statement id ({sid}) provided already exists. Please provide a new statement id,"
            " or remove the existing statement.",
            409,
        )
    principal = params["Principal"]
    if params.get("OrganizationId") and principal != "*":
        raise invalid("OrganizationId is only allowed with Principal *.")
    entry: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": _principal_arn(principal)},
        "Action": params["Action"],
        "Resource": layer.arn,
    }
    if params.get("OrganizationId"):
        entry["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
    layer.policy.append(entry)
    layer.policy_revision_id = str(uuid.uuid4())
    call.service.layers.save()
    return {"Statement": json.dumps(entry, separators=(",", ":")), "RevisionId": layer.policy_revision_id}


def _principal_arn(principal: str) -> str:
    # An account id or its root ARN (the model's pattern allows nothing else).
    return principal if principal.startswith("arn:") else f"arn:aws:iam::{principal}:root"


async def get_layer_version_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    layer = _owned(call, params, "lambda:GetLayerVersionPolicy")
    if not layer.policy:
        raise not_found()
    document = {"Version": "2012-10-17", "Id": "default", "Statement": layer.policy}
    return {"Policy": json.dumps(document, separators=(",", ":")), "RevisionId": layer.policy_revision_id}


async def remove_layer_version_permission(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    layer = _owned(call, params, "lambda:RemoveLayerVersionPermission")
    revision = params.get("RevisionId")
    if revision and revision != layer.policy_revision_id:
        raise policy.precondition_failed()
    kept = [entry for entry in layer.policy if entry["Sid"] != params["StatementId"]]
    if len(kept) == len(layer.policy):
        raise not_found()
    layer.policy = kept
    layer.policy_revision_id = str(uuid.uuid4())
    call.service.layers.save()
    return {}


def _owned(call: Call, params: Mapping[str, Any], action: str) -> LayerVersion:
    ref = _layer_ref(call, params)
    if ref.account != call.account:
        raise access.access_denied(Requester(call.account), action, ref.arn)
    layer = call.service.layers.get(ref.account, ref.region, ref.name, ref.version or 0)
    if layer is None or ref.region != call.region:
        raise not_found()
    return layer


# A function's layers


def function_layers(call: Call, arns: Sequence[str]) -> list[dict[str, Any]]:
    """
    The C{layers} of a function configured with the layer version ARNs
    C{arns} (CreateFunction's or UpdateFunctionConfiguration's C{Layers}),
    checked as Lambda checks them: each must exist and be the caller's or
    shared with it, at most 5, no layer twice.
    """
    if len(arns) > MAX_LAYERS:
        raise invalid(f"Cannot reference more than {MAX_LAYERS} layers.")
    chosen: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for arn in arns:
        ref = parse_version_arn(arn)
        if ref is None:
            raise invalid(f"Layer version {arn} does not exist.")
        earlier = seen.get(ref.layer_arn)
        if earlier is not None:
            raise invalid(
                "Two different versions of the same layer are not allowed to be referenced in the same function."
                f" {earlier} and {arn} are versions of the same layer."
            )
        seen[ref.layer_arn] = arn
        layer = call.service.layers.get(ref.account, ref.region, ref.name, ref.version or 0)
        if layer is not None and ref.account != call.account and not shared_with(layer, call.account):
            raise access.access_denied(Requester(call.account), GET_LAYER_VERSION, ref.arn)
        if layer is None or ref.region != call.region:
            raise invalid(f"Layer version {arn} does not exist.")
        chosen.append(
            {"Arn": layer.arn, "CodeSize": layer.code.size, "key": layer.code.key, "unzipped": layer.code.unzipped}
        )
    return chosen


def check_size(layers: Sequence[Mapping[str, Any]], package: FunctionCode) -> None:
    """
    Refuse a function whose package and layers, unzipped, pass Lambda's
    250 MB.
    """
    total = package.unzipped + sum(layer.get("unzipped", 0) for layer in layers)
    if total > code.MAX_UNZIPPED:
        raise invalid(
            f"Function code combined with layers exceeds the maximum allowed size of {code.MAX_UNZIPPED} bytes."
            f" The actual size is {total} bytes."
        )
