"""
Hypothesis strategies built from botocore shapes: values a service could be
sent or could send, respecting the model's constraints (required members,
enums, lengths, ranges, patterns), and what each wire can carry.

What a wire cannot carry is not generated (and is said here, once):
- header values are visible ASCII without commas or quotes (HTTP trims
  spaces; botocore's parser splits header lists at every comma), and
  header timestamps whole seconds (botocore writes no fraction there);
- XML text has no carriage return (an XML reader reads one as a line feed:
  botocore's XML serializer does not escape it) and only XML 1.0 characters;
- a URI label is not empty, C{.} or C{..};
- an empty list or map is left out where its form is nothing at all (query
  strings, headers, flattened XML, the query protocol's maps);
- timestamps have millisecond precision (AWS's), floats are finite.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

import attrs
from botocore.model import Shape
from hypothesis import strategies as st

from ruststack.protocol import patterns, timestamps

_MAX_DEPTH = 4
# A pattern that is one character class repeated (most of the models').
_SIMPLE = re.compile(r"\^?\(?(\[(?:\\.|[^\]\\])+\]|\\[wWdDsS]|\.)(\*|\+|\{(\d+)(,)?(\d*)\})\)?\$?")
_HEADER_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ',"\\')


@attrs.frozen
class Context:
    """
    Where a value travels: the protocol, the location (C{header},
    C{querystring}, C{uri}, C{headers} or C{None} for a body), whether the
    body is XML, and for outputs the things only an answer has.
    """

    protocol: str
    location: str | None = None
    output: bool = False

    @property
    def xml(self) -> bool:
        return self.protocol in ("rest-xml", "query") and not (self.protocol == "query" and not self.output)

    def at(self, location: str | None) -> Context:
        return attrs.evolve(self, location=location)


def _valid_char(char: str, context: Context) -> bool:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return False
    if context.location in ("header", "headers"):
        return char in _HEADER_CHARS or char == " "
    if context.xml and context.location is None:
        if char == "\r":
            return False
        return code in (0x9, 0xA) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000
    return True


def _text_ok(text: str, context: Context) -> bool:
    if not all(_valid_char(char, context) for char in text):
        return False
    if context.location in ("header", "headers") and text != text.strip():
        return False
    if context.location == "uri" and text in ("", ".", ".."):
        return False
    return True


def _widths(regex: re.Pattern[str]) -> tuple[int, int]:
    return re._parser.parse(regex.pattern).getwidth()  # type: ignore[attr-defined]


# Patterns whose model bounds no value can meet.
UNSATISFIABLE: set[str] = set()


def _alphabet(context: Context) -> st.SearchStrategy[str]:
    if context.location in ("header", "headers"):
        return st.sampled_from(_HEADER_CHARS)
    excluded: list = ["Cs"] if not (context.xml and context.location is None) else ["Cs", "Cc"]
    return st.characters(exclude_categories=excluded)


def _length_bounds(shape: Shape, cap: int) -> tuple[int, int]:
    low = int(shape.metadata.get("min", 0) or 0)
    high = shape.metadata.get("max")
    # Above the cap, room past the minimum: at exactly the minimum, text of
    # characters outside the BMP (two UTF-16 units each) rarely fits.
    high = cap if high is None else int(min(high, cap if low <= cap else 2 * low))
    return low, max(low, high)


def string(shape: Shape, context: Context) -> st.SearchStrategy[str]:
    enum = shape.metadata.get("enum")
    # A pattern sets its own lengths (an ARN is longer than 12): only the
    # model's bounds apply to it.
    cap = 12 if not shape.metadata.get("pattern") else 1 << 20
    low, high = _length_bounds(shape, cap)
    return _string(
        tuple(enum) if enum else None,
        shape.metadata.get("pattern"),
        low,
        high,
        bool(shape.serialization.get("hostLabel")),
        context,
    )


@functools.cache
def _string(
    enum: tuple[str, ...] | None, pattern: str | None, low: int, high: int, host_label: bool, context: Context
) -> st.SearchStrategy[str]:
    # Built once per constraint set: a regex strategy costs a tenth of a second.
    if enum:
        return st.sampled_from([value for value in enum if _text_ok(value, context)] or list(enum))
    if context.location == "uri":
        low = max(low, 1)
    if host_label:
        return st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True)
    regex = patterns.compiled(pattern) if pattern else None

    def fits(text: str) -> bool:
        units = len(text.encode("utf-16-le")) // 2
        return low <= units <= max(high, low) and _text_ok(text, context)

    if regex is not None:
        assert pattern is not None
        simple = _SIMPLE.fullmatch(patterns.translate(pattern))
        if simple is None:
            shortest, longest = _widths(regex)
            if shortest > high or longest < low:
                # The model's bounds and pattern contradict each other
                # (ssm's OpsItemArn: 20 characters, and a pattern of 30 at
                # least): no value is valid; these follow the pattern.
                UNSATISFIABLE.add(pattern)
                low, high = 0, 1 << 20
            return st.from_regex(regex, fullmatch=True, alphabet=_alphabet(context)).filter(fits)
        # One character class repeated: its characters, at the lengths wanted.
        klass, quantifier, least, comma, most = simple.groups()
        if quantifier == "+":
            low = max(low, 1)
        elif quantifier.startswith("{"):
            low = max(low, int(least))
            bound = int(least) if not comma else int(most) if most else high
            high = min(max(high, low), bound)
        high = min(high, low + 12)
        characters = st.from_regex(re.compile(klass), fullmatch=True).filter(lambda char: _valid_char(char, context))
        return st.text(characters, min_size=low, max_size=max(low, high)).filter(fits)
    strategy = st.text(_alphabet(context), min_size=low, max_size=high)
    return strategy.filter(fits)


def integer(shape: Shape, context: Context) -> st.SearchStrategy[int]:
    if context.location == "statusCode":
        return st.integers(200, 299)
    limit = 2**31 - 1 if shape.type_name == "integer" else 2**53
    low = shape.metadata.get("min", -limit)
    high = shape.metadata.get("max", limit)
    return st.integers(int(max(low, -limit)), int(min(high, limit)))


def floating(shape: Shape) -> st.SearchStrategy[float]:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    return st.floats(
        min_value=None if low is None else float(low),
        max_value=None if high is None else float(high),
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    )


def timestamp(shape: Shape, context: Context) -> st.SearchStrategy[datetime]:
    moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))
    # botocore writes header timestamps in whole seconds, whatever the format.
    whole_seconds = (
        context.location == "header"
        or timestamps.member_format(shape, context.protocol, context.location) == timestamps.RFC822
    )
    if whole_seconds:
        return moments.map(lambda moment: moment.replace(microsecond=0))
    return moments.map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def blob(shape: Shape) -> st.SearchStrategy[bytes]:
    low, high = _length_bounds(shape, 8)
    return st.binary(min_size=low, max_size=high)


_DOCUMENT = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=2) | st.dictionaries(st.text(max_size=4), children, max_size=2),
    max_leaves=4,
)


def _elided_when_empty(context: Context, shape: Shape) -> bool:
    if context.location is not None:
        return True
    if context.xml and shape.serialization.get("flattened"):
        return True
    return context.protocol == "query" and not context.output and shape.type_name == "map"


def _collection_size(shape: Shape, context: Context, depth: int) -> tuple[int, int]:
    """
    How many items a list or map of C{shape} has, at least and at most: one
    at least where an empty one is written as nothing; exactly the fewest
    deep in a recursive shape.
    """
    low, high = _length_bounds(shape, 2)
    if _elided_when_empty(context, shape):
        low = max(low, 1)
    if depth >= _MAX_DEPTH:
        high = low
    return low, high


def value(shape: Shape, context: Context, depth: int = 0) -> st.SearchStrategy:
    """
    Values of C{shape} as they travel in C{context}.
    """
    kind = shape.type_name
    if kind == "string":
        if context.location == "header" and shape.serialization.get("jsonvalue"):
            return st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2)
        return string(shape, context)
    if kind in ("integer", "long"):
        return integer(shape, context)
    if kind in ("float", "double"):
        return floating(shape)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return timestamp(shape, context)
    if kind == "blob":
        return blob(shape)
    if kind == "list":
        low, high = _collection_size(shape, context, depth)
        item_context = context if context.location in ("header", "querystring") else context.at(None)
        return st.lists(value(shape.member, item_context, depth + 1), min_size=low, max_size=max(low, high))
    if kind == "map":
        low, high = _collection_size(shape, context, depth)
        key_context = context if context.location in ("headers", "querystring") else context.at(None)
        keys = value(shape.key, key_context, depth + 1)
        if context.location == "headers":
            keys = st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}", fullmatch=True)
        values = value(shape.value, key_context, depth + 1)
        return st.dictionaries(keys, values, min_size=low, max_size=max(low, high))
    if kind == "structure":
        if shape.metadata.get("document"):
            return _DOCUMENT
        return structure(shape, context.at(None), depth)
    raise AssertionError(f"no strategy for {kind}")


def structure(shape: Shape, context: Context, depth: int = 0, members: dict | None = None) -> st.SearchStrategy[dict]:
    """
    Values of a structure: its required members always, the others maybe;
    one member exactly for a union. Deep in a recursive shape, only the
    required ones.
    """
    required = set(shape.required_members)
    strategies = {}
    for name, member in (members if members is not None else shape.members).items():
        if depth >= _MAX_DEPTH and name not in required:
            continue
        strategies[name] = value(member, context, depth + 1)
    if shape.metadata.get("union"):
        if not strategies:
            return st.just({})
        return st.one_of([st.fixed_dictionaries({name: strategy}) for name, strategy in strategies.items()])
    mandatory = {name: strategy for name, strategy in strategies.items() if name in required}
    optional = {name: strategy for name, strategy in strategies.items() if name not in required}
    if context.protocol == "query" and not context.output and optional and not mandatory:
        # The query protocol writes nothing for an empty structure: one
        # member at least.
        return st.one_of(
            [
                st.fixed_dictionaries(
                    {name: strategy}, optional={other: o for other, o in optional.items() if other != name}
                )
                for name, strategy in optional.items()
            ]
        )
    return st.fixed_dictionaries(mandatory, optional=optional)
