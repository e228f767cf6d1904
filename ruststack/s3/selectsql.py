"""
The SQL of S3 Select (SelectObjectContent), a small subset: parsed by
recursive descent into a tree, evaluated record by record.

Grammar (keywords case-insensitive; C{[x]} optional, C{x*} repeated)::

    query      := SELECT items FROM source [WHERE expr] [LIMIT integer]
    items      := '*' | item (',' item)*
    item       := expr [[AS] identifier]
    source     := S3Object ['[' '*' ']'] [[AS] identifier]
    expr       := and (OR and)*
    and        := not (AND not)*
    not        := NOT not | predicate
    predicate  := sum [ compare sum
                      | IS [NOT] NULL | IS [NOT] MISSING
                      | [NOT] LIKE sum [ESCAPE sum]
                      | [NOT] BETWEEN sum AND sum
                      | [NOT] IN '(' expr (',' expr)* ')' ]
    compare    := '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='
    sum        := product (('+' | '-' | '||') product)*
    product    := unary (('*' | '/' | '%') unary)*
    unary      := '-' unary | primary
    primary    := number | string | NULL | MISSING | TRUE | FALSE | '(' expr ')'
                | CAST '(' expr AS type ')'
                | aggregate '(' ('*' | expr) ')'      -- COUNT, SUM, AVG, MIN, MAX
                | function '(' [expr (',' expr)*] ')' -- LOWER, UPPER, CHAR_LENGTH, TRIM, COALESCE
                | path
    path       := name ('.' name | '[' integer ']')*
    name       := identifier | '"' quoted identifier '"'
    type       := INT | INTEGER | FLOAT | DECIMAL | NUMERIC | REAL | DOUBLE
                | STRING | VARCHAR | CHAR | BOOL | BOOLEAN

Strings are C{'single quoted'} (C{''} for a quote). A path's first name
may be the source's alias (C{s._1}, C{s.name}); C{_N} is a CSV record's
Nth field; unquoted names match a CSV header or JSON key in any case,
quoted ones exactly. NULL and MISSING are SQL's unknown: a WHERE that is
not TRUE drops the record. A string compared with, added to or summed as a
number is read as one when it is one (CSV fields are strings).

Errors are AWS's (400): C{LexerInvalidChar}, C{ParseUnexpectedToken},
C{ParseExpectedKeyword}, C{ParseExpectedExpression}, C{ParseExpectedTypeName},
C{ParseExpectedNumber}, C{ParseSelectMissingFrom}, C{UnsupportedFunction}...
and, while records are read, C{CastFailed}.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import attrs

from ruststack.aws.errors import AwsError


class SelectError(AwsError):
    """
    An error of S3 Select's SQL (always 400).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, 400)


_MESSAGES = {
    "LexerInvalidChar": "The SQL expression contains an invalid character.",
    "LexerInvalidLiteral": "The SQL expression contains an invalid literal.",
    "ParseUnexpectedToken": "The SQL expression contains an unexpected token.",
    "ParseExpectedKeyword": "Did not find the expected keyword in the SQL expression.",
    "ParseExpectedExpression": "Did not find the expected SQL expression.",
    "ParseExpectedTypeName": "Did not find the expected type name in the SQL expression.",
    "ParseExpectedNumber": "Did not find the expected number in the SQL expression.",
    "ParseExpectedLeftParenAfterCast": "Did not find expected the left parenthesis in the SQL expression.",
    "ParseExpectedRightParenBuiltinFunctionCall": "Did not find the expected right parenthesis character in the SQL"
    " expression.",
    "ParseSelectMissingFrom": "The SQL expression contains a missing FROM after SELECT list.",
    "ParseExpectedIdentForAlias": "Did not find the expected identifier for the alias in the SQL expression.",
    "ParseNonUnaryAgregateFunctionCall": "Only one argument is supported for aggregate functions in the SQL"
    " expression.",
    "ParseUnsupportedSyntax": "The SQL expression contains unsupported syntax.",
    "UnsupportedFunction": "Encountered an unsupported SQL function.",
    "UnsupportedSyntax": "Encountered invalid syntax.",
    "CastFailed": "Attempt to convert from one data type to another using CAST failed in the SQL expression.",
    "EvaluatorInvalidArguments": "Incorrect number of arguments in the function call in the SQL expression.",
    "InvalidDataType": "The SQL expression contains an invalid data type.",
    "ExpressionTooLong": "The SQL expression is too long: The maximum byte-length for the SQL expression is 256 KB.",
}


