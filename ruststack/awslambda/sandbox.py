"""
The process executor's sandbox: each execution environment runs under
bubblewrap (C{bwrap}) in its own mount, PID, IPC and UTS namespaces, with a
system it can only read, C{/var/task} read-only, a private C{/tmp} of the
function's C{EphemeralStorage} size, its own C{/proc}, and none of
RustStack's files (data dir, cache dir, credentials, TLS key).

Why bubblewrap rather than namespaces set up by hand: it is the audited tool
Debian ships for exactly this (Flatpak's sandbox); it sets C{no_new_privs},
drops capabilities, reaps zombies as the namespace's init, and dies with its
parent. What it cannot do is switch to another uid: run by root with a user
namespace, the sandbox's uid maps back to root (which reads C{/etc/shadow});
run by an unprivileged uid, it resolves every bind source as that uid (so it
cannot reach an interpreter under C{/root}). So:

  - RustStack running as root (CI, a container): bwrap runs privileged,
    without a user namespace, builds the sandbox from whatever root can read,
    keeps only C{CAP_SETUID}/C{CAP_SETGID} for the command, which is
    C{setpriv} switching to the environment's own uid (one per environment,
    from L{UID_BASE}) with no capabilities left, not even in its bounding set;
  - RustStack running as an unprivileged user (the systemd unit): bwrap runs
    with a user namespace mapping that user to itself; functions run as
    RustStack's user, so the sandbox keeps them from RustStack's files by
    not mounting them, not by permissions.

The network namespace is shared: a function reaches RustStack's edge (and its
own Runtime API) on loopback. L{ruststack.awslambda.socket_owner} then makes
sure a Runtime API only answers its own environment's processes.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence

import attrs

# Each environment's uid (and gid) when RustStack runs as root: far above
# login users (1000...), systemd's dynamic users (61184-65519) and the usual
# subordinate id ranges of user namespaces (100000-165535 per user).
UID_BASE = 1_900_000_000
# AWS's default ephemeral storage (https://docs.aws.amazon.com/lambda/latest/dg/configuration-ephemeral-storage.html).
DEFAULT_TMP_MB = 512
TASK_ROOT = "/var/task"
RUNTIME_DIR = "/var/runtime"
# What Lambda's Python runtime has on PATH (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
LANG_BIN = "/var/lang/bin"
PATH = f"{LANG_BIN}:/usr/local/bin:/usr/bin:/bin"
# Where a function's layers are, and their programs (on PATH after the rest, as on Lambda).
OPT = "/opt"
OPT_BIN = f"{OPT}/bin"
# The parts of the host's system a function sees (read-only): programs,
# libraries and /etc (resolver, certificates, passwd). No /home, /root,
# /var, /run, /srv, /opt, /mnt, /work...
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


class SandboxUnavailable(Exception):
    """
    The sandbox cannot be built here; the message says why.
    """


@attrs.frozen
class Sandbox:
    """
    How to start one environment's runtime inside bubblewrap.

    @ivar bwrap: the C{bwrap} program.
    @ivar setpriv: the C{setpriv} program, when RustStack runs as root (each
        environment then gets its own uid); C{None} otherwise.
    @ivar python: the interpreter the runtime runs (the real file, not a
        virtualenv's link to it), and C{python_home} its installation.
    @ivar runtime_modules: C{/var/runtime}'s entries: name -> host path.
    @ivar hidden: host paths never shown to a function even where they lie
        inside a tree it sees (the credentials file under C{/etc}...).
    """

    bwrap: str
    setpriv: str | None
    python: str
    python_home: str
    runtime_modules: Mapping[str, str]
    hidden: tuple[str, ...] = ()

    @property
    def own_uids(self) -> bool:
        """
        Whether each environment runs as a uid of its own.
        """
        return self.setpriv is not None

    def command(
        self, uid: int | None, task_root: str, tmp_mb: int, handler: str, opt_dir: str | None = None
    ) -> list[str]:
        """
        The command that runs awslambdaric for C{handler} in a new sandbox
        whose C{/var/task} is the host folder C{task_root} (and C{/opt} the
        function's layers, C{opt_dir}), as C{uid} when L{own_uids}.
        """
        return [*self.wrapper(uid, task_root, tmp_mb, opt_dir), self.python, "-S", "-m", "awslambdaric", handler]

    def wrapper(self, uid: int | None, task_root: str, tmp_mb: int, opt_dir: str | None = None) -> list[str]:
        """
        L{command} without the program it runs.
        """
        args = [self.bwrap, "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if self.own_uids:
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        else:
            # No further user namespaces inside: less kernel to attack.
            args += ["--unshare-user", "--disable-userns"]
        # The whole sandbox (its init and every process under it, setsid or
        # not) dies with bwrap: killing bwrap ends the environment.
        args += ["--die-with-parent", "--new-session"]
        for path in _SYSTEM:
            args += _system_entry(path)
        shown = [path for path in _SYSTEM if os.path.isdir(path) and not os.path.islink(path)]
        if not _within(self.python_home, shown):
            args += [*_parents(self.python_home), "--ro-bind", self.python_home, self.python_home]
            shown.append(self.python_home)
        for folder in ("/var", RUNTIME_DIR, "/var/lang", LANG_BIN):
            args += ["--perms", "0755", "--dir", folder]
        for name, source in sorted(self.runtime_modules.items()):
            args += ["--ro-bind", source, f"{RUNTIME_DIR}/{name}"]
        args += ["--ro-bind", task_root, TASK_ROOT]
        if opt_dir is not None:
            args += ["--ro-bind", opt_dir, OPT]
        for name in ("python", "python3", os.path.basename(self.python)):
            args += ["--symlink", self.python, f"{LANG_BIN}/{name}"]
        args += ["--perms", "1777", "--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        for path in self.hidden:
            args += _hide(path, shown)
        args += ["--remount-ro", "/", "--chdir", TASK_ROOT, "--"]
        if self.own_uids and self.setpriv is not None:
            ids = [f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
            drop = ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
            args += [self.setpriv, *ids, *drop, "--"]
        return args


def find_sandbox(hidden: Iterable[str | None], bwrap: str | None = None) -> Sandbox:
    """
    The sandbox this machine allows, or L{SandboxUnavailable} saying what is
    missing; L{probe_command} then tries it for real.

    @param hidden: RustStack's own files and folders (C{None}s are skipped).
    @param bwrap: the C{bwrap} to use (default: the one on C{PATH}).
    """
    found = shutil.which(bwrap or "bwrap")
    if found is None:
        raise SandboxUnavailable(
            f"bubblewrap ({bwrap or 'bwrap'}) is not installed (scripts/install-system-deps.sh installs it)"
        )
    setpriv = None
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise SandboxUnavailable("setpriv (util-linux) is not installed")
    from ruststack.awslambda import runtime_path

    return Sandbox(
        bwrap=found,
        setpriv=setpriv,
        python=os.path.realpath(sys.executable),
        python_home=os.path.realpath(sys.base_prefix),
        runtime_modules=runtime_path.runtime_modules(),
        hidden=tuple(sorted({os.path.realpath(path) for path in hidden if path})),
    )


def probe_command(sandbox: Sandbox, task_root: str) -> list[str]:
    """
    A command that succeeds only if a sandbox can be built and its runtime
    imported in it (as an environment's uid where there is one).
    """
    return [*sandbox.wrapper(UID_BASE - 1, task_root, 1), sandbox.python, "-S", "-c", "import awslambdaric.bootstrap"]


class UidRange:
    """
    Environments' uids: the lowest free one from L{UID_BASE}, handed back
    when the environment ends.
    """

    def __init__(self, base: int = UID_BASE) -> None:
        self.base = base
        self._taken: set[int] = set()

    def take(self) -> int:
        uid = self.base
        while uid in self._taken:
            uid += 1
        self._taken.add(uid)
        return uid

    def give_back(self, uid: int) -> None:
        self._taken.discard(uid)


def _system_entry(path: str) -> list[str]:
    if os.path.islink(path):
        # Debian's merged /usr: /bin -> usr/bin.
        return ["--symlink", os.readlink(path), path]
    if os.path.isdir(path):
        return ["--ro-bind", path, path]
    return []


def _parents(path: str) -> list[str]:
    # bwrap creates the folders above a mount point as 0700: 0755, so that
    # the environment's uid can pass.
    args: list[str] = []
    parent = os.path.dirname(path)
    chain: list[str] = []
    while parent not in ("/", ""):
        chain.insert(0, parent)
        parent = os.path.dirname(parent)
    for folder in chain:
        args += ["--perms", "0755", "--dir", folder]
    return args


def _within(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _hide(path: str, shown: Sequence[str]) -> list[str]:
    if not _within(path, shown) or not os.path.lexists(path):
        return []
    if os.path.isdir(path):
        return ["--tmpfs", path]
    # A device bind: the tree's own binds are nodev, and a file reading
    # nothing is less surprising than one that cannot be opened.
    return ["--dev-bind", "/dev/null", path]
