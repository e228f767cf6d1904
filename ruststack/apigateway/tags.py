"""
TagResource, UntagResource and GetTags: the tags of what API Gateway (v1)
tags by ARN (C{arn:aws:apigateway:{region}::/restapis/{id}}, a stage
below it, C{/domainnames/{name}}). The same tags are those given at
creation and returned by the Get operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

from ruststack.apigateway.calls import Call, Reply, found
from ruststack.apigateway.store import bad_request, not_found

_ARN = re.compile(r"^arn:aws[a-z-]*:apigateway:(?P<region>[a-z0-9-]+)::(?P<path>/.+)$")
_MAX_TAGS = 50


@attrs.frozen
class Tagged:
    """
    The tags of one resource and how to keep them once changed.
    """

    tags: dict[str, str]
    save: Callable[[], None]


def _rest_api(call: Call, found_: re.Match[str]) -> Tagged:
    api = call.store.api(call.account, call.region, found_["api"])
    return Tagged(api.tags, call.store.save)


def _stage(call: Call, found_: re.Match[str]) -> Tagged:
    api = call.store.api(call.account, call.region, found_["api"])
    stage = found(api.stages.get(found_["stage"]), "Stage identifier")
    return Tagged(stage.tags, call.store.save)


def _domain_name(call: Call, found_: re.Match[str]) -> Tagged:
    domain = call.store.regional.domains.get(found_["name"])
    if domain is None or (domain.account, domain.region) != (call.account, call.region):
        raise not_found("Invalid domain name identifier specified")
    return Tagged(domain.tags, call.store.regional.save)


# Resource paths of taggable ARNs -> the tags they name.
TAGGABLE: list[tuple[re.Pattern[str], Callable[[Call, re.Match[str]], Tagged]]] = [
    (re.compile(r"^/restapis/(?P<api>[^/]+)$"), _rest_api),
    (re.compile(r"^/restapis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)$"), _stage),
    (re.compile(r"^/domainnames/(?P<name>[^/]+)$"), _domain_name),
]


def tagged(call: Call) -> Tagged:
    arn = call.params.get("arn", "")
    parsed = _ARN.match(arn)
    if parsed is None or parsed["region"] != call.region:
        raise bad_request(f"Invalid ARN specified in the request: {arn}")
    for pattern, resolve in TAGGABLE:
        match = pattern.match(parsed["path"])
        if match is not None:
            return resolve(call, match)
    raise bad_request(f"Invalid ARN specified in the request: {arn}")


def check_tags(tags: object) -> dict[str, str]:
    """
    Tags as API Gateway takes them (at creation or by TagResource): at most
    50, keys of 1 to 128 characters not under C{aws:}, values up to 256.
    """
    if not isinstance(tags, dict):
        raise bad_request("Invalid tags: a map of strings is required")
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or not isinstance(value, str) or len(value) > 256:
            raise bad_request(f"Invalid tag: {key!r}")
        if key.lower().startswith("aws:"):
            raise bad_request("Tag keys starting with 'aws:' are reserved for AWS use")
    return dict(tags)


def tag_resource(call: Call) -> Reply:
    target = tagged(call)
    new = check_tags(call.body.get("tags") or {})
    if len({**target.tags, **new}) > _MAX_TAGS:
        raise bad_request(f"The number of tags exceeds the limit of {_MAX_TAGS}")
    target.tags.update(new)
    target.save()
    return 204, None


def untag_resource(call: Call) -> Reply:
    target = tagged(call)
    for key in call.query.get("tagKeys", []):
        target.tags.pop(key, None)
    target.save()
    return 204, None


def get_tags(call: Call) -> Reply:
    return 200, {"tags": dict(tagged(call).tags)}


OPERATIONS = {"TagResource": tag_resource, "UntagResource": untag_resource, "GetTags": get_tags}