def error(code: str) -> SelectError:
    return SelectError(code, _MESSAGES[code])


MAX_EXPRESSION = 256 * 1024

# -- Tokens


@attrs.frozen
class Token:
    kind: str  # "keyword", "name", "quoted", "string", "number", "op", "end"
    text: str
    at: int


KEYWORDS = frozenset(
    "SELECT FROM WHERE AND OR NOT LIKE ESCAPE IS NULL MISSING AS CAST LIMIT TRUE FALSE BETWEEN IN".split()
)
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<string>'(?:[^']|'')*')
  | (?P<op><=|>=|<>|!=|\|\||[=<>+\-*/%(),.\[\]])
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[Token]:
    if len(text.encode("utf-8")) > MAX_EXPRESSION:
        raise error("ExpressionTooLong")
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        found = _TOKEN.match(text, at)
        if found is None:
            raise error("LexerInvalidChar")
        kind = found.lastgroup
        assert kind is not None
        value = found.group()
        if kind == "name" and value.upper() in KEYWORDS:
            tokens.append(Token("keyword", value.upper(), at))
        elif kind == "quoted":
            tokens.append(Token("quoted", value[1:-1].replace('""', '"'), at))
        elif kind == "string":
            tokens.append(Token("string", value[1:-1].replace("''", "'"), at))
        elif kind != "space":
            tokens.append(Token(kind, value, at))
        at = found.end()
    tokens.append(Token("end", "", at))
    return tokens


# -- The tree


@attrs.frozen
class Literal:
    value: Any


@attrs.frozen
class Name:
    text: str
    quoted: bool


@attrs.frozen
class Path:
    steps: tuple[Name | int, ...]


@attrs.frozen
class Unary:
    op: str
    operand: Any


@attrs.frozen
class Binary:
    op: str
    left: Any
    right: Any


@attrs.frozen
class IsNull:
    operand: Any
    missing_only: bool
    negated: bool


@attrs.frozen
class Like:
    operand: Any
    pattern: Any
    escape: Any
    negated: bool


@attrs.frozen
class Between:
    operand: Any
    low: Any
    high: Any
    negated: bool


@attrs.frozen
class In:
    operand: Any
    options: tuple[Any, ...]
    negated: bool


@attrs.frozen
class Cast:
    operand: Any
    type: str


@attrs.frozen
class Call:
    name: str
    args: tuple[Any, ...]


@attrs.frozen(eq=False)
class Aggregate:
    """
    An aggregate call (compared by identity: each keeps its own total).
    """

    name: str
    operand: Any  # None for COUNT(*)


@attrs.frozen
class Item:
    expr: Any
    alias: str | None


@attrs.frozen
class Query:
    items: tuple[Item, ...] | None  # None for SELECT *
    alias: str | None
    star_source: bool  # FROM S3Object[*]
    where: Any
    limit: int | None
    aggregates: tuple[Aggregate, ...]


_AGGREGATES = ("COUNT", "SUM", "AVG", "MIN", "MAX")
_FUNCTIONS = {"LOWER": 1, "UPPER": 1, "CHAR_LENGTH": 1, "CHARACTER_LENGTH": 1, "TRIM": 1, "COALESCE": -1}
_TYPES = {
    "INT": "int",
    "INTEGER": "int",
    "FLOAT": "float",
    "DECIMAL": "float",
    "NUMERIC": "float",
    "REAL": "float",
    "DOUBLE": "float",
    "STRING": "string",
    "VARCHAR": "string",
    "CHAR": "string",
    "BOOL": "bool",
    "BOOLEAN": "bool",
}
_COMPARISONS = ("=", "!=", "<>", "<", "<=", ">", ">=")

