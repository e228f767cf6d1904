"""
Two accounts on one RustStack: what one account may do to the other's
functions when it names them by ARN. Lambda answers as AWS does: 403
C{AccessDeniedException} unless the function's resource policy grants the
caller's account, and then only for the APIs Lambda lets other accounts use
("Granting function access to other accounts" in the Lambda developer guide).

Each test runs on a stack that verifies signatures (each key in an account
through C{aws_account_id}) and on one that does not (accounts named by
12-digit access key ids).
"""

from __future__ import annotations

import json

import boto3
import pytest

from tests.awslambda import functions
from tests.awslambda.functions import create
from tests.tenants import ALICE, BOB, CAROL, REGION, tenants_fixture

HELLO = """
def handler(event, context):
    return {"hello": context.invoked_function_arn}
"""


tenants = tenants_fixture("lambda", accounts=(ALICE, BOB, CAROL))


@pytest.fixture
def alice(tenants):
    tenants.reset("lambda")
    return tenants.client("lambda", ALICE)


@pytest.fixture
def bob(tenants):
    return tenants.client("lambda", BOB)


def arn(name: str, account: str = ALICE) -> str:
    return f"arn:aws:lambda:{REGION}:{account}:function:{name}"


def denial(action: str, resource: str, caller: str = BOB) -> str:
    # The wording of AWS's "enhanced" access denied messages, with the
    # principal printed as the account's own credentials are (its root).
    return (
        f"User: arn:aws:iam::{caller}:root is not authorized to perform: {action} on resource: {resource}"
        f" because no resource-based policy allows the {action} action"
    )


def assert_denied(call, action: str, resource: str) -> None:
    with pytest.raises(boto3.client("lambda", region_name=REGION).exceptions.ClientError) as raised:
        call()
    response = raised.value.response
    assert response["Error"]["Code"] == "AccessDeniedException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "AccessDeniedException"
    assert response["Error"]["Message"] == denial(action, resource)


def invoke(client, name: str) -> dict:
    response = client.invoke(FunctionName=name, Payload=b"{}")
    assert "FunctionError" not in response
    return json.loads(response["Payload"].read())


def test_another_account_cannot_invoke_by_arn(alice, bob):
    create(alice, "private", HELLO)
    assert_denied(lambda: bob.invoke(FunctionName=arn("private")), "lambda:InvokeFunction", arn("private"))
    assert_denied(lambda: bob.invoke(FunctionName=f"{ALICE}:function:private"), "lambda:InvokeFunction", arn("private"))
    assert_denied(
        lambda: bob.invoke(FunctionName=arn("private"), InvocationType="Event"),
        "lambda:InvokeFunction",
        arn("private"),
    )
    assert_denied(
        lambda: bob.invoke(FunctionName=arn("private") + ":$LATEST"),
        "lambda:InvokeFunction",
        arn("private") + ":$LATEST",
    )
    assert_denied(
        lambda: bob.invoke_async(FunctionName=arn("private"), InvokeArgs=b"{}"), "lambda:InvokeFunction", arn("private")
    )
    # Its owner still reaches it by any name.
    assert invoke(alice, arn("private")) == {"hello": arn("private")}
    assert invoke(alice, "private") == {"hello": arn("private")}


# (operation, its IAM action, arguments besides the function's ARN)
OPERATIONS = [
    ("get_function", "lambda:GetFunction", {}),
    ("get_function_configuration", "lambda:GetFunctionConfiguration", {}),
    ("update_function_code", "lambda:UpdateFunctionCode", {"ZipFile": functions.package({"app.py": HELLO})}),
    ("update_function_configuration", "lambda:UpdateFunctionConfiguration", {"Timeout": 60}),
    ("delete_function", "lambda:DeleteFunction", {}),
    ("get_policy", "lambda:GetPolicy", {}),
    (
        "add_permission",
        "lambda:AddPermission",
        {"StatementId": "me", "Action": "lambda:InvokeFunction", "Principal": BOB},
    ),
    ("remove_permission", "lambda:RemovePermission", {"StatementId": "owner"}),
    ("list_versions_by_function", "lambda:ListVersionsByFunction", {}),
    ("put_function_concurrency", "lambda:PutFunctionConcurrency", {"ReservedConcurrentExecutions": 0}),
    ("get_function_concurrency", "lambda:GetFunctionConcurrency", {}),
    ("delete_function_concurrency", "lambda:DeleteFunctionConcurrency", {}),
]
TAGGING = [
    ("list_tags", "lambda:ListTags", {}),
    ("tag_resource", "lambda:TagResource", {"Tags": {"owner": "bob"}}),
    ("untag_resource", "lambda:UntagResource", {"TagKeys": ["team"]}),
]


