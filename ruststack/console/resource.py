"""
The console's twisted.web side: which account and region a browser works in
(cookies; under C{--auth verify} a signed-in session), dispatch to the
sections' routes, the layout around their pages, errors, static files.
"""

from __future__ import annotations

import importlib
import mimetypes
import pkgutil
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from twisted.internet import defer
from twisted.logger import Logger
from twisted.web import server
from twisted.web.client import HTTPConnectionPool
from twisted.web.resource import Resource
from twisted.web.template import Tag, flattenString, tags
from zope.interface import Attribute, Interface, implementer

from ruststack.aws import regions
from ruststack.console import sections as _sections
from ruststack.console.client import AwsCallError, AwsClient, Signer, connection_pool
from ruststack.console.pages import (
    TAKEN,
    Answer,
    NotFound,
    Page,
    Redirect,
    Section,
    View,
    error_box,
    link,
    split_path,
    url,
)

if TYPE_CHECKING:
    from ruststack.stack import RustStack

log = Logger()

STATIC = Path(__file__).parent / "static"
ACCOUNT_COOKIE = b"ruststack_console_account"
REGION_COOKIE = b"ruststack_console_region"
SESSION_COOKIE = b"ruststack_console_session"
# With signatures off, any key's secret is accepted.
UNVERIFIED_SECRET = "console"
_ACCOUNT = re.compile(r"^\d{12}$")


def load_sections() -> list[Section]:
    """
    Every module of L{ruststack.console.sections} with a C{SECTION}, in
    navigation order.
    """
    found = []
    for module in pkgutil.iter_modules(_sections.__path__):
        section = getattr(importlib.import_module(f"{_sections.__name__}.{module.name}"), "SECTION", None)
        if isinstance(section, Section):
            found.append(section)
    return sorted(found, key=lambda section: (section.order, section.name))


class ISignIn(Interface):
    """
    The access key pair a console session signs with (C{--auth verify}).
    """

    access_key = Attribute("str")
    secret_key = Attribute("str")
    account = Attribute("str")


@implementer(ISignIn)
@attrs.frozen
class SignIn:
    access_key: str
    secret_key: str
    account: str


@attrs.frozen
class Context:
    """
    Who a console request acts as, and where.
    """

    account: str
    region: str
    signer: Signer | None  # None: not signed in (under --auth verify)