# -- The parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.at = 0
        self.aggregates: list[Aggregate] = []

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def advance(self) -> Token:
        token = self.tokens[self.at]
        if token.kind != "end":
            self.at += 1
        return token

    def is_keyword(self, *words: str) -> bool:
        return self.token.kind == "keyword" and self.token.text in words

    def is_op(self, *ops: str) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def keyword(self, word: str) -> None:
        if not self.is_keyword(word):
            raise error("ParseExpectedKeyword")
        self.advance()

    def op(self, text: str, code: str = "ParseUnexpectedToken") -> None:
        if not self.is_op(text):
            raise error(code)
        self.advance()

    def query(self) -> Query:
        self.keyword("SELECT")
        items: tuple[Item, ...] | None
        if self.is_op("*"):
            self.advance()
            items = None
        else:
            listed = [self.item()]
            while self.is_op(","):
                self.advance()
                listed.append(self.item())
            items = tuple(listed)
        if not self.is_keyword("FROM"):
            raise error("ParseSelectMissingFrom")
        self.advance()
        alias, star = self.source()
        where = None
        if self.is_keyword("WHERE"):
            self.advance()
            where = self.expr()
        limit = None
        if self.is_keyword("LIMIT"):
            self.advance()
            if self.token.kind != "number" or not self.token.text.isdigit():
                raise error("ParseExpectedNumber")
            limit = int(self.advance().text)
        if self.token.kind != "end":
            raise error("ParseUnexpectedToken")
        if where is not None and _has_aggregate(where):
            raise error("ParseUnsupportedSyntax")
        aggregates = tuple(self.aggregates)
        if aggregates and items is not None and any(not _has_aggregate(i.expr) for i in items):
            # Aggregates and per-record values cannot share a SELECT list (there is no GROUP BY).
            raise error("ParseUnsupportedSyntax")
        return Query(items, alias, star, where, limit, aggregates)

    def item(self) -> Item:
        expr = self.expr()
        alias = None
        if self.is_keyword("AS"):
            self.advance()
            if self.token.kind not in ("name", "quoted"):
                raise error("ParseExpectedIdentForAlias")
            alias = self.advance().text
        elif self.token.kind in ("name", "quoted"):
            alias = self.advance().text
        return Item(expr, alias)

    def source(self) -> tuple[str | None, bool]:
        token = self.advance()
        if token.kind != "name" or token.text.lower() != "s3object":
            raise error("ParseUnexpectedToken")
        star = False
        if self.is_op("["):
            self.advance()
            self.op("*")
            self.op("]")
            star = True
        alias = None
        if self.is_keyword("AS"):
            self.advance()
            if self.token.kind not in ("name", "quoted"):
                raise error("ParseExpectedIdentForAlias")
            alias = self.advance().text
        elif self.token.kind in ("name", "quoted"):
            alias = self.advance().text
        return alias, star

    def expr(self) -> Any:
        node = self.conjunction()
        while self.is_keyword("OR"):
            self.advance()
            node = Binary("OR", node, self.conjunction())
        return node

    def conjunction(self) -> Any:
        node = self.negation()
        while self.is_keyword("AND"):
            self.advance()
            node = Binary("AND", node, self.negation())
        return node

    def negation(self) -> Any:
        if self.is_keyword("NOT"):
            self.advance()
            return Unary("NOT", self.negation())
        return self.predicate()

    def predicate(self) -> Any:
        left = self.sum()
        if self.is_op(*_COMPARISONS):
            op = self.advance().text
            return Binary("!=" if op == "<>" else op, left, self.sum())
        if self.is_keyword("IS"):
            self.advance()
            negated = self.is_keyword("NOT")
            if negated:
                self.advance()
            if self.is_keyword("NULL", "MISSING"):
                return IsNull(left, self.advance().text == "MISSING", negated)
            raise error("ParseExpectedKeyword")
        negated = False
        if self.is_keyword("NOT"):
            self.advance()
            negated = True
            if not self.is_keyword("LIKE", "BETWEEN", "IN"):
                raise error("ParseExpectedKeyword")
        if self.is_keyword("LIKE"):
            self.advance()
            pattern = self.sum()
            escape = None
            if self.is_keyword("ESCAPE"):
                self.advance()
                escape = self.sum()
            return Like(left, pattern, escape, negated)
        if self.is_keyword("BETWEEN"):
            self.advance()
            low = self.sum()
            self.keyword("AND")
            return Between(left, low, self.sum(), negated)
        if self.is_keyword("IN"):
            self.advance()
            self.op("(")
            options = [self.expr()]
            while self.is_op(","):
                self.advance()
                options.append(self.expr())
            self.op(")", "ParseExpectedRightParenBuiltinFunctionCall")
            return In(left, tuple(options), negated)
        return left

    def sum(self) -> Any:
        node = self.product()
        while self.is_op("+", "-", "||"):
            op = self.advance().text
            node = Binary(op, node, self.product())
        return node

    def product(self) -> Any:
        node = self.unary()
        while self.is_op("*", "/", "%"):
            op = self.advance().text
            node = Binary(op, node, self.unary())
        return node

    def unary(self) -> Any:
        if self.is_op("-"):
            self.advance()
            return Unary("-", self.unary())
        return self.primary()

    def primary(self) -> Any:
        token = self.token
        if token.kind == "number":
            self.advance()
            text = token.text
            return Literal(int(text) if text.isdigit() else float(text))
        if token.kind == "string":
            self.advance()
            return Literal(token.text)
        if token.kind == "keyword":
            if token.text in ("NULL", "MISSING"):
                self.advance()
                return Literal(None)
            if token.text in ("TRUE", "FALSE"):
                self.advance()
                return Literal(token.text == "TRUE")
            if token.text == "CAST":
                return self.cast()
            raise error("ParseExpectedExpression")
        if self.is_op("("):
            self.advance()
            node = self.expr()
            self.op(")", "ParseExpectedRightParenBuiltinFunctionCall")
            return node
        if token.kind == "name" and self.tokens[self.at + 1].kind == "op" and self.tokens[self.at + 1].text == "(":
            return self.call()
        if token.kind in ("name", "quoted"):
            return self.path()
        if token.kind == "end":
            raise error("ParseExpectedExpression")
        raise error("ParseUnexpectedToken")

    def cast(self) -> Cast:
        self.advance()
        self.op("(", "ParseExpectedLeftParenAfterCast")
        operand = self.expr()
        self.keyword("AS")
        token = self.advance()
        if token.kind != "name" or token.text.upper() not in _TYPES:
            raise error("ParseExpectedTypeName")
        self.op(")", "ParseExpectedRightParenBuiltinFunctionCall")
        return Cast(operand, _TYPES[token.text.upper()])

    def call(self) -> Any:
        name = self.advance().text.upper()
        self.advance()  # (
        if name in _AGGREGATES:
            if self.is_op("*"):
                if name != "COUNT":
                    raise error("ParseUnexpectedToken")
                self.advance()
                operand = None
            else:
                operand = self.expr()
                if _has_aggregate(operand):
                    raise error("ParseUnsupportedSyntax")
            if self.is_op(","):
                raise error("ParseNonUnaryAgregateFunctionCall")
            self.op(")", "ParseExpectedRightParenBuiltinFunctionCall")
            node = Aggregate(name, operand)
            self.aggregates.append(node)
            return node
        if name not in _FUNCTIONS:
            raise error("UnsupportedFunction")
        args: list[Any] = []
        if not self.is_op(")"):
            args.append(self.expr())
            while self.is_op(","):
                self.advance()
                args.append(self.expr())
        self.op(")", "ParseExpectedRightParenBuiltinFunctionCall")
        arity = _FUNCTIONS[name]
        if (arity >= 0 and len(args) != arity) or not args:
            raise error("EvaluatorInvalidArguments")
        return Call(name, tuple(args))

    def path(self) -> Path:
        token = self.advance()
        steps: list[Name | int] = [Name(token.text, token.kind == "quoted")]
        while self.is_op(".", "["):
            if self.advance().text == ".":
                if self.token.kind not in ("name", "quoted"):
                    raise error("ParseUnexpectedToken")
                name = self.advance()
                steps.append(Name(name.text, name.kind == "quoted"))
            else:
                if self.token.kind != "number" or not self.token.text.isdigit():
                    raise error("ParseExpectedNumber")
                steps.append(int(self.advance().text))
                self.op("]")
        return Path(tuple(steps))


