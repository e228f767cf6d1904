"""
API Gateway's C{MOCK} integration: the request template (a Velocity
template, see L{ruststack.apigateway.vtl}) renders a JSON document whose
C{statusCode} picks the integration response (by C{selectionPattern}, else
the default); that response's parameters and template make the answer. CORS
preflight (C{OPTIONS}) methods of deploy tools are the common case.
"""

from __future__ import annotations

import json
import re

from ruststack.apigateway import mapping, vtl
from ruststack.apigateway.model import Integration
from ruststack.apigateway.proxy import HttpResponse

_STATUS_IN_TEMPLATE = re.compile(r'"statusCode"\s*:\s*"?(\d{3})')


def mock_response(integration: Integration, request: mapping.MethodRequest) -> HttpResponse:
    """
    The response a C{MOCK} integration gives for C{request}; raises
    L{mapping.UnsupportedMediaType}, L{mapping.NoIntegrationResponse} or
    L{vtl.VtlError}.
    """
    template = mapping.request_template(integration, request)
    rendered = "" if template is None else vtl.render(template, request.variables(request.body, "requestOverride"))
    status = _status_of(rendered)
    result = mapping.IntegrationResult(b"", status)
    return mapping.method_response(integration, result, request)


def _status_of(rendered: str) -> str:
    try:
        document = json.loads(rendered)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("statusCode"), (int, str)):
        return str(document["statusCode"])
    found = _STATUS_IN_TEMPLATE.search(rendered)
    return found.group(1) if found else "200"
