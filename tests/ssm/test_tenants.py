"""
Accounts and regions: each account's parameters in each region are its own,
on a RustStack that verifies signatures (each key in an account through
C{aws_account_id}) and on one that does not (accounts named by 12-digit
access key ids); bad signatures get SSM's answers.
"""

from __future__ import annotations

import pytest

from tests.ssm.conftest import refused
from tests.tenants import ALICE, BOB, tenants_fixture

tenants = tenants_fixture("ssm")


@pytest.fixture
def fresh(tenants):
    tenants.reset("ssm")
    return tenants


def test_accounts_are_isolated(fresh):
    alice, bob = fresh.client("ssm", ALICE), fresh.client("ssm", BOB)
    alice.put_parameter(Name="/shared/name", Value="alice's", Type="SecureString", Tags=[{"Key": "o", "Value": "a"}])
    # Bob has a parameter of the same name, his own.
    bob.put_parameter(Name="/shared/name", Value="bob's", Type="String")
    assert alice.get_parameter(Name="/shared/name", WithDecryption=True)["Parameter"]["Value"] == "alice's"
    assert bob.get_parameter(Name="/shared/name")["Parameter"]["Value"] == "bob's"
    arn = alice.get_parameter(Name="/shared/name")["Parameter"]["ARN"]
    assert arn == f"arn:aws:ssm:us-east-1:{ALICE}:parameter/shared/name"
    # Alice's ARN names nothing Bob may read.
    assert refused(bob.get_parameter, Name=arn) == ("ParameterNotFound", 400, f"Parameter {arn} not found.")
    assert bob.get_parameters(Names=[arn])["InvalidParameters"] == [arn]
    bob.delete_parameter(Name="/shared/name")
    assert alice.get_parameter(Name="/shared/name")["Parameter"]["Version"] == 1
    assert bob.describe_parameters()["Parameters"] == []
    assert [p["Name"] for p in alice.describe_parameters()["Parameters"]] == ["/shared/name"]
    assert bob.get_parameters_by_path(Path="/shared", Recursive=True)["Parameters"] == []
    assert refused(bob.list_tags_for_resource, ResourceType="Parameter", ResourceId="/shared/name")[0] == (
        "InvalidResourceId"
    )
    described = alice.describe_parameters()["Parameters"][0]
    assert described["LastModifiedUser"] == f"arn:aws:iam::{ALICE}:root"


def test_regions_are_isolated(fresh):
    east, west = fresh.client("ssm", ALICE, region="us-east-1"), fresh.client("ssm", ALICE, region="eu-west-1")
    east.put_parameter(Name="region-bound", Value="east", Type="String")
    assert refused(west.get_parameter, Name="region-bound")[0] == "ParameterNotFound"
    west.put_parameter(Name="region-bound", Value="west", Type="String")
    assert west.get_parameter(Name="region-bound")["Parameter"]["ARN"] == (
        f"arn:aws:ssm:eu-west-1:{ALICE}:parameter/region-bound"
    )
    assert east.get_parameter(Name="region-bound")["Parameter"]["Value"] == "east"
    east_arn = east.get_parameter(Name="region-bound")["Parameter"]["ARN"]
    assert refused(west.get_parameter, Name=east_arn)[0] == "ParameterNotFound"


@pytest.mark.parametrize("tenants", ["verify"], indirect=True)
def test_bad_signatures_are_refused_as_ssm_refuses_them(tenants):
    wrong = tenants.client("ssm", ALICE, secret="not-the-secret")
    code, status, _ = refused(wrong.describe_parameters)
    assert (code, status) == ("InvalidSignatureException", 400)
    stranger = tenants.client("ssm", aws_access_key_id="AKIANOBODY", aws_secret_access_key="x")
    assert refused(stranger.describe_parameters) == (
        "UnrecognizedClientException",
        400,
        "The security token included in the request is invalid.",
    )