def _has_aggregate(node: Any) -> bool:
    if isinstance(node, Aggregate):
        return True
    if attrs.has(type(node)):
        for field in attrs.fields(type(node)):
            value = getattr(node, field.name)
            if isinstance(value, tuple):
                if any(_has_aggregate(v) for v in value):
                    return True
            elif attrs.has(type(value)) and _has_aggregate(value):
                return True
    return False


def parse(text: str) -> Query:
    """
    The query C{text} says; a L{SelectError} if it is not one.
    """
    return _Parser(text).query()


# -- Evaluation


class Record:
    """
    One input record: a CSV row (fields, and the header's names when the
    file has one) or a JSON value.
    """

    __slots__ = ("fields", "header", "value")

    def __init__(self, fields: list[str] | None = None, header: list[str] | None = None, value: Any = None) -> None:
        self.fields = fields
        self.header = header
        self.value = value

    def column(self, name: Name) -> Any:
        if self.fields is not None:
            text = name.text
            if text.startswith("_") and text[1:].isdigit():
                position = int(text[1:])
                return self.fields[position - 1] if 1 <= position <= len(self.fields) else None
            if self.header is not None:
                for index, heading in enumerate(self.header):
                    if heading == text or (not name.quoted and heading.lower() == text.lower()):
                        return self.fields[index] if index < len(self.fields) else None
            return None
        return _member(self.value, name)

    def items(self) -> list[tuple[str, Any]]:
        """
        The record's names and values, in order (SELECT *).
        """
        if self.fields is not None:
            names = self.header or []
            return [(names[i] if i < len(names) else f"_{i + 1}", value) for i, value in enumerate(self.fields)]
        if isinstance(self.value, dict):
            return list(self.value.items())
        return [("_1", self.value)]


