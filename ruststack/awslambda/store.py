"""
Where functions and their code live: in memory with the code in a temporary
folder, or under C{--data-dir} so that they survive a restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Collection, Iterator
from typing import Any

from twisted.internet import defer, threads
from twisted.logger import Logger

from ruststack.awslambda import code
from ruststack.awslambda.functions import FunctionCode, LambdaFunction

log = Logger()


class FunctionStore:
    """
    Functions by (account, region, name); code packages by digest, each kept
    as its zip (for GetFunction's download) and unpacked (the task root).
    """

    def __init__(self, reactor: Any, folder: str | None) -> None:
        self.reactor = reactor
        self.persistent = folder is not None
        self.folder = folder if folder is not None else tempfile.mkdtemp(prefix="ruststack-lambda-")
        self.code_folder = os.path.join(self.folder, "code")
        os.makedirs(self.code_folder, exist_ok=True)
        self._functions: dict[tuple[str, str], dict[str, LambdaFunction]] = {}
        # Packages being kept and unpacked (by key): fire once done.
        self.installs: dict[str, defer.Deferred] = {}
        if self.persistent:
            self._load()

    @property
    def _index(self) -> str:
        return os.path.join(self.folder, "functions.json")

    def get(self, account: str, region: str, name: str) -> LambdaFunction | None:
        return self._functions.get((account, region), {}).get(name)

    def list(self, account: str, region: str) -> list[LambdaFunction]:
        functions = self._functions.get((account, region), {})
        return [functions[name] for name in sorted(functions)]

    def __iter__(self) -> Iterator[LambdaFunction]:
        for functions in self._functions.values():
            yield from functions.values()

    def put(self, function: LambdaFunction) -> None:
        self._functions.setdefault((function.account, function.region), {})[function.name] = function
        self.save()

    def remove(self, function: LambdaFunction) -> None:
        self._functions.get((function.account, function.region), {}).pop(function.name, None)
        self.save()

    def save(self) -> None:
        if not self.persistent:
            return
        temporary = f"{self._index}.{uuid.uuid4().hex}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump([function.to_json() for function in self], f)
        os.replace(temporary, self._index)

    def clear(self) -> None:
        self._functions.clear()
        shutil.rmtree(self.code_folder, ignore_errors=True)
        os.makedirs(self.code_folder, exist_ok=True)
        self.save()

    def close(self) -> None:
        if not self.persistent:
            shutil.rmtree(self.folder, ignore_errors=True)

    def zip_path(self, key: str) -> str:
        return os.path.join(self.code_folder, f"{key}.zip")

    def code_dir(self, key: str) -> str:
        return os.path.join(self.code_folder, key)

    def describe(self, data: bytes):
        """
        Check a zip (failing with L{AwsError} as Lambda does) and name it; a
        Deferred firing with its L{FunctionCode}. In a thread: a package of
        many entries takes a second to check.
        """
        return threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self._describe, data)

    @staticmethod
    def _describe(data: bytes) -> FunctionCode:
        unzipped = code.check_zip(data)
        key = hashlib.sha256(data).hexdigest()
        return FunctionCode(sha256=code.code_sha256(data), size=len(data), key=key, unzipped=unzipped)

    def install(self, package: FunctionCode, data: bytes) -> defer.Deferred:
        """
        Keep the zip and unpack it (in a thread); a Deferred. Until it
        fires, L{installs} holds one firing with it.
        """
        installing = threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self._install, package, data)
        done: defer.Deferred = defer.Deferred()
        self.installs[package.key] = done

        def installed(result: Any) -> Any:
            if self.installs.get(package.key) is done:
                del self.installs[package.key]
            done.callback(None)
            return result

        return installing.addBoth(installed)

    def referenced(self) -> set[str]:
        """
        The packages a function or one of its versions uses.
        """
        keys = set()
        for function in self:
            keys.add(function.code.key)
            keys.update(version.code.key for version in function.versions.values())
        return keys

    def collect(self, in_use: Collection[str] = ()) -> defer.Deferred:
        """
        Remove the packages no function or version uses, none being
        installed and none in C{in_use}: moved aside at once (so that an
        install that starts next unpacks afresh), deleted in a thread.
        """
        kept = self.referenced() | set(self.installs) | set(in_use)
        trash = os.path.join(self.folder, f"trash.{uuid.uuid4().hex}")
        for entry in os.listdir(self.code_folder):
            key = entry.removesuffix(".zip")
            if len(key) != 64 or key in kept or entry.endswith(".tmp"):
                continue
            os.makedirs(trash, exist_ok=True)
            try:
                os.rename(os.path.join(self.code_folder, entry), os.path.join(trash, entry))
            except OSError:
                log.failure("Could not set aside the unused package {entry}", entry=entry)
        if not os.path.isdir(trash):
            return defer.succeed(None)
        return threads.deferToThreadPool(
            self.reactor, self.reactor.getThreadPool(), shutil.rmtree, trash, ignore_errors=True
        )

    def _install(self, package: FunctionCode, data: bytes) -> None:
        target = self.code_dir(package.key)
        if os.path.isdir(target) and os.path.isfile(self.zip_path(package.key)):
            return
        staging = f"{target}.{uuid.uuid4().hex}.tmp"
        code.unpack(data, staging)
        try:
            os.rename(staging, target)
        except OSError:
            # Another function with the same package got there first.
            shutil.rmtree(staging, ignore_errors=True)
        zip_staging = f"{self.zip_path(package.key)}.{uuid.uuid4().hex}.tmp"
        try:
            with open(zip_staging, "wb") as f:
                f.write(data)
            os.replace(zip_staging, self.zip_path(package.key))
        finally:
            if os.path.exists(zip_staging):
                os.unlink(zip_staging)

    def _load(self) -> None:
        if not os.path.exists(self._index):
            return
        with open(self._index, encoding="utf-8") as f:
            for data in json.load(f):
                function = LambdaFunction.from_json(data)
                if os.path.isdir(self.code_dir(function.code.key)):
                    self._functions.setdefault((function.account, function.region), {})[function.name] = function
