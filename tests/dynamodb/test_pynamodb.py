"""
PynamoDB, an ORM over botocore's low-level client, against RustStack: models
with a GSI, conditional saves, atomic updates, queries and batch access.
"""

from __future__ import annotations

import pytest

from tests.dynamodb.helpers import requires_dynamodb_local

pynamodb = pytest.importorskip("pynamodb", reason="pynamodb is not installed (pip install -e '.[test]')")

from pynamodb.attributes import NumberAttribute, UnicodeAttribute  # noqa: E402
from pynamodb.exceptions import PutError, UpdateError  # noqa: E402
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex  # noqa: E402
from pynamodb.models import Model  # noqa: E402

pytestmark = requires_dynamodb_local


def models(endpoint_url: str, region_name: str):
    class ByOwner(GlobalSecondaryIndex):
        class Meta:
            index_name = "by-owner"
            projection = AllProjection()

        owner = UnicodeAttribute(hash_key=True)

    class Note(Model):
        class Meta:
            table_name = "notes"
            host = endpoint_url
            region = region_name
            aws_access_key_id = "test"
            aws_secret_access_key = "test"
            billing_mode = "PAY_PER_REQUEST"

        note_id = UnicodeAttribute(hash_key=True)
        owner = UnicodeAttribute()
        text = UnicodeAttribute(null=True)
        version = NumberAttribute(default=0)
        by_owner = ByOwner()

    return Note


def test_pynamodb_models(stack):
    Note = models(stack.endpoint_url, stack.region)
    Note.create_table(wait=True)
    assert Note.exists()
    Note("n1", owner="ada", text="first").save()
    Note("n2", owner="ada", text="second").save()
    Note("n3", owner="bob").save()
    with pytest.raises(PutError) as raised:
        Note("n1", owner="eve").save(condition=Note.note_id.does_not_exist())
    assert raised.value.cause_response_code == "ConditionalCheckFailedException"
    note = Note.get("n1")
    note.update(actions=[Note.version.add(1), Note.text.set("edited")])
    assert (Note.get("n1").text, Note.get("n1").version) == ("edited", 1)
    with pytest.raises(UpdateError):
        note.update(actions=[Note.text.set("x")], condition=Note.version == 5)
    assert sorted(n.note_id for n in Note.by_owner.query("ada")) == ["n1", "n2"]
    assert sorted(n.note_id for n in Note.batch_get(["n1", "n3", "missing"])) == ["n1", "n3"]
    assert Note.count() == 3
    with pytest.raises(Note.DoesNotExist):
        Note.get("missing")
    Note.delete_table()
    assert not Note.exists()