def _call(client, operation: str, target: str, arguments: dict):
    member = "Resource" if operation in ("list_tags", "tag_resource", "untag_resource") else "FunctionName"
    return lambda: getattr(client, operation)(**{member: target}, **arguments)


@pytest.mark.parametrize("operation, action, arguments", OPERATIONS + TAGGING, ids=lambda v: str(v)[:40])
def test_another_account_cannot_read_or_change_a_function(alice, bob, operation, action, arguments):
    created = create(alice, "guarded", HELLO, Tags={"team": "a"})
    alice.add_permission(FunctionName="guarded", StatementId="owner", Action="lambda:InvokeFunction", Principal=ALICE)
    before = alice.get_function(FunctionName="guarded")
    policy = alice.get_policy(FunctionName="guarded")["Policy"]

    assert_denied(_call(bob, operation, arn("guarded"), arguments), action, arn("guarded"))
    if operation not in ("list_tags", "tag_resource", "untag_resource"):
        assert_denied(_call(bob, operation, f"{ALICE}:function:guarded", arguments), action, arn("guarded"))

    after = alice.get_function(FunctionName="guarded")
    assert after["Configuration"]["RevisionId"] == created["RevisionId"]
    assert after["Configuration"]["CodeSha256"] == before["Configuration"]["CodeSha256"]
    assert after["Configuration"]["Timeout"] == before["Configuration"]["Timeout"]
    assert after["Tags"] == {"team": "a"} and "Concurrency" not in after
    assert alice.get_policy(FunctionName="guarded")["Policy"] == policy


def test_a_missing_function_of_another_account_is_denied_not_missing(alice, bob):
    # Another account learns nothing about which functions exist.
    assert_denied(lambda: bob.get_function(FunctionName=arn("nothing")), "lambda:GetFunction", arn("nothing"))
    assert_denied(lambda: bob.invoke(FunctionName=arn("nothing")), "lambda:InvokeFunction", arn("nothing"))
    with pytest.raises(alice.exceptions.ResourceNotFoundException):
        alice.get_function(FunctionName=arn("nothing"))


def test_a_function_cannot_be_created_in_another_account(alice, bob):
    with pytest.raises(bob.exceptions.ClientError) as raised:
        bob.create_function(
            FunctionName=arn("planted"),
            Runtime="python3.11",
            Role=functions.ROLE,
            Handler="app.handler",
            Code={"ZipFile": functions.package({"app.py": HELLO})},
        )
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert raised.value.response["Error"]["Message"] == denial("lambda:CreateFunction", arn("planted"))
    assert alice.list_functions()["Functions"] == [] and bob.list_functions()["Functions"] == []


