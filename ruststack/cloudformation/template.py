"""
Reading a template: JSON, or YAML with CloudFormation's short intrinsic tags
(C{!Ref}, C{!GetAtt}, C{!Sub}...), and the checks ValidateTemplate makes,
with AWS's words ("Template format error: ...").
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from ruststack.aws.errors import AwsError

SERVERLESS_TRANSFORM = "AWS::Serverless-2016-10-31"
_SECTIONS = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Parameters",
        "Rules",
        "Mappings",
        "Conditions",
        "Transform",
        "Resources",
        "Outputs",
        "Hooks",
    }
)
# The short forms and the function each stands for.
_FUNCTIONS = (
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "ToJsonString",
    "Length",
)


def format_error(message: str) -> AwsError:
    return AwsError("ValidationError", f"Template format error: {message}", 400)


def validation_error(message: str) -> AwsError:
    return AwsError("ValidationError", message, 400)


# Deeper than any real template; a deeper one would exhaust Python's stack
# in the functions that walk it.
MAX_DEPTH = 100
# What CloudFormation reads from a TemplateURL.
MAX_TEMPLATE_BYTES = 1_000_000


class AliasRefused(yaml.YAMLError):
    pass


class TemplateLoader(yaml.SafeLoader):
    """
    PyYAML's safe loader with the short intrinsic tags, and CloudFormation's
    reading of plain scalars: no dates (C{2010-09-09} stays a string). No
    aliases, as CloudFormation allows none (and a few nested ones would
    otherwise make a template that takes forever to walk).
    """

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.events.AliasEvent):
            raise AliasRefused("YAML aliases are not allowed in CloudFormation templates")
        return super().compose_node(parent, index)


# CloudFormation reads timestamps as strings.
TemplateLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.MappingNode)
    return loader.construct_mapping(node, deep=True)


def _function(name: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {f"Fn::{name}": _construct(loader, node)}

    return construct


def _ref(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Ref": _construct(loader, node)}


def _condition(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    return {"Condition": _construct(loader, node)}


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _construct(loader, node)
    if isinstance(value, str):
        # !GetAtt Resource.Attribute (the attribute may itself hold dots).
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {"Fn::GetAtt": value}


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"Duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


for _name in _FUNCTIONS:
    TemplateLoader.add_constructor(f"!{_name}", _function(_name))
TemplateLoader.add_constructor("!Ref", _ref)
TemplateLoader.add_constructor("!Condition", _condition)
TemplateLoader.add_constructor("!GetAtt", _get_att)
TemplateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def parse(body: str) -> dict[str, Any]:
    """
    The template C{body} holds (JSON, else YAML), or the ValidationError
    CloudFormation answers.
    """
    text = body.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as e:
            raise format_error(f"JSON not well-formed. (line {e.lineno},  column {e.colno})") from None
        except RecursionError:
            raise format_error("JSON not well-formed. (nested too deeply)") from None
    else:
        try:
            document = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass
        except AliasRefused as e:
            raise format_error(str(e)) from None
        except RecursionError:
            raise format_error("YAML not well-formed. (nested too deeply)") from None
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise format_error(f"YAML not well-formed.{where}") from None
        except yaml.YAMLError:
            raise format_error("YAML not well-formed.") from None
    if not isinstance(document, dict):
        raise format_error("unsupported structure.")
    if _too_deep(document, MAX_DEPTH):
        raise format_error(f"the template is nested more than {MAX_DEPTH} levels deep")
    return document


def _too_deep(value: Any, room: int) -> bool:
    # Iterative: the point is not to recurse into whatever came in.
    stack = [(value, room)]
    while stack:
        item, left = stack.pop()
        if isinstance(item, dict | list):
            if left == 0:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, left - 1) for child in children)
    return False


# Bodies up to this size are read on the reactor thread (well under a
# millisecond); larger ones, up to a TemplateURL's megabyte, in a thread.
_READ_INLINE = 16 * 1024


async def read(body: str) -> dict[str, Any]:
    """
    L{parse}, off the reactor thread for a large body.
    """
    if len(body) <= _READ_INLINE:
        return parse(body)
    from twisted.internet import threads

    return await threads.deferToThread(parse, body)


def dump(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2, default=str)


def transforms(template: dict[str, Any]) -> list[str]:
    value = template.get("Transform")
    if value is None:
        return []
    return [value] if isinstance(value, str) else [t for t in value if isinstance(t, str)]


_TYPE = re.compile(r"^(AWS|Alexa)::[A-Za-z0-9]+::[A-Za-z0-9]+$|^Custom::[A-Za-z0-9_@\-]{1,60}$")
_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]+$")


def check(template: dict[str, Any], known_type) -> None:
    """
    The template format errors CloudFormation finds before touching any
    resource (C{known_type}: type name -> whether it is recognized).
    """
    unknown_sections = sorted(k for k in template if k not in _SECTIONS)
    if unknown_sections:
        raise format_error(f"Invalid template property or properties [{', '.join(unknown_sections)}]")
    version = template.get("AWSTemplateFormatVersion")
    if version is not None and str(version) != "2010-09-09":
        raise format_error(f"'{version}' is not a supported version.")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise format_error("At least one Resources member must be defined.")
    for section in ("Parameters", "Mappings", "Conditions", "Outputs"):
        value = template.get(section)
        if value is not None and not isinstance(value, dict):
            raise (
                format_error(f"{section} must be an object.")
                if section != "Outputs"
                else format_error("Every Outputs member must be an object.")
            )
    unknown = []
    for logical_id, resource in resources.items():
        if not _LOGICAL_ID.match(str(logical_id)):
            raise format_error(f"Resource name {logical_id} is non alphanumeric.")
        if not isinstance(resource, dict):
            raise format_error(f"[/Resources/{logical_id}] resource definition is malformed")
        kind = resource.get("Type")
        if not isinstance(kind, str):
            raise format_error(f"[/Resources/{logical_id}] Every Resources object must contain a Type member.")
        if not _TYPE.match(kind) or not known_type(kind):
            unknown.append(kind)
        properties = resource.get("Properties", {})
        if properties is not None and not isinstance(properties, dict):
            raise format_error(f"[/Resources/{logical_id}/Properties] properties must be an object")
    if unknown:
        raise format_error(f"Unrecognized resource types: [{', '.join(dict.fromkeys(unknown))}]")
    for name, output in (template.get("Outputs") or {}).items():
        if not isinstance(output, dict) or "Value" not in output:
            raise format_error(
                f"Every Outputs member must contain a Value object, the Outputs member {name} lacks one."
            )
