"""
HTTP API authorizers on a real RustStack (Lambda with the real runtime
interface client): the control plane (CreateAuthorizer... and what routes
may name), Lambda REQUEST authorizers with payload formats 2.0 (simple
answers) and 1.0 (IAM policies), their identity sources and cache, JWT
authorizers against a JWKS document served by this test on 127.0.0.1, and
AWS_IAM routes; the integration echoes the event it got.
"""

from __future__ import annotations

import json
import sys
import time

import attrs
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.issuer import AUDIENCE

from .conftest import ACCOUNT, REGION
from .test_execute import Deployed, create_function, package

AUTHORIZER = """
import json, time

def handler(event, context):
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = headers.get("authorization", "")
    if token == "boom":
        raise Exception("boom")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if event.get("version") == "2.0":
        return {"isAuthorized": token.startswith("allow"), "context": {"who": token, "at": time.time(),
                "sawEvent": json.dumps(event)}}
    effect = "Allow" if token.startswith("allow") else "Deny"
    return {
        "principalId": "user-" + token,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
        "context": {"who": token, "flag": True, "sawEvent": json.dumps(event)},
    }
"""


def make_function(lam, name: str, source: str) -> str:
    arn = lam.create_function(
        FunctionName=name,
        Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
        Role=f"arn:aws:iam::{ACCOUNT}:role/auth",
        Handler="echo.handler",
        Code={"ZipFile": package(source)},
        Timeout=10,
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return arn


@attrs.frozen
class Secured:
    deployed: Deployed
    authorizers: dict[str, str]


@pytest.fixture(scope="module")
def secured(http_api_stack, issuer):
    http_api_stack.reset("apigatewayv2", "apigateway")
    lam, apigw2 = http_api_stack.client("lambda"), http_api_stack.client("apigatewayv2")
    echo = create_function(lam, "echo-secured")
    authorizer_arn = make_function(lam, "authorizer", AUTHORIZER)
    api_id = apigw2.create_api(Name="secured", ProtocolType="HTTP")["ApiId"]
    v2 = apigw2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    v1 = apigw2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo, PayloadFormatVersion="1.0"
    )["IntegrationId"]
    authorizers = {
        "simple": apigw2.create_authorizer(
            ApiId=api_id,
            Name="simple",
            AuthorizerType="REQUEST",
            AuthorizerUri=authorizer_arn,
            AuthorizerPayloadFormatVersion="2.0",
            EnableSimpleResponses=True,
            IdentitySource=["$request.header.Authorization"],
            AuthorizerResultTtlInSeconds=0,
        )["AuthorizerId"],
        "cached": apigw2.create_authorizer(
            ApiId=api_id,
            Name="cached",
            AuthorizerType="REQUEST",
            AuthorizerUri=authorizer_arn,
            AuthorizerPayloadFormatVersion="2.0",
            EnableSimpleResponses=True,
            IdentitySource=["$request.header.Authorization", "$request.querystring.tenant"],
            AuthorizerResultTtlInSeconds=300,
        )["AuthorizerId"],
        "policy": apigw2.create_authorizer(
            ApiId=api_id,
            Name="policy",
            AuthorizerType="REQUEST",
            AuthorizerUri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
            AuthorizerPayloadFormatVersion="1.0",
            IdentitySource=["$request.header.Authorization"],
        )["AuthorizerId"],
        "jwt": apigw2.create_authorizer(
            ApiId=api_id,
            Name="jwt",
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": issuer.url, "Audience": [AUDIENCE]},
        )["AuthorizerId"],
    }
    routes = [
        ("GET /simple", v2, "CUSTOM", "simple", None),
        ("GET /cached", v2, "CUSTOM", "cached", None),
        ("GET /policy", v2, "CUSTOM", "policy", None),
        ("GET /policy-v1", v1, "CUSTOM", "policy", None),
        ("GET /jwt", v2, "JWT", "jwt", None),
        ("GET /jwt-scoped", v2, "JWT", "jwt", ["notes/read"]),
        ("GET /iam", v2, "AWS_IAM", None, None),
        ("GET /open", v2, "NONE", None, None),
    ]
    for key, target, kind, name, scopes in routes:
        more = {"AuthorizerId": authorizers[name]} if name else {}
        if scopes:
            more["AuthorizationScopes"] = scopes
        apigw2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{target}", AuthorizationType=kind, **more)
    apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    for function in ("echo-secured", "authorizer"):
        lam.add_permission(
            FunctionName=function,
            StatementId=f"apigateway-{api_id}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
        )
    port = http_api_stack.endpoint_url.rpartition(":")[2]
    return Secured(Deployed(api_id, port, http_api_stack.endpoint_url), authorizers)


