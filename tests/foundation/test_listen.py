"""
The edge's listeners given as Twisted endpoint strings (--listen), over real
sockets: tcp and ssl in the reactor, then RustStack as users start it, with
its URL file and with a socket handed over as systemd does (socket
activation).
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

import pytest
import pytest_twisted
from twisted.internet import threads

from ruststack import tls
from ruststack.config import Config
from ruststack.stack import build
from ruststack.testing import start_stack
from tests.awslambda.functions import create
from tests.foundation.test_twistd import BIN, CLEAN_EXIT, ROOT, wait_for


async def bucket_round_trip(client, bucket: str) -> None:
    await client.create_bucket(Bucket=bucket)
    await client.put_object(Bucket=bucket, Key="k", Body=b"through the listener")
    body = (await client.get_object(Bucket=bucket, Key="k"))["Body"]
    assert await threads.deferToThread(body.read) == b"through the listener"


@pytest_twisted.ensureDeferred
async def test_tcp_endpoint_string():
    stack = await start_stack(services=("s3",), listen=("tcp:0:interface=127.0.0.1",))
    try:
        [port] = stack.stack.ports
        assert stack.endpoint_url == f"http://127.0.0.1:{port.getHost().port}"
        assert port.getHost().port != 0
        assert stack.tls_endpoint_url is None
        await bucket_round_trip(stack.deferred_client("s3"), "over-tcp")
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_ssl_endpoint_without_certificate_serves_the_self_signed_one(tmp_path):
    """
    An ssl: endpoint that names no certificate serves RustStack's own (here
    the self-signed one, generated in the cache dir), which clients trust
    through tls_cert_path.
    """
    stack = await start_stack(services=("s3",), listen=("ssl:0:interface=127.0.0.1",), cache_dir=str(tmp_path))
    try:
        [port] = stack.stack.ports
        url = f"https://localhost:{port.getHost().port}"
        # The only listener: it is the edge URL too.
        assert (stack.endpoint_url, stack.tls_endpoint_url) == (url, url)
        assert stack.tls_cert_path == str(tmp_path / "tls" / "localhost.crt")
        await bucket_round_trip(stack.deferred_client("s3", tls=True), "over-tls")
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_ssl_endpoint_with_its_own_certificate(tmp_path):
    """
    An ssl: endpoint that names its certificate serves that one (paths with
    the characters endpoint strings escape included).
    """
    folder = tmp_path / "a:b=c,d"
    folder.mkdir()
    cert, key = folder / "mine.crt", folder / "mine.key"
    tls.generate_self_signed(str(cert), str(key))
    escaped = {path: str(path).replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=") for path in (cert, key)}
    description = f"ssl:0:interface=127.0.0.1:privateKey={escaped[key]}:certKey={escaped[cert]}"
    stack = await start_stack(services=("s3",), listen=(description,), cache_dir=str(tmp_path / "cache"))
    try:
        assert stack.tls_cert_path == str(cert)
        port = urlsplit(stack.tls_endpoint_url).port
        served = await threads.deferToThread(ssl.get_server_certificate, ("127.0.0.1", port))
        assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(cert.read_text())
        # RustStack generated nothing of its own.
        assert not (tmp_path / "cache" / "tls").exists()
        await bucket_round_trip(stack.deferred_client("s3", tls=True), "own-certificate")
    finally:
        await stack.stop()


@pytest_twisted.ensureDeferred
async def test_tcp_and_ssl_together(tmp_path):
    stack = await start_stack(
        services=("s3",),
        listen=("tcp:0:interface=127.0.0.1", "ssl:0:interface=127.0.0.1"),
        cache_dir=str(tmp_path),
    )
    try:
        plain, secure = stack.stack.ports
        assert stack.endpoint_url == f"http://127.0.0.1:{plain.getHost().port}"
        assert stack.tls_endpoint_url == f"https://localhost:{secure.getHost().port}"
        await bucket_round_trip(stack.deferred_client("s3"), "both-ways")
        objects = await stack.deferred_client("s3", tls=True).list_objects_v2(Bucket="both-ways")
        assert [o["Key"] for o in objects["Contents"]] == ["k"]
    finally:
        await stack.stop()


def get_health_over_unix_socket(path: str) -> bytes:
    with socket.socket(socket.AF_UNIX) as connection:
        connection.settimeout(10)
        connection.connect(path)
        connection.sendall(b"GET /_ruststack/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest_twisted.ensureDeferred
async def test_unix_socket_listener(tmp_path):
    """
    A unix: listener serves the edge but has no URL: the edge URL is the
    TCP listener's, given after it; with no other listener, there is no
    URL file.
    """
    path = tmp_path / "edge.sock"
    stack = await start_stack(services=("s3",), listen=(f"unix:{path}", "tcp:0:interface=127.0.0.1"))
    try:
        assert stack.endpoint_url == f"http://127.0.0.1:{stack.stack.ports[1].getHost().port}"
        answer = await threads.deferToThread(get_health_over_unix_socket, str(path))
        assert answer.startswith(b"HTTP/1.1 200 ") and b'"version"' in answer
        await bucket_round_trip(stack.deferred_client("s3"), "beside-a-unix-socket")
    finally:
        await stack.stop()
    from twisted.internet import reactor

    url_file = tmp_path / "url"
    alone = build(Config(services=(), listen=(f"unix:{path}",), url_file=str(url_file)), reactor)
    alone.startService()
    try:
        await alone.ready
        assert alone.edge_url is None and not url_file.exists()
        answer = await threads.deferToThread(get_health_over_unix_socket, str(path))
        assert answer.startswith(b"HTTP/1.1 200 ")
    finally:
        await alone.stopService()


def health(url: str) -> dict:
    with urllib.request.urlopen(url + "/_ruststack/health", timeout=10) as response:
        return json.load(response)


def client(name: str, url: str):
    import boto3

    return boto3.session.Session().client(
        name, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def s3_client(url: str):
    return client("s3", url)


def stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output = process.communicate(timeout=20)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return output.decode(errors="replace") if output else ""


@pytest.mark.parametrize("how", ["option", "environment"])
def test_url_file_names_the_listening_port(tmp_path, how):
    """
    --listen tcp:0 (or RUSTSTACK_LISTEN, comma-separated) and --url-file:
    the file holds the port the system chose, and boto3 reaches it.
    """
    url_file = tmp_path / "url"
    args = [str(BIN / "ruststack"), "--services", "s3", "--url-file", str(url_file), "--cache-dir", str(tmp_path)]
    env = dict(os.environ)
    if how == "option":
        args += ["--listen", "tcp:0:interface=127.0.0.1", "--listen", "ssl:0:interface=127.0.0.1"]
    else:
        env["RUSTSTACK_LISTEN"] = "tcp:0:interface=127.0.0.1, ssl:0:interface=127.0.0.1"
    process = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        url = wait_for(url_file, process)
        assert url.startswith("http://127.0.0.1:") and urlsplit(url).port != 0
        assert health(url)["services"]["s3"] == {"state": "running"}
        s3_client(url).create_bucket(Bucket="listened")
        assert [b["Name"] for b in s3_client(url).list_buckets()["Buckets"]] == ["listened"]
    finally:
        output = stop(process)
    assert process.returncode in CLEAN_EXIT, output
    # Both listeners are named where it starts.
    assert "RustStack listening on http://127.0.0.1:" in output and " and https://localhost:" in output


def socket_activated(listening: socket.socket, args: list[str], **kwargs) -> subprocess.Popen:
    """
    Start C{args} as systemd starts a socket-activated service: the listening
    socket is its file descriptor 3 (SD_LISTEN_FDS_START), LISTEN_FDS counts
    the sockets, LISTEN_FDNAMES names them (the socket unit's name unless
    FileDescriptorName= says otherwise), and LISTEN_PID names the process
    that may adopt them -- the shell's, which exec hands on.
    """
    fd = listening.fileno()
    move = f"exec 3<&{fd} {fd}<&-" if fd != 3 else ":"
    script = f'{move} && LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=ruststack.socket exec "$@"'
    return subprocess.Popen(["bash", "-c", script, "bash", *args], pass_fds=(fd,), **kwargs)


def unit_setting(unit: str, name: str, prefix: str = "") -> str:
    """
    The value of the first C{name}= setting that starts with C{prefix} in one
    of the shipped units, commented out or not.
    """
    for line in (ROOT / "tap" / unit).read_text().splitlines():
        key, _, value = line.lstrip("# ").partition("=")
        if key == name and value.startswith(prefix):
            return value[len(prefix) :]
    raise AssertionError(f"{unit} has no {name}={prefix}")


def test_socket_activation(tmp_path):
    """
    RustStack adopts the listening socket it inherits (the socket unit's
    ListenStream=, on a free port here) through the endpoint string the
    service unit documents; a connection made before RustStack ran is
    served once it does, and the URL file and the AWS_ENDPOINT_URL of
    Lambda functions name the socket's port.
    """
    listen = unit_setting("ruststack.service", "Environment", "RUSTSTACK_LISTEN=")
    assert listen == "systemd:domain=INET:index=0"
    host, _, _ = unit_setting("ruststack.socket", "ListenStream").rpartition(":")
    with socket.socket() as listening:
        listening.bind((host, 0))
        listening.listen(16)
        port = listening.getsockname()[1]
        early = socket.create_connection((host, port), timeout=30)
        early.sendall(b"GET /_ruststack/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        url_file = tmp_path / "url"
        command = [sys.executable, "-m", "ruststack", "--listen", listen, "--url-file", str(url_file)]
        process = socket_activated(
            listening,
            [*command, "--services", "s3,lambda"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    # Only RustStack holds the socket now.
    try:
        with early:
            answer = b""
            while chunk := early.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200 "), answer
        url = wait_for(url_file, process)
        assert url == f"http://{host}:{port}"
        s3_client(url).create_bucket(Bucket="activated")
        assert [b["Name"] for b in s3_client(url).list_buckets()["Buckets"]] == ["activated"]
        lambdas = client("lambda", url)
        create(lambdas, "endpoint", "import os\ndef handler(event, context): return os.environ['AWS_ENDPOINT_URL']")
        assert json.loads(lambdas.invoke(FunctionName="endpoint")["Payload"].read()) == url
    finally:
        output = stop(process)
    assert process.returncode in CLEAN_EXIT, output
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=5)


@pytest.mark.skipif(shutil.which("systemd-socket-activate") is None, reason="systemd-socket-activate is not installed")
def test_systemd_socket_activate(tmp_path):
    """
    The same through systemd's own tool, which sets the LISTEN_* variables
    as systemd does and starts RustStack on the first connection.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url_file = tmp_path / "url"
    # The tool hands on no environment but what it is told to.
    keep = [f"--setenv={name}" for name in ("PYTHONPATH",) if name in os.environ]
    process = subprocess.Popen(
        ["systemd-socket-activate", "--listen", f"127.0.0.1:{port}", "--fdname", "ruststack.socket", *keep,
         sys.executable, "-m", "ruststack", "--listen", "systemd:domain=INET:name=ruststack.socket",
         "--services", "s3", "--url-file", str(url_file)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except ConnectionRefusedError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        with connection:
            connection.sendall(b"GET /_ruststack/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert connection.recv(65536).startswith(b"HTTP/1.1 200 ")
        assert wait_for(url_file, process) == f"http://127.0.0.1:{port}"
        s3_client(f"http://127.0.0.1:{port}").create_bucket(Bucket="activated-by-systemd")
    finally:
        output = stop(process)
    assert process.returncode in CLEAN_EXIT, output


@pytest.mark.parametrize(
    "listen, line",
    [
        ("nope:4566", "ruststack: --listen 'nope:4566': Unknown endpoint type: 'nope'"),
        ("tcp:abc", "ruststack: --listen 'tcp:abc': invalid literal for int() with base 10: 'abc'"),
        (
            "ssl:0:privateKey=/nonexistent.pem",
            "ruststack: --listen 'ssl:0:privateKey=/nonexistent.pem': No such file or directory: '/nonexistent.pem'",
        ),
        (
            "systemd:domain=INET:index=0",
            "ruststack: --listen 'systemd:domain=INET:index=0': no socket at index 0 was handed over"
            " (socket activation sets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES)",
        ),
        ("tcp:0\\", "ruststack: --listen: 'tcp:0\\\\' ends in a lone backslash"),
    ],
)
def test_bad_endpoint_is_one_line(tmp_path, listen, line):
    result = subprocess.run(
        [str(BIN / "twistd"), "--nodaemon", "--pidfile=", "ruststack", "--listen", listen, "--services", ""],
        cwd=tmp_path,
        capture_output=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")},
    )
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode().strip() == line


def test_shipped_socket_unit():
    assert unit_setting("ruststack.socket", "ListenStream") == "127.0.0.1:4566"
    assert unit_setting("ruststack.socket", "WantedBy") == "sockets.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_units_verify(tmp_path):
    """
    systemd reads both units without a complaint, the service with socket
    activation switched on too.
    """
    for unit in ("ruststack.service", "ruststack.socket"):
        text = (ROOT / "tap" / unit).read_text().replace("/opt/ruststack/bin/twistd", str(BIN / "twistd"))
        (tmp_path / unit).write_text(text.replace("# Environment=RUSTSTACK_LISTEN=", "Environment=RUSTSTACK_LISTEN="))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "ruststack.socket"), str(tmp_path / "ruststack.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
