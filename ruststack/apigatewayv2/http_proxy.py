"""
HTTP proxy integrations of HTTP APIs: the request forwarded to the
integration's URL (with treq) and the answer passed back ("Working with
HTTP proxy integrations for HTTP APIs", API Gateway developer guide).

The URL is the integration URI with the route's path parameters
substituted (C{https://example.com/pets/{petId}}, a greedy C{{proxy+}} as
C{{proxy}}) and stage variables too; the request's query string is
appended. For the C{$default} route the request's path is appended to the
URI's, as API Gateway forwards it; a parameter mapping's C{overwrite:path}
replaces the URI's path (L{ruststack.apigatewayv2.mapping}).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import treq
from twisted.web.http_headers import Headers as TwistedHeaders

from ruststack.apigatewayv2.lambda_target import substitute_stage_variables

Headers = list[tuple[str, str]]

_PARAMETER = re.compile(r"\{([A-Za-z0-9._-]+)\+?\}")
# Hop-by-hop headers and what treq frames itself.
_NOT_FORWARDED = {"connection", "content-length", "host", "keep-alive", "transfer-encoding", "te", "upgrade"}


def target_url(
    uri: str,
    path_parameters: dict[str, str],
    stage_variables: dict[str, str],
    raw_path: str,
    raw_query: str,
    default_route: bool,
    path: str | None = None,
) -> str:
    """
    The URL a request is forwarded to; C{path} (a parameter mapping's
    C{overwrite:path}) in place of the URI's own.
    """
    url = substitute_stage_variables(uri, stage_variables)
    url = _PARAMETER.sub(lambda m: quote(path_parameters.get(m.group(1), ""), safe="/"), url)
    if path is not None:
        parts = urlsplit(url)
        url = urlunsplit((parts.scheme, parts.netloc, quote(path, safe="/%:@!$&'()*+,;=~"), parts.query, ""))
    elif default_route:
        url = url.rstrip("/") + raw_path
    if raw_query:
        url += ("&" if "?" in url else "?") + raw_query
    return url


async def forward(method: str, url: str, headers: Headers, body: bytes, reactor: Any) -> tuple[int, Headers, bytes]:
    """
    Send the request; its answer's status, headers and body.
    """
    sent = TwistedHeaders()
    for name, value in headers:
        if name.lower() not in _NOT_FORWARDED:
            sent.addRawHeader(name.encode("latin-1"), value.encode("latin-1"))
    response = await treq.request(method, url, headers=sent, data=body or None, allow_redirects=False, reactor=reactor)
    content = await treq.content(response)
    answer = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.getAllRawHeaders()
        for value in values
    ]
    return response.code, answer, content
