"""
The console's API Gateway pages: REST APIs (v1) and HTTP APIs (v2), an API's
stages with both invoke URL forms, its route tree, and a form that sends a
request through the real data plane and shows the answer with the log lines
of the invocations it caused.
"""

from __future__ import annotations

from typing import Any

from twisted.web.template import Tag, tags

from ruststack.console import apigateway_data as data
from ruststack.console import send_request
from ruststack.console.client import AwsCallError
from ruststack.console.pages import NotFound, Page, Route, Section, View, definitions, link, table, url
from ruststack.console.sections.awslambda import invocations_table, log_lines

_KINDS = {"rest": "REST API", "http": "HTTP API"}


def _running(view: View, service: str) -> bool:
    return view.stack is None or service in view.stack.aws_services


def _edge_url(view: View) -> str:
    return str(view.stack.edge_url)


async def apis(view: View) -> Page:
    body: list[Any] = []
    if _running(view, "apigateway"):
        rest = await data.rest_apis(view.client.call)
        rows = [
            (
                link(api.name or api.id, url("apigateway", "rest", api.id)),
                api.id,
                str(api.created or ""),
                api.description,
            )
            for api in sorted(rest, key=lambda a: (a.name, a.id))
        ]
        body += [tags.h2("REST APIs (v1)"), table(["Name", "Id", "Created", "Description"], rows, id="rest-apis")]
    if _running(view, "apigatewayv2"):
        http = await data.http_apis(view.client.call)
        rows = [
            (link(api.name or api.id, url("apigateway", "http", api.id)), api.id, api.kind, str(api.created or ""))
            for api in sorted(http, key=lambda a: (a.name, a.id))
        ]
        body += [tags.h2("HTTP APIs (v2)"), table(["Name", "Id", "Protocol", "Created"], rows, id="http-apis")]
    return Page("API Gateway", body)


async def _view(view: View, kind: str, api_id: str) -> data.ApiView:
    try:
        if kind == "rest":
            return await data.rest_api(view.client.call, _edge_url(view), api_id)
        return await data.http_api(view.client.call, _edge_url(view), api_id)
    except AwsCallError as e:
        if e.code == "NotFoundException":
            raise NotFound(f"No {_KINDS[kind]} {api_id} in {view.account}, {view.region}.") from e
        raise


def _stages(found: data.ApiView) -> Tag:
    rows = [
        (
            stage.name,
            stage.deployment_id or "",
            link(stage.urls.host_form, stage.urls.host_form, class_="host-form"),
            link(stage.urls.path_form, stage.urls.path_form, class_="path-form"),
        )
        for stage in found.stages
    ]
    return table(["Stage", "Deployment", "Host form", "Path form"], rows, id="stages")


def _method(route: data.Route) -> Tag:
    target = route.integration or "no integration"
    if route.function:
        target = f"{target} {route.function}"
    auth = "" if route.authorization == "NONE" else f", {route.authorization}"
    return tags.li(tags.code(route.method, class_="method"), f" {target}{auth}", class_="route")


def _tree(node: data.ResourceNode) -> Tag:
    children = [_tree(child) for child in node.children]
    return tags.li(
        tags.code(node.path, class_="resource"),
        tags.ul(*[_method(route) for route in node.methods], class_="methods") if node.methods else "",
        tags.ul(*children) if children else "",
    )


def _routes(found: data.ApiView) -> Tag:
    if found.tree is not None:
        return tags.ul(_tree(found.tree), class_="tree", id="routes")
    rows = [
        (
            tags.code(route.key),
            route.integration or "",
            link(route.function, url("lambda", "functions", route.function)) if route.function else "",
            route.authorization,
        )
        for route in found.routes
    ]
    return table(["Route", "Integration", "Function", "Authorization"], rows, id="routes")


def _form(kind: str, found: data.ApiView, values: dict[str, str]) -> Tag:
    stage_names = [stage.name for stage in found.stages]
    chosen_stage = values.get("stage") or (stage_names[0] if stage_names else "")
    method = values.get("method", "GET")
    form_kind = values.get("form", "host")

    def options(names: list[str], chosen: str) -> list[Tag]:
        return [tags.option(n, value=n, selected="selected") if n == chosen else tags.option(n, value=n) for n in names]

    return tags.form(method="post", action=url("apigateway", kind, found.api.id, "send"), id="send", class_="send")(
        tags.label("Stage ", tags.select(*options(stage_names, chosen_stage), name="stage", id="stage")),
        tags.label("Method ", tags.select(*options(list(send_request.METHODS), method), name="method", id="method")),
        tags.label("Path ", tags.input(name="path", id="path", value=values.get("path", "/"), size="40")),
        tags.label("Query ", tags.input(name="query", id="query", value=values.get("query", ""), size="30")),
        tags.label(
            "URL form ",
            tags.select(*options(["host", "path"], form_kind), name="form", id="form"),
        ),
        tags.label(
            "Headers (Name: value, one a line) ",
            tags.textarea(values.get("headers", ""), name="headers", id="headers", rows="3", cols="60"),
        ),
        tags.label("Body ", tags.textarea(values.get("body", ""), name="body", id="body", rows="4", cols="60")),
        tags.button("Send", type="submit", id="send-button"),
    )


