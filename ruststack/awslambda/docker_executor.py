"""
The C{docker} executor: each environment is a container running
awslambdaric, with the function's code mounted read-only at C{/var/task}.

Images are local (no registry is needed): C{scripts/build-lambda-image.sh}
builds either a Debian root filesystem with python3 and awslambdaric
(label C{ruststack.lambda.mode=rootfs}) or an empty image into which this
machine's Python is bind-mounted read-only (C{mode=host}). Containers use the
host's network, so the Runtime API and the edge are on loopback as they are
for the process executor.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from typing import Any

from twisted.internet import defer, threads
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from ruststack.aws.errors import AwsError
from ruststack.awslambda import runtime_path
from ruststack.awslambda.environment import FunctionSnapshot, lambda_variables
from ruststack.awslambda.functions import PYTHON_RUNTIME
from ruststack.awslambda.process_executor import unavailable_runtime

log = Logger()

LABEL = "ruststack.lambda.owner"
HOST_LABEL = "ruststack.lambda.host"
_HOST_MOUNTS = ("/usr", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/localtime")


class _Container:
    """
    A started container, watched by a thread of its own that relays its
    output and notices its end.
    """

    # Docker relays output through its daemon: it may trail the response.
    output_settle = 0.03

    def __init__(self, executor: DockerExecutor, container: Any, output: Callable[[bytes], None]) -> None:
        self.executor = executor
        self.container = container
        self.output = output
        self.exited: defer.Deferred = defer.Deferred()
        threading.Thread(target=self._watch, name=f"ruststack-lambda-{container.short_id}", daemon=True).start()

    def _watch(self) -> None:
        reactor = self.executor.reactor
        try:
            for chunk in self.container.attach(stdout=True, stderr=True, stream=True, logs=True):
                reactor.callFromThread(self.output, chunk)
        except Exception:  # the container may be gone already
            pass
        try:
            status = self.container.wait().get("StatusCode", -1)
        except Exception:
            status = 137
        # 128 + 9: SIGKILL, ours (timeout, stop) or the kernel's (OOM).
        description = "signal: killed" if status == 137 else f"exit status {status}"
        try:
            self.container.remove(force=True)
        except Exception:
            pass
        reactor.callFromThread(self.exited.callback, description)

    def kill(self) -> None:
        self.executor.in_thread(self._kill)

    def _kill(self) -> None:
        try:
            self.container.kill()
        except Exception:
            pass

    def flush_output(self) -> None:
        pass

    def max_memory_mb(self) -> int | None:
        return None


class DockerExecutor:
    def __init__(self, reactor: Any, config: Any, edge_url: Callable[[], str | None]) -> None:
        self.reactor = reactor
        self.host = config.runtime_api_address
        self.image_template = config.lambda_image
        self.edge_url = edge_url
        self._client: Any = None
        self._images: dict[str, Any] = {}
        self._threads: ThreadPool | None = None
        self._swept = False
        self._links: str | None = runtime_path.link_runtime(tempfile.mkdtemp(prefix="ruststack-lambda-runtime-"))

    def runtime_api_host(self) -> str:
        return self.host

    def check_runtime(self, runtime: str) -> None:
        if not PYTHON_RUNTIME.match(runtime):
            raise unavailable_runtime(runtime, "the docker executor runs Python functions only.")

    def in_thread(self, function: Callable, *args: Any) -> defer.Deferred:
        if self._threads is None:
            # Docker calls block; cold starts of many environments at once
            # need more threads than the reactor's default pool has.
            self._threads = ThreadPool(minthreads=0, maxthreads=64, name="ruststack-lambda-docker")
            self._threads.start()
        return threads.deferToThreadPool(self.reactor, self._threads, function, *args)

    def start(self) -> None:
        pass

    def close(self) -> defer.Deferred:
        if self._threads is not None:
            self._threads.stop()
            self._threads = None
        if self._links is not None:
            shutil.rmtree(self._links, ignore_errors=True)
            self._links = None
        return defer.succeed(None)

    def _runtime_dir(self) -> str:
        assert self._links is not None, "the executor is closed"
        return self._links

    def launch(
        self, function: FunctionSnapshot, runtime_api_address: str, log_stream: str, output: Callable[[bytes], None]
    ) -> defer.Deferred:
        edge_url = self.edge_url()
        d = self.in_thread(self._start, function, runtime_api_address, log_stream, edge_url)
        return d.addCallback(lambda container: _Container(self, container, output))

    def _docker(self) -> Any:
        if self._client is None:
            import docker

            try:
                self._client = docker.from_env()
                self._client.ping()
            except Exception as e:
                self._client = None
                raise AwsError(
                    "ServiceException", f"The docker executor cannot reach a Docker engine: {e}", 500
                ) from None
        if not self._swept:
            self._swept = True
            self._remove_orphans()
        return self._client

    def _remove_orphans(self) -> None:
        # Containers of a RustStack that died without stopping them.
        # Process ids mean something only on this host (and pid namespace).
        mine = {"label": [LABEL, f"{HOST_LABEL}={socket.gethostname()}"]}
        for container in self._client.containers.list(all=True, filters=mine):
            owner = container.labels.get(LABEL, "")
            if owner.isdigit() and not _alive(int(owner)):
                try:
                    container.remove(force=True)
                except Exception:
                    pass

    def _image(self, runtime: str) -> Any:
        name = self.image_template.replace("{runtime}", runtime)
        image = self._images.get(name)
        if image is None:
            import docker

            try:
                image = self._docker().images.get(name)
            except docker.errors.ImageNotFound:
                raise unavailable_runtime(
                    runtime, f"no Docker image {name}; build it with scripts/build-lambda-image.sh rootfs {runtime}"
                ) from None
            self._images[name] = image
        return image

    def _start(self, function: FunctionSnapshot, runtime_api_address: str, log_stream: str, edge_url: str | None):
        image = self._image(function.runtime)
        mode = image.labels.get("ruststack.lambda.mode", "rootfs")
        variables = lambda_variables(function, log_stream, edge_url, "/var/task", "/var/runtime")
        variables["AWS_LAMBDA_RUNTIME_API"] = runtime_api_address
        volumes = {function.code_dir: {"bind": "/var/task", "mode": "ro"}}
        if mode == "host":
            own = f"python{sys.version_info.major}.{sys.version_info.minor}"
            if function.runtime != own:
                raise unavailable_runtime(function.runtime, f"image {image.tags} runs the host's {own}")
            for path in {sys.prefix, sys.base_prefix, *_HOST_MOUNTS}:
                if os.path.exists(path):
                    volumes[path] = {"bind": path, "mode": "ro"}
            # The runtime's packages only (their links point into sys.prefix,
            # mounted at the same place), not the host's site-packages.
            volumes[self._runtime_dir()] = {"bind": "/var/runtime", "mode": "ro"}
            command = [sys.executable, "-S", "-m", "awslambdaric", function.handler]
            variables["PATH"] = "/usr/bin:/bin"
        else:
            command = ["/usr/bin/python3", "-m", "awslambdaric", function.handler]
        container = self._docker().containers.create(
            image.id,
            command=command,
            environment=variables,
            network_mode="host",
            volumes=volumes,
            working_dir="/var/task",
            mem_limit=f"{function.memory_size}m",
            memswap_limit=f"{function.memory_size}m",
            labels={
                LABEL: str(os.getpid()),
                HOST_LABEL: socket.gethostname(),
                "ruststack.lambda.function": function.arn,
            },
            name=f"ruststack-lambda-{function.name}-{uuid.uuid4().hex[:12]}",
        )
        container.start()
        return container


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
