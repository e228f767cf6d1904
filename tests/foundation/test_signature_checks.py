"""
What AWS refuses of a signature before any service sees the request, over
real sockets: a clock too far off (with --auth verify), presigned URLs valid
for more than a week, credential scopes that name no AWS region.
"""

from __future__ import annotations

import datetime
import re

import botocore.auth
import botocore.crt.auth
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from ruststack.testing import RustStackProcess
from tests.dynamodb.helpers import JAR, requires_dynamodb_local, wait_running

pytestmark = requires_dynamodb_local

KEY, SECRET = "AKIADEV", "dev-secret"
NO_RETRIES = BotoConfig(retries={"max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def verifying(tmp_path_factory):
    credentials = tmp_path_factory.mktemp("auth") / "credentials"
    credentials.write_text(f"[dev]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")
    stack = RustStackProcess.start(
        "--services", "s3,dynamodb,lambda", "--dynamodb-local-jar", JAR, "--auth", "verify",
        "--credentials-file", str(credentials),
    )  # fmt: skip
    try:
        wait_running(stack)
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def persistent(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    stack = RustStackProcess.start("--services", "s3,dynamodb", "--dynamodb-local-jar", JAR, "--data-dir", str(data))
    try:
        wait_running(stack)
        yield stack
    finally:
        stack.stop()


def client(stack, service: str):
    return stack.client(service, aws_access_key_id=KEY, aws_secret_access_key=SECRET, config=NO_RETRIES)


def shift_clock(monkeypatch, minutes: int) -> None:
    """
    Sign as if this machine's clock were C{minutes} off (botocore's signers,
    and the CRT ones that boto3 prefers for S3 when awscrt is installed).
    """
    real = botocore.auth.get_current_datetime

    def shifted(*args, **kwargs):
        return real(*args, **kwargs) + datetime.timedelta(minutes=minutes)

    monkeypatch.setattr(botocore.auth, "get_current_datetime", shifted)
    monkeypatch.setattr(botocore.crt.auth, "get_current_datetime", shifted)


@pytest.fixture(params=[-20, 20], ids=["behind", "ahead"])
def skewed_clock(request, monkeypatch):
    shift_clock(monkeypatch, request.param)
    return request.param


def test_s3_refuses_a_skewed_clock(verifying, skewed_clock):
    with pytest.raises(ClientError) as raised:
        client(verifying, "s3").list_buckets()
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "RequestTimeTooSkewed"
    assert error["Message"] == "The difference between the request time and the current time is too large."
    assert error["MaxAllowedSkewMilliseconds"] == "900000"
    assert re.fullmatch(r"\d{8}T\d{6}Z", error["RequestTime"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", error["ServerTime"])


@pytest.mark.parametrize(("service", "status"), [("dynamodb", 400), ("lambda", 403)])
def test_json_services_refuse_a_skewed_clock(verifying, skewed_clock, service, status):
    call = (
        client(verifying, service).list_tables if service == "dynamodb" else client(verifying, service).list_functions
    )
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error["Code"] == "InvalidSignatureException"
    stamp = r"\d{8}T\d{6}Z"
    if skewed_clock < 0:
        expected = rf"Signature expired: {stamp} is now earlier than {stamp} \({stamp} - 15 min\.\)"
    else:
        expected = rf"Signature not yet current: {stamp} is still later than {stamp} \({stamp} \+ 15 min\.\)"
    assert re.fullmatch(expected, error["Message"]), error["Message"]


def test_a_clock_within_fifteen_minutes_is_accepted(verifying, monkeypatch):
    shift_clock(monkeypatch, -14)
    assert client(verifying, "s3").list_buckets()["Buckets"] == []
    assert "TableNames" in client(verifying, "dynamodb").list_tables()


@pytest.mark.parametrize("stack_name", ["verifying", "persistent"])
def test_presigned_urls_live_a_week_at_most(request, stack_name):
    stack = request.getfixturevalue(stack_name)
    # SigV4 query signing: boto3 presigns S3 in us-east-1 with SigV2 by default, which has no such limit.
    s3 = stack.client(
        "s3",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        config=NO_RETRIES.merge(BotoConfig(signature_version="s3v4")),
    )
    s3.create_bucket(Bucket="week-long")
    s3.put_object(Bucket="week-long", Key="k", Body=b"x")
    week = 7 * 24 * 3600
    assert requests.get(s3.generate_presigned_url("get_object", Params={"Bucket": "week-long", "Key": "k"},
                                                  ExpiresIn=week), timeout=10).status_code == 200  # fmt: skip
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "week-long", "Key": "k"}, ExpiresIn=week + 1)
    response = requests.get(url, timeout=10)
    assert response.status_code == 400
    assert "<Code>AuthorizationQueryParametersError</Code>" in response.text
    assert "<Message>X-Amz-Expires must be less than a week (in seconds) that is 604800</Message>" in response.text


def signed(stack, service: str, region: str, target: str | None = None, method: str = "POST", path: str = "/"):
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"} if target else {}
    request = AWSRequest(method, stack.endpoint_url + path, data=b"{}" if target else b"", headers=headers)
    SigV4Auth(Credentials(KEY, SECRET), service, region).add_auth(request)
    return requests.request(method, request.url, headers=dict(request.headers), data=request.body, timeout=10)


@pytest.mark.parametrize("region", ["x" * 300, "nowhere-1", "US-EAST-1", "us-east-1 "])
def test_a_scope_naming_no_region_never_reaches_dynamodb_local(persistent, region):
    response = signed(persistent, "dynamodb", region, "DynamoDB_20120810.ListTables")
    assert response.status_code == 400
    assert response.json() == {
        "__type": "com.amazon.coral.service#InvalidSignatureException",
        "message": f"Credential should be scoped to a valid region, not '{region}'. ",
    }
    # DynamoDB Local still serves everyone, and health says so.
    assert signed(persistent, "dynamodb", "eu-west-1", "DynamoDB_20120810.ListTables").status_code == 200
    assert persistent.health()["services"]["dynamodb"]["state"] == "running"


def test_s3_refuses_a_scope_naming_no_region(persistent):
    response = signed(persistent, "s3", "nowhere-1", method="GET")
    assert response.status_code == 400
    assert "<Code>AuthorizationHeaderMalformed</Code>" in response.text
    assert (
        "<Message>The authorization header is malformed; the region 'nowhere-1' is wrong; expecting 'us-east-1'"
        "</Message><Region>us-east-1</Region>"
    ) in response.text