class ConsoleResource(Resource):
    """
    C{/_ruststack/...} except RustStack's own endpoints: the console.
    """

    isLeaf = True

    def __init__(self, stack: RustStack) -> None:
        super().__init__()
        self.stack = stack
        self.sections = load_sections()
        self.static = {path.name: path for path in STATIC.iterdir() if path.is_file()}
        self._pool: HTTPConnectionPool | None = None

    # Who and where.

    @property
    def verifying(self) -> bool:
        return self.stack.edge.authenticator.verifying

    def sections_running(self) -> list[Section]:
        return [section for section in self.sections if section.runs_in(self.stack.aws_services)]

    def context(self, request: server.Request) -> Context:
        region = _cookie(request, REGION_COOKIE)
        if not regions.is_region(region):
            region = self.stack.config.region
        if self.verifying:
            signed_in = self.signed_in(request)
            if signed_in is None:
                return Context("", region, None)
            return Context(signed_in.account, region, Signer(signed_in.access_key, signed_in.secret_key, region))
        account = _cookie(request, ACCOUNT_COOKIE)
        if not _ACCOUNT.match(account):
            account = self.stack.edge.authenticator.default_account
        # A 12-digit access key names its account.
        return Context(account, region, Signer(account, UNVERIFIED_SECRET, region))

    def signed_in(self, request: server.Request) -> SignIn | None:
        session = self._session(request)
        found = session.getComponent(ISignIn) if session is not None else None
        return found if isinstance(found, SignIn) else None

    def _session(self, request: server.Request) -> server.Session | None:
        uid = request.getCookie(SESSION_COOKIE)
        if not uid:
            return None
        assert request.site is not None
        try:
            session = request.site.getSession(uid)
        except KeyError:
            return None
        session.touch()
        return session

    def client(self, signer: Signer) -> AwsClient:
        reactor = self.stack.reactor
        assert self.stack.edge_url is not None  # the console is served by the listening edge
        if self._pool is None:
            self._pool = connection_pool(reactor)
        return AwsClient(reactor, self.stack.edge_url, signer, self._pool)

    # Dispatch.

    def render(self, request: server.Request) -> bytes | int:
        d = defer.ensureDeferred(self._answer(request))
        d.addErrback(self._failed, request)
        return server.NOT_DONE_YET

    async def _answer(self, request: server.Request) -> None:
        path = request.uri.split(b"?", 1)[0]
        segments = split_path(path)
        if request.method == b"POST" and not _same_origin(request):
            return await self._write(request, _message_page("Refused", "A form from another site was refused.", 403))
        if segments[:1] == ["static"]:
            return self._write_static(request, segments[1:])
        if segments == ["signin"]:
            return await self._write(request, await self._sign_in(request))
        if segments == ["signout"] and request.method == b"POST":
            return await self._write(request, self._sign_out(request))
        if segments == ["context"] and request.method == b"POST":
            return await self._write(request, self._choose(request))
        context = self.context(request)
        if context.signer is None:
            return await self._write(request, Redirect(url("signin", next=_next(request))))
        if not segments:
            return await self._write(request, self._home(), context)
        answer: Answer | None = None
        for section in self.sections_running():
            if section.name != segments[0]:
                continue
            for route in section.routes:
                params = route.match(segments[1:])
                if params is None or request.method not in route.methods:
                    continue
                view = View(request, self.client(context.signer), context.account, context.region, params, section)
                view.stack = self.stack
                try:
                    answer = await route.handler(view)
                except AwsCallError as e:
                    status = e.status if 400 <= e.status < 500 else 502
                    answer = Page(f"{section.title}: error", error_box(e.code, e.message), status)
                except NotFound as e:
                    answer = _message_page("Not found", str(e) or "Nothing here.", 404)
                break
            break
        if answer is None:
            answer = _message_page("Not found", f"No console page at {path.decode('latin-1')}.", 404)
        await self._write(request, answer, context)

    def _failed(self, failure: Any, request: server.Request) -> None:
        log.failure("console page failed", failure)
        if _gone(request):
            return
        if not request.startedWriting:
            message = b"The console failed; see RustStack's log.\n"
            request.setResponseCode(500)
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            request.setHeader(b"content-length", b"%d" % len(message))
            request.write(message)
        request.finish()

    async def _write(self, request: server.Request, answer: Answer, context: Context | None = None) -> None:
        if answer is TAKEN or _gone(request):
            return
        if isinstance(answer, Redirect):
            request.setResponseCode(answer.status)
            request.setHeader(b"location", answer.location.encode("ascii"))
            request.setHeader(b"content-length", b"0")
            request.finish()
            return
        assert isinstance(answer, Page)
        html = await flattenString(request, self.layout(request, answer, context or self.context(request)))
        if _gone(request):
            return
        request.setResponseCode(answer.status)
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        # Pages build no markup from strings, and load nothing from elsewhere.
        request.setHeader(
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
        )
        request.setHeader(b"x-content-type-options", b"nosniff")
        body = b"<!DOCTYPE html>\n" + html
        request.setHeader(b"content-length", b"%d" % len(body))
        request.write(body)
        request.finish()

    def _write_static(self, request: server.Request, names: list[str]) -> None:
        path = self.static.get(names[0]) if len(names) == 1 else None
        if path is None:
            defer.ensureDeferred(self._write(request, _message_page("Not found", "No such file.", 404)))
            return
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = path.read_bytes()  # a few kB, read once per browser (cached)
        request.setHeader(b"content-type", content_type.encode() + b"; charset=utf-8")
        request.setHeader(b"cache-control", b"max-age=300")
        request.setHeader(b"x-content-type-options", b"nosniff")
        request.setHeader(b"content-length", b"%d" % len(body))
        request.write(body)
        request.finish()

    # The layout.

    def layout(self, request: server.Request, page: Page, context: Context) -> Tag:
        nav = [link(section.title, url(section.name)) for section in self.sections_running()]
        crumbs = [tags.li(link(label, href)) for label, href in page.crumbs]
        scripts = [tags.script(src=url("static", name), defer="defer") for name in ("console.js", *page.scripts)]
        return tags.html(lang="en")(
            tags.head(
                tags.meta(charset="utf-8"),
                tags.meta(name="viewport", content="width=device-width, initial-scale=1"),
                tags.title(f"{page.title} - RustStack console"),
                tags.link(rel="stylesheet", href=url("static", "console.css")),
                *scripts,
            ),
            tags.body(
                tags.header(
                    tags.a("RustStack", href=url(), class_="brand"),
                    tags.nav(*nav, class_="sections"),
                    self._context_form(request, context),
                ),
                Tag("main")(
                    tags.nav(tags.ol(*crumbs), class_="crumbs", **{"aria-label": "breadcrumbs"}) if crumbs else "",
                    tags.h1(page.title),
                    page.body,
                ),
            ),
        )

    def _context_form(self, request: server.Request, context: Context) -> Tag:
        back = _next(request)
        region = tags.select(name="region", id="console-region", **{"data-autosubmit": "1"})(
            *[
                tags.option(name, value=name, selected="selected")
                if name == context.region
                else tags.option(name, value=name)
                for name in sorted(regions.known_regions())
            ]
        )
        if self.verifying:
            if context.signer is None:
                return tags.div(class_="context")
            return tags.div(class_="context")(
                tags.form(method="post", action=url("context"))(
                    tags.span("Account ", tags.strong(context.account, id="console-account")),
                    tags.label("Region ", region),
                    tags.input(type="hidden", name="next", value=back),
                    tags.button("Switch", type="submit"),
                ),
                tags.form(method="post", action=url("signout"))(tags.button("Sign out", type="submit", id="signout")),
            )
        return tags.div(class_="context")(
            tags.form(method="post", action=url("context"))(
                tags.label(
                    "Account ",
                    tags.input(
                        name="account",
                        id="console-account",
                        value=context.account,
                        size="12",
                        pattern="[0-9]{12}",
                        title="a 12-digit account id",
                    ),
                ),
                tags.label("Region ", region),
                tags.input(type="hidden", name="next", value=back),
                tags.button("Switch", type="submit"),
            )
        )

    def _home(self) -> Page:
        rows = [
            tags.li(link(section.title, url(section.name)), " - ", section.summary)
            for section in self.sections_running()
        ]
        body = [
            tags.p("What this RustStack holds, as the account and region above see it."),
            tags.ul(*rows, class_="home"),
            tags.p(link("Health", url("health")), " (JSON)"),
        ]
        return Page("Console", body)

    # Forms.

    def _choose(self, request: server.Request) -> Redirect:
        region = _form(request, "region")
        if regions.is_region(region):
            _set_cookie(request, REGION_COOKIE, region)
        account = _form(request, "account")
        if not self.verifying and _ACCOUNT.match(account):
            _set_cookie(request, ACCOUNT_COOKIE, account)
        return Redirect(_safe_next(_form(request, "next")))

    async def _sign_in(self, request: server.Request) -> Page | Redirect:
        back = _safe_next(_form(request, "next") or _query(request, "next"))
        if not self.verifying:
            return Redirect(back)
        problem: Tag | str = ""
        if request.method == b"POST":
            access_key, secret_key = _form(request, "access_key").strip(), _form(request, "secret_key")
            context = self.context(request)
            try:
                await self._check_keys(Signer(access_key, secret_key, context.region))
            except AwsCallError as e:
                problem = error_box(e.code, e.message)
            else:
                old = self._session(request)
                if old is not None:
                    old.expire()
                assert request.site is not None
                session = request.site.makeSession()
                account = self.stack.edge.authenticator.account_for(access_key)
                session.setComponent(ISignIn, SignIn(access_key, secret_key, account))
                _set_cookie(request, SESSION_COOKIE, session.uid.decode("ascii"), session=True)
                return Redirect(back)
        form = tags.form(method="post", action=url("signin"), class_="signin")(
            tags.p(
                "This RustStack verifies signatures (--auth verify): sign in with an access key pair from its "
                "credentials file. The console then signs its calls with it and shows that key's account only."
            ),
            problem,
            tags.label("Access key id ", tags.input(name="access_key", id="access_key", autocomplete="username")),
            tags.label(
                "Secret access key ",
                tags.input(name="secret_key", id="secret_key", type="password", autocomplete="current-password"),
            ),
            tags.input(type="hidden", name="next", value=back),
            tags.button("Sign in", type="submit", id="signin"),
        )
        return Page("Sign in", form, 401 if problem else 200)

    async def _check_keys(self, signer: Signer) -> None:
        """
        Whether a key pair signs: one call any account may make, to a
        service this RustStack runs; AWS's own error when not.
        """
        checks = [("sts", "GetCallerIdentity"), ("s3", "ListBuckets"), ("dynamodb", "ListTables")]
        client = self.client(signer)
        for service, operation in checks:
            if service in self.stack.aws_services:
                await client.call(service, operation, {})
                return
        raise AwsCallError("NoService", "Sign-in needs STS, S3 or DynamoDB running to check a key.", 400)

    def _sign_out(self, request: server.Request) -> Redirect:
        session = self._session(request)
        if session is not None:
            session.expire()
        request.addCookie(SESSION_COOKIE, b"", path=b"/_ruststack/", max_age=b"0", httpOnly=True, sameSite="strict")
        return Redirect(url("signin"))