def answer(response: requests.Response) -> tuple[int, dict]:
    return response.status_code, response.json()


# The control plane


def test_authorizers_are_created_read_updated_and_deleted(apigw2):
    api_id = apigw2.create_api(Name="a", ProtocolType="HTTP")["ApiId"]
    made = apigw2.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["a"]},
    )
    authorizer_id = made["AuthorizerId"]
    assert made["JwtConfiguration"] == {"Issuer": "https://issuer.example", "Audience": ["a"]}
    assert apigw2.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)["Name"] == "jwt"
    updated = apigw2.update_authorizer(ApiId=api_id, AuthorizerId=authorizer_id, Name="renamed")
    assert (updated["Name"], updated["IdentitySource"]) == ("renamed", ["$request.header.Authorization"])
    assert [a["Name"] for a in apigw2.get_authorizers(ApiId=api_id)["Items"]] == ["renamed"]
    route = apigw2.create_route(ApiId=api_id, RouteKey="GET /x", AuthorizationType="JWT", AuthorizerId=authorizer_id)
    with pytest.raises(apigw2.exceptions.ConflictException):
        apigw2.delete_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
    apigw2.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="NONE")
    assert "AuthorizerId" not in apigw2.get_route(ApiId=api_id, RouteId=route["RouteId"])
    apigw2.delete_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
    with pytest.raises(apigw2.exceptions.NotFoundException):
        apigw2.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)


@pytest.mark.parametrize(
    "bad",
    [
        {"AuthorizerType": "TOKEN", "AuthorizerUri": "arn:aws:lambda:us-east-1:000000000000:function:f"},
        {"AuthorizerType": "REQUEST", "AuthorizerPayloadFormatVersion": "2.0"},
        {"AuthorizerType": "REQUEST", "AuthorizerUri": "arn:aws:lambda:us-east-1:000000000000:function:f"},
        {
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": "arn:aws:lambda:us-east-1:000000000000:function:f",
            "AuthorizerPayloadFormatVersion": "1.0",
            "EnableSimpleResponses": True,
        },
        {"AuthorizerType": "JWT"},
        {"AuthorizerType": "JWT", "JwtConfiguration": {"Issuer": "https://i"}, "IdentitySource": ["header.x"]},
        {
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": "arn:aws:lambda:us-east-1:000000000000:function:f",
            "AuthorizerPayloadFormatVersion": "2.0",
            "IdentitySource": [],
            "AuthorizerResultTtlInSeconds": 60,
        },
    ],
)
def test_bad_authorizers_are_refused(apigw2, bad):
    api_id = apigw2.create_api(Name="a", ProtocolType="HTTP")["ApiId"]
    params = {"IdentitySource": ["$request.header.Authorization"], **bad}
    with pytest.raises(apigw2.exceptions.BadRequestException):
        apigw2.create_authorizer(ApiId=api_id, Name="bad", **params)


def test_routes_must_name_an_authorizer_of_their_type(apigw2):
    api_id = apigw2.create_api(Name="a", ProtocolType="HTTP")["ApiId"]
    jwt_id = apigw2.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://i"},
    )["AuthorizerId"]
    for kind, more in [
        ("CUSTOM", {"AuthorizerId": jwt_id}),
        ("JWT", {}),
        ("JWT", {"AuthorizerId": "nosuch"}),
        ("NONE", {"AuthorizerId": jwt_id}),
        ("AWS_IAM", {"AuthorizationScopes": ["a"]}),
    ]:
        with pytest.raises(apigw2.exceptions.BadRequestException):
            apigw2.create_route(ApiId=api_id, RouteKey="GET /x", AuthorizationType=kind, **more)
    scoped = apigw2.create_route(
        ApiId=api_id, RouteKey="GET /x", AuthorizationType="JWT", AuthorizerId=jwt_id, AuthorizationScopes=["a"]
    )
    assert (scoped["AuthorizationType"], scoped["AuthorizationScopes"]) == ("JWT", ["a"])


