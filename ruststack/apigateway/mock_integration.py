"""
API Gateway's C{MOCK} integration, as deploy tools use it for CORS preflight
(C{OPTIONS}) methods: the request template names the status code, the
integration response for it gives static headers and the body.

Only static values are applied: C{'quoted'} header values in
C{responseParameters} and the response template's text as it stands
(Velocity templates are not evaluated).
"""

from __future__ import annotations

import re

from ruststack.apigateway.model import Integration
from ruststack.apigateway.proxy import HttpResponse

_STATUS_IN_TEMPLATE = re.compile(r'"statusCode"\s*:\s*(\d{3})')
_HEADER_PARAMETER = "method.response.header."


def mock_response(integration: Integration, content_type: str) -> HttpResponse:
    """
    The response a C{MOCK} integration gives for a request of
    C{content_type} (which picks the request template).
    """
    templates = integration.request_templates or {}
    template = templates.get(content_type.split(";", 1)[0].strip()) or templates.get("application/json") or ""
    found = _STATUS_IN_TEMPLATE.search(template)
    status = found.group(1) if found else "200"
    response = _integration_response(integration, status)
    if response is None:
        # No integration response for the status: API Gateway's "Internal server error".
        return HttpResponse(500, [("Content-Type", "application/json")], b'{"message": "Internal server error"}')
    headers = []
    for name, value in (response.get("responseParameters") or {}).items():
        if name.startswith(_HEADER_PARAMETER) and len(value) >= 2 and value[0] == value[-1] == "'":
            headers.append((name[len(_HEADER_PARAMETER) :], value[1:-1]))
    body_templates = response.get("responseTemplates") or {}
    body = body_templates.get("application/json") or next(iter(body_templates.values()), "") or ""
    return HttpResponse(int(response["statusCode"]), headers, body.encode("utf-8"))


def _integration_response(integration: Integration, status: str) -> dict | None:
    # The selection pattern is a regular expression over the status; the
    # response without one is the default.
    for response in integration.responses.values():
        pattern = response.get("selectionPattern")
        if pattern and re.fullmatch(pattern, status):
            return response
    return next((r for r in integration.responses.values() if not r.get("selectionPattern")), None)
