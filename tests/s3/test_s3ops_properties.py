"""
Property tests of the parsers the remaining configuration operations added:
configuration ids and List continuation tokens, configuration documents by
id, retention documents, the rule deciding which retention may replace
which, and the store's paging of configurations by id.
"""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruststack.aws.errors import AwsError
from ruststack.s3 import configsbyid, documents, lockstate, objectlock
from ruststack.s3.store import Store

# Text an XML 1.0 document can carry (no control characters, no surrogates).
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10)
ids = st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True)
NOW = 1_800_000_000.0


@given(ids)
def test_a_token_resumes_after_its_id(config_id):
    token = configsbyid.encode_token(config_id)
    assert re.fullmatch(r"[A-Za-z0-9_=-]+", token)
    assert configsbyid.decode_token(token) == config_id


@given(st.text())
def test_any_other_token_is_invalid_argument(token):
    try:
        config_id = configsbyid.decode_token(token)
    except AwsError as error:
        assert (error.code, error.status) == ("InvalidArgument", 400)
        assert dict(error.fields) == {"ArgumentName": "continuation-token", "ArgumentValue": token}
    else:
        assert configsbyid.encode_token(config_id) == token


@given(st.text())
def test_ids_are_what_s3_documents(text):
    assert configsbyid.valid_id(text) == (re.fullmatch(r"[A-Za-z0-9._-]{1,64}", text) is not None)


@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_body_is_a_configuration_or_malformed(body):
    for put in ("PutBucketMetricsConfiguration", "PutObjectRetention", "PutObjectLegalHold", "PutBucketReplication"):
        try:
            documents.read(put, body)
        except AwsError as error:
            assert (error.code, error.status) == ("MalformedXML", 400)


@given(
    ids,
    st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9/ ._-]{0,20}", fullmatch=True)),
    st.lists(st.tuples(xml_text.filter(bool), xml_text), max_size=3),
)
def test_metrics_documents_round_trip(config_id, prefix, tags):
    values: dict = {"Id": config_id}
    if tags:
        values["Filter"] = {
            "And": {"Tags": [{"Key": k, "Value": v} for k, v in tags], **({"Prefix": prefix} if prefix else {})}
        }
    elif prefix is not None:
        values["Filter"] = {"Prefix": prefix}
    document = documents.write("PutBucketMetricsConfiguration", values)
    assert documents.read("PutBucketMetricsConfiguration", document.encode("utf-8")) == values


moments = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1), timezones=st.just(datetime.UTC)
).map(lambda d: d.replace(microsecond=0))
modes = st.sampled_from([lockstate.GOVERNANCE, lockstate.COMPLIANCE])


@given(modes, moments)
def test_retention_documents(mode, until):
    body = documents.write("PutObjectRetention", {"Mode": mode, "RetainUntilDate": until}).encode("utf-8")
    if until.timestamp() <= NOW:
        with pytest.raises(AwsError) as raised:
            objectlock.read_retention(body, NOW)
        assert raised.value.message == "The retain until date must be in the future!"
    else:
        assert objectlock.read_retention(body, NOW) == {"Mode": mode, "RetainUntilDate": until}


retentions = st.one_of(st.just({}), st.builds(lambda m, u: {"Mode": m, "RetainUntilDate": u}, modes, moments))


@given(retentions, retentions, st.booleans())
def test_which_retention_may_replace_which(current, new, bypass):
    allowed = lockstate.may_replace(current, new, bypass, NOW)
    if not lockstate.active(current, NOW):
        assert allowed
    elif (
        new.get("Mode") == current["Mode"]
        and new.get("RetainUntilDate", current["RetainUntilDate"]) >= current["RetainUntilDate"]
        and new
    ):
        assert allowed  # extending is always allowed
    elif current["Mode"] == lockstate.COMPLIANCE:
        assert not allowed
    else:
        assert allowed == bypass


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sets(ids, max_size=40), st.integers(min_value=1, max_value=15))
def test_store_pages_configurations_by_id_in_order(tmp_path, held, page):
    store = Store(str(tmp_path / "s3"))
    try:
        store.reset()
        for config_id in held:
            store.set_bucket_config("b", f"metrics/{config_id}", "<x/>")
            store.set_bucket_config("b", f"inventory/{config_id}", "<x/>")
        store.set_bucket_config("b", "lifecycle", "<x/>")
        seen: list[str] = []
        after = ""
        while True:
            found = configsbyid.METRICS.page(_Context(store), "b", after, page)  # type: ignore[arg-type]
            seen += [kind.split("/", 1)[1] for kind, _ in found]
            if len(found) < page:
                break
            after = seen[-1]
        assert seen == sorted(held)
    finally:
        store.close()


class _Context:
    def __init__(self, store: Store) -> None:
        self.store = store


header_values = st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["GOVERNANCE", "COMPLIANCE", "ON", "OFF"]))


@given(header_values, st.one_of(header_values, moments.map(lambda m: m.isoformat())), header_values)
def test_lock_headers_are_a_lock_or_invalid_argument(mode, until, hold):
    headers = {
        name: value
        for name, value in (
            (objectlock.MODE_HEADER, mode),
            (objectlock.UNTIL_HEADER, until),
            (objectlock.LEGAL_HOLD_HEADER, hold),
        )
        if value is not None
    }
    try:
        found = objectlock.lock_of_headers(headers, NOW)
    except AwsError as error:
        assert (error.code, error.status) == ("InvalidArgument", 400)
        return
    if not headers:
        assert found is None
        return
    assert found is not None
    retention, held = found
    assert held == hold
    if retention:
        assert retention["Mode"] == mode and retention["RetainUntilDate"].timestamp() > NOW
    else:
        assert mode is None and until is None