# Lambda authorizers


def test_a_simple_answer_allows_with_its_context(secured):
    response = secured.deployed.request("GET", "/simple?x=1", headers={"Authorization": "allow-ana"})
    assert response.status_code == 200, response.text
    authorizer = response.json()["requestContext"]["authorizer"]
    context = authorizer["lambda"]
    assert context["who"] == "allow-ana"
    seen = json.loads(context["sawEvent"])
    assert (seen["version"], seen["type"], seen["identitySource"]) == ("2.0", "REQUEST", ["allow-ana"])
    assert seen["routeArn"] == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{secured.deployed.api_id}/$default/GET/simple"
    assert seen["routeKey"] == "GET /simple" and seen["queryStringParameters"] == {"x": "1"}
    assert "body" not in seen


def test_a_simple_answer_denies_with_403(secured):
    response = secured.deployed.request("GET", "/simple", headers={"Authorization": "nope"})
    assert answer(response) == (403, {"message": "Forbidden"})


def test_a_missing_identity_source_is_401_without_calling_the_authorizer(secured):
    assert answer(secured.deployed.request("GET", "/simple")) == (401, {"message": "Unauthorized"})
    # The cached authorizer wants the tenant query parameter as well.
    cached = secured.deployed.request("GET", "/cached", headers={"Authorization": "allow"})
    assert answer(cached) == (401, {"message": "Unauthorized"})


def test_a_failing_authorizer_is_500_and_unauthorized_is_401(secured):
    assert answer(secured.deployed.request("GET", "/simple", headers={"Authorization": "boom"})) == (
        500,
        {"message": "Internal Server Error"},
    )
    assert answer(secured.deployed.request("GET", "/policy", headers={"Authorization": "unauthorized"})) == (
        401,
        {"message": "Unauthorized"},
    )


def test_answers_are_cached_by_identity_sources(secured):
    def at(token: str, tenant: str) -> float:
        response = secured.deployed.request("GET", f"/cached?tenant={tenant}", headers={"Authorization": token})
        assert response.status_code == 200, response.text
        return response.json()["requestContext"]["authorizer"]["lambda"]["at"]

    first = at("allow-1", "t1")
    assert at("allow-1", "t1") == first
    assert at("allow-1", "t2") != first
    assert at("allow-2", "t1") != first
    # Without a TTL, every request calls the authorizer.
    simple = [
        secured.deployed.request("GET", "/simple", headers={"Authorization": "allow"}).json()["requestContext"][
            "authorizer"
        ]["lambda"]["at"]
        for _ in range(2)
    ]
    assert simple[0] != simple[1]


def test_an_iam_policy_answer_in_payload_format_1_0(secured):
    v2 = secured.deployed.request("GET", "/policy", headers={"Authorization": "allow-bo"})
    assert v2.status_code == 200, v2.text
    context = v2.json()["requestContext"]["authorizer"]["lambda"]
    assert context["who"] == "allow-bo"
    seen = json.loads(context["sawEvent"])
    assert (seen["version"], seen["type"], seen["identitySource"]) == ("1.0", "REQUEST", "allow-bo")
    assert seen["methodArn"].endswith(f"{secured.deployed.api_id}/$default/GET/policy")
    assert (seen["httpMethod"], seen["resource"]) == ("GET", "/policy")
    v1 = secured.deployed.request("GET", "/policy-v1", headers={"Authorization": "allow-bo"})
    authorizer = v1.json()["requestContext"]["authorizer"]
    assert (authorizer["principalId"], authorizer["who"], authorizer["flag"]) == ("user-allow-bo", "allow-bo", "true")
    denied = secured.deployed.request("GET", "/policy", headers={"Authorization": "deny"})
    assert answer(denied) == (403, {"message": "Forbidden"})


