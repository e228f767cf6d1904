"""
SSM inside the test's own reactor (start_stack, pytest-twisted): the
interface other services read parameters through (IParameters), the
AllowedPattern checker's child processes, and the store's ordering.
"""

from __future__ import annotations

import pytest_twisted
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet import defer, reactor
from twisted.python.failure import Failure

from ruststack.aws.errors import AwsError
from ruststack.interfaces import IParameters
from ruststack.ssm import operations, patterns
from ruststack.ssm.parameters import Parameter, Version
from ruststack.ssm.patterns import PatternChecker
from ruststack.ssm.store import ParameterStore, Shard
from ruststack.testing import start_stack


@pytest_twisted.ensureDeferred
async def test_parameters_interface():
    stack = await start_stack(services=("ssm",))
    try:
        ssm = stack.deferred_client("ssm", aws_access_key_id="111122223333")
        await ssm.put_parameter(Name="/cfn/ami", Value="ami-12345678", Type="String")
        await ssm.put_parameter(Name="/cfn/ami", Value="ami-87654321", Overwrite=True)
        await ssm.label_parameter_version(Name="/cfn/ami", ParameterVersion=1, Labels=["golden"])
        await ssm.put_parameter(Name="secret", Value="plain text", Type="SecureString")
        await ssm.put_parameter(Name="list", Value="a,b,c", Type="StringList")
        parameters = IParameters(stack.stack.aws_services["ssm"])
        account, region = "111122223333", "us-east-1"
        assert parameters.value(account, region, "/cfn/ami") == "ami-87654321"
        assert parameters.value(account, region, "/cfn/ami:1") == "ami-12345678"
        assert parameters.value(account, region, "/cfn/ami:golden") == "ami-12345678"
        assert parameters.value(account, region, f"arn:aws:ssm:{region}:{account}:parameter/cfn/ami") == "ami-87654321"
        assert parameters.value(account, region, "secret") == "plain text"
        assert parameters.value(account, region, "/secret") == "plain text"
        assert parameters.value(account, region, "list") == "a,b,c"
        for missing in (
            "/cfn/ami:9",
            "/cfn/ami:silver",
            "nope",
            "bad name",
            "arn:aws:ssm:eu-west-1:111122223333:parameter/cfn/ami",
        ):
            assert parameters.value(account, region, missing) is None, missing
        assert parameters.value("444455556666", region, "/cfn/ami") is None
        assert parameters.value(account, "eu-west-1", "/cfn/ami") is None
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_pattern_checker():
    checker = PatternChecker(reactor, timeout=1.0)
    assert await checker.check(r"^\d+$", "8080") == patterns.MATCH
    assert await checker.check(r"\d+", "80a") == patterns.MISMATCH
    assert await checker.check(r"[\p{Alpha}]+", "abc") == patterns.MATCH
    assert await checker.check("(", "x") == patterns.INVALID
    # Backtracking without end: killed, and the reactor went on meanwhile.
    assert await checker.check("(a+)+$", "a" * 50 + "b") == patterns.TIMEOUT


def version(number: int = 1) -> Version:
    return Version(number=number, value="v", type="String", modified=0.0, user="u")


@given(
    st.sets(
        st.text(alphabet="ab/", min_size=1, max_size=6).filter(lambda k: "//" not in k and not k.startswith("/")),
        max_size=20,
    )
)
def test_a_shard_keeps_its_keys_in_order(keys):
    shard = Shard()
    for key in keys:
        shard.add(Parameter("a", "r", key, [version()]))
    assert shard.keys == sorted(keys) and len(shard) == len(keys)
    assert [p.key for p in shard.after(None)] == sorted(keys)
    for key in keys:
        assert [p.key for p in shard.after(key)] == sorted(k for k in keys if k > key)
        below = [p.key for p in shard.under(key)]
        assert below == sorted(k for k in keys if k.startswith(key + "/"))
    assert [p.key for p in shard.under("")] == sorted(keys)
    for key in list(keys)[::2]:
        shard.remove(shard.parameters[key])
    assert shard.keys == sorted(list(keys)[1::2])


def test_the_store_writes_only_what_changed(tmp_path):
    store = ParameterStore(str(tmp_path))
    parameter = Parameter("111122223333", "us-east-1", "/a/b", [version(1)], {"t": "v"})
    store.create(parameter)
    parameter.versions.append(version(2))
    store.save(parameter, [parameter.versions[-1]])
    store.save(parameter, dropped=[1])
    parameter.versions.pop(0)
    store.close()
    reopened = ParameterStore(str(tmp_path))
    found = reopened.find("111122223333", "us-east-1", "a/b")
    assert found is not None and [v.number for v in found.versions] == [2] and found.tags == {"t": "v"}
    assert reopened.find("111122223333", "eu-west-1", "a/b") is None
    reopened.remove(found)
    assert reopened.find("111122223333", "us-east-1", "a/b") is None
    reopened.close()
    assert ParameterStore(str(tmp_path)).find("111122223333", "us-east-1", "a/b") is None


def test_a_secure_string_shows_its_ciphertext_unless_decrypted():
    secret = Version(number=1, value="p", type="SecureString", modified=0.0, user="u", ciphertext="CT")
    assert (secret.shown_value(False), secret.shown_value(True)) == ("CT", "p")
    assert version().shown_value(False) == "v"


class HeldChecker(PatternChecker):
    """
    A checker whose answer the test gives, when it wants.
    """

    def __init__(self) -> None:
        super().__init__(reactor)
        self.pending: defer.Deferred = defer.Deferred()

    def check(self, pattern: str, value: str) -> defer.Deferred:
        return self.pending


def test_a_change_while_the_pattern_is_checked_is_too_many_updates():
    store = ParameterStore()
    checker = HeldChecker()
    call = operations.Call(store, "111122223333", "us-east-1", 0.0, "arn:aws:iam::111122223333:root", checker)
    checked = defer.ensureDeferred(
        operations.put_parameter(call, {"Name": "p", "Value": "1", "Type": "String", "AllowedPattern": "[0-9]"})
    )
    # Another request creates the parameter while the pattern is checked.
    other = defer.ensureDeferred(operations.put_parameter(call, {"Name": "p", "Value": "x", "Type": "String"}))
    assert other.result == {"Version": 1, "Tier": "Standard"}
    errors: list[AwsError] = []

    def refused(failure: Failure) -> None:
        failure.trap(AwsError)
        assert isinstance(failure.value, AwsError)
        errors.append(failure.value)

    checked.addErrback(refused)
    checker.pending.callback(patterns.MATCH)
    [error] = errors
    assert (error.code, error.status, error.message) == (
        "TooManyUpdates",
        400,
        "There are concurrent updates for a resource that supports one update at a time.",
    )
    found = store.find("111122223333", "us-east-1", "p")
    assert found is not None and [v.value for v in found.versions] == ["x"]
