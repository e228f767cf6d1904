"""
The models' C{pattern} constraints, written for Java's regular expressions,
as Python ones.

AWS checks a value against the whole pattern (Java's C{String.matches}):
CloudWatch Logs refuses C{'a:b'} for C{[\\.\\-_/#A-Za-z0-9]+}, which only a
full match explains. Java syntax Python's C{re} lacks is rewritten: Unicode
categories (C{\\p{L}}) and POSIX classes (C{\\p{Print}}) become explicit
ranges, UTF-16 surrogate pairs (C{\\uD800\\uDC00}) the code point they
encode, and a C{-} after a class escape in a set (C{[\\w-_]}) a literal.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata

# Java's POSIX classes are ASCII only (java.util.regex.Pattern).
_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
_PROPERTY = re.compile(r"\\p\{(\w+)\}|\\p([A-Z])")


class Untranslatable(ValueError):
    """
    A pattern using Java syntax this module does not rewrite.
    """


@functools.cache
def _category_ranges(category: str) -> str:
    """
    The code points of a Unicode general category (C{L}) or subcategory
    (C{Lu}) as set ranges.
    """
    ranges = []
    start = previous = -2
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)).startswith(category):
            if code != previous + 1:
                if start >= 0:
                    ranges.append((start, previous))
                start = code
            previous = code
    if start >= 0:
        ranges.append((start, previous))
    if not ranges:
        raise Untranslatable(f"no Unicode category {category!r}")
    return "".join(_escape(low) if low == high else f"{_escape(low)}-{_escape(high)}" for low, high in ranges)


def _escape(code: int) -> str:
    return f"\\U{code:08x}"


def _set_body(name: str) -> str:
    if name in _POSIX:
        return _POSIX[name]
    if name.startswith("Is"):
        name = name[2:]
    if len(name) <= 2 and name[:1].isupper():
        return _category_ranges(name)
    raise Untranslatable(f"unsupported property \\p{{{name}}}")


def translate(pattern: str) -> str:
    """
    A Java pattern as a Python one; L{Untranslatable} for syntax without a
    rewrite here (negated properties in a set, set intersection, nested
    sets).
    """
    if "&&" in pattern or "\\P{" in pattern:
        raise Untranslatable(pattern)
    pattern = _SURROGATE_PAIR.sub(
        lambda m: _escape(0x10000 + ((int(m.group(1), 16) - 0xD800) << 10) + (int(m.group(2), 16) - 0xDC00)),
        pattern,
    )
    out: list[str] = []
    in_set = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            match = _PROPERTY.match(pattern, i)
            if match:
                body = _set_body(match.group(1) or match.group(2))
                out.append(body if in_set else f"[{body}]")
                i = match.end()
                continue
            escape = pattern[i : i + 2]
            if escape == "\\z":
                escape = "\\Z"
            out.append(escape)
            i += 2
            # Java reads [\w-_] as \w, '-', '_'; Python refuses the range.
            if in_set and escape[1] in "wWdDsS" and pattern[i : i + 1] == "-" and pattern[i + 1 : i + 2] != "]":
                out.append("\\-")
                i += 1
            continue
        if char == "[":
            if in_set:
                raise Untranslatable(f"nested set in {pattern!r}")
            in_set = True
            out.append(char)
            i += 1
            # A ']' first in a set (or after '^') is a literal in Java too.
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append("\\]")
                i += 1
            continue
        if char == "]" and in_set:
            in_set = False
        out.append(char)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def compiled(pattern: str) -> re.Pattern[str] | None:
    """
    The Python form of a model's pattern, compiled, or C{None} if it cannot
    be translated (the constraint is then not checked).
    """
    try:
        return re.compile(translate(pattern))
    except (Untranslatable, re.error):
        return None


def matches(pattern: str, value: str) -> bool:
    """
    Whether C{value} satisfies the model's C{pattern} as AWS checks it:
    all of it must match. An untranslatable pattern is satisfied.
    """
    regex = compiled(pattern)
    return regex is None or regex.fullmatch(value) is not None