@pytest.mark.parametrize("principal", [BOB, f"arn:aws:iam::{BOB}:root", "*"])
def test_a_granted_account_may_invoke_and_nothing_more(alice, bob, principal):
    create(alice, "shared", HELLO)
    alice.add_permission(FunctionName="shared", StatementId="bob", Action="lambda:InvokeFunction", Principal=principal)
    assert invoke(bob, arn("shared")) == {"hello": arn("shared")}
    assert bob.invoke(FunctionName=arn("shared"), InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert_denied(lambda: bob.get_function(FunctionName=arn("shared")), "lambda:GetFunction", arn("shared"))
    assert_denied(lambda: bob.delete_function(FunctionName=arn("shared")), "lambda:DeleteFunction", arn("shared"))
    # A name without an account is the caller's own namespace.
    with pytest.raises(bob.exceptions.ResourceNotFoundException):
        bob.invoke(FunctionName="shared")


def test_a_grant_to_another_account_does_not_reach_a_third(alice, tenants):
    create(alice, "for-bob", HELLO)
    alice.add_permission(FunctionName="for-bob", StatementId="bob", Action="lambda:*", Principal=BOB)
    carol = tenants.client("lambda", CAROL)
    with pytest.raises(carol.exceptions.ClientError) as raised:
        carol.invoke(FunctionName=arn("for-bob"))
    assert raised.value.response["Error"]["Message"] == denial("lambda:InvokeFunction", arn("for-bob"), CAROL)


def test_lambda_star_grants_only_what_lambda_shares_across_accounts(alice, bob):
    create(alice, "wide", HELLO)
    alice.add_permission(FunctionName="wide", StatementId="bob", Action="lambda:*", Principal=BOB)
    assert bob.get_function(FunctionName=arn("wide"))["Configuration"]["FunctionArn"] == arn("wide")
    assert bob.get_function_configuration(FunctionName=arn("wide"))["FunctionName"] == "wide"
    assert json.loads(bob.get_policy(FunctionName=arn("wide"))["Policy"])["Statement"][0]["Sid"] == "bob"
    assert invoke(bob, arn("wide")) == {"hello": arn("wide")}
    # Lambda serves these to the function's own account only, whatever its policy says.
    assert_denied(
        lambda: bob.update_function_configuration(FunctionName=arn("wide"), Timeout=60),
        "lambda:UpdateFunctionConfiguration",
        arn("wide"),
    )
    assert_denied(
        lambda: bob.add_permission(FunctionName=arn("wide"), StatementId="more", Action="lambda:*", Principal="*"),
        "lambda:AddPermission",
        arn("wide"),
    )
    assert_denied(
        lambda: bob.remove_permission(FunctionName=arn("wide"), StatementId="bob"),
        "lambda:RemovePermission",
        arn("wide"),
    )
    assert alice.get_function_configuration(FunctionName="wide")["Timeout"] == 10


def test_lambda_star_lets_the_granted_account_update_and_delete(alice, bob):
    # UpdateFunctionCode and DeleteFunction are among the APIs Lambda shares.
    create(alice, "handed-over", HELLO)
    alice.add_permission(FunctionName="handed-over", StatementId="bob", Action="lambda:*", Principal=BOB)
    updated = bob.update_function_code(
        FunctionName=arn("handed-over"), ZipFile=functions.package({"app.py": functions.ECHO})
    )
    assert updated["FunctionArn"] == arn("handed-over")
    bob.delete_function(FunctionName=arn("handed-over"))
    with pytest.raises(alice.exceptions.ResourceNotFoundException):
        alice.get_function(FunctionName="handed-over")


@pytest.mark.parametrize(
    "statement",
    [
        # AWS:SourceAccount is only set when a service calls: never for an account.
        {"Principal": BOB, "SourceAccount": BOB},
        # No organizations here: aws:PrincipalOrgID never holds.
        {"Principal": "*", "PrincipalOrgID": "o-a1b2c3d4e5"},
        # A service principal is not an account.
        {"Principal": "apigateway.amazonaws.com"},
        # Another account, or only a user of this one.
        {"Principal": CAROL},
        {"Principal": f"arn:aws:iam::{BOB}:user/bob"},
        # Another action.
        {"Principal": BOB, "Action": "lambda:GetFunction"},
    ],
    ids=str,
)
def test_statements_that_do_not_hold_grant_nothing(alice, bob, statement):
    create(alice, "narrow", HELLO)
    alice.add_permission(FunctionName="narrow", StatementId="s", **{"Action": "lambda:InvokeFunction", **statement})
    assert_denied(lambda: bob.invoke(FunctionName=arn("narrow")), "lambda:InvokeFunction", arn("narrow"))