def _message_page(title: str, message: str, status: int) -> Page:
    return Page(title, tags.p(message, class_="message"), status)


def _gone(request: server.Request) -> bool:
    return bool(getattr(request, "_disconnected", False)) or bool(request.finished)


def _cookie(request: server.Request, name: bytes) -> str:
    value = request.getCookie(name)
    return value.decode("latin-1") if value else ""


def _set_cookie(request: server.Request, name: bytes, value: str, session: bool = False) -> None:
    request.addCookie(
        name,
        value.encode("ascii"),
        path=b"/_ruststack/",
        httpOnly=True,
        sameSite="strict",
        max_age=None if session else b"31536000",
    )


def _form(request: server.Request, name: str) -> str:
    values = request.args.get(name.encode(), []) if request.args else []
    return values[0].decode("utf-8", "replace") if values else ""


_query = _form


def _next(request: server.Request) -> str:
    return request.uri.decode("latin-1")


def _safe_next(location: str) -> str:
    """
    Where a form sends the browser back to: a console page, nothing else.
    """
    printable = all(" " < c <= "~" for c in location)
    if printable and location.startswith("/_ruststack/") and "\\" not in location:
        return location
    return url()


def _same_origin(request: server.Request) -> bool:
    """
    Whether a POST comes from the console's own pages (the browser says
    where a form was posted from); other clients send neither header.
    """
    site = (request.getHeader(b"sec-fetch-site") or b"").lower()
    if site and site not in (b"same-origin", b"none"):
        return False
    origin = request.getHeader(b"origin")
    if origin is None:
        return True
    host = request.getHeader(b"host") or b""
    return origin.split(b"://", 1)[-1] == host
