"""
API Gateway reaches a function only when the function's resource policy lets
it: a statement for the principal C{apigateway.amazonaws.com} whose
C{AWS:SourceArn} condition (when it has one) matches the method ARN
C{arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH} (a Lambda
authorizer: C{arn:aws:execute-api:REGION:ACCOUNT:API/authorizers/ID}).
Without it the HTTP caller gets 500 C{{"message": "Internal server error"}}
(500 C{{"message": null}} for an authorizer) and the log says "Execution
failed due to configuration error: Invalid permissions on Lambda function",
as in API Gateway's execution logs ("How do I resolve 'Invalid permissions
on Lambda function' errors from API Gateway REST APIs?", AWS re:Post).

Accounts are named by 12-digit access key ids (the default --auth off).
"""

from __future__ import annotations

import sys

import attrs
import pytest
import requests

from ruststack.testing import RustStackProcess
from tests.apigateway.helpers import invocations_uri, proxy_method
from tests.apigateway.test_lambda_proxy import AUTHORIZER, ECHO, package
from tests.stacks import ruststack_fixture

ALICE, BOB = "111111111111", "222222222222"
REGION = "us-east-1"
INVALID_PERMISSIONS = "Execution failed due to configuration error: Invalid permissions on Lambda function"


stack = ruststack_fixture("--services", "lambda,apigateway")


@pytest.fixture
def fresh(stack):
    stack.reset()
    return stack


def clients(stack: RustStackProcess, account: str):
    keys = {"aws_access_key_id": account, "aws_secret_access_key": "any"}
    return stack.client("lambda", **keys), stack.client("apigateway", **keys)


def create_function(lam, name: str, source: str = ECHO, module: str = "echo") -> str:
    arn = lam.create_function(
        FunctionName=name,
        Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
        Role="arn:aws:iam::111111111111:role/echo",
        Handler=f"{module}.handler",
        Code={"ZipFile": package(source, module)},
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1})
    return arn


@attrs.frozen
class Api:
    id: str
    url: str
    root: str


def create_api(stack, apigw, function_arn: str, credentials: str | None = None) -> Api:
    """
    An API whose C{ANY /items/{id}} is a proxy integration to
    C{function_arn}, deployed as stage C{live}.
    """
    api = apigw.create_rest_api(name="tenants")
    items = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="items")
    item = apigw.create_resource(restApiId=api["id"], parentId=items["id"], pathPart="{id}")
    extra = {"credentials": credentials} if credentials else {}
    proxy_method(apigw, api["id"], item["id"], "ANY", invocations_uri(function_arn, REGION), **extra)
    apigw.create_deployment(restApiId=api["id"], stageName="live")
    return Api(api["id"], f"{stack.endpoint_url}/restapis/{api['id']}/live/_user_request_", api["rootResourceId"])


def grant(lam, function: str, sid: str, source_arn: str | None = None) -> None:
    extra = {"SourceArn": source_arn} if source_arn else {}
    lam.add_permission(
        FunctionName=function,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        **extra,
    )


def assert_invalid_permissions(stack, response: requests.Response) -> None:
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    with open(stack.log_path, encoding="utf-8", errors="replace") as log:
        assert INVALID_PERMISSIONS in log.read()


def test_an_api_without_permission_cannot_invoke_a_function(fresh):
    lam, apigw = clients(fresh, ALICE)
    arn = create_function(lam, "echo")
    api = create_api(fresh, apigw, arn)
    assert_invalid_permissions(fresh, requests.get(api.url + "/items/1", timeout=60))
    # Permissions are read at each request: granting one needs no redeployment.
    grant(lam, "echo", "api")
    answered = requests.get(api.url + "/items/1", timeout=60)
    assert answered.status_code == 200 and answered.json()["pathParameters"] == {"id": "1"}


def test_the_source_arn_names_the_api_stage_method_and_path(fresh):
    lam, apigw = clients(fresh, ALICE)
    arn = create_function(lam, "echo")
    api = create_api(fresh, apigw, arn)
    other = create_api(fresh, apigw, arn)
    # The path is the request's (SAM writes * for each path parameter).
    grant(lam, "echo", "get-items", f"arn:aws:execute-api:{REGION}:{ALICE}:{api.id}/*/GET/items/*")
    assert requests.get(api.url + "/items/7", timeout=60).status_code == 200
    assert_invalid_permissions(fresh, requests.post(api.url + "/items/7", timeout=60))
    assert_invalid_permissions(fresh, requests.get(other.url + "/items/7", timeout=60))
    # A template path matches nothing: requests never have "{id}" in them.
    grant(lam, "echo", "template", f"arn:aws:execute-api:{REGION}:{ALICE}:{other.id}/*/POST/items/{{id}}")
    assert_invalid_permissions(fresh, requests.post(other.url + "/items/7", timeout=60))
    grant(lam, "echo", "exact", f"arn:aws:execute-api:{REGION}:{ALICE}:{other.id}/live/POST/items/7")
    assert requests.post(other.url + "/items/7", timeout=60).status_code == 200
    assert_invalid_permissions(fresh, requests.post(other.url + "/items/8", timeout=60))


