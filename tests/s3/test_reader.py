"""
IObjectReader: how the other services (Lambda's code zips) read S3 objects.
"""

from __future__ import annotations

import pytest

from ruststack.aws.errors import AwsError
from ruststack.interfaces import IObjectReader
from ruststack.s3.records import Bucket, ObjectMeta, ObjectRecord, Staged
from ruststack.s3.service import S3Service
from ruststack.s3.store import Store
from tests.deferreds import result_of


class _Clock:
    def seconds(self) -> float:
        return 0.0


@pytest.fixture
def service():
    made = S3Service(Store(), _Clock(), "us-east-1")
    made.store.create_bucket(Bucket("code", "000000000000", "us-east-1", 0.0))
    yield made
    made.store.close()


def test_provides_the_interface(service):
    assert IObjectReader.providedBy(service)


def test_reads_inline_and_file_bodies(service):
    store = service.store
    store.put_object(ObjectRecord("code", "small.zip", 3, '"e"', 0.0, ObjectMeta(), b"zip"))
    assert result_of(service.read_object("000000000000", "code", "small.zip")) == b"zip"
    f, path = store.new_temporary()
    with f:
        f.write(b"L" * 400_000)
    _, name = result_of(store.place(Staged(400_000, b"", path=path)))
    store.put_object(ObjectRecord("code", "large.zip", 400_000, '"e"', 0.0, ObjectMeta(), None, name))
    assert result_of(service.read_object("000000000000", "code", "large.zip")) == b"L" * 400_000


def test_missing_bucket_and_key_fail_as_s3_does(service):
    failure = result_of(service.read_object("000000000000", "nope", "k"))
    assert isinstance(failure.value, AwsError) and failure.value.code == "NoSuchBucket"
    failure = result_of(service.read_object("000000000000", "code", "missing"))
    assert isinstance(failure.value, AwsError) and failure.value.code == "NoSuchKey"


def test_another_accounts_bucket_is_refused_unless_its_policy_grants(service):
    store = service.store
    store.put_object(ObjectRecord("code", "app.zip", 3, '"e"', 0.0, ObjectMeta(), b"zip"))
    failure = result_of(service.read_object("222222222222", "code", "app.zip"))
    assert isinstance(failure.value, AwsError) and (failure.value.code, failure.value.status) == ("AccessDenied", 403)
    failure = result_of(service.read_object("222222222222", "code", "missing.zip"))
    assert failure.value.code == "AccessDenied"
    store.set_bucket_policy(
        "code",
        '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "222222222222"}, "Action": "s3:GetObject",'
        ' "Resource": "arn:aws:s3:::code/*"}]}',
    )
    assert result_of(service.read_object("222222222222", "code", "app.zip")) == b"zip"
    assert result_of(service.read_object("333333333333", "code", "app.zip")).value.code == "AccessDenied"
