"""
Memory limits for execution environments: a memory cgroup per environment,
created under RustStack's own cgroup (so that whatever limits RustStack
itself still applies), capped at the function's C{MemorySize} with no swap
beyond it. When the function passes it, the kernel kills it, and the
invocation fails as Lambda reports it (C{Runtime.OutOfMemory}).

cgroup v1 (a C{memory} hierarchy) and v2 (the unified one, where RustStack's
cgroup delegates the memory controller) are both understood. Where RustStack
may not create cgroups (an unprivileged user without delegation), the
executor falls back to C{RLIMIT_DATA} (see L{ruststack.awslambda.forkserver}).
"""

from __future__ import annotations

import errno
import os
import signal
import uuid
from collections.abc import Callable

import attrs

from ruststack.awslambda.owners import owner_alive


class CgroupUnavailable(Exception):
    """
    No memory cgroup can be created here; the message says why.
    """


@attrs.frozen
class MemoryCgroups:
    """
    The folder where environments' memory cgroups are created, and the
    cgroup version it belongs to.
    """

    folder: str
    version: int

    @classmethod
    def find(cls, proc: str = "/proc/self", try_it: bool = True) -> MemoryCgroups:
        """
        The memory cgroup folder of this process, if this process may create
        cgroups in it (tried when C{try_it}); else L{CgroupUnavailable}.
        """
        with open(f"{proc}/cgroup", encoding="utf-8") as f:
            memberships = [line.rstrip("\n").split(":", 2) for line in f if line.count(":") >= 2]
        with open(f"{proc}/mountinfo", encoding="utf-8") as f:
            mounts = [line.split() for line in f]
        for _, controllers, path in memberships:
            if "memory" in controllers.split(","):
                folder = _mounted(mounts, path, lambda fs: fs[0] == "cgroup" and "memory" in fs[2].split(","))
                if folder is not None:
                    return cls(folder, 1)._writable() if try_it else cls(folder, 1)
        for hierarchy, controllers, path in memberships:
            if hierarchy == "0" and controllers == "":
                folder = _mounted(mounts, path, lambda fs: fs[0] == "cgroup2")
                if folder is not None:
                    return cls(folder, 2)._delegated() if try_it else cls(folder, 2)
        raise CgroupUnavailable("no memory cgroup controller is mounted")

    def own_folder(self) -> MemoryCgroups:
        """
        A folder of this process's own (C{ruststack-lambda-<pid>}) for its
        environments' cgroups, after removing those that RustStacks no
        longer running left behind (SIGKILLed, they could not).
        """
        for name in os.listdir(self.folder):
            pid = name.removeprefix("ruststack-lambda-")
            if name.startswith("ruststack-lambda-") and pid.isdigit() and not owner_alive(int(pid)):
                MemoryCgroups(os.path.join(self.folder, name), self.version).remove_all()
        folder = os.path.join(self.folder, f"ruststack-lambda-{os.getpid()}")
        os.makedirs(folder, exist_ok=True)
        if self.version == 2:
            _write(os.path.join(folder, "cgroup.subtree_control"), "+memory")
        return MemoryCgroups(folder, self.version)

    def remove_all(self) -> bool:
        """
        Remove this folder and the cgroups in it, killing what is left in
        them; C{False} while some processes are still dying.
        """
        done = True
        for name in os.listdir(self.folder):
            child = EnvironmentCgroup(os.path.join(self.folder, name), self.version)
            if os.path.isdir(child.path):
                child.kill()
                done = child.remove() and done
        return done and EnvironmentCgroup(self.folder, self.version).remove()

    def create(self, limit_mb: int) -> EnvironmentCgroup:
        """
        A new cgroup capped at C{limit_mb} MB (memory and swap together).
        """
        path = os.path.join(self.folder, f"environment-{uuid.uuid4().hex}")
        os.mkdir(path)
        cgroup = EnvironmentCgroup(path, self.version)
        limit = str(limit_mb * 1024 * 1024)
        try:
            if self.version == 1:
                _write(os.path.join(path, "memory.limit_in_bytes"), limit)
                # Absent without swap accounting; where present, no swap beyond the limit.
                _write_if_present(os.path.join(path, "memory.memsw.limit_in_bytes"), limit)
            else:
                _write(os.path.join(path, "memory.max"), limit)
                _write_if_present(os.path.join(path, "memory.swap.max"), "0")
        except OSError:
            cgroup.remove()
            raise
        return cgroup

    def _writable(self) -> MemoryCgroups:
        try:
            self.create(128).remove()
        except OSError as e:
            raise CgroupUnavailable(f"cannot create memory cgroups in {self.folder}: {e.strerror}") from None
        return self

    def _delegated(self) -> MemoryCgroups:
        # v2 gives a child cgroup the memory controller only when the parent
        # lists it in cgroup.subtree_control (which a cgroup holding
        # processes cannot do, unless it is the root).
        try:
            with open(os.path.join(self.folder, "cgroup.subtree_control"), encoding="utf-8") as f:
                enabled = f.read().split()
            if "memory" not in enabled:
                _write(os.path.join(self.folder, "cgroup.subtree_control"), "+memory")
        except OSError as e:
            raise CgroupUnavailable(f"the memory controller is not delegated to {self.folder}: {e.strerror}") from None
        return self._writable()


@attrs.frozen
class EnvironmentCgroup:
    """
    One environment's memory cgroup.
    """

    path: str
    version: int

    @property
    def procs(self) -> str:
        """
        The file a process writes its pid to, to join.
        """
        return os.path.join(self.path, "cgroup.procs")

    def out_of_memory(self) -> bool:
        """
        Whether the kernel killed a process here for passing the limit.
        """
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            with open(os.path.join(self.path, name), encoding="utf-8") as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value) > 0
        except (OSError, ValueError):
            pass
        return False

    def peak_mb(self) -> int | None:
        """
        The most memory used at once, in MB (C{Max Memory Used}).
        """
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            with open(os.path.join(self.path, name), encoding="utf-8") as f:
                return max(1, int(f.read()) // (1024 * 1024))
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """
        SIGKILL every process still here.
        """
        try:
            with open(self.procs, encoding="utf-8") as f:
                pids = [int(pid) for pid in f.read().split()]
        except OSError:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def remove(self) -> bool:
        """
        Remove the cgroup; C{False} while processes are still dying in it.
        """
        try:
            os.rmdir(self.path)
        except FileNotFoundError:
            return True
        except OSError as e:
            if e.errno == errno.EBUSY:
                return False
            raise
        return True


def _mounted(mounts: list[list[str]], path: str, wanted: Callable[[list[str]], bool]) -> str | None:
    # mountinfo: id parent major:minor root mount-point options... - type source super-options
    for fields in mounts:
        if "-" not in fields:
            continue
        tail = fields[fields.index("-") + 1 :]
        # [type, source, super-options]
        if len(tail) < 3 or not wanted(tail[:3]):
            continue
        root, mount_point = fields[3], fields[4]
        relative = path
        if root != "/" and (path == root or path.startswith(root + "/")):
            relative = path[len(root) :]
        folder = os.path.normpath(mount_point + "/" + relative.lstrip("/"))
        if os.path.isdir(folder):
            return folder
    return None


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(value)


def _write_if_present(path: str, value: str) -> None:
    try:
        _write(path, value)
    except FileNotFoundError:
        pass
