"""
The filters of DescribeParameters (C{Filters}, the legacy ones, and
C{ParameterFilters}) and of GetParametersByPath (C{ParameterFilters}),
checked as Parameter Store checks them and matched against a parameter.

The model already holds each filter to its shape (a C{Key} of
C{tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType}, at most 50 values of
1 to 1024 characters); what is left is each operation's own rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from ruststack.aws.errors import AwsError
from ruststack.ssm import names
from ruststack.ssm.parameters import Parameter, Version

_VALID_VALUES = {
    "Type": ("String", "StringList", "SecureString"),
    "Tier": ("Standard", "Advanced", "Intelligent-Tiering"),
}
_OPTIONS = {
    "Name": ("BeginsWith", "Contains", "Equals"),
    "Path": ("Recursive", "OneLevel"),
    "Label": ("Equals",),
}
_DEFAULT_OPTIONS = ("BeginsWith", "Equals")
# The keys each operation refuses, and how it lists the ones it takes.
_DESCRIBE_REFUSES = ("Label",)
_DESCRIBE_TAKES = "[Path, Name, Type, KeyId, Tier]"
_BY_PATH_REFUSES = ("Name", "Path", "Tier")
_BY_PATH_TAKES = "[Type, KeyId]"


def invalid_key(message: str) -> AwsError:
    return AwsError("InvalidFilterKey", message, 400)


def invalid_option(message: str) -> AwsError:
    return AwsError("InvalidFilterOption", message, 400)


def invalid_value(message: str) -> AwsError:
    return AwsError("InvalidFilterValue", message, 400)


@attrs.frozen
class Filter:
    """
    One filter: its key, option and values (for C{Name} and C{Path} the
    values are key prefixes, without slashes at their ends).
    """

    key: str
    option: str
    values: tuple[str, ...]

    def matches(self, parameter: Parameter, version: Version) -> bool:
        if self.key.startswith("tag:"):
            tag = parameter.tags.get(self.key[4:])
            return tag is not None and (not self.values or self._compare(tag))
        if self.key == "Name":
            if self.option == "Contains":
                return any(value in parameter.name for value in self.values)
            return self._compare(parameter.key)
        if self.key == "Path":
            parent = parameter.key.rpartition("/")[0]
            if self.option == "OneLevel":
                return parent in self.values
            return any(value == "" or parent == value or parent.startswith(value + "/") for value in self.values)
        if self.key == "Label":
            return any(label in self.values for label in version.labels)
        field = {"Type": version.type, "KeyId": version.key_id, "Tier": version.tier, "DataType": version.data_type}
        found = field.get(self.key)
        return found is not None and self._compare(found)

    def _compare(self, found: str) -> bool:
        if self.option == "BeginsWith":
            return any(found.startswith(value) for value in self.values)
        return found in self.values


def parameter_filters(filters: Sequence[dict[str, Any]], by_path: bool) -> list[Filter]:
    """
    C{ParameterFilters} as DescribeParameters (C{by_path} false) or
    GetParametersByPath reads them; the filter errors AWS answers otherwise.
    """
    refused, takes = (_BY_PATH_REFUSES, _BY_PATH_TAKES) if by_path else (_DESCRIBE_REFUSES, _DESCRIBE_TAKES)
    seen: set[str] = set()
    read = []
    for given in filters:
        key = given["Key"]
        if key in refused:
            raise invalid_key(f"The following filter key is not valid: {key}. Valid filter keys include: {takes}.")
        values = tuple(given.get("Values") or ())
        if not values and not key.startswith("tag:"):
            raise invalid_value(f"The following filter values are missing : null for filter key {key}.")
        if key in seen:
            raise invalid_key(
                f"The following filter is duplicated in the request: {key}. A request can contain only one"
                " occurrence of a specific filter."
            )
        seen.add(key)
        option = given.get("Option") or ("OneLevel" if key == "Path" else "Equals")
        options = _OPTIONS.get(key, _DEFAULT_OPTIONS)
        if key == "Name" and by_path:
            options = _DEFAULT_OPTIONS
        if option not in options:
            raise invalid_option(
                f"The following filter option is not valid: {option}. Valid options include: [{', '.join(options)}]."
            )
        for value in values if key in _VALID_VALUES else ():
            if value not in _VALID_VALUES[key]:
                raise invalid_value(
                    f"The following filter value is not valid: {value}. Valid values include:"
                    f" [{', '.join(_VALID_VALUES[key])}]."
                )
        if key == "Path":
            values = tuple(names.filter_path(value) for value in values)
        elif key == "Name" and option != "Contains":
            values = tuple(names.key_of(value) for value in values)
        read.append(Filter(key, option, values))
    return read


def legacy_filters(filters: Sequence[dict[str, Any]]) -> list[Filter]:
    """
    DescribeParameters' C{Filters} (C{Name}, C{Type}, C{KeyId}): a name
    filter matches names that begin with a value, the others equal ones.
    """
    read = []
    for given in filters:
        key = given["Key"]
        values = tuple(given["Values"])
        if key == "Name":
            read.append(Filter(key, "BeginsWith", tuple(names.key_of(value) for value in values)))
        else:
            read.append(Filter(key, "Equals", values))
    return read


def label_filter(filters: Sequence[Filter]) -> Filter | None:
    """
    GetParametersByPath's C{Label} filter, if any: it chooses the version
    answered (the one carrying the label) as well as the parameters.
    """
    return next((f for f in filters if f.key == "Label"), None)