def _api_body(kind: str, found: data.ApiView, values: dict[str, str]) -> list[Any]:
    return [
        tags.div(definitions([("Id", found.api.id), ("Kind", _KINDS[kind]), ("Name", found.api.name)]), id="api"),
        tags.h2("Stages"),
        _stages(found),
        tags.h2("Routes" if kind == "http" else "Resources and methods"),
        _routes(found),
        tags.h2("Send a request"),
        tags.p(
            "Sent over a socket to the edge, as any client sends it; the host form with a ",
            tags.code("Host: <api>.execute-api.localhost"),
            " header.",
        ),
        _form(kind, found, values),
    ]


def _crumbs() -> list[tuple[str, str]]:
    return [("API Gateway", url("apigateway"))]


async def api(view: View) -> Page:
    kind, api_id = view.params["kind"], view.params["id"]
    if kind not in _KINDS:
        raise NotFound(f"No console page for {kind} APIs.")
    found = await _view(view, kind, api_id)
    return Page(f"{found.api.name or api_id}", _api_body(kind, found, {}), crumbs=_crumbs())


def _answer(sent: send_request.Sent) -> list[Any]:
    text = sent.body.decode("utf-8", "replace")
    if sent.truncated:
        text += f"\n[cut at {send_request.MAX_BODY} bytes]"
    found: list[Any] = [
        tags.h2("Response"),
        tags.div(
            definitions(
                [
                    ("Request", tags.code(sent.url)),
                    ("Host", tags.code(sent.host)),
                    ("Status", tags.strong(f"{sent.status} {sent.phrase}", id="status")),
                    ("Time", f"{sent.elapsed_ms:.1f} ms"),
                ]
            ),
            id="response-summary",
        ),
        table(["Header", "Value"], sent.headers, id="response-headers"),
        tags.pre(text, id="response-body"),
        tags.h2("Invocations"),
        tags.p("Invocations of the API's functions that started while the request was in flight, from their logs."),
    ]
    if not sent.invocations:
        found.append(tags.p("None found.", id="no-invocations"))
    for function, invocations in sent.invocations.items():
        found += [
            tags.h3(link(function, url("lambda", "functions", function))),
            invocations_table(function, invocations),
        ]
        for invocation in invocations:
            found.append(log_lines(invocation.lines, class_="log invocation-log"))
    return found


async def send(view: View) -> Page:
    kind, api_id = view.params["kind"], view.params["id"]
    if kind not in _KINDS:
        raise NotFound(f"No console page for {kind} APIs.")
    found = await _view(view, kind, api_id)
    values = {name: view.arg(name) for name in ("stage", "method", "path", "query", "headers", "body", "form")}
    method = values["method"] if values["method"] in send_request.METHODS else "GET"
    stages = [stage.name for stage in found.stages]
    body = _api_body(kind, found, values)
    if values["stage"] not in stages:
        return Page(found.api.name or api_id, [tags.p("Choose a stage.", class_="error"), *body], 400, _crumbs())
    reactor = view.stack.reactor  # handed down from the entry point, as everywhere
    try:
        sent = await send_request.send(
            reactor,
            view.client.call,
            _edge_url(view),
            api_id,
            values["stage"],
            method,
            values["path"] or "/",
            values["query"],
            send_request.parse_headers(values["headers"]),
            values["body"].encode("utf-8"),
            found.functions if "logs" in view.stack.aws_services else [],  # their logs, when kept
            http_api=kind == "http",
            form="path" if values["form"] == "path" else "host",
        )
    except (ValueError, UnicodeError) as e:
        problem = tags.p(f"The request could not be sent: {e}", class_="error", role="alert")
        return Page(found.api.name or api_id, [problem, *body], 400, _crumbs())
    return Page(f"{method} {values['path'] or '/'}", [*_answer(sent), *body], crumbs=_crumbs())


SECTION = Section(
    name="apigateway",
    title="API Gateway",
    service=("apigateway", "apigatewayv2"),
    summary="REST and HTTP APIs, their stages and invoke URLs, route trees, and a form to call a route",
    order=40,
    routes=[
        Route("", apis),
        Route("{kind}/{id}", api),
        Route("{kind}/{id}/send", send, methods=(b"POST",)),
    ],
)
