"""
API Gateway HTTP APIs (v2): the control plane under C{/v2} and the
execute-api data plane in front of Lambda proxy integrations.

HTTP APIs share their signing name (C{apigateway}) and their execute-api
hosts with REST APIs, and their ids with them: the edge routes both to the
C{apigateway} service, which hands this one what is its (C{/v2/...} calls,
and stage requests naming an HTTP API's id).
"""

from ruststack.interfaces import Claims

CLAIMS = Claims(model="apigatewayv2")
