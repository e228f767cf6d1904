"""
Where layer versions live, and the C{/opt} each function's layers make.

A layer version's zip is kept and unpacked once, beside the functions' code
packages (L{FunctionStore.install}, named by its digest like them). A
function with layers runs with an "opt view": one folder holding its layers
merged in order, later layers over earlier ones (as Lambda extracts them into
C{/opt}), made of hard links to the unpacked layers, built once per ordered
set of layers, off the reactor, and mounted read-only as C{/opt}.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from twisted.internet import defer, threads
from twisted.python.failure import Failure

from ruststack.awslambda import code
from ruststack.awslambda.environment import when_fired
from ruststack.awslambda.functions import FunctionCode

if TYPE_CHECKING:
    from ruststack.awslambda.store import FunctionStore


@attrs.define(eq=False)
class LayerVersion:
    """
    One published version of a layer, with its resource policy (who else
    may use it: C{lambda:GetLayerVersion} statements).
    """

    account: str
    region: str
    name: str
    version: int
    code: FunctionCode
    created: float
    description: str = ""
    license_info: str | None = None
    compatible_runtimes: list[str] = attrs.field(factory=list)
    compatible_architectures: list[str] = attrs.field(factory=list)
    policy: list[dict] = attrs.field(factory=list)
    policy_revision_id: str = attrs.field(factory=lambda: str(uuid.uuid4()))

    @property
    def layer_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:layer:{self.name}"

    @property
    def arn(self) -> str:
        return f"{self.layer_arn}:{self.version}"

    def to_json(self) -> dict:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LayerVersion:
        values = dict(data)
        values["code"] = FunctionCode(**values["code"])
        return cls(**values)


class LayerStore:
    """
    Layer versions by (account, region, layer name, version), persisted as
    C{layers.json} beside the functions' index; their packages live in the
    L{FunctionStore}'s code folder.
    """

    def __init__(self, functions: FunctionStore) -> None:
        self.functions = functions
        self.reactor = functions.reactor
        self.opt_folder = os.path.join(functions.folder, "opt")
        os.makedirs(self.opt_folder, exist_ok=True)
        self._layers: dict[tuple[str, str, str], dict[int, LayerVersion]] = {}
        # Version numbers are never reused, even once every version is deleted.
        self._last: dict[tuple[str, str, str], int] = {}
        # Opt views being built (by name): who waits for each.
        self._building: dict[str, list[defer.Deferred]] = {}
        if functions.persistent:
            self._load()

    @property
    def _index(self) -> str:
        return os.path.join(self.functions.folder, "layers.json")

    def get(self, account: str, region: str, name: str, version: int) -> LayerVersion | None:
        return self._layers.get((account, region, name), {}).get(version)

    def versions(self, account: str, region: str, name: str) -> list[LayerVersion]:
        """
        A layer's versions, newest first (as ListLayerVersions lists them).
        """
        found = self._layers.get((account, region, name), {})
        return [found[number] for number in sorted(found, reverse=True)]

    def names(self, account: str, region: str) -> list[str]:
        # Layers all of whose versions were deleted are not listed.
        return sorted(
            name
            for (owner, where, name), found in self._layers.items()
            if found and owner == account and where == region
        )

    def __iter__(self) -> Iterator[LayerVersion]:
        for found in self._layers.values():
            yield from found.values()

    def next_version(self, account: str, region: str, name: str) -> int:
        key = (account, region, name)
        self._last[key] = self._last.get(key, 0) + 1
        return self._last[key]

    def put(self, layer: LayerVersion) -> None:
        self._layers.setdefault((layer.account, layer.region, layer.name), {})[layer.version] = layer
        self.save()

    def remove(self, layer: LayerVersion) -> None:
        self._layers.get((layer.account, layer.region, layer.name), {}).pop(layer.version, None)
        self.save()

    def referenced(self) -> set[str]:
        """
        The packages a layer version, or a function or version configured
        with one (deleted since or not), uses.
        """
        keys = {layer.code.key for layer in self}
        for function in self.functions:
            for version in (function, *function.versions.values()):
                keys.update(entry["key"] for entry in version.layers)
        return keys

    def save(self) -> None:
        if not self.functions.persistent:
            return
        temporary = f"{self._index}.{uuid.uuid4().hex}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "versions": [layer.to_json() for layer in self],
                    "last": [[*key, number] for key, number in self._last.items()],
                },
                f,
            )
        os.replace(temporary, self._index)

    def clear(self) -> None:
        self._layers.clear()
        self._last.clear()
        self._building.clear()
        shutil.rmtree(self.opt_folder, ignore_errors=True)
        os.makedirs(self.opt_folder, exist_ok=True)
        self.save()

    def _load(self) -> None:
        if not os.path.exists(self._index):
            return
        with open(self._index, encoding="utf-8") as f:
            data = json.load(f)
        for account, region, name, number in data.get("last", []):
            self._last[(account, region, name)] = number
        for entry in data.get("versions", []):
            layer = LayerVersion.from_json(entry)
            if os.path.isdir(self.functions.code_dir(layer.code.key)):
                self._layers.setdefault((layer.account, layer.region, layer.name), {})[layer.version] = layer

    # Opt views

    def view(self, keys: Sequence[str]) -> defer.Deferred:
        """
        The folder holding the layer packages C{keys} merged in order (the
        function's C{/opt}); a Deferred firing with it once built (at once
        when it already is). Waits for packages still being unpacked.
        """
        name = hashlib.sha256("\n".join(keys).encode()).hexdigest()
        folder = os.path.join(self.opt_folder, name)
        if os.path.isdir(folder):
            return defer.succeed(folder)
        waiting: defer.Deferred = defer.Deferred()
        waiters = self._building.get(name)
        if waiters is not None:
            waiters.append(waiting)
            return waiting
        waiters = self._building[name] = [waiting]

        def built(result: Any) -> None:
            if self._building.get(name) is waiters:
                del self._building[name]
            for each in waiters:
                if isinstance(result, Failure):
                    each.errback(result)
                else:
                    each.callback(result)

        defer.ensureDeferred(self._build(keys, folder)).addBoth(built)
        return waiting

    async def _build(self, keys: Sequence[str], folder: str) -> str:
        for key in keys:
            unpacking = self.functions.installs.get(key)
            if unpacking is not None:
                await when_fired(unpacking)
        sources = [self.functions.code_dir(key) for key in keys]
        pool = self.reactor.getThreadPool()
        await threads.deferToThreadPool(self.reactor, pool, merge, sources, folder)
        return folder


def merge(sources: Iterable[str], target: str) -> None:
    """
    Make C{target} the union of the folders C{sources}, later ones over
    earlier ones, of hard links to their files (copies where the file
    system refuses a link). Nothing is ever written through a symbolic link:
    a later layer's file or folder replaces an earlier layer's link, and
    every link of the result must resolve inside it (L{code.bad_zip}).
    Blocking: run it in a thread.
    """
    staging = f"{target}.{uuid.uuid4().hex}.tmp"
    try:
        os.makedirs(staging)
        for source in sources:
            if not os.path.isdir(source):
                raise FileNotFoundError(f"layer package {os.path.basename(source)} is not unpacked")
            _overlay(source, staging)
        root = os.path.realpath(staging)
        for folder, folders, files in os.walk(staging):
            for entry in folders + files:
                path = os.path.join(folder, entry)
                if os.path.islink(path):
                    code._inside(root, os.path.realpath(path), os.path.relpath(path, staging))
        try:
            os.rename(staging, target)
        except OSError:
            if not os.path.isdir(target):
                raise
            # Built meanwhile by another (identical) merge.
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _overlay(source: str, root: str) -> None:
    # os.walk lists links to folders among the folders, without entering them.
    for folder, folders, files in os.walk(source):
        relative = os.path.relpath(folder, source)
        here = os.path.normpath(os.path.join(root, relative))
        for entry in list(folders) + files:
            origin = os.path.join(folder, entry)
            destination = os.path.join(here, entry)
            if os.path.islink(origin):
                _clear(destination)
                os.symlink(os.readlink(origin), destination)
            elif os.path.isdir(origin):
                if os.path.islink(destination) or (os.path.lexists(destination) and not os.path.isdir(destination)):
                    _clear(destination)
                os.makedirs(destination, exist_ok=True)
            else:
                _clear(destination)
                try:
                    os.link(origin, destination, follow_symlinks=False)
                except OSError:
                    shutil.copy2(origin, destination, follow_symlinks=False)


def _clear(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
