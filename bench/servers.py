"""
The servers a run compares, each a child process on a free loopback port:
RustStack (C{python -m ruststack}), moto's server, DynamoDB Local reached
directly, and nginx serving files. Each ends with the run (and with this
process if it dies: PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from bench.meter import ProcessMeter

VENV_BIN = Path(sys.executable).parent
DYNAMODB_LOCAL_DIR = (
    Path(os.environ.get("RUSTSTACK_CACHE_DIR", Path.home() / ".cache" / "ruststack")) / "dynamodb-local" / "10.3.0"
)
MODULES = {
    "s3": "ruststack.s3.service",
    "dynamodb": "ruststack.dynamodb.service",
    "lambda": "ruststack.awslambda.service",
    "apigateway": "ruststack.apigateway.service",
    "logs": "ruststack.cloudwatchlogs.service",
    "iam": "ruststack.iam.service",
}


class NotAvailable(Exception):
    """
    A server (or a RustStack service) cannot run here; the message says why.
    """


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@attrs.define
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log_path: str
    meter: ProcessMeter = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.meter = ProcessMeter(self.process.pid)

    def log_tail(self, lines: int = 15) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        stop_process(self.process, timeout=timeout)


def stop_process(process: subprocess.Popen, signum: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """
    Send a running C{process} C{signum}; kill it if it has not ended within
    C{timeout} seconds.
    """
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _spawn(name: str, argv: list[str], folder: str, **kwargs) -> tuple[subprocess.Popen, str]:
    log_path = os.path.join(folder, f"{name}.log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent, **kwargs
        )
    return process, log_path


def wait_until(ready: Callable[[], bool], process: subprocess.Popen, timeout: float, what: str, log_path: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            reason = "exited" if process.poll() is not None else f"not ready after {timeout:.0f} s"
            process.kill()
            process.wait()
            with open(log_path, encoding="utf-8", errors="replace") as f:
                tail = "".join(f.readlines()[-12:])
            raise NotAvailable(f"{what} {reason}:\n{tail}")
        time.sleep(0.02)


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes] | None:
    """
    GET and return (status, body), or C{None} if nothing answers yet.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError:
        return None
    finally:
        connection.close()


def missing_services(services: tuple[str, ...]) -> list[str]:
    """
    The RustStack services of C{services} not built yet in this checkout.
    """
    return [name for name in services if importlib.util.find_spec(MODULES[name]) is None]


def start_ruststack(services: tuple[str, ...], folder: str, *options: str, timeout: float = 120.0) -> Server:
    """
    RustStack with C{services} (and more command-line C{options}), once
    every one of them is C{running}.
    """
    missing = missing_services(services)
    if missing:
        raise NotAvailable(f"RustStack service(s) not built yet: {', '.join(missing)}")
    url_file = os.path.join(folder, "ruststack.url")
    argv = [sys.executable, "-m", "ruststack", "--port", "0", "--url-file", url_file, "--services", ",".join(services)]
    argv += options
    process, log_path = _spawn("ruststack", argv, folder, cwd=folder)
    wait_until(lambda: os.path.exists(url_file), process, timeout, "RustStack", log_path)
    url = Path(url_file).read_text().strip()
    port = int(url.rsplit(":", 1)[1])
    state: dict = {}

    def all_running() -> bool:
        answer = http_get(port, "/_ruststack/health")
        if answer is None or answer[0] != 200:
            return False
        state.update(json.loads(answer[1])["services"])
        return all(state.get(name, {}).get("state") == "running" for name in services)

    try:
        wait_until(all_running, process, timeout, f"RustStack services {state}", log_path)
    except NotAvailable as e:
        raise NotAvailable(f"{e} (health: {state})") from None
    return Server("ruststack", url, process, log_path)


def start_moto(folder: str, timeout: float = 60.0) -> Server:
    port = free_port()
    moto = VENV_BIN / "moto_server"
    argv = [str(moto) if moto.exists() else sys.executable, *([] if moto.exists() else ["-m", "moto.server"])]
    process, log_path = _spawn("moto", [*argv, "-H", "127.0.0.1", "-p", str(port)], folder, cwd=folder)
    wait_until(lambda: http_get(port, "/moto-api/") is not None, process, timeout, "moto", log_path)
    return Server("moto", f"http://127.0.0.1:{port}", process, log_path)


