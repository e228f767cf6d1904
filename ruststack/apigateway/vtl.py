"""
A small, sandboxed Velocity (VTL) evaluator for API Gateway's mapping
templates.

Why not C{airspeed}: it resolves C{$x.name} with Python's C{getattr} and
calls any Python method of a value (C{$s.format(...)} reads object
internals), and has no bound on loops, ranges or output. Here a value is
only ever a JSON-like Python value (C{str}, C{int}, C{float}, C{bool},
C{None}, C{list}, C{dict}) or a L{VtlObject} whose members are listed; the
methods callable on values are the Java ones templates use, from a table.

Grammar (Velocity 1.7 as API Gateway uses it)::

    template   := (text | reference | directive | comment)*
    comment    := "##" ... end of line | "#*" ... "*#"
    raw        := "#[[" ... "]]#"
    reference  := "$" ["!"] ( name tail* | "{" name tail* "}" )
    tail       := "." name [ "(" [expr ("," expr)*] ")" ] | "[" expr "]"
    directive  := "#set(" reference "=" expr ")"
                | "#if(" expr ")" template ("#elseif(" expr ")" template)* ["#else" template] "#end"
                | "#foreach(" reference "in" expr ")" template "#end"
                | "#break" | "#stop"
                  (each keyword may be written "#{if}" etc.)
    expr       := or ; or := and (("||" | "or") and)*
    and        := equal (("&&" | "and") equal)*
    equal      := compare (("==" | "!=" | "eq" | "ne") compare)*
    compare    := sum (("<" | "<=" | ">" | ">=" | "lt" | "le" | "gt" | "ge") sum)*
    sum        := product (("+" | "-") product)* ; product := unary (("*" | "/" | "%") unary)*
    unary      := ("!" | "not" | "-") unary | primary
    primary    := number | '"' interpolated '"' | "'" literal "'" | true | false | null
                | "[" [expr ("," expr)*] "]" | "[" expr ".." expr "]"
                | "{" [expr ":" expr ("," expr ":" expr)*] "}" | "(" expr ")" | reference

C{#set($x = ...)} with a null value leaves C{$x} as it was (Velocity 1.7's
rule, a classic surprise in C{#foreach} loops).

Whitespace: a directive alone on its line takes the whole line (its
indentation and newline) with it, so templates can be indented freely.
A reference that resolves to C{null} renders as nothing, as in API
Gateway (plain Velocity prints its source unless written C{$!x}).

Bounds: every template gets a L{Budget} (evaluation steps, output size, a
C{#foreach} of at most 1,000 iterations as API Gateway allows, nesting
depth); going past one raises L{VtlError}, as does a syntax error.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import attrs

MAX_FOREACH = 1000
MAX_OUTPUT = 10 * 1024 * 1024
MAX_STEPS = 1_000_000
MAX_DEPTH = 40


class VtlError(Exception):
    """
    The template cannot be parsed or went past a bound.
    """


@attrs.define
class Budget:
    steps: int = MAX_STEPS
    output: int = MAX_OUTPUT

    def step(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            raise VtlError("template evaluation took too many steps")

    def charge(self, size: int) -> None:
        # Work on big strings costs in proportion: a step per 256 characters.
        self.step(size >> 8)

    def text(self, value: str) -> str:
        if len(value) > self.output:
            raise VtlError("template output too large")
        self.charge(len(value))
        return value


class VtlObject:
    """
    A value with named members: C{properties} (read as C{$x.name}) and
    C{methods} (called as C{$x.name(...)}); nothing else is reachable.
    """

    properties: dict[str, Any] = {}
    # What a call costs, in characters of work (see Budget.charge).
    cost = 0

    def get(self, name: str) -> Any:
        return self.properties.get(name)

    def call(self, name: str, args: list[Any]) -> Any:
        method = self.methods().get(name)
        if method is None:
            return _NO_METHOD
        try:
            return method(*args)
        except TypeError:
            return None

    def methods(self) -> dict[str, Callable[..., Any]]:
        return {}


_NO_METHOD = object()


class _Break(Exception):
    pass


class _Stop(Exception):
    pass


# -- rendering values as Velocity (Java's toString) does ---------------------


def to_text(value: Any, limit: int = MAX_OUTPUT) -> str:
    """
    C{value} as Java's C{toString} writes it; L{VtlError} past C{limit}
    characters (or for a list that holds itself).
    """
    parts: list[str] = []
    try:
        _write_text(value, parts, [limit])
    except RecursionError:
        raise VtlError("value nested too deeply to render") from None
    return "".join(parts)


def _write_text(value: Any, parts: list[str], left: list[int]) -> None:
    if isinstance(value, list):
        parts.append("[")
        for position, item in enumerate(value):
            if position:
                parts.append(", ")
            _write_text(item, parts, left)
        parts.append("]")
    elif isinstance(value, dict):
        parts.append("{")
        for position, (key, item) in enumerate(value.items()):
            if position:
                parts.append(", ")
            _write_text(key, parts, left)
            parts.append("=")
            _write_text(item, parts, left)
        parts.append("}")
    else:
        text = _scalar_text(value)
        parts.append(text)
        left[0] -= len(text)
    left[0] -= 2
    if left[0] < 0:
        raise VtlError("value too large to render")


def _scalar_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        if value.is_integer() and abs(value) < 1e7:
            return f"{value:.1f}"
        return repr(value).replace("e+", "E").replace("e-", "E-")
    return str(value)


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


# -- nodes --------------------------------------------------------------------


class _Scope:
    def __init__(self, variables: dict[str, Any], budget: Budget) -> None:
        self.variables = variables
        self.budget = budget
        self.out: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.budget.output:
            raise VtlError("template output too large")
        self.budget.charge(len(text))
        self.out.append(text)


@attrs.frozen
class _Text:
    text: str

    def render(self, scope: _Scope) -> None:
        scope.write(self.text)


@attrs.frozen
class _Literal:
    value: Any

    def evaluate(self, scope: _Scope) -> Any:
        return self.value


@attrs.frozen
class _Interpolated:
    parts: tuple[Any, ...]

    def evaluate(self, scope: _Scope) -> str:
        inner = _Scope(scope.variables, scope.budget)
        for part in self.parts:
            part.render(inner)
        return "".join(inner.out)


@attrs.frozen
class _Property:
    name: str


@attrs.frozen
class _Call:
    name: str
    args: tuple[Any, ...]


@attrs.frozen
class _Index:
    key: Any


@attrs.frozen
class _Reference:
    source: str
    name: str
    tail: tuple[Any, ...]
    quiet: bool

    def evaluate(self, scope: _Scope) -> Any:
        scope.budget.step()
        value = scope.variables.get(self.name)
        for part in self.tail:
            if value is None:
                return None
            scope.budget.step()
            if isinstance(part, _Property):
                value = _property(value, part.name)
            elif isinstance(part, _Call):
                value = _call(value, part.name, [a.evaluate(scope) for a in part.args], scope.budget)
            else:
                value = _index(value, part.key.evaluate(scope))
        return value

    def render(self, scope: _Scope) -> None:
        value = self.evaluate(scope)
        if value is None:
            # API Gateway renders a null reference as nothing (Velocity
            # itself would print its source unless written $!x).
            return
        else:
            scope.write(to_text(value))

    def assign(self, scope: _Scope, value: Any) -> None:
        if not self.tail:
            scope.variables[self.name] = value
            return
        holder = _Reference(self.source, self.name, self.tail[:-1], True).evaluate(scope)
        last = self.tail[-1]
        key = (
            last.name if isinstance(last, _Property) else last.key.evaluate(scope) if isinstance(last, _Index) else None
        )
        if isinstance(holder, dict) and isinstance(key, str):
            holder[key] = value
        elif isinstance(holder, list) and isinstance(key, int) and -len(holder) <= key < len(holder):
            holder[key] = value


@attrs.frozen
class _Escaped:
    """
    A reference after C{slashes} backslashes: defined, each pair prints one
    and an odd one prints the reference's text instead of its value;
    undefined, all is printed as written.
    """

    slashes: int
    reference: _Reference

    def render(self, scope: _Scope) -> None:
        value = self.reference.evaluate(scope)
        if value is None:
            scope.write("\\" * self.slashes + self.reference.source)
        elif self.slashes % 2:
            scope.write("\\" * (self.slashes // 2) + self.reference.source)
        else:
            scope.write("\\" * (self.slashes // 2) + to_text(value))


@attrs.frozen
class _List:
    items: tuple[Any, ...]

    def evaluate(self, scope: _Scope) -> list[Any]:
        return [item.evaluate(scope) for item in self.items]


@attrs.frozen
class _Range:
    low: Any
    high: Any

    def evaluate(self, scope: _Scope) -> list[int] | None:
        low, high = _integer(self.low.evaluate(scope)), _integer(self.high.evaluate(scope))
        if low is None or high is None:
            return None
        if abs(high - low) >= MAX_FOREACH * 10:
            raise VtlError("range too large")
        step = 1 if high >= low else -1
        return list(range(low, high + step, step))


@attrs.frozen
class _Map:
    pairs: tuple[tuple[Any, Any], ...]

    def evaluate(self, scope: _Scope) -> dict[Any, Any]:
        result = {}
        for key, value in self.pairs:
            k = key.evaluate(scope)
            result[k if isinstance(k, (str, int, float, bool)) or k is None else to_text(k)] = value.evaluate(scope)
        return result


@attrs.frozen
class _Unary:
    operator: str
    operand: Any

    def evaluate(self, scope: _Scope) -> Any:
        scope.budget.step()
        value = self.operand.evaluate(scope)
        if self.operator == "!":
            return not _truthy(value)
        return -value if _is_number(value) else None


@attrs.frozen
class _Binary:
    operator: str
    left: Any
    right: Any

    def evaluate(self, scope: _Scope) -> Any:
        scope.budget.step()
        op = self.operator
        left = self.left.evaluate(scope)
        if op == "||":
            return _truthy(left) or _truthy(self.right.evaluate(scope))
        if op == "&&":
            return _truthy(left) and _truthy(self.right.evaluate(scope))
        right = self.right.evaluate(scope)
        if op == "==":
            return _equal(left, right)
        if op == "!=":
            return not _equal(left, right)
        if op in ("<", "<=", ">", ">="):
            return _compare(op, left, right)
        if op == "+" and (isinstance(left, str) or isinstance(right, str)):
            if left is None or right is None:
                return None
            return scope.budget.text(to_text(left) + to_text(right))
        if not (_is_number(left) and _is_number(right)):
            return None
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            result = left * right
            if isinstance(result, int) and abs(result) > 2**63:
                return None
            return result
        if right == 0:
            return None
        if isinstance(left, int) and isinstance(right, int):
            # Java's integer division and remainder truncate toward zero.
            quotient = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)
            return quotient if op == "/" else left - quotient * right
        return left / right if op == "/" else left % right


@attrs.frozen
class _Set:
    target: _Reference
    value: Any

    def render(self, scope: _Scope) -> None:
        scope.budget.step()
        value = self.value.evaluate(scope)
        # Velocity 1.7: a null is not assigned; the variable keeps its value.
        if value is not None:
            self.target.assign(scope, value)


@attrs.frozen
class _If:
    branches: tuple[tuple[Any, tuple[Any, ...]], ...]
    otherwise: tuple[Any, ...]

    def render(self, scope: _Scope) -> None:
        for condition, body in self.branches:
            scope.budget.step()
            if _truthy(condition.evaluate(scope)):
                _render_all(body, scope)
                return
        _render_all(self.otherwise, scope)


class _Foreach(VtlObject):
    def __init__(self, total: int) -> None:
        self.index = 0
        self.total = total

    def get(self, name: str) -> Any:
        return {
            "hasNext": self.index + 1 < self.total,
            "index": self.index,
            "count": self.index + 1,
            "first": self.index == 0,
            "last": self.index + 1 == self.total,
        }.get(name)

    def methods(self) -> dict[str, Callable[..., Any]]:
        return {"hasNext": lambda: self.index + 1 < self.total}


@attrs.frozen
class _Loop:
    variable: str
    items: Any
    body: tuple[Any, ...]

    def render(self, scope: _Scope) -> None:
        items = self.items.evaluate(scope)
        if isinstance(items, dict):
            items = list(items.values())
        if not isinstance(items, list):
            return
        names = (self.variable, "foreach", "velocityCount")
        saved = {name: scope.variables.get(name) for name in names}
        state = _Foreach(len(items))
        scope.variables["foreach"] = state
        try:
            for index, item in enumerate(items[:MAX_FOREACH]):
                scope.budget.step()
                state.index = index
                scope.variables[self.variable] = item
                scope.variables["velocityCount"] = index + 1
                try:
                    _render_all(self.body, scope)
                except _Break:
                    break
        finally:
            for name, value in saved.items():
                if value is None:
                    scope.variables.pop(name, None)
                else:
                    scope.variables[name] = value


@attrs.frozen
class _Jump:
    kind: type[Exception]

    def render(self, scope: _Scope) -> None:
        raise self.kind()


def _render_all(nodes: tuple[Any, ...], scope: _Scope) -> None:
    for node in nodes:
        node.render(scope)


# -- values: members, comparisons --------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(value: Any) -> int | None:
    if _is_number(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _equal(left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if left is None or right is None:
        return left is right
    if type(left) is type(right) and isinstance(left, (str, bool)):
        return bool(left == right)
    # Velocity compares other values by their toString() (collections too:
    # which also bounds comparing big or self-holding ones).
    return to_text(left) == to_text(right)


def _compare(op: str, left: Any, right: Any) -> bool:
    if _is_number(left) and _is_number(right):
        pair = (left, right)
    elif isinstance(left, str) and isinstance(right, str):
        pair = (left, right)  # type: ignore[assignment]
    else:
        return False
    a, b = pair
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _property(value: Any, name: str) -> Any:
    if isinstance(value, VtlObject):
        return value.get(name)
    if isinstance(value, dict):
        return value.get(name)
    # Java bean getters: $list.size reads getSize() -- not a thing; only
    # the few properties templates rely on.
    if name == "empty" and isinstance(value, (str, list)):
        return not value
    return None


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        return value.get(key) if isinstance(key, (str, int, float, bool)) or key is None else None
    if isinstance(value, (list, str)) and _is_number(key):
        position = int(key)
        return value[position] if 0 <= position < len(value) else None
    return None


def _java_regex(pattern: Any) -> re.Pattern[str] | None:
    if not isinstance(pattern, str) or len(pattern) > 1000:
        return None
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


def _string_method(value: str, name: str, args: list[Any], budget: Budget) -> Any:
    def text(i: int) -> str | None:
        return args[i] if len(args) > i and isinstance(args[i], str) else None

    def number(i: int) -> int | None:
        return int(args[i]) if len(args) > i and _is_number(args[i]) else None

    if name in ("length", "size"):
        return len(value)
    if name == "isEmpty":
        return not value
    if name == "toString":
        return value
    if name == "toLowerCase":
        return value.lower()
    if name == "toUpperCase":
        return value.upper()
    if name == "trim":
        return value.strip(" \t\r\n\x0b\x0c\x00")
    if name in ("contains", "startsWith", "endsWith", "indexOf", "lastIndexOf", "equals", "equalsIgnoreCase", "concat"):
        other = args[0] if args else None
        if name == "equals":
            return isinstance(other, str) and value == other
        if not isinstance(other, str):
            return None
        if name == "contains":
            return other in value
        if name == "startsWith":
            return value.startswith(other)
        if name == "endsWith":
            return value.endswith(other)
        if name == "indexOf":
            return value.find(other)
        if name == "lastIndexOf":
            return value.rfind(other)
        if name == "equalsIgnoreCase":
            return value.lower() == other.lower()
        return budget.text(value + other)
    if name == "charAt":
        position = number(0)
        return value[position] if position is not None and 0 <= position < len(value) else None
    if name == "substring":
        start, end = number(0), number(1) if len(args) > 1 else len(value)
        if start is None or end is None or not 0 <= start <= end <= len(value):
            return None
        return value[start:end]
    if name == "replace":
        old, new = text(0), text(1)
        if old is None or new is None:
            return None
        return budget.text(value.replace(old, new) if old else value)
    if name in ("replaceAll", "replaceFirst"):
        pattern, new = _java_regex(args[0] if args else None), text(1)
        if pattern is None or new is None:
            return None
        replacement = re.sub(r"\$(\d)", r"\\\1", new.replace("\\", "\\\\"))
        try:
            return budget.text(pattern.sub(replacement, value, count=0 if name == "replaceAll" else 1))
        except re.error:
            return None
    if name == "matches":
        pattern = _java_regex(args[0] if args else None)
        return None if pattern is None else pattern.fullmatch(value) is not None
    if name == "split":
        pattern = _java_regex(args[0] if args else None)
        if pattern is None:
            return None
        parts = pattern.split(value)
        while parts and parts[-1] == "":
            parts.pop()  # Java drops trailing empty strings
        return parts
    return _NO_METHOD


def _call(value: Any, name: str, args: list[Any], budget: Budget) -> Any:
    result: Any = _NO_METHOD
    budget.charge(sum(len(arg) for arg in args if isinstance(arg, str)))
    if isinstance(value, VtlObject):
        budget.charge(value.cost)
        result = value.call(name, args)
    elif isinstance(value, str):
        budget.charge(len(value))
        result = _string_method(value, name, args, budget)
    elif isinstance(value, list):
        if name in ("contains", "indexOf"):
            budget.step(len(value))
        result = _list_method(value, name, args)
    elif isinstance(value, dict):
        result = _map_method(value, name, args)
    elif name == "toString":
        result = to_text(value)
    elif _is_number(value) and name in ("intValue", "longValue"):
        result = int(value)
    elif _is_number(value) and name in ("doubleValue", "floatValue"):
        result = float(value)
    return None if result is _NO_METHOD else result


def _list_method(value: list[Any], name: str, args: list[Any]) -> Any:
    first = args[0] if args else None
    if name == "size":
        return len(value)
    if name == "isEmpty":
        return not value
    if name == "get":
        return _index(value, first)
    if name == "contains":
        return any(_equal(item, first) for item in value)
    if name == "indexOf":
        return next((i for i, item in enumerate(value) if _equal(item, first)), -1)
    if name == "add" and len(value) < MAX_FOREACH * 100:
        value.append(first)
        return True
    if name == "toString":
        return to_text(value)
    return _NO_METHOD


def _map_method(value: dict[Any, Any], name: str, args: list[Any]) -> Any:
    first = args[0] if args else None
    hashable = isinstance(first, (str, int, float, bool)) or first is None
    if name == "get":
        return value.get(first) if hashable else None
    if name == "containsKey":
        return hashable and first in value
    if name == "keySet":
        return list(value)
    if name == "values":
        return list(value.values())
    if name == "entrySet":
        return [{"key": k, "value": v} for k, v in value.items()]
    if name == "size":
        return len(value)
    if name == "isEmpty":
        return not value
    if name == "put" and hashable and len(args) == 2 and len(value) < MAX_FOREACH * 100:
        previous = value.get(first)
        value[first] = args[1]
        return previous
    if name == "remove" and hashable:
        return value.pop(first, None)
    if name == "toString":
        return to_text(value)
    return _NO_METHOD


# -- parsing ------------------------------------------------------------------

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NAME_START = re.compile(r"[A-Za-z_]")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_DIRECTIVE = re.compile(
    r"#(?:\{(set|if|elseif|else|end|foreach|break|stop)\}|(set|if|elseif|else|end|foreach|break|stop)(?![A-Za-z0-9_]))"
)
_WORD_OPERATORS = {"or": "||", "and": "&&", "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.position = 0
        self.depth = 0

    def error(self, message: str) -> VtlError:
        line = self.source.count("\n", 0, self.position) + 1
        return VtlError(f"{message} at line {line}")

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("template nested too deeply")

    # Template text and directives.

    def block(self, ends: tuple[str, ...]) -> tuple[list[Any], str | None]:
        """
        Nodes up to one of the directives C{ends} (consumed; returned) or
        the end of the template (C{None}).
        """
        self.nest()
        nodes: list[Any] = []
        source = self.source
        text_start = self.position
        while True:
            position = self._next_special(self.position)
            if position < 0:
                if text_start < len(source):
                    nodes.append(_Text(source[text_start:]))
                self.position = len(source)
                self.depth -= 1
                return nodes, None
            self.position = position
            if source[position] == "$":
                reference = self.reference(in_text=True)
                if reference is None:
                    self.position = position + 1
                    continue
                # Backslashes before a reference escape it (Velocity's rule).
                slashes = position - text_start - len(source[text_start:position].rstrip("\\"))
                if text_start < position - slashes:
                    nodes.append(_Text(source[text_start : position - slashes]))
                nodes.append(_Escaped(slashes, reference) if slashes else reference)
                text_start = self.position
                continue
            if source.startswith("##", position):
                end = source.find("\n", position)
                self._flush(nodes, text_start, position)
                self.position = len(source) if end < 0 else end + 1
                text_start = self.position
                continue
            if source.startswith("#*", position):
                end = source.find("*#", position + 2)
                if end < 0:
                    raise self.error("unclosed comment")
                self._flush(nodes, text_start, position)
                self.position = end + 2
                text_start = self.position
                continue
            if source.startswith("#[[", position):
                end = source.find("]]#", position + 3)
                if end < 0:
                    raise self.error("unclosed #[[")
                self._flush(nodes, text_start, position)
                nodes.append(_Text(source[position + 3 : end]))
                self.position = end + 3
                text_start = self.position
                continue
            found = _DIRECTIVE.match(source, position)
            if found is None:
                self.position = position + 1
                continue
            keyword = found.group(1) or found.group(2)
            line_start = source.rfind("\n", 0, position) + 1
            alone_before = line_start >= text_start and not source[line_start:position].strip(" \t")
            self._flush(nodes, text_start, line_start if alone_before else position)
            self.position = found.end()
            if keyword in ends:
                if keyword != "elseif":  # the caller reads its condition first
                    self._gobble(alone_before)
                self.depth -= 1
                return nodes, keyword
            node = self.directive(keyword, alone_before)
            if node is not None:
                nodes.append(node)
            text_start = self.position

    def _next_special(self, start: int) -> int:
        dollar = self.source.find("$", start)
        hash_ = self.source.find("#", start)
        if dollar < 0:
            return hash_
        if hash_ < 0:
            return dollar
        return min(dollar, hash_)

    def _flush(self, nodes: list[Any], start: int, end: int) -> None:
        if start < end:
            nodes.append(_Text(self.source[start:end]))

    def _gobble(self, alone_before: bool) -> None:
        # A directive alone on its line takes the rest of the line with it.
        if not alone_before:
            return
        end = self.source.find("\n", self.position)
        rest = self.source[self.position : len(self.source) if end < 0 else end]
        if not rest.strip(" \t\r"):
            self.position = len(self.source) if end < 0 else end + 1

    def directive(self, keyword: str, alone_before: bool) -> Any:
        if keyword in ("break", "stop"):
            self._gobble(alone_before)
            return _Jump(_Break if keyword == "break" else _Stop)
        if keyword == "set":
            self.expect("(")
            target = self.reference(in_text=False)
            if target is None:
                raise self.error("#set needs a reference")
            self.expect("=")
            value = self.expression()
            self.expect(")")
            self._gobble(alone_before)
            return _Set(target, value)
        if keyword == "if":
            branches = []
            self.expect("(")
            condition = self.expression()
            self.expect(")")
            self._gobble(alone_before)
            otherwise: list[Any] = []
            while True:
                body, end = self.block(("elseif", "else", "end"))
                branches.append((condition, tuple(body)))
                if end == "elseif":
                    self.expect("(")
                    condition = self.expression()
                    self.expect(")")
                    self._gobble(True)
                    continue
                if end == "else":
                    otherwise, end = self.block(("end",))
                if end is None:
                    raise self.error("#if without #end")
                return _If(tuple(branches), tuple(otherwise))
        if keyword == "foreach":
            self.expect("(")
            variable = self.reference(in_text=False)
            if variable is None or variable.tail:
                raise self.error("#foreach needs a variable")
            self.skip_space()
            if not self.source.startswith("in", self.position):
                raise self.error("#foreach needs 'in'")
            self.position += 2
            items = self.expression()
            self.expect(")")
            self._gobble(alone_before)
            body, end = self.block(("end",))
            if end is None:
                raise self.error("#foreach without #end")
            return _Loop(variable.name, items, tuple(body))
        raise self.error(f"#{keyword} without #if or #foreach")

    # References.

    def reference(self, in_text: bool) -> _Reference | None:
        source = self.source
        start = self.position
        if not in_text:
            self.skip_space()
            start = self.position
        if not source.startswith("$", start):
            return None
        position = start + 1
        quiet = source.startswith("!", position)
        if quiet:
            position += 1
        braced = source.startswith("{", position)
        if braced:
            position += 1
        name = _NAME.match(source, position)
        if name is None:
            return None
        self.position = name.end()
        tail: list[Any] = []
        self.nest()
        while True:
            if source.startswith(".", self.position) and _NAME_START.match(source, self.position + 1):
                member = _NAME.match(source, self.position + 1)
                assert member is not None
                self.position = member.end()
                if source.startswith("(", self.position):
                    self.position += 1
                    tail.append(_Call(member.group(), tuple(self.arguments(")"))))
                else:
                    tail.append(_Property(member.group()))
            elif source.startswith("[", self.position):
                before, depth = self.position, self.depth
                self.position += 1
                try:
                    key = self.expression()
                    self.expect("]")
                except VtlError:
                    if not in_text:
                        raise
                    # In text, "$x[" may just be text: "[" ends the reference.
                    self.position, self.depth = before, depth
                    break
                tail.append(_Index(key))
            else:
                break
        self.depth -= 1
        if braced:
            if not source.startswith("}", self.position):
                if in_text:
                    self.position = start
                    return None
                raise self.error("unclosed ${")
            self.position += 1
        return _Reference(source[start : self.position], name.group(), tuple(tail), quiet)

    def arguments(self, close: str) -> list[Any]:
        items: list[Any] = []
        self.skip_space()
        if self.source.startswith(close, self.position):
            self.position += 1
            return items
        while True:
            items.append(self.expression())
            self.skip_space()
            if self.source.startswith(",", self.position):
                self.position += 1
                continue
            self.expect(close)
            return items

    # Expressions.

    def skip_space(self) -> None:
        source = self.source
        while self.position < len(source) and source[self.position] in " \t\r\n":
            self.position += 1

    def expect(self, token: str) -> None:
        self.skip_space()
        if not self.source.startswith(token, self.position):
            raise self.error(f"expected {token!r}")
        self.position += len(token)

    def operator(self, choices: tuple[str, ...]) -> str | None:
        self.skip_space()
        source = self.source
        for choice in sorted(choices, key=len, reverse=True):
            if source.startswith(choice, self.position):
                after = self.position + len(choice)
                if choice.isalpha() and after < len(source) and (source[after].isalnum() or source[after] == "_"):
                    continue
                if choice in ("<", ">", "!", "=") and source.startswith("=", after):
                    continue
                self.position = after
                return _WORD_OPERATORS.get(choice, choice)
        return None

    def expression(self) -> Any:
        self.nest()
        node = self.binary(0)
        self.depth -= 1
        return node

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("||", "or"),
        ("&&", "and"),
        ("==", "!=", "eq", "ne"),
        ("<=", ">=", "<", ">", "lt", "le", "gt", "ge"),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while True:
            operator = self.operator(self._LEVELS[level])
            if operator is None:
                return node
            node = _Binary(operator, node, self.binary(level + 1))

    def unary(self) -> Any:
        operator = self.operator(("!", "not", "-"))
        if operator is not None:
            self.nest()
            operand = self.unary()
            self.depth -= 1
            return _Unary("!" if operator in ("!", "not") else "-", operand)
        return self.primary()

    def primary(self) -> Any:
        self.skip_space()
        source = self.source
        position = self.position
        if position >= len(source):
            raise self.error("expression expected")
        char = source[position]
        if char == "$":
            reference = self.reference(in_text=False)
            if reference is None:
                raise self.error("bad reference")
            return reference
        if char.isdigit():
            number = _NUMBER.match(source, position)
            assert number is not None
            self.position = number.end()
            text = number.group()
            if number.group(1) or number.group(2):
                return _Literal(float(text))
            if len(text) > 19:
                raise self.error("number too large")
            return _Literal(int(text))
        if char == "'":
            end = source.find("'", position + 1)
            if end < 0:
                raise self.error("unclosed string")
            self.position = end + 1
            return _Literal(source[position + 1 : end])
        if char == '"':
            return self.interpolated()
        if char == "(":
            self.position += 1
            node = self.expression()
            self.expect(")")
            return node
        if char == "[":
            self.position += 1
            self.skip_space()
            if source.startswith("]", self.position):
                self.position += 1
                return _List(())
            first = self.expression()
            self.skip_space()
            if source.startswith("..", self.position):
                self.position += 2
                high = self.expression()
                self.expect("]")
                return _Range(first, high)
            items = [first]
            while self.operator((",",)):
                items.append(self.expression())
            self.expect("]")
            return _List(tuple(items))
        if char == "{":
            self.position += 1
            pairs: list[tuple[Any, Any]] = []
            self.skip_space()
            if source.startswith("}", self.position):
                self.position += 1
                return _Map(())
            while True:
                key = self.expression()
                self.expect(":")
                pairs.append((key, self.expression()))
                if not self.operator((",",)):
                    break
            self.expect("}")
            return _Map(tuple(pairs))
        for word, value in (("true", True), ("false", False), ("null", None)):
            if source.startswith(word, position) and not _NAME.match(source, position + len(word)):
                self.position = position + len(word)
                return _Literal(value)
        raise self.error("expression expected")

    def interpolated(self) -> Any:
        # A double-quoted string: its references and directives are evaluated.
        source = self.source
        end = self.position + 1
        while True:
            end = source.find('"', end)
            if end < 0:
                raise self.error("unclosed string")
            if source.startswith('""', end):  # "" is an escaped quote
                end += 2
                continue
            break
        text = source[self.position + 1 : end].replace('""', '"')
        self.position = end + 1
        if "$" not in text and "#" not in text:
            return _Literal(text)
        inner = _Parser(text)
        inner.depth = self.depth
        nodes, stray = inner.block(())
        if stray is not None:
            raise self.error("stray directive in string")
        return _Interpolated(tuple(nodes))


@attrs.frozen
class Template:
    """
    A parsed template, rendered any number of times.
    """

    nodes: tuple[Any, ...]

    def render(self, variables: dict[str, Any], budget: Budget | None = None) -> str:
        scope = _Scope(dict(variables), budget or Budget())
        try:
            _render_all(self.nodes, scope)
        except _Stop:
            pass
        except _Break:
            pass
        except RecursionError:
            raise VtlError("template nested too deeply") from None
        return "".join(scope.out)


@functools.lru_cache(maxsize=512)
def parse(source: str) -> Template:
    """
    The L{Template} of C{source}, or L{VtlError}; a stage's templates are
    parsed once (a L{Template} is immutable).
    """
    if len(source) > MAX_OUTPUT:
        raise VtlError("template too large")
    parser = _Parser(source)
    try:
        nodes, stray = parser.block(())
    except RecursionError:
        raise VtlError("template nested too deeply") from None
    if stray is not None:
        raise parser.error(f"#{stray} without #if or #foreach")
    return Template(tuple(nodes))


def render(source: str, variables: dict[str, Any], budget: Budget | None = None) -> str:
    return parse(source).render(variables, budget)


# -- $util ----------------------------------------------------------------------


def escape_javascript(value: str) -> str:
    """
    Java's C{StringEscapeUtils.escapeJavaScript} (commons-lang 2), as
    C{$util.escapeJavaScript} is documented to be: C{'} becomes C{\\'}.
    """
    out = []
    for unit in value.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass"):
        code = ord(unit)
        if code > 0xFFFF:
            # A character beyond the BMP: Java sees two UTF-16 units.
            high = 0xD800 + ((code - 0x10000) >> 10)
            low = 0xDC00 + ((code - 0x10000) & 0x3FF)
            out.append(f"\\u{high:04X}\\u{low:04X}")
        elif code > 0x7F:
            out.append(f"\\u{code:04X}")
        elif code < 32:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(code) or f"\\u{code:04X}")
        else:
            out.append({"'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/"}.get(unit, unit))
    return "".join(out)


class Util(VtlObject):
    """
    C{$util}: the six functions API Gateway documents.
    """

    def methods(self) -> dict[str, Callable[..., Any]]:
        return {
            "escapeJavaScript": lambda s: escape_javascript(to_text(s)) if s is not None else None,
            "parseJson": _parse_json,
            "urlEncode": lambda s: _url_encode(to_text(s)) if s is not None else None,
            "urlDecode": lambda s: unquote_plus(s) if isinstance(s, str) else None,
            "base64Encode": lambda s: base64.b64encode(to_text(s).encode()).decode() if s is not None else None,
            "base64Decode": _base64_decode,
        }

    def __str__(self) -> str:
        return "$util"


def _url_encode(value: str) -> str:
    # Java's URLEncoder: only letters, digits and ".-*_" stay as they are.
    return quote_plus(value, safe="*").replace("~", "%7E")


def _parse_json(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return None


def _base64_decode(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=False).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return None
