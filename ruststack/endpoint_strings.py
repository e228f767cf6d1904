"""
Twisted endpoint strings as C{--listen} takes them.

An endpoint string (C{tcp:4566:interface=127.0.0.1}) is a type and arguments
separated by colons; an argument with C{=} is a keyword one; a backslash
makes the next character plain (C{interface=\\:\\:1}). C{--listen} takes
several, separated by commas, so a comma inside one is written C{\\,} too.
Twisted's own parser (L{twisted.internet.endpoints.serverFromString}) reads
each string; what RustStack needs to know of one before (its type, whether
it names a certificate) is read here by the same grammar, which
tests/foundation/test_endpoint_strings.py checks against Twisted's.
"""

from __future__ import annotations

_SPECIAL = frozenset("\\:=,")


def split_list(text: str) -> tuple[str, ...]:
    """
    The endpoint strings of a comma-separated list, without the blanks
    around them; empty ones are left out. Backslash escapes stay as they
    are (Twisted reads C{\\,} as a comma).

    @raise ValueError: the list ends in a lone backslash.
    """
    items: list[str] = []
    current: list[str] = []
    # Characters up to here were escaped, and are kept even if blank.
    kept = 0
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            kept = len(current)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ",":
            items.append(_strip(current, kept))
            current, kept = [], 0
        else:
            current.append(char)
    if escaped:
        raise ValueError(f"{text!r} ends in a lone backslash")
    items.append(_strip(current, kept))
    return tuple(item for item in items if item)


def _strip(chars: list[str], kept: int) -> str:
    text = "".join(chars)
    return (text[:kept] + text[kept:].rstrip()).lstrip()


def parse(description: str) -> tuple[list[str], dict[str, str]]:
    """
    The positional and keyword arguments of an endpoint string, the type
    first, as Twisted reads them: after a field's first C{=}, any further
    one is part of its value.

    @raise ValueError: the string ends in a lone backslash.
    """
    args: list[str] = []
    kwargs: dict[str, str] = {}
    field: list[str] = []  # [text] so far, or [key] once an "=" was read
    current: list[str] = []
    characters = iter(description)
    for char in characters:
        if char == "\\":
            following = next(characters, None)
            if following is None:
                raise ValueError(f"{description!r} ends in a lone backslash")
            current.append(following)
        elif char == ":":
            _add(args, kwargs, [*field, "".join(current)])
            field, current = [], []
        elif char == "=" and not field:
            field, current = ["".join(current)], []
        else:
            current.append(char)
    _add(args, kwargs, [*field, "".join(current)])
    return args, kwargs


def _add(args: list[str], kwargs: dict[str, str], field: list[str]) -> None:
    if len(field) == 1:
        args.append(field[0])
    else:
        kwargs[field[0]] = field[1]


def endpoint_type(description: str) -> str:
    """
    The type an endpoint string names (C{tcp}, C{ssl}, C{systemd}...).
    """
    return parse(description)[0][0]


def quote(value: str) -> str:
    """
    C{value} as one argument of an endpoint string (a file name, an IPv6
    address), also safe inside a C{--listen} list (blanks are escaped too,
    which the list would strip at either end).
    """
    return "".join("\\" + char if char in _SPECIAL or char.isspace() else char for char in value)
