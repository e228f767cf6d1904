"""
The Lambda and API Gateway pages under C{--auth verify}: a console session
signed in with one account's key sees that account's functions, logs and
APIs only -- its live tail included, which hears of another account's
invocations nothing at all.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from tests.awslambda.functions import ECHO, create
from tests.roles import execution_role
from tests.tenants import ALICE, BOB, tenants_fixture

tenants = tenants_fixture("sts,iam,logs,lambda,apigateway,apigatewayv2", verify=True)


def signed_in(tenants, account: str) -> requests.Session:
    session = requests.Session()
    key, secret = tenants.keys[account]
    answer = session.post(
        tenants.endpoint_url + "/_ruststack/signin",
        data={"access_key": key, "secret_key": secret, "next": "/_ruststack/lambda/"},
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return session


@pytest.fixture(scope="module")
def alices(tenants):
    client = tenants.client("lambda", ALICE)
    create(client, "alices", ECHO, Role=execution_role(client))
    client.invoke(FunctionName="alices", Payload=json.dumps({"print": "alice's secret line"}).encode())
    tenants.client("apigateway", ALICE).create_rest_api(name="alices-api")
    return client


def test_signed_out_is_sent_to_sign_in(tenants, alices) -> None:
    answer = requests.get(tenants.endpoint_url + "/_ruststack/lambda/functions/alices/tail", allow_redirects=False)
    assert answer.status_code == 303 and "/_ruststack/signin" in answer.headers["location"]


def test_each_account_sees_its_own(tenants, alices) -> None:
    alice, bob = signed_in(tenants, ALICE), signed_in(tenants, BOB)
    assert "alices" in alice.get(tenants.endpoint_url + "/_ruststack/lambda/").text
    assert "alices" not in bob.get(tenants.endpoint_url + "/_ruststack/lambda/").text
    assert bob.get(tenants.endpoint_url + "/_ruststack/lambda/functions/alices").status_code == 404
    assert "alices-api" in alice.get(tenants.endpoint_url + "/_ruststack/apigateway/").text
    assert "alices-api" not in bob.get(tenants.endpoint_url + "/_ruststack/apigateway/").text
    # Bob names Alice's function in a log page: his own (empty) log group is read.
    page = bob.get(
        tenants.endpoint_url + "/_ruststack/lambda/functions/alices/invocations/x",
        params={"stream": "s", "started": "0"},
    )
    assert page.status_code == 404 and "secret" not in page.text


def test_a_tail_hears_only_its_account(tenants, alices) -> None:
    class Tail:
        def __init__(self, session: requests.Session) -> None:
            self.session = session
            self.lines: list[str] = []
            self.answer = session.get(
                tenants.endpoint_url + "/_ruststack/lambda/functions/alices/tail", stream=True, timeout=10
            )
            assert self.answer.status_code == 200
            threading.Thread(target=self.read, daemon=True).start()

        def read(self) -> None:
            try:
                for line in self.answer.iter_lines():
                    if line.startswith(b"data:"):
                        self.lines.append(json.loads(line[5:])["message"])
            except Exception:
                pass  # closed

    alice, bob = Tail(signed_in(tenants, ALICE)), Tail(signed_in(tenants, BOB))
    time.sleep(0.5)
    assert any("alice's secret line" in line for line in alice.lines)  # the backlog
    alices.invoke(FunctionName="alices", Payload=json.dumps({"print": "a new line"}).encode())
    deadline = time.monotonic() + 5
    while not any("a new line" in line for line in alice.lines) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    alice.answer.close()
    bob.answer.close()
    assert any("a new line" in line for line in alice.lines)
    assert bob.lines == []