def dynamodb_local_argv(port: int, folder: Path = DYNAMODB_LOCAL_DIR) -> list[str]:
    return [
        "java",
        f"-Djava.library.path={folder / 'DynamoDBLocal_lib'}",
        "-jar",
        str(folder / "DynamoDBLocal.jar"),
        "-inMemory",
        "-port",
        str(port),
    ]


def start_dynamodb_local(folder: str, like: Server | None = None, timeout: float = 90.0) -> Server:
    """
    DynamoDB Local reached directly: with no JVM flags of ours, or (C{like})
    with the command line of the JVM that RustStack server C{like} runs, so
    that the proxy's own cost can be told from the JVM's tuning.
    """
    if not (DYNAMODB_LOCAL_DIR / "DynamoDBLocal.jar").exists():
        raise NotAvailable(f"DynamoDB Local is not installed in {DYNAMODB_LOCAL_DIR}")
    port = free_port()
    name = "ddb-local"
    argv = dynamodb_local_argv(port)
    if like is not None:
        name = "ddb-tuned"
        argv = _same_jvm(like, port)
    process, log_path = _spawn(name, argv, folder, cwd=folder)
    wait_until(lambda: http_get(port, "/") is not None, process, timeout, name, log_path)
    return Server(name, f"http://127.0.0.1:{port}", process, log_path)


def start_forwarder(folder: str, backend: Server, timeout: float = 20.0) -> Server:
    """
    L{bench.forwarder} in front of C{backend}: a Twisted proxy that does
    nothing but pass bytes, for reference.
    """
    port = free_port()
    backend_port = backend.url.rsplit(":", 1)[1]
    argv = [sys.executable, "-m", "bench.forwarder", backend_port, str(port)]
    repository = str(Path(__file__).resolve().parent.parent)
    process, log_path = _spawn("twisted-fwd", argv, folder, cwd=repository)
    wait_until(lambda: _accepts(port), process, timeout, "the forwarder", log_path)
    return Server("twisted-fwd", f"http://127.0.0.1:{port}", process, log_path)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _same_jvm(ruststack: Server, port: int) -> list[str]:
    for child in ruststack.meter.process.children(recursive=True):
        argv = child.cmdline()
        if any(arg.endswith("DynamoDBLocal.jar") for arg in argv):
            break
    else:
        raise NotAvailable("RustStack runs no DynamoDB Local JVM to copy")
    out: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg in ("-port", "-dbPath"):
            next(args, None)
            continue
        if arg == "-cp":
            # RustStack runs DynamoDB Local through its launcher (a socket
            # and a token handed over); reached directly, the jar runs itself.
            classpath = next(args, "")
            next(args, None)  # the launcher's class
            out += ["-jar", classpath.rsplit(os.pathsep, 1)[-1]]
            continue
        if arg not in ("-inMemory", "-sharedDb"):
            out.append(arg)
    return [*out, "-inMemory", "-port", str(port)]


NGINX_CONF = """\
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def start_nginx(root: str, folder: str, timeout: float = 20.0) -> Server:
    """
    nginx serving the files of C{root}: one worker, sendfile, the loopback
    ceiling for large GETs.
    """
    nginx = "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise NotAvailable("nginx is not installed")
    # nginx started as root serves as "nobody": let it read the files.
    for path in {folder, root, *(str(p) for p in Path(root).parents if str(p).startswith(folder))}:
        os.chmod(path, 0o755)
    port = free_port()
    conf = os.path.join(folder, "nginx.conf")
    Path(conf).write_text(NGINX_CONF.format(folder=folder, port=port, root=root))
    process, log_path = _spawn("nginx", [nginx, "-c", conf, "-g", "daemon off;"], folder, cwd=folder)
    wait_until(lambda: http_get(port, "/") is not None, process, timeout, "nginx", log_path)
    return Server("nginx", f"http://127.0.0.1:{port}", process, log_path)


def temporary_folder(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=f"ruststack-bench-{prefix}-")