def _member(value: Any, name: Name) -> Any:
    if not isinstance(value, dict):
        return None
    if name.text in value:
        return value[name.text]
    if not name.quoted:
        lowered = name.text.lower()
        for key, item in value.items():
            if key.lower() == lowered:
                return item
    return None


def number(value: Any) -> int | float | None:
    """
    C{value} as a number: numbers themselves, strings that read as one;
    C{None} otherwise.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            found = float(text)
        except ValueError:
            return None
        return found if math.isfinite(found) else None
    return None


def _comparable(left: Any, right: Any) -> tuple[Any, Any] | None:
    if left is None or right is None:
        return None
    if isinstance(left, bool) or isinstance(right, bool):
        return (left, right) if isinstance(left, bool) and isinstance(right, bool) else None
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    a, b = number(left), number(right)
    if a is None or b is None:
        return None
    return a, b


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _like_pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape is not None and char == escape:
            following = next(chars, None)
            if following is None:
                raise SelectError(
                    "EvaluatorLikePatternInvalidEscapeSequence",
                    "An invalid escape sequence was found in the LIKE pattern.",
                )
            parts.append(re.escape(following))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def cast(value: Any, kind: str) -> Any:
    if value is None:
        return None
    try:
        if kind == "string":
            return format_value(value)
        if kind == "int":
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, float):
                return int(value)
            text = str(value).strip()
            try:
                return int(text)
            except ValueError:
                found = float(text)
                if not math.isfinite(found):
                    raise
                return int(found)
        if kind == "float":
            if isinstance(value, bool):
                return float(value)
            found = float(str(value).strip()) if isinstance(value, str) else float(value)
            if not math.isfinite(found):
                raise ValueError(value)
            return found
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "false"):
                return text == "true"
            raise ValueError(value)
    except (ValueError, TypeError, OverflowError):
        raise error("CastFailed") from None
    raise error("InvalidDataType")


def format_value(value: Any) -> str:
    """
    A value as S3 Select writes it in CSV (and as CAST AS STRING makes it).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    if op == "||":
        if left is None or right is None:
            return None
        return format_value(left) + format_value(right)
    a, b = number(left), number(right)
    if a is None or b is None:
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise SelectError("EvaluatorDivisionByZero", "Division by zero in the SQL expression.")
    if op == "/":
        return a // b if isinstance(a, int) and isinstance(b, int) else a / b
    return math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else int(math.fmod(a, b))


