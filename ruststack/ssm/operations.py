"""
Parameter Store on the service contract: one handler per operation of
botocore's C{ssm} model that RustStack has, C{async def op(call, params)
-> output}, where C{params} are the operation's input members (found, parsed
and validated by the protocol layer) and the output its output members. An
operation of the model without a handler answers 501 C{NotImplemented}.

Every handler reads and changes the state of its caller's account in its
caller's region only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.protocol import Handler, Protocol
from ruststack.ssm import filters, names, patterns
from ruststack.ssm.names import validation
from ruststack.ssm.parameters import DEFAULT_KEY_ID, MAX_VERSIONS, Parameter, Version, ciphertext_for
from ruststack.ssm.patterns import PatternChecker
from ruststack.ssm.store import ParameterStore

PROTOCOL = Protocol.for_service("ssm")

DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
_AMI = re.compile(r"ami-(?:[0-9a-f]{8}|[0-9a-f]{17})")
# Value sizes: the service's own bound on the member, then each tier's.
_MAX_VALUE = 32768
_STANDARD_VALUE = 4096
_ADVANCED_VALUE = 8192
# Parameters an account may have in a region, per tier.
_STANDARD_LIMIT = 10_000
_ADVANCED_LIMIT = 100_000
_MAX_LABELS = 10
_MAX_TAGS = 50
# Default and largest pages.
_DESCRIBE_PAGE = 10
_BY_PATH_PAGE = 10
_HISTORY_PAGE = 50


@attrs.frozen
class Call:
    """
    One request: the store, who calls (account, region, and the ARN shown
    as C{LastModifiedUser}), the time, and the AllowedPattern checker.
    """

    store: ParameterStore
    account: str
    region: str
    now: float
    user: str
    patterns: PatternChecker

    def find(self, key: str) -> Parameter | None:
        return self.store.find(self.account, self.region, key)


def caller_arn(account: str) -> str:
    # RustStack has no IAM users: a long-term key is its account's root.
    return f"arn:aws:iam::{account}:root"


def context_of(store: ParameterStore, clock: Any, checker: PatternChecker) -> Callable[[Any], Call]:
    """
    The handlers' context of a twisted.web request (for L{ServiceResource}).
    """

    def context(request: Any) -> Call:
        caller = request.caller
        return Call(store, caller.account, caller.region, clock.seconds(), caller_arn(caller.account), checker)

    return context


# Errors


def not_found(name: str) -> AwsError:
    return AwsError("ParameterNotFound", f"Parameter {name} not found.", 400)


def version_not_found(version: int, name: str) -> AwsError:
    return AwsError(
        "ParameterVersionNotFound",
        f"Systems Manager could not find version {version} of {name}. Verify the version and try again.",
        400,
    )


def invalid_token() -> AwsError:
    return AwsError("InvalidNextToken", "The specified token isn't valid.", 400)


def _too_many_updates() -> AwsError:
    return AwsError(
        "TooManyUpdates", "There are concurrent updates for a resource that supports one update at a time.", 400
    )


# Paging: a token names the last item of the page it ends (a key or a
# version number), so that it stays right while parameters come and go.


def _token(last: str) -> str:
    return base64.urlsafe_b64encode(last.encode("utf-8")).decode("ascii")


def _read_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return base64.b64decode(token.encode("ascii"), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_token() from None


def _page(items: Iterable[Any], size: int, last_of: Callable[[Any], str]) -> tuple[list[Any], str | None]:
    """
    At most C{size} items, and the token of the rest if there is any.
    """
    page: list[Any] = []
    for item in items:
        if len(page) == size:
            return page, _token(last_of(page[-1]))
        page.append(item)
    return page, None


def _paged(body: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is not None:
        body["NextToken"] = token
    return body


# Reading


def _resolve(call: Call, reference: names.Reference, text: str) -> tuple[Parameter, Version]:
    """
    The parameter and version a reference names, or AWS's errors.
    """
    parameter = None if reference.foreign else call.find(reference.key)
    if parameter is None:
        raise not_found(text)
    if reference.version is not None:
        version = parameter.version(reference.version)
        if version is None:
            raise version_not_found(reference.version, reference.name or parameter.name)
        return parameter, version
    if reference.label is not None:
        labelled = parameter.labelled(reference.label)
        if labelled is None:
            raise not_found(text)
        return parameter, labelled
    return parameter, parameter.latest


async def get_parameter(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    text = params["Name"]
    reference = names.parse_reference(text, call.account, call.region)
    parameter, version = _resolve(call, reference, text)
    decrypt = params.get("WithDecryption", False)
    return {"Parameter": parameter.shape(version, decrypt, reference.name, reference.selector)}


async def get_parameters(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    decrypt = params.get("WithDecryption", False)
    found, invalid = [], []
    for text in dict.fromkeys(params["Names"]):
        reference = names.parse_reference(text, call.account, call.region)
        try:
            parameter, version = _resolve(call, reference, text)
        except AwsError:
            invalid.append(text)
            continue
        found.append(parameter.shape(version, decrypt, reference.name, reference.selector))
    return {"Parameters": found, "InvalidParameters": invalid}


async def get_parameters_by_path(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    prefix = names.parse_path(params["Path"])
    chosen = filters.parameter_filters(params.get("ParameterFilters") or (), by_path=True)
    after = _read_token(params.get("NextToken"))
    if prefix is None:
        return {"Parameters": []}  # the public /aws namespace: not in RustStack
    recursive = params.get("Recursive", False)
    label = filters.label_filter(chosen)
    depth = len(prefix) + 1 if prefix else 0

    def matching() -> Iterable[tuple[Parameter, Version]]:
        for parameter in call.store.listing(call.account, call.region).under(prefix, after):
            if not recursive and "/" in parameter.key[depth:]:
                continue
            version = parameter.latest
            if label is not None:
                carrying = [v for v in parameter.versions if any(name in v.labels for name in label.values)]
                if not carrying:
                    continue
                version = carrying[-1]
            if all(f.matches(parameter, version) for f in chosen):
                yield parameter, version

    page, token = _page(matching(), params.get("MaxResults", _BY_PATH_PAGE), lambda found: found[0].key)
    decrypt = params.get("WithDecryption", False)
    return _paged({"Parameters": [parameter.shape(version, decrypt) for parameter, version in page]}, token)


async def describe_parameters(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("Filters") and params.get("ParameterFilters"):
        raise validation("You can use either Filters or ParameterFilters in a single request.")
    chosen = filters.legacy_filters(params.get("Filters") or ()) + filters.parameter_filters(
        params.get("ParameterFilters") or (), by_path=False
    )
    after = _read_token(params.get("NextToken"))
    if params.get("Shared"):
        return {"Parameters": []}  # nothing is shared with an account in RustStack
    matching = (
        parameter
        for parameter in call.store.listing(call.account, call.region).after(after)
        if all(f.matches(parameter, parameter.latest) for f in chosen)
    )
    page, token = _page(matching, params.get("MaxResults", _DESCRIBE_PAGE), lambda parameter: parameter.key)
    return _paged({"Parameters": [parameter.metadata() for parameter in page]}, token)


async def get_parameter_history(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    text = params["Name"]
    reference = names.parse_reference(text, call.account, call.region)
    if reference.selector is not None:
        raise validation(names.INVALID_NAME)
    parameter, _ = _resolve(call, reference, text)
    after = _read_token(params.get("NextToken"))
    try:
        start = 0 if after is None else int(after)
    except ValueError:
        raise invalid_token() from None
    versions = (version for version in parameter.versions if version.number > start)
    page, token = _page(versions, params.get("MaxResults", _HISTORY_PAGE), lambda version: str(version.number))
    decrypt = params.get("WithDecryption", False)
    return _paged({"Parameters": [parameter.history(version, decrypt) for version in page]}, token)


# Writing


_TAGS_AND_OVERWRITE = (
    "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove "
    "overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or "
    "RemoveTagsFromResource."
)
_STANDARD_TOO_LARGE = (
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter "
    "value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
    "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html"
)
_ADVANCED_TOO_LARGE = "Advanced tier parameters support a maximum parameter value of 8192 characters."
_NO_DOWNGRADE = (
    "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter "
    "tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a "
    "standard parameter."
)


def _tier(requested: str | None, previous: Version | None, value: str, policies: str | None) -> str:
    """
    The tier a new version is in: as asked (Intelligent-Tiering: Advanced
    only when the value or its policies need it), never down from Advanced.
    """
    was_advanced = previous is not None and previous.tier == "Advanced"
    if requested == "Intelligent-Tiering":
        needs = was_advanced or len(value) > _STANDARD_VALUE or bool(policies)
        tier = "Advanced" if needs else "Standard"
    elif requested is None:
        tier = "Advanced" if was_advanced else "Standard"
    else:
        tier = requested
    if tier == "Standard" and was_advanced:
        raise validation(_NO_DOWNGRADE)
    if tier == "Standard" and len(value) > _STANDARD_VALUE:
        raise validation(_STANDARD_TOO_LARGE)
    if len(value) > _ADVANCED_VALUE:
        raise validation(_ADVANCED_TOO_LARGE)
    return tier


def _check_limit(call: Call, tier: str) -> None:
    shard = call.store.listing(call.account, call.region)
    limit = _STANDARD_LIMIT if tier == "Standard" else _ADVANCED_LIMIT
    if len(shard) < limit:
        return
    if sum(1 for p in shard.parameters.values() if p.latest.tier == tier) < limit:
        return
    message = f"You have reached the maximum number of {tier.lower()} parameters for this AWS account and Region"
    message += f" ({limit})."
    if tier == "Standard":
        message += (
            " To add more parameters, either delete existing parameters or upgrade to the advanced-parameter tier"
            " (charges apply)."
        )
    raise AwsError("ParameterLimitExceeded", message, 400)


async def put_parameter(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = names.check_new_name(params["Name"], call.account, call.region)
    key = names.key_of(name)
    value: str = params["Value"]
    if not value:
        raise validation(
            "1 validation error detected: Value at 'value' failed to satisfy constraint:"
            " Member must have length greater than or equal to 1"
        )
    if len(value) > _MAX_VALUE:
        raise validation(
            "1 validation error detected: Value at 'value' failed to satisfy constraint:"
            f" Member must have length less than or equal to {_MAX_VALUE}"
        )
    overwrite = params.get("Overwrite", False)
    if overwrite and params.get("Tags"):
        raise validation(_TAGS_AND_OVERWRITE)
    data_type = params.get("DataType") or None
    if data_type is not None and data_type not in DATA_TYPES:
        raise validation(f"The following data type is not supported: {data_type} (Data type names are all lowercase.)")

    existing = call.find(key)
    if existing is not None and not overwrite:
        raise AwsError(
            "ParameterAlreadyExists",
            "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
            400,
        )
    previous = existing.latest if existing is not None else None
    kind = params.get("Type") or (previous.type if previous is not None else None)
    if kind is None:
        raise validation("A parameter type is required when you create a parameter.")
    key_id = params.get("KeyId")
    if key_id is not None and kind != "SecureString":
        raise validation("KeyId is required for SecureString type parameter only.")
    if kind == "SecureString" and key_id is None:
        kept = previous.key_id if previous is not None and previous.type == "SecureString" else None
        key_id = kept or DEFAULT_KEY_ID
    policies = params.get("Policies", previous.policies if previous is not None else None)
    tier = _tier(params.get("Tier"), previous, value, policies)
    if existing is None:
        _check_limit(call, tier)
    pattern = params.get("AllowedPattern", previous.allowed_pattern if previous is not None else None)
    if pattern:
        seen = previous.number if previous is not None else None
        outcome = await call.patterns.check(pattern, value)
        if outcome == patterns.INVALID:
            raise AwsError(
                "InvalidAllowedPatternException", "The request doesn't meet the regular expression requirement.", 400
            )
        if outcome != patterns.MATCH:
            raise AwsError(
                "ParameterPatternMismatchException",
                f"Parameter value, cannot be validated against allowedPattern: {pattern}",
                400,
            )
        # The parameter may have changed while the pattern was checked.
        now = call.find(key)
        if now is not existing or (now.latest.number if now is not None else None) != seen:
            raise _too_many_updates()

    number = previous.number + 1 if previous is not None else 1
    data_type = data_type or (previous.data_type if previous is not None else "text")
    if data_type == "aws:ec2:image" and not _AMI.fullmatch(value):
        # AWS validates AMI ids after answering: the call succeeds, the
        # parameter is neither created nor updated.
        return {"Version": number, "Tier": tier}
    version = Version(
        number=number,
        value=value,
        type=kind,
        modified=call.now,
        user=call.user,
        tier=tier,
        data_type=data_type,
        description=params.get("Description", previous.description if previous is not None else None),
        allowed_pattern=pattern or None,
        key_id=key_id if kind == "SecureString" else None,
        policies=policies,
        ciphertext=ciphertext_for(value) if kind == "SecureString" else None,
    )
    if existing is None:
        tags = {tag["Key"]: tag["Value"] for tag in params.get("Tags") or ()}
        call.store.create(Parameter(call.account, call.region, name, [version], tags))
        return {"Version": number, "Tier": tier}
    dropped = []
    if len(existing.versions) >= MAX_VERSIONS:
        oldest = existing.versions[0]
        if oldest.labels:
            raise AwsError(
                "ParameterMaxVersionLimitExceeded",
                f"You attempted to create a new version of {existing.name} by calling the PutParameter API with the"
                f" overwrite flag. Version {oldest.number}, the oldest version, can't be deleted because it has a"
                " label associated with it. Move the label to another version of the parameter, and try again.",
                400,
            )
        dropped.append(existing.versions.pop(0).number)
    existing.versions.append(version)
    call.store.save(existing, [version], dropped)
    return {"Version": number, "Tier": tier}


async def delete_parameter(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = names.check_name(params["Name"])
    parameter = call.find(names.key_of(name))
    if parameter is None:
        raise not_found(name)
    call.store.remove(parameter)
    return {}


async def delete_parameters(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    deleted, invalid = [], []
    for text in dict.fromkeys(params["Names"]):
        parameter = call.find(names.key_of(names.check_name(text)))
        if parameter is None:
            invalid.append(text)
            continue
        call.store.remove(parameter)
        deleted.append(text)
    return {"DeletedParameters": deleted, "InvalidParameters": invalid}


# Labels


def _labelled_version(call: Call, params: dict[str, Any], number: int | None) -> tuple[Parameter, Version]:
    name = names.check_name(params["Name"])
    parameter = call.find(names.key_of(name))
    if parameter is None:
        raise not_found(name)
    number = parameter.latest.number if number is None else number
    version = parameter.version(number)
    if version is None:
        raise version_not_found(number, name)
    return parameter, version


async def label_parameter_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    parameter, version = _labelled_version(call, params, params.get("ParameterVersion"))
    labels = list(dict.fromkeys(params["Labels"]))
    invalid = [label for label in labels if not names.is_label(label)]
    added = [label for label in labels if names.is_label(label) and label not in version.labels]
    if len(version.labels) + len(added) > _MAX_LABELS:
        raise AwsError(
            "ParameterVersionLabelLimitExceeded",
            "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
            400,
        )
    changed = [version]
    for other in parameter.versions:
        # A label names one version: adding it here moves it.
        if other is not version and any(label in other.labels for label in added):
            other.labels = [label for label in other.labels if label not in added]
            changed.append(other)
    version.labels.extend(added)
    call.store.save(parameter, changed)
    return {"InvalidLabels": invalid, "ParameterVersion": version.number}


async def unlabel_parameter_version(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    parameter, version = _labelled_version(call, params, params["ParameterVersion"])
    labels = list(dict.fromkeys(params["Labels"]))
    removed = [label for label in labels if label in version.labels]
    invalid = [label for label in labels if label not in version.labels]
    if removed:
        version.labels = [label for label in version.labels if label not in removed]
        call.store.save(parameter, [version])
    return {"RemovedLabels": removed, "InvalidLabels": invalid}


# Tags


def _tagged(call: Call, params: dict[str, Any]) -> Parameter:
    """
    The parameter a tagging call names. Other resource types are not in
    RustStack: none of their ids names a resource.
    """
    missing = AwsError("InvalidResourceId", "", 400)
    if params["ResourceType"] != "Parameter":
        raise missing
    try:
        name = names.check_name(params["ResourceId"])
    except AwsError:
        raise missing from None
    parameter = call.find(names.key_of(name))
    if parameter is None:
        raise missing
    return parameter


async def add_tags_to_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    parameter = _tagged(call, params)
    tags = dict(parameter.tags)
    tags.update((tag["Key"], tag["Value"]) for tag in params["Tags"])
    if len(tags) > _MAX_TAGS:
        raise AwsError("TooManyTagsError", "", 400)
    parameter.tags = tags
    call.store.save(parameter)
    return {}


async def remove_tags_from_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    parameter = _tagged(call, params)
    parameter.tags = {key: value for key, value in parameter.tags.items() if key not in params["TagKeys"]}
    call.store.save(parameter)
    return {}


async def list_tags_for_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    parameter = _tagged(call, params)
    return {"TagList": [{"Key": key, "Value": value} for key, value in parameter.tags.items()]}


HANDLERS: dict[str, Handler] = {
    "PutParameter": put_parameter,
    "GetParameter": get_parameter,
    "GetParameters": get_parameters,
    "GetParametersByPath": get_parameters_by_path,
    "DeleteParameter": delete_parameter,
    "DeleteParameters": delete_parameters,
    "DescribeParameters": describe_parameters,
    "GetParameterHistory": get_parameter_history,
    "LabelParameterVersion": label_parameter_version,
    "UnlabelParameterVersion": unlabel_parameter_version,
    "AddTagsToResource": add_tags_to_resource,
    "RemoveTagsFromResource": remove_tags_from_resource,
    "ListTagsForResource": list_tags_for_resource,
}