def test_another_accounts_api_cannot_reach_a_function(fresh):
    alice_lambda, alice_apigw = clients(fresh, ALICE)
    _, bob_apigw = clients(fresh, BOB)
    arn = create_function(alice_lambda, "echo")
    own = create_api(fresh, alice_apigw, arn)
    grant(alice_lambda, "echo", "own-api", f"arn:aws:execute-api:{REGION}:{ALICE}:{own.id}/*")
    assert requests.get(own.url + "/items/1", timeout=60).status_code == 200

    # Bob points an API of his own at Alice's function.
    foreign = create_api(fresh, bob_apigw, arn)
    assert_invalid_permissions(fresh, requests.get(foreign.url + "/items/1", timeout=60))
    # Also with an execution role: a role of Bob's account is not Alice's.
    with_role = create_api(fresh, bob_apigw, arn, credentials=f"arn:aws:iam::{BOB}:role/apigateway")
    assert requests.get(with_role.url + "/items/1", timeout=60).status_code == 500
    # Nor may Bob name a role of Alice's account (API Gateway could not assume it).
    borrowed = create_api(fresh, bob_apigw, arn, credentials=f"arn:aws:iam::{ALICE}:role/apigateway")
    assert requests.get(borrowed.url + "/items/1", timeout=60).status_code == 500

    # Alice grants Bob's API, and only it.
    grant(alice_lambda, "echo", "bob-api", f"arn:aws:execute-api:{REGION}:{BOB}:{foreign.id}/*")
    reached = requests.get(foreign.url + "/items/1", timeout=60)
    assert reached.status_code == 200 and reached.json()["requestContext"]["accountId"] == BOB
    assert requests.get(with_role.url + "/items/1", timeout=60).status_code == 500


def test_a_statement_without_source_lets_any_api_in(fresh):
    # "If you grant permission to a service principal without specifying the
    # source, other accounts could potentially configure resources in their
    # account to invoke your Lambda function." (AddPermission, Lambda API reference)
    alice_lambda, _ = clients(fresh, ALICE)
    _, bob_apigw = clients(fresh, BOB)
    arn = create_function(alice_lambda, "echo")
    grant(alice_lambda, "echo", "any-api")
    assert requests.get(create_api(fresh, bob_apigw, arn).url + "/items/1", timeout=60).status_code == 200


def test_source_account_is_the_apis(fresh):
    alice_lambda, alice_apigw = clients(fresh, ALICE)
    _, bob_apigw = clients(fresh, BOB)
    arn = create_function(alice_lambda, "echo")
    alice_lambda.add_permission(
        FunctionName="echo",
        StatementId="own-account",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceAccount=ALICE,
    )
    assert requests.get(create_api(fresh, alice_apigw, arn).url + "/items/1", timeout=60).status_code == 200
    assert_invalid_permissions(fresh, requests.get(create_api(fresh, bob_apigw, arn).url + "/items/1", timeout=60))


def test_an_execution_role_of_the_apis_account_needs_no_resource_policy(fresh):
    # The integration's credentials: API Gateway calls Lambda as that role,
    # whose identity policies (not modelled) decide within its account.
    lam, apigw = clients(fresh, ALICE)
    arn = create_function(lam, "echo")
    api = create_api(fresh, apigw, arn, credentials=f"arn:aws:iam::{ALICE}:role/apigateway-invoke")
    assert requests.get(api.url + "/items/1", timeout=60).status_code == 200


def test_an_authorizer_needs_its_own_permission(fresh):
    lam, apigw = clients(fresh, ALICE)
    echo = create_function(lam, "echo")
    authorizer_arn = create_function(lam, "authorizer", AUTHORIZER, "auth")
    api = create_api(fresh, apigw, echo)
    grant(lam, "echo", "api", f"arn:aws:execute-api:{REGION}:{ALICE}:{api.id}/*/GET/guarded")
    authorizer = apigw.create_authorizer(
        restApiId=api.id,
        name="token",
        type="TOKEN",
        authorizerUri=invocations_uri(authorizer_arn, REGION),
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=0,
    )
    guarded = apigw.create_resource(restApiId=api.id, parentId=api.root, pathPart="guarded")
    proxy_method(apigw, api.id, guarded["id"], "GET", invocations_uri(echo, REGION), "CUSTOM", authorizer["id"])
    apigw.create_deployment(restApiId=api.id, stageName="live")
    good = {"Authorization": "Bearer good"}

    refused = requests.get(api.url + "/guarded", headers=good, timeout=60)
    assert (refused.status_code, refused.json()) == (500, {"message": None})
    assert refused.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    # The method's permission is not the authorizer's.
    grant(lam, "authorizer", "method", f"arn:aws:execute-api:{REGION}:{ALICE}:{api.id}/*/GET/guarded")
    assert requests.get(api.url + "/guarded", headers=good, timeout=60).status_code == 500

    grant(lam, "authorizer", "authorizers", f"arn:aws:execute-api:{REGION}:{ALICE}:{api.id}/authorizers/*")
    allowed = requests.get(api.url + "/guarded", headers=good, timeout=60)
    assert allowed.status_code == 200 and allowed.json()["requestContext"]["authorizer"]["principalId"] == "ana"
    assert requests.get(api.url + "/guarded", headers={"Authorization": "Bearer bad"}, timeout=60).status_code == 401