class Evaluator:
    """
    Evaluates the expressions of one query; holds its aggregates' totals.
    """

    def __init__(self, query: Query) -> None:
        self.query = query
        self.totals: dict[int, list[Any]] = {id(a): [0, None] for a in query.aggregates}
        self.values: dict[int, Any] = {}

    def value(self, node: Any, record: Record | None) -> Any:
        kind = type(node)
        if kind is Literal:
            return node.value
        if kind is Path:
            return self.path(node, record)
        if kind is Binary:
            op = node.op
            if op == "AND":
                left = self.truth(node.left, record)
                if left is False:
                    return False
                right = self.truth(node.right, record)
                if right is False:
                    return False
                return None if left is None or right is None else True
            if op == "OR":
                left = self.truth(node.left, record)
                if left is True:
                    return True
                right = self.truth(node.right, record)
                if right is True:
                    return True
                return None if left is None or right is None else False
            left, right = self.value(node.left, record), self.value(node.right, record)
            if op in _COMPARE:
                pair = _comparable(left, right)
                if pair is None:
                    return None
                try:
                    return _COMPARE[op](*pair)
                except TypeError:
                    return None
            return _arithmetic(op, left, right)
        if kind is Unary:
            if node.op == "NOT":
                truth = self.truth(node.operand, record)
                return None if truth is None else not truth
            found = number(self.value(node.operand, record))
            return None if found is None else -found
        if kind is IsNull:
            value = self.value(node.operand, record)
            return (value is None) != node.negated
        if kind is Like:
            value, pattern = self.value(node.operand, record), self.value(node.pattern, record)
            escape = None if node.escape is None else self.value(node.escape, record)
            if value is None or pattern is None:
                return None
            matched = _like_pattern(str(pattern), escape).fullmatch(format_value(value)) is not None
            return matched != node.negated
        if kind is Between:
            value = self.value(node.operand, record)
            low, high = self.value(node.low, record), self.value(node.high, record)
            lower, upper = _comparable(value, low), _comparable(value, high)
            if lower is None or upper is None:
                return None
            return (lower[0] >= lower[1] and upper[0] <= upper[1]) != node.negated
        if kind is In:
            value = self.value(node.operand, record)
            unknown = False
            for option in node.options:
                pair = _comparable(value, self.value(option, record))
                if pair is None:
                    unknown = True
                elif pair[0] == pair[1]:
                    return not node.negated
            return None if unknown else node.negated
        if kind is Cast:
            return cast(self.value(node.operand, record), node.type)
        if kind is Call:
            return self.call(node, record)
        if kind is Aggregate:
            return self.values[id(node)]
        raise TypeError(node)

    def truth(self, node: Any, record: Record | None) -> bool | None:
        value = self.value(node, record)
        return value if isinstance(value, bool) else None

    def path(self, node: Path, record: Record | None) -> Any:
        if record is None:
            return None
        steps = list(node.steps)
        alias = self.query.alias
        first = steps[0]
        if (
            alias is not None
            and isinstance(first, Name)
            and (first.text == alias or first.text.lower() == alias.lower())
            and len(steps) > 1
        ):
            steps = steps[1:]
        head = steps[0]
        if isinstance(head, int):
            value = record.value[head] if isinstance(record.value, list) and head < len(record.value) else None
        else:
            value = record.column(head)
        for step in steps[1:]:
            if isinstance(step, int):
                value = value[step] if isinstance(value, list) and step < len(value) else None
            else:
                value = _member(value, step)
        return value

    def call(self, node: Call, record: Record | None) -> Any:
        args = [self.value(arg, record) for arg in node.args]
        name = node.name
        if name == "COALESCE":
            return next((a for a in args if a is not None), None)
        value = args[0]
        if value is None:
            return None
        if name == "LOWER":
            return format_value(value).lower()
        if name == "UPPER":
            return format_value(value).upper()
        if name == "TRIM":
            return format_value(value).strip(" ")
        return len(format_value(value))

    def accumulate(self, record: Record) -> None:
        for aggregate in self.query.aggregates:
            total = self.totals[id(aggregate)]
            if aggregate.operand is None:
                total[0] += 1
                continue
            value = self.value(aggregate.operand, record)
            if value is None:
                continue
            name = aggregate.name
            if name == "COUNT":
                total[0] += 1
                continue
            if name in ("SUM", "AVG"):
                found = number(value)
                if found is None:
                    raise error("CastFailed")
                total[0] += 1
                total[1] = found if total[1] is None else total[1] + found
                continue
            candidate = number(value)
            candidate = value if candidate is None else candidate
            current = total[1]
            if current is None:
                total[1] = candidate
            else:
                pair = _comparable(candidate, current)
                if pair is not None and (
                    (name == "MIN" and pair[0] < pair[1]) or (name == "MAX" and pair[0] > pair[1])
                ):
                    total[1] = candidate

    def finish(self) -> None:
        for aggregate in self.query.aggregates:
            count, value = self.totals[id(aggregate)]
            if aggregate.name == "COUNT":
                self.values[id(aggregate)] = count
            elif aggregate.name == "AVG":
                self.values[id(aggregate)] = None if count == 0 else value / count
            else:
                self.values[id(aggregate)] = value

    def selects(self, record: Record) -> bool:
        return self.query.where is None or self.truth(self.query.where, record) is True

    def project(self, record: Record | None) -> list[tuple[str, Any]]:
        """
        The output record's names and values.
        """
        if self.query.items is None:
            assert record is not None
            return record.items()
        found: list[tuple[str, Any]] = []
        for position, item in enumerate(self.query.items, 1):
            name = item.alias
            if name is None:
                expr = item.expr
                last = expr.steps[-1] if isinstance(expr, Path) else None
                name = last.text if isinstance(last, Name) else f"_{position}"
            found.append((name, self.value(item.expr, record)))
        return found
