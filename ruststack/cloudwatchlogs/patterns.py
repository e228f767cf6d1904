"""
Filter patterns of unstructured log events (FilterLogEvents' C{filterPattern}),
as CloudWatch Logs documents them ("Filter pattern syntax"):

  - C{ERROR}: events containing ERROR (terms are case sensitive and match
    anywhere: C{Exception} matches C{IllegalArgumentException});
  - C{ERROR Exception}: both terms;
  - C{"Failed to process"}: an exact phrase (also how a term with
    characters other than letters, digits and C{_} is written);
  - C{?ERROR ?WARN}: either term;
  - C{ERROR -Exiting}: the first term and not the second; C{-DEBUG} alone:
    every event without it;
  - C{%regex%}: a regular expression of the documented subset (no groups,
    ASCII only), searched anywhere in the message;
  - an empty pattern, or C{" "}: every event.

JSON patterns (C{{ $.level = "ERROR" }}), space-delimited ones
(C{[ip, user, ...]}) and C{?term} mixed with other terms are refused with
C{InvalidParameterException} naming what RustStack lacks, rather than
matched wrongly. Messages are matched as UTF-8 bytes, which finds exactly
the substrings the text has.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

from ruststack.aws.errors import AwsError

Test = Callable[[bytes], object]

INVALID = "Invalid filter pattern"
# The characters a %regex% may hold (the documented symbols and operators;
# not parentheses, not multi-byte characters).
_REGEX_CHARS = re.compile(r"[A-Za-z0-9:_#=@/;,\-^$?\[\]{}|\\*+. ]*\Z")


def invalid(message: str = INVALID) -> AwsError:
    return AwsError("InvalidParameterException", message, 400)


def _unsupported(kind: str) -> AwsError:
    return invalid(
        f'RustStack does not support {kind} filter patterns yet: use terms, "quoted phrases", ?term, -term'
        " or a %regular expression%."
    )


@attrs.frozen
class FilterPattern:
    """
    A parsed pattern: events that contain every C{required} term, none of
    the C{excluded} ones and, if there are C{optional} ones, at least one of
    them; or that C{regex} finds something in.
    """

    required: tuple[bytes, ...] = ()
    optional: tuple[bytes, ...] = ()
    excluded: tuple[bytes, ...] = ()
    regex: bytes | None = None

    @property
    def matches_everything(self) -> bool:
        return self.regex is None and not (self.required or self.optional or self.excluded)

    def test(self) -> Test | None:
        """
        A function telling whether a message matches, or C{None} when every
        message does (the caller then skips the test).
        """
        if self.regex is not None:
            return re.compile(self.regex).search
        # A term of nothing but white space is in every message (AWS: " "
        # matches everything).
        required = tuple(t for t in self.required if t.strip())
        excluded = self.excluded
        optional = self.optional
        if any(not t.strip() for t in optional):
            optional = ()
        if any(not t.strip() for t in excluded):
            return lambda message: False
        if not (required or optional or excluded):
            return None
        if len(required) == 1 and not (optional or excluded):
            term = required[0]
            return lambda message: term in message
        if len(optional) and not (required or excluded):
            return lambda message: any(t in message for t in optional)

        def test(message: bytes) -> bool:
            for term in required:
                if term not in message:
                    return False
            for term in excluded:
                if term in message:
                    return False
            return not optional or any(t in message for t in optional)

        return test


def parse(text: str) -> FilterPattern:
    """
    The pattern C{text} states; L{AwsError} C{InvalidParameterException}
    if it is not one, or one RustStack does not support.
    """
    stripped = text.strip()
    if not stripped:
        return FilterPattern()
    if stripped[0] == "{":
        raise _unsupported("JSON")
    if stripped[0] == "[":
        raise _unsupported("space-delimited")
    if stripped[0] == "%":
        return _regex(stripped)
    kinds: dict[str, list[bytes]] = {"": [], "?": [], "-": []}
    position, end = 0, len(text)
    while position < end:
        char = text[position]
        if char.isspace():
            position += 1
            continue
        kind = ""
        if char in "?-":
            kind = char
            position += 1
            if position == end or text[position].isspace():
                raise invalid()
        term, position = _term(text, position)
        kinds[kind].append(term.encode("utf-8"))
    if kinds["?"] and (kinds[""] or kinds["-"]):
        raise invalid(
            "RustStack does not support ?term mixed with other terms in one filter pattern: use only ?terms"
            " (any of them), or terms and -terms (all of the first, none of the second)."
        )
    return FilterPattern(tuple(kinds[""]), tuple(kinds["?"]), tuple(kinds["-"]))


def _term(text: str, position: int) -> tuple[str, int]:
    """
    The term starting at C{position} (a quoted phrase or a word) and where
    the next one may start.
    """
    end = len(text)
    if text[position] == '"':
        position += 1
        phrase = []
        while position < end and text[position] != '"':
            if text[position] == "\\" and position + 1 < end and text[position + 1] in '"\\':
                position += 1
            phrase.append(text[position])
            position += 1
        if position == end:
            raise invalid()  # an unterminated phrase
        position += 1
        if position < end and not text[position].isspace():
            raise invalid()  # "phrase"glued
        return "".join(phrase), position
    start = position
    while position < end and not text[position].isspace():
        char = text[position]
        if not (char.isalnum() or char == "_"):
            raise invalid()  # AWS: such terms must be quoted
        position += 1
    return text[start:position], position


def _regex(stripped: str) -> FilterPattern:
    if len(stripped) < 3 or stripped[-1] != "%":
        raise invalid()
    body = stripped[1:-1]
    if not _REGEX_CHARS.match(body):
        raise invalid()
    try:
        re.compile(body.encode("ascii"))
    except re.error:
        raise invalid() from None
    return FilterPattern(regex=body.encode("ascii"))


def render(pattern: FilterPattern) -> str:
    """
    A text that parses back to C{pattern} (terms always quoted).
    """
    if pattern.regex is not None:
        return "%" + pattern.regex.decode("ascii") + "%"

    def quoted(term: bytes) -> str:
        return '"' + term.decode("utf-8").replace("\\", "\\\\").replace('"', '\\"') + '"'

    return " ".join(
        [quoted(t) for t in pattern.required]
        + ["?" + quoted(t) for t in pattern.optional]
        + ["-" + quoted(t) for t in pattern.excluded]
    )