def test_the_authorizers_own_permission_is_checked(http_api_stack, secured):
    lam = http_api_stack.client("lambda")
    lam.remove_permission(FunctionName="authorizer", StatementId=f"apigateway-{secured.deployed.api_id}")
    try:
        refused = secured.deployed.request("GET", "/simple", headers={"Authorization": "allow"})
        assert answer(refused) == (500, {"message": "Internal Server Error"})
        # The authorizer's ARN: API/authorizers/ID.
        lam.add_permission(
            FunctionName="authorizer",
            StatementId="simple-only",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{secured.deployed.api_id}/authorizers/"
            + secured.authorizers["simple"],
        )
        allowed = secured.deployed.request("GET", "/simple", headers={"Authorization": "allow"})
        assert allowed.status_code == 200
    finally:
        lam.add_permission(
            FunctionName="authorizer",
            StatementId=f"apigateway-{secured.deployed.api_id}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{secured.deployed.api_id}/*",
        )


# JWT authorizers


def test_a_valid_token_reaches_the_integration_with_its_claims(secured, issuer):
    token = issuer.token(scope="notes/read notes/write", groups=["a", "b"])
    response = secured.deployed.request("GET", "/jwt", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    found = response.json()["requestContext"]["authorizer"]["jwt"]
    assert found["scopes"] == ["notes/read", "notes/write"]
    claims = found["claims"]
    assert (claims["sub"], claims["iss"], claims["groups"]) == ("ana", issuer.url, "[a b]")
    assert isinstance(claims["exp"], str)
    # The bare token works too, and the keys were fetched once.
    assert secured.deployed.request("GET", "/jwt", headers={"Authorization": token}).status_code == 200
    assert issuer.fetches.count("/keys") == 1


@pytest.mark.parametrize(
    ("claims", "description"),
    [
        ({"exp": int(time.time()) - 60}, "the token has expired"),
        ({"aud": "other-app"}, "the token does not have a valid audience"),
        ({"iss": "https://elsewhere.example"}, "the token does not have a valid issuer"),
    ],
)
def test_invalid_tokens_are_401_with_a_challenge(secured, issuer, claims, description):
    token = issuer.token(**claims)
    response = secured.deployed.request("GET", "/jwt", headers={"Authorization": f"Bearer {token}"})
    assert answer(response) == (401, {"message": "Unauthorized"})
    assert response.headers["www-authenticate"] == (
        f'Bearer scope="" error="invalid_token" error_description="{description}"'
    )


def test_a_token_of_another_key_or_none_is_401(secured, issuer):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"iss": issuer.url, "aud": AUDIENCE, "exp": int(time.time()) + 60}, other, "RS256", {"kid": "k1"}
    )
    assert secured.deployed.request("GET", "/jwt", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert answer(secured.deployed.request("GET", "/jwt")) == (401, {"message": "Unauthorized"})
    garbage = secured.deployed.request("GET", "/jwt", headers={"Authorization": "Bearer not.a.jwt"})
    assert garbage.status_code == 401


def test_the_routes_scopes_are_checked(secured, issuer):
    reader = issuer.token(scope="notes/read")
    assert secured.deployed.request("GET", "/jwt-scoped", headers={"Authorization": reader}).status_code == 200
    writer = issuer.token(scope="notes/write")
    refused = secured.deployed.request("GET", "/jwt-scoped", headers={"Authorization": writer})
    assert answer(refused) == (403, {"message": "Forbidden"})
    assert "insufficient_scope" in refused.headers["www-authenticate"]


# AWS_IAM


def test_iam_routes_want_a_signature(secured):
    assert answer(secured.deployed.request("GET", "/iam")) == (403, {"message": "Forbidden"})
    url = f"http://{secured.deployed.api_id}.execute-api.localhost:{secured.deployed.port}/iam"
    signed = botocore.awsrequest.AWSRequest(method="GET", url=url)
    credentials = botocore.credentials.Credentials("AKIAIOSFODNN7EXAMPLE", "secret")
    botocore.auth.SigV4Auth(credentials, "execute-api", REGION).add_auth(signed)
    response = secured.deployed.request("GET", "/iam", headers=dict(signed.headers.items()))
    assert response.status_code == 200, response.text
    iam = response.json()["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "AKIAIOSFODNN7EXAMPLE" and iam["accountId"]
    assert secured.deployed.request("GET", "/open").status_code == 200
