"""
The notifier with a fake request, store and Lambda on a L{task.Clock}:
events leave only once the answer is finished, never during the request,
and a refused event does not stop the others.
"""

from __future__ import annotations

import json

import attrs
from twisted.internet import defer, task
from twisted.web.http_headers import Headers
from zope.interface import implementer

from ruststack.aws.errors import AwsError
from ruststack.interfaces import ILambdaInvoker
from ruststack.s3 import documents
from ruststack.s3.notifications import CONFIGURATION, Notifier
from ruststack.s3.records import Bucket, ObjectMeta, ObjectRecord

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:f"
REFUSED = "arn:aws:lambda:us-east-1:000000000000:function:refused"


@implementer(ILambdaInvoker)
class FakeLambda:
    def __init__(self):
        self.sent: list[tuple] = []

    def invoke(self, account, region, function, payload, qualifier=None, source=None):
        raise NotImplementedError

    def invoke_event(self, account, region, function, payload, source=None, dry_run=False):
        if function == REFUSED:
            raise AwsError("AccessDeniedException", "no", 403)
        self.sent.append((account, region, function, json.loads(payload), source, dry_run))
        return None if dry_run else "request-id"


class FakeStore:
    def __init__(self, configurations):
        self.document = documents.write(CONFIGURATION, {"LambdaFunctionConfigurations": configurations})

    def bucket_config(self, name, kind):
        return self.document

    def get_bucket(self, name):
        return Bucket(name, "111111111111", "eu-west-1", 0.0)

    def get_object(self, bucket, key):
        return ObjectRecord(bucket, key, 3, '"abc"', 0.0, ObjectMeta())


@attrs.define
class FakeAddress:
    host: str = "10.0.0.7"


class FakeRequest:
    code = 200

    def __init__(self):
        self.finished: defer.Deferred = defer.Deferred()
        self.responseHeaders = Headers({b"x-amz-request-id": [b"REQ"], b"x-amz-id-2": [b"HOST"]})

    def notifyFinish(self):
        return self.finished

    def getClientAddress(self):
        return FakeAddress()


@attrs.define
class FakeCaller:
    account: str = "111111111111"


@attrs.define
class FakeCall:
    request: FakeRequest
    bucket: str = "b"
    key: str = "a b.txt"
    query: dict = attrs.field(factory=dict)
    caller: FakeCaller = attrs.field(factory=FakeCaller)
    deletions: list = attrs.field(factory=list)


def entry(function: str, identifier: str) -> dict:
    return {"Id": identifier, "LambdaFunctionArn": function, "Events": ["s3:ObjectCreated:*"]}


def test_events_leave_after_the_answer():
    clock = task.Clock()
    lam = FakeLambda()
    notifier = Notifier(clock, {"lambda": lam})
    call = FakeCall(FakeRequest())
    store = FakeStore([entry(REFUSED, "first"), entry(FUNCTION, "second")])
    notifier.after(store, call, "PutObject")
    clock.advance(1)
    assert lam.sent == []  # the answer is not finished yet
    call.request.finished.callback(None)
    assert lam.sent == []  # nor sent in the same turn
    clock.advance(0)
    ((account, region, function, payload, source, dry_run),) = lam.sent
    assert (account, region, function, dry_run) == ("111111111111", "eu-west-1", FUNCTION, False)
    assert (source.principal, source.arn) == ("s3.amazonaws.com", "arn:aws:s3:::b")
    (record,) = payload["Records"]
    assert record["awsRegion"] == "eu-west-1"
    assert record["requestParameters"] == {"sourceIPAddress": "10.0.0.7"}
    assert record["responseElements"] == {"x-amz-request-id": "REQ", "x-amz-id-2": "HOST"}
    assert record["s3"]["configurationId"] == "second"
    assert record["s3"]["object"] | {"sequencer": ""} == {"key": "a+b.txt", "size": 3, "eTag": "abc", "sequencer": ""}


def test_a_client_gone_does_not_lose_the_event():
    clock = task.Clock()
    lam = FakeLambda()
    notifier = Notifier(clock, {"lambda": lam})
    call = FakeCall(FakeRequest())
    notifier.after(FakeStore([entry(FUNCTION, "x")]), call, "PutObject")
    call.request.finished.errback(ConnectionError("gone"))
    clock.advance(0)
    assert len(lam.sent) == 1


def test_no_lambda_no_error():
    clock = task.Clock()
    notifier = Notifier(clock, {})
    call = FakeCall(FakeRequest())
    notifier.after(FakeStore([entry(FUNCTION, "x")]), call, "PutObject")
    call.request.finished.callback(None)
    clock.advance(0)  # logged and dropped
