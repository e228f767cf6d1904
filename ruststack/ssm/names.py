"""
Parameter names, hierarchy paths, selectors, labels and ARNs, as Parameter
Store reads them, with its words for what it refuses.

A name is one level (C{name}, or C{/name}: the same parameter) or a path of
up to 15 levels that begins with a slash (C{/app/prod/db}); each level is
letters, digits and C{.-_}. A parameter is kept under its I{key}, its name
without the leading slash, which is also how its ARN spells it:
C{arn:aws:ssm:us-east-1:111122223333:parameter/app/prod/db}.

A reference (what GetParameter reads) is a name or a parameter ARN,
optionally followed by a selector: C{name:3} (a version) or C{name:prod}
(a label; labels never begin with a digit).
"""

from __future__ import annotations

import re

import attrs

from ruststack.aws.errors import AwsError

_LEVEL = r"[a-zA-Z0-9_.\-]+"
# One level with or without a leading slash, or two or more that begin with one.
_NAME = re.compile(rf"/?{_LEVEL}|(?:/{_LEVEL}){{2,}}")
# "/" alone, or levels with an optional trailing slash.
_PATH = re.compile(rf"/|(?:/{_LEVEL})+/?")
_LABEL = re.compile(_LEVEL)
_DIGITS = re.compile(r"[0-9]+")

MAX_LEVELS = 15
# "The maximum length for a parameter name, including the full length of the
# parameter ARN, is 1011 characters" (PutParameter, Name).
MAX_ARN_LENGTH = 1011
# Versions are longs on the wire.
_MAX_VERSION = 2**63 - 1

# AWS's answer to any name it cannot read (spaces, a path without its
# leading slash, "//", other characters), whatever the reason.
INVALID_NAME = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of '
    "sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the "
    "following 3 symbols .-_"
)
RESERVED_NAME = 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'
# GetParametersByPath's answer to a path it cannot read; the backslashes are AWS's.
INVALID_PATH = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward "
    'slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" (case-insensitive). It must use only letters, '
    "numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not "
    'allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: '
    "/get/parameters2-/by1./path0_."
)
TOO_DEEP = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for "
    "parameter names in the Amazon Web Services Systems Manager User Guide."
)


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def key_of(name: str) -> str:
    """
    The key a parameter is kept under: its name without the leading slash.
    """
    return name[1:] if name.startswith("/") else name


def display_name(key: str) -> str:
    """
    The name a key has when only the key is known (an ARN): a path regains
    its leading slash, a single level has none.
    """
    return f"/{key}" if "/" in key else key


def arn(account: str, region: str, key: str) -> str:
    return f"arn:aws:ssm:{region}:{account}:parameter/{key}"


def check_name(name: str) -> str:
    """
    C{name} without the spaces AWS removes from its ends, if it is a name
    at all; else AWS's C{ValidationException}.
    """
    name = name.strip(" ")
    if not _NAME.fullmatch(name):
        raise validation(INVALID_NAME)
    return name


def check_new_name(name: str, account: str, region: str) -> str:
    """
    C{name} (its ends' spaces removed) if a parameter may be created under
    it: a name, not in the reserved C{aws}/C{ssm} namespaces, at most 15
    levels deep, its ARN at most 1011 characters.
    """
    name = check_name(name)
    key = key_of(name)
    first = key.split("/", 1)[0].lower()
    if first.startswith(("aws", "ssm")):
        if "/" not in key:
            raise validation(RESERVED_NAME)
        if first.startswith("aws"):
            raise AwsError("AccessDeniedException", f"No access to reserved parameter name: {name}.", 400)
        raise validation(INVALID_NAME)
    if key.count("/") + 1 > MAX_LEVELS:
        raise AwsError("HierarchyLevelLimitExceededException", TOO_DEEP, 400)
    if len(arn(account, region, key)) > MAX_ARN_LENGTH:
        raise validation(
            f"Parameter name: can't be longer than {MAX_ARN_LENGTH} characters, including the parameter ARN"
            f" ({arn(account, region, '')})."
        )
    return name


@attrs.frozen
class Reference:
    """
    What a reference names.

    @ivar name: the name as the caller wrote it (C{None} when given as an
        ARN: answers then carry the parameter's own name).
    @ivar key: the parameter's key.
    @ivar version: the version a C{name:3} selector asks for.
    @ivar label: the label a C{name:prod} selector asks for.
    @ivar foreign: an ARN of another account or region.
    """

    name: str | None
    key: str
    version: int | None = None
    label: str | None = None
    foreign: bool = False

    @property
    def selector(self) -> str | None:
        """
        The selector as answers show it (C{:3}, C{:prod}), if any.
        """
        if self.version is not None:
            return f":{self.version}"
        if self.label is not None:
            return f":{self.label}"
        return None


def parse_reference(text: str, account: str, region: str) -> Reference:
    """
    Read a name or ARN and its optional selector; C{ValidationException} if
    it is neither.
    """
    text = text.strip(" ")
    foreign = False
    written: str | None
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[2] != "ssm" or not parts[5].startswith("parameter/"):
            raise validation(INVALID_NAME)
        resource, colon, selector = parts[5].removeprefix("parameter/").partition(":")
        name = display_name(resource)
        if not _NAME.fullmatch(name):
            raise validation(INVALID_NAME)
        foreign = (parts[3], parts[4]) != (region, account)
        written = None
    else:
        name, colon, selector = text.partition(":")
        written = name = check_name(name)
    key = key_of(name)
    if not colon:
        return Reference(written, key, foreign=foreign)
    if _DIGITS.fullmatch(selector):
        version = int(selector)
        # A version no parameter can have is simply not there.
        return Reference(written, key, version=min(version, _MAX_VERSION), foreign=foreign)
    if _LABEL.fullmatch(selector):
        return Reference(written, key, label=selector, foreign=foreign)
    raise validation(INVALID_NAME)


def parse_path(path: str) -> str | None:
    """
    The key prefix under which GetParametersByPath looks (C{""} for C{/},
    C{"app/prod"} for C{/app/prod/}), or C{None} for the public C{/aws}
    namespace (whose parameters RustStack does not have); AWS's
    C{ValidationException} for anything else.
    """
    if not _PATH.fullmatch(path):
        raise validation(INVALID_PATH)
    prefix = path.strip("/")
    first = prefix.split("/", 1)[0].lower()
    if first == "aws":
        return None
    if first.startswith(("aws", "ssm")):
        raise validation(INVALID_PATH)
    return prefix


def filter_path(path: str) -> str:
    """
    The key prefix of a C{Path} filter's value (DescribeParameters), which
    may not enter the reserved namespaces.
    """
    if path.lower().lstrip("/").startswith(("aws", "ssm")):
        raise validation(
            'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive). '
            "When using global parameters, please specify within a global namespace."
        )
    if not _PATH.fullmatch(path):
        raise validation(INVALID_PATH)
    return path.strip("/")


def is_label(label: str) -> bool:
    """
    Whether LabelParameterVersion accepts C{label}: letters, digits and
    C{.-_}, not beginning with a digit nor with C{aws} or C{ssm} in any case.
    """
    return bool(_LABEL.fullmatch(label)) and not label[0].isdigit() and not label.lower().startswith(("aws", "ssm"))
