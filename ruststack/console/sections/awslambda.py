"""
The console's Lambda pages: the functions, a function's configuration with
its recent invocations (from its log group), each invocation's lines, a live
tail of its log (server-sent events) and an invoke form.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from twisted.web.template import Tag, tags

from ruststack.console import lambda_data
from ruststack.console.client import AwsCallError, AwsClient
from ruststack.console.lambda_logs import Invocation
from ruststack.console.live_tail import LogTail, TailLimit
from ruststack.console.pages import TAKEN, Answer, NotFound, Page, Route, Section, View, definitions, link, table, url
from ruststack.interfaces import ILogNotices

# Live tails open at once in this process (each holds a connection and
# reads the logs API when its group changes).
TAILS = TailLimit(most=16)


def _time(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _size(size: Any) -> str:
    if not isinstance(size, int):
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _ms(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f} ms" if isinstance(value, float) else f"{value} ms"


def _crumbs(name: str | None = None) -> list[tuple[str, str]]:
    crumbs = [("Lambda", url("lambda"))]
    if name is not None:
        crumbs.append((name, url("lambda", "functions", name)))
    return crumbs


async def functions(view: View) -> Page:
    rows = [
        (
            link(f["FunctionName"], url("lambda", "functions", f["FunctionName"])),
            f.get("Runtime") or f.get("PackageType", ""),
            f"{f.get('MemorySize', '')} MB",
            f"{f.get('Timeout', '')} s",
            f.get("LastModified", ""),
            _size(f.get("CodeSize")),
        )
        for f in await lambda_data.functions(view.client.call)
    ]
    headings = ["Function", "Runtime", "Memory", "Timeout", "Last modified", "Code size"]
    return Page("Lambda functions", table(headings, rows, id="functions"))


def invocations_table(function: str, invocations: list[Invocation]) -> Tag:
    rows = []
    for invocation in invocations:
        report = invocation.report
        href = url(
            "lambda",
            "functions",
            function,
            "invocations",
            invocation.request_id,
            stream=invocation.stream,
            started=invocation.started,
        )
        rows.append(
            (
                _time(invocation.started),
                link(invocation.request_id, href, class_="request-id"),
                _ms(report.duration_ms) if report else "",
                _ms(report.billed_ms) if report else "",
                f"{report.max_memory_mb} MB" if report and report.max_memory_mb is not None else "",
                tags.span(invocation.status, class_=f"status {invocation.status}"),
                invocation.error or "",
            )
        )
    headings = ["Started (UTC)", "Request id", "Duration", "Billed", "Max memory", "Status", "Error"]
    return table(headings, rows, id="invocations")


async def _function(view: View, name: str) -> lambda_data.FunctionView:
    try:
        return await lambda_data.function(view.client.call, name)
    except AwsCallError as e:
        if e.code == "ResourceNotFoundException":
            raise NotFound(f"No function {name} in {view.account}, {view.region}.") from e
        raise


async def function(view: View) -> Page:
    name = view.params["name"]
    logs_run = "logs" in view.stack.aws_services
    if logs_run:
        found, invocations = await lambda_data.together(
            _function(view, name), lambda_data.recent_invocations(view.client.call, name)
        )
    else:
        found, invocations = await _function(view, name), []
    c = found.configuration
    environment = (c.get("Environment") or {}).get("Variables") or {}
    layers = [layer.get("Arn", "") for layer in c.get("Layers", [])]
    configuration = definitions(
        [
            ("ARN", c.get("FunctionArn", "")),
            ("Runtime", c.get("Runtime") or c.get("PackageType", "")),
            ("Handler", c.get("Handler", "")),
            ("Role", c.get("Role", "")),
            ("Memory", f"{c.get('MemorySize', '')} MB"),
            ("Timeout", f"{c.get('Timeout', '')} s"),
            ("Architectures", ", ".join(c.get("Architectures", []))),
            ("Code size", _size(c.get("CodeSize"))),
            ("Code SHA-256", c.get("CodeSha256", "")),
            ("Last modified", c.get("LastModified", "")),
            ("State", c.get("State", "")),
            ("Layers", tags.ul(*[tags.li(arn) for arn in layers]) if layers else "none"),
        ]
    )
    versions = table(
        ["Version", "Description", "Last modified", "Code SHA-256"],
        [
            (v.get("Version", ""), v.get("Description", ""), v.get("LastModified", ""), v.get("CodeSha256", ""))
            for v in found.versions
        ],
        id="versions",
    )
    aliases = table(
        ["Alias", "Version", "Additional version weights", "Description"],
        [
            (
                a.get("Name", ""),
                a.get("FunctionVersion", ""),
                json.dumps((a.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {})),
                a.get("Description", ""),
            )
            for a in found.aliases
        ],
        id="aliases",
    )
    urls = table(
        ["URL", "Function", "Auth type", "Invoke mode"],
        [
            (u.get("FunctionUrl", ""), u.get("FunctionArn", ""), u.get("AuthType", ""), u.get("InvokeMode", ""))
            for u in found.urls
        ],
        id="urls",
    )
    body = [
        tags.h2("Configuration"),
        tags.div(configuration, id="configuration"),
        *(_log_parts(name, invocations) if logs_run else []),
        tags.h2("Invoke"),
        invoke_form(name),
        *([] if logs_run else [tags.p("CloudWatch Logs is not running: no log, no live tail.", class_="message")]),
        tags.h2("Environment variables"),
        table(["Name", "Value"], sorted(environment.items()), id="environment"),
        tags.h2("Versions"),
        versions,
        tags.h2("Aliases"),
        aliases,
        tags.h2("Function URLs"),
        urls,
    ]
    return Page(name, body, crumbs=_crumbs(), scripts=["tail.js"])


def _log_parts(name: str, invocations: list[Invocation]) -> list[Tag]:
    return [
        tags.h2("Live tail"),
        tags.p("Lines of ", tags.code(lambda_data.log_group(name)), " as they are stored."),
        tags.div(id="tail", class_="log", **{"data-source": url("lambda", "functions", name, "tail")}),
        tags.h2("Recent invocations"),
        tags.p("From the newest events of ", tags.code(lambda_data.log_group(name)), ", newest first."),
        invocations_table(name, invocations),
    ]


def log_lines(lines: list[tuple[int, str]], **attributes: str) -> Tag:
    attributes.setdefault("class_", "log")
    return tags.div(
        *[tags.div(tags.time(_time(time)[11:] + " "), message, class_="line") for time, message in lines],
        **attributes,
    )


async def invocation(view: View) -> Page:
    name, request_id = view.params["name"], view.params["request_id"]
    stream = view.arg("stream")
    started = view.int_arg("started", 0, lowest=0, highest=2**53)
    found = None
    if stream:
        found = await lambda_data.invocation(view.client.call, name, stream, request_id, started)
    if found is None:
        raise NotFound(f"No invocation {request_id} in the log group of {name}.")
    report = found.report
    summary = definitions(
        [
            ("Request id", found.request_id),
            ("Version", found.version or ""),
            ("Started (UTC)", _time(found.started)),
            ("Status", tags.span(found.status, class_=f"status {found.status}")),
            ("Error", found.error or ""),
            ("Duration", _ms(report.duration_ms) if report else ""),
            ("Billed duration", _ms(report.billed_ms) if report else ""),
            ("Memory size", f"{report.memory_size_mb} MB" if report and report.memory_size_mb is not None else ""),
            ("Max memory used", f"{report.max_memory_mb} MB" if report and report.max_memory_mb is not None else ""),
            ("Init duration", _ms(report.init_ms) if report else ""),
            ("Log stream", found.stream),
        ]
    )
    body = [tags.div(summary, id="summary"), tags.h2("Log"), log_lines(found.lines, id="lines")]
    return Page(f"Invocation {request_id}", body, crumbs=_crumbs(name))


async def tail(view: View) -> Answer:
    name = view.params["name"]
    group = lambda_data.log_group(name)
    logs = view.stack.aws_services.get("logs")
    if logs is None:
        raise NotFound("CloudWatch Logs is not running: there is no log to tail.")
    notices = ILogNotices(logs, None)
    account, region = view.account, view.region

    def watch(notice: Any) -> Any:
        assert notices is not None
        return notices.watch(account, region, group, notice)

    from twisted.web.client import HTTPConnectionPool

    reactor = view.stack.reactor  # handed down from the entry point, as everywhere
    # The tail's own connections, kept open between its reads.
    pool = HTTPConnectionPool(reactor, persistent=True)
    pool.maxPersistentPerHost = 1
    # Closed by the tail before the edge would (--idle-timeout, 60 s by default): a
    # read never goes out on a connection the edge is closing.
    pool.cachedConnectionTimeout = min(30.0, view.stack.config.idle_timeout / 2)
    client = AwsClient(reactor, view.client.endpoint_url, view.client.signer, pool=pool)

    async def logs_call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return await client.call("logs", operation, params)

    live = LogTail(reactor, view.request, group, logs_call, watch if notices is not None else None, TAILS)
    answer = live.render()
    if isinstance(answer, bytes):  # refused: too many tails
        view.request.write(answer)
        view.request.finish()
    else:
        view.request.notifyFinish().addBoth(lambda _: pool.closeCachedConnections())
    return TAKEN


def invoke_form(function: str, payload: str = "{}") -> Tag:
    return tags.form(method="post", action=url("lambda", "functions", function, "invoke"), id="invoke")(
        tags.label("Payload (JSON) ", tags.textarea(payload, name="payload", rows="4", cols="60", id="payload")),
        tags.button("Invoke", type="submit"),
    )


async def invoke(view: View) -> Page:
    name = view.params["name"]
    payload = view.arg("payload", "{}")
    output = await view.client.call(
        "lambda",
        "Invoke",
        {"FunctionName": name, "Payload": payload.encode("utf-8"), "LogType": "Tail"},
    )
    body = output.get("Payload", b"")
    if hasattr(body, "read"):
        body = body.read()
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    log_text = base64.b64decode(output.get("LogResult", "") or b"").decode("utf-8", "replace")
    content = [
        tags.div(
            definitions(
                [
                    ("Status code", str(output.get("StatusCode", ""))),
                    ("Function error", output.get("FunctionError", "")),
                    ("Executed version", output.get("ExecutedVersion", "")),
                ]
            ),
            id="invoke-summary",
        ),
        tags.h2("Response"),
        tags.pre(text, id="response"),
        tags.h2("Log tail"),
        tags.pre(log_text, id="invoke-log", class_="log"),
        tags.h2("Invoke again"),
        invoke_form(name, payload),
    ]
    return Page(f"Invoked {name}", content, crumbs=_crumbs(name))


SECTION = Section(
    name="lambda",
    title="Lambda",
    service="lambda",
    summary="functions, their configuration, recent invocations and each one's log, a live tail, an invoke form",
    order=30,
    routes=[
        Route("", functions),
        Route("functions/{name}", function),
        Route("functions/{name}/invocations/{request_id}", invocation),
        Route("functions/{name}/tail", tail),
        Route("functions/{name}/invoke", invoke, methods=(b"POST",)),
    ],
)
