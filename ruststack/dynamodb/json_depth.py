"""
How deep a JSON body nests, found without parsing it: Python's json module
and DynamoDB Local both recurse once per level, so a body nested 100,000
levels deep must be refused before either of them reads it.

DynamoDB allows 32 levels of nesting in an attribute value
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-attributes):
31 maps or lists around a scalar, each two JSON levels (C{{"M":{"a":...}}}),
inside at most six levels of request (C{{"RequestItems":{"t":[{"PutRequest":
{"Item":{"a":...}}}]}}}), about 70 levels in all. Deeper attribute values
are AWS's C{ValidationException} ("Nesting Levels have exceeded supported
limits"), which DynamoDB Local answers as AWS does; only documents nested
beyond L{MAX_JSON_DEPTH} are refused unread, as the serialization error
AWS's parser gives. The limit is far above what DynamoDB accepts and far
below where either parser fails (Python at about 1,000 levels, DynamoDB
Local's stack at about 980 with C{-Xss512k}).

Every step below is a C-speed bytes operation; a body with fewer brackets
than the limit (nearly all of them) costs two C{count}s.
"""

from __future__ import annotations

import itertools
import json
from array import array

MAX_JSON_DEPTH = 256

_STRUCTURE = b'"[]{}'
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in _STRUCTURE)
_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")
_STEPS = bytes.maketrans(b"()", b"\x01\xff")  # +1 and -1 as signed bytes
# Peeling the innermost pairs lowers the depth by one a pass; documents
# DynamoDB accepts are empty after a few passes.
_PASSES = 8
_CHUNK = 1 << 16


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """
    Whether the JSON text C{body} nests objects and arrays more than
    C{limit} levels deep (C{{}} is one level). Never wrong for valid JSON;
    unbalanced or malformed text, which no parser takes either, may be
    called too deep.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    return _deeper_than(_structure(body), limit)


def _structure(body: bytes) -> bytes:
    """
    The brackets of C{body} that are not inside strings, as C{(} and C{)}.
    """
    encoding = json.detect_encoding(body)
    if encoding not in ("utf-8", "utf-8-sig"):
        # json.loads (and Jackson) read UTF-16 and UTF-32 too: look at the
        # same text they would, or at none if it cannot be decoded.
        try:
            body = body.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
        except UnicodeError:
            return b""
    if b"\\" in body:
        # Escapes go in pairs from the left: an escaped backslash first,
        # then an escaped quote; no other escape can hide a quote.
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    text = body.translate(None, _NOT_STRUCTURE)
    # Two adjacent quotes have nothing between them: dropping them changes
    # no bracket's side of a string. A string without brackets vanishes.
    text = text.replace(b'""', b"")
    if b'"' in text:
        text = b"".join(text.split(b'"')[::2])
    return text.translate(_PARENTHESES)


def _deeper_than(parentheses: bytes, limit: int) -> bool:
    if b"(" * (limit + 1) in parentheses:
        return True
    passes = 0
    while parentheses and passes < _PASSES:
        shorter = parentheses.replace(b"()", b"")
        if len(shorter) == len(parentheses):
            break
        parentheses, passes = shorter, passes + 1
    if not parentheses:
        return passes > limit
    # What remains is at least (depth - passes) deep: climb it exactly,
    # stopping as soon as it is too deep.
    remaining, level = limit - passes, 0
    for start in range(0, len(parentheses), _CHUNK):
        steps = array("b", parentheses[start : start + _CHUNK].translate(_STEPS))
        levels = list(itertools.accumulate(steps, initial=level))
        if max(levels) > remaining:
            return True
        level = levels[-1]
    return False
