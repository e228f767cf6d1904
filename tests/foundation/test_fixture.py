"""
The `ruststack` fixture with every service, as a synchronous suite sees it:
state made in one test is gone in the next.
"""

import time

import pytest

from ruststack.config import ALL_SERVICES


def wait_until_running(ruststack, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        services = ruststack.health()["services"]
        if all(status["state"] == "running" for status in services.values()):
            return services
        assert time.monotonic() < deadline, services
        time.sleep(0.2)


@pytest.fixture
def stack(ruststack):
    wait_until_running(ruststack)
    return ruststack


def test_every_service_runs(stack):
    assert set(wait_until_running(stack)) == set(ALL_SERVICES)


def test_make_state(stack):
    stack.client("s3").create_bucket(Bucket="fixture-bucket")
    stack.client("dynamodb").create_table(
        TableName="fixture-table",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    stack.client("apigateway").create_rest_api(name="fixture-api")
    assert [b["Name"] for b in stack.client("s3").list_buckets()["Buckets"]] == ["fixture-bucket"]


def test_state_is_gone(stack):
    assert stack.client("s3").list_buckets()["Buckets"] == []
    assert stack.client("dynamodb").list_tables()["TableNames"] == []
    assert stack.client("apigateway").get_rest_apis()["items"] == []
