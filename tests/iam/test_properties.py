"""
Property tests of what IAM reads from its callers and writes back: ARNs,
policy documents' URL encoding (read back by botocore's own handler), the
document check, paging markers, and the state kept on disk.
"""

from __future__ import annotations

import json
import string
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.handlers import decode_quoted_jsondoc
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.task import Clock

from ruststack.aws.errors import AwsError
from ruststack.iam import documents
from ruststack.iam.calls import page
from ruststack.iam.model import Account, ManagedPolicy, PolicyVersion, Role, User, new_access_key, new_id
from ruststack.iam.names import IamArn, name_key
from ruststack.iam.store import IamStore

NAME_CHARACTERS = string.ascii_letters + string.digits + "+=,.@_-"
names = st.text(NAME_CHARACTERS, min_size=1, max_size=64)
segments = st.text(string.ascii_letters + string.digits + "-_.+@=,", min_size=1, max_size=12)
paths = st.lists(segments, max_size=4).map(lambda parts: "/" + "".join(p + "/" for p in parts))
accounts = st.one_of(st.just("aws"), st.text("0123456789", min_size=12, max_size=12))
kinds = st.sampled_from(["role", "policy", "user"])
# The characters the model lets a policy document hold.
document_characters = st.characters(codec="latin-1", categories=None).filter(
    lambda c: c in "\t\n\r" or 0x20 <= ord(c) <= 0xFF
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(document_characters, max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(document_characters, max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(accounts, kinds, paths, names)
def test_an_arn_reads_back_as_written(account, kind, path, name):
    arn = IamArn(account, kind, path, name)
    assert IamArn.parse(str(arn)) == arn


@given(st.text(max_size=80))
def test_any_text_is_an_arn_or_a_value_error(text):
    try:
        arn = IamArn.parse(text)
    except ValueError:
        return
    assert str(arn) == text
    assert arn.path.startswith("/") and arn.path.endswith("/") and arn.name and "/" not in arn.name


@pytest.mark.parametrize(
    "text",
    [
        "arn:aws:iam::123456789012:role",  # no name
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/a//b",
        "arn:aws:iam:us-east-1:123456789012:role/r",  # IAM has no region
        "arn:aws:s3:::bucket/key",
        "arn:aws:iam::12345:role/r",
        "arn:aws:iam::123456789012:group/g",
    ],
)
def test_not_iam_arns(text):
    with pytest.raises(ValueError):
        IamArn.parse(text)


@given(st.text(document_characters, max_size=200))
def test_an_encoded_document_is_rfc_3986_and_decodes_to_itself(document):
    encoded = documents.encoded(document)
    assert set(encoded) <= set(string.ascii_letters + string.digits + "-._~%")
    assert unquote(encoded) == document


@given(json_values, st.sampled_from([None, 0, 2, 4]))
def test_botocore_reads_an_encoded_document_as_the_json_sent(value, indent):
    document = json.dumps(value, indent=indent, ensure_ascii=False)
    assert decode_quoted_jsondoc(documents.encoded(document)) == value


@given(st.text(document_characters, max_size=100))
def test_the_document_check_answers_malformed_or_accepts(document):
    try:
        documents.check(document)
    except AwsError as error:
        assert (error.code, error.status) == ("MalformedPolicyDocument", 400)
        assert error.message in (
            documents.INVALID_JSON,
            documents.SYNTAX_ERRORS,
            documents.PRINCIPAL_IN_IDENTITY_POLICY,
        )
    else:
        assert "Statement" in json.loads(document)


@given(json_values)
def test_json_without_statements_is_a_syntax_error(value):
    if isinstance(value, dict) and "Statement" in value:
        return
    with pytest.raises(AwsError) as raised:
        documents.check(json.dumps(value))
    assert raised.value.message == documents.SYNTAX_ERRORS


@given(st.lists(names, unique_by=name_key, max_size=30), st.integers(1, 7))
def test_pages_give_every_item_once_in_order(items, size):
    seen: list[str] = []
    params: dict[str, Any] = {"MaxItems": size}
    while True:
        chosen, more = page(items, name_key, params)
        assert len(chosen) <= size
        seen.extend(chosen)
        if not more["IsTruncated"]:
            assert "Marker" not in more
            break
        params["Marker"] = more["Marker"]
        assert 1 <= len(more["Marker"]) <= 320  # the model's markerType
    assert seen == sorted(items, key=name_key)


def test_ids_have_iam_forms():
    assert new_id("AROA")[:4] == "AROA" and len(new_id("AROA")) == 21
    key, secret = new_access_key()
    assert len(key) == 20 and key.startswith("AKIA") and len(secret) == 40


@given(names, paths, st.text(document_characters, max_size=30), st.lists(names, max_size=3))
def test_state_survives_the_disk(tmp_path_factory, name, path, document, attached):
    account = Account("123456789012", 1)
    account.roles[name_key(name)] = Role(
        "123456789012", name, path, new_id("AROA"), 2, document, tags=[{"Key": "k", "Value": "v"}], attached=attached
    )
    account.policies["p"] = ManagedPolicy(
        "123456789012", "p", path, new_id("ANPA"), 3, [PolicyVersion("v1", document, 3)], description="d"
    )
    account.users["u"] = User("123456789012", "u", path, new_id("AIDA"), 4)
    folder = str(tmp_path_factory.mktemp("state"))
    store = IamStore(Clock(), folder)
    store.accounts[account.id] = account
    store.save()
    again = IamStore(Clock(), folder)
    assert again.accounts == {account.id: account}
