"""
What a console section is made of: L{Section}s of L{Route}s whose handlers
take a L{View} and answer a L{Page} (or a L{Redirect}, or L{TAKEN} when they
write the response themselves), plus the URL building every page links with.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlencode

import attrs
from twisted.web.template import Tag, tags

from ruststack.console.client import AwsClient

if TYPE_CHECKING:
    from twisted.web.server import Request

ROOT = "/_ruststack/"

# What twisted.web.template can render: a tag, text, or lists of them.
Content = Any


def url(*segments: str, **query: str | int | None) -> str:
    """
    A console URL: C{url("s3", "buckets", name, prefix="a/")} is
    C{/_ruststack/s3/buckets/<name, percent-encoded>?prefix=a%2F}. Every
    segment is quoted whole (a C{/} in it stays in it), every query value
    is quoted; C{None} values are left out. Non-ASCII text is UTF-8.
    """
    path = ROOT + "/".join(quote(segment, safe="") for segment in segments)
    pairs = [(name, str(value)) for name, value in query.items() if value is not None]
    return path + ("?" + urlencode(pairs, quote_via=quote, safe="") if pairs else "")


def split_path(path: bytes) -> list[str]:
    """
    The segments of a request's path below C{/_ruststack/}, decoded
    (the inverse of L{url}'s path).
    """
    below = path[len(ROOT) :] if path.startswith(ROOT.encode()) else path.lstrip(b"/")
    return [unquote(segment.decode("latin-1"), errors="replace") for segment in below.split(b"/") if segment]


class NotFound(Exception):
    """
    Raised by a handler: what the path names does not exist (a 404 page).
    """


class Taken(enum.Enum):
    TAKEN = "taken"


# A handler's answer when it writes (and finishes) the response itself: a
# streamed download, server-sent events.
TAKEN = Taken.TAKEN


@attrs.frozen
class Page:
    """
    A page's content, which the console lays out (header, navigation,
    account and region form) around C{body}.

    @ivar crumbs: breadcrumbs before the title: (label, URL) pairs.
    @ivar scripts: names of files in C{ruststack/console/static/} the page
        loads (C{console.js} is always loaded).
    """

    title: str
    body: Content
    status: int = 200
    crumbs: Sequence[tuple[str, str]] = ()
    scripts: Sequence[str] = ()


@attrs.frozen
class Redirect:
    location: str
    status: int = 303


Answer = Page | Redirect | Taken
Handler = Callable[["View"], Awaitable[Answer]]


@attrs.frozen
class Route:
    """
    C{pattern}: path segments below the section's own, C{{name}} matching
    any one segment (decoded into C{view.params[name]}); C{""} is the
    section's index page.
    """

    pattern: str
    handler: Handler
    methods: tuple[bytes, ...] = (b"GET", b"HEAD")

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        parts = [part for part in self.pattern.split("/") if part]
        if len(parts) != len(segments):
            return None
        params = {}
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = segment
            elif part != segment:
                return None
        return params


@attrs.frozen
class Section:
    """
    One part of the console, under C{/_ruststack/<name>/}.

    @ivar service: the RustStack service it shows (its name in
        C{config.SERVICE_PACKAGES}), or a tuple of them: the section is
        listed (and served) only when one of them runs.
    @ivar summary: a line for the console's home page.
    @ivar order: position in the navigation (lower first).
    """

    name: str
    title: str
    service: str | tuple[str, ...]
    routes: Sequence[Route]
    summary: str = ""
    order: int = 100

    def runs_in(self, services: Mapping[str, Any]) -> bool:
        names = (self.service,) if isinstance(self.service, str) else self.service
        return any(name in services for name in names)


@attrs.define
class View:
    """
    What a handler gets: the request, a client signed as the console's
    account in its region, and the path's parameters.
    """

    request: Request
    client: AwsClient
    account: str
    region: str
    params: Mapping[str, str]
    section: Section
    # The stack (ruststack.stack.RustStack), for what is not AWS state
    # (its edge URL, its config); never its stores.
    stack: Any = None

    def arg(self, name: str, default: str = "") -> str:
        """
        A query (or form) argument, decoded as UTF-8.
        """
        values = self.request.args.get(name.encode(), []) if self.request.args else []
        return values[0].decode("utf-8", "replace") if values else default

    def int_arg(self, name: str, default: int, lowest: int = 1, highest: int = 1000) -> int:
        text = self.arg(name)
        if not text.isascii() or not text.isdigit():
            return default
        return max(lowest, min(highest, int(text)))


def link(label: Content, href: str, **attributes: str) -> Tag:
    return tags.a(label, href=href, **attributes)


def table(headings: Sequence[str], rows: Sequence[Sequence[Content]], **attributes: str) -> Tag:
    """
    A table of C{rows}; an empty one says so in a row of its own.
    """
    body = [tags.tr(*[tags.td(cell) for cell in row]) for row in rows]
    if not body:
        body = [tags.tr(tags.td("(none)", colspan=str(len(headings)), class_="empty"))]
    return tags.table(tags.thead(tags.tr(*[tags.th(heading) for heading in headings])), tags.tbody(*body), **attributes)


def definitions(pairs: Sequence[tuple[str, Content]]) -> Tag:
    """
    Name/value pairs, as a definition list.
    """
    items: list[Tag] = []
    for name, value in pairs:
        items += [tags.dt(name), tags.dd(value)]
    return tags.dl(*items, class_="definitions")


def error_box(code: str, message: str) -> Tag:
    return tags.div(tags.strong(code), ": ", message, class_="error", role="alert")
