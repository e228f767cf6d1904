"""
The C{docker} executor: each environment is a container running
awslambdaric, with the function's code mounted read-only at C{/var/task}.

Images are local (no registry is needed): C{scripts/build-lambda-image.sh}
builds either a Debian root filesystem with python3 and awslambdaric
(label C{ruststack.lambda.mode=rootfs}) or an empty image into which this
machine's Python is bind-mounted read-only (C{mode=host}). Containers use the
host's network, so the Runtime API and the edge are on loopback as they are
for the process executor.

A container costs two Docker calls (create, start): its output comes back
through a FIFO bind-mounted into it (L{ruststack.awslambda.output}), its end
through one event stream shared by all containers, and Docker removes it
once it exits.
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
from ruststack.awslambda.output import OutputFifo
from ruststack.awslambda.owners import owner_alive
from ruststack.awslambda.process_executor import unavailable_runtime

log = Logger()

LABEL = "ruststack.lambda.owner"
HOST_LABEL = "ruststack.lambda.host"
_HOST_MOUNTS = ("/usr", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/localtime")
_OUTPUT = "/var/ruststack/output"
_DESTROY_GRACE = 10.0
# Run by the container's python: output to the FIFO, then awslambdaric as
# "python -m awslambdaric <handler>" would.
_BOOT = (
    "import os, runpy, sys\n"
    f"fd = os.open({_OUTPUT!r}, os.O_WRONLY)\n"
    "os.dup2(fd, 1)\n"
    "os.dup2(fd, 2)\n"
    "os.close(fd)\n"
    "sys.argv = ['awslambdaric', sys.argv[1]]\n"
    "runpy.run_module('awslambdaric', run_name='__main__', alter_sys=True)\n"
)


class _Container:
    """
    A started container (L{RunningRuntime}).
    """

    def __init__(self, executor: DockerExecutor, container_id: str, output: OutputFifo) -> None:
        self.executor = executor
        self.id = container_id
        self.exited: defer.Deferred = defer.Deferred()
        self._output = output
        self._status: int | None = None
        # Docker reports a kill by the container's memory limit ("oom").
        self.out_of_memory = False

    def died(self, status: int) -> None:
        self._status = status

    def destroyed(self) -> None:
        self._output.close()
        status = 137 if self._status is None else self._status
        # 128 + 9: SIGKILL, ours (timeout, stop) or the kernel's (OOM).
        self.exited.callback("signal: killed" if status == 137 else f"exit status {status}")

    def kill(self) -> None:
        self.executor.in_thread(self.executor.kill_container, self.id)

    def flush_output(self) -> None:
        self._output.flush()

    def max_memory_mb(self) -> int | None:
        return None


class DockerExecutor:
    def __init__(self, reactor: Any, config: Any, edge_url: Callable[[], str | None]) -> None:
        self.reactor = reactor
        self.host = config.runtime_api_address
        self.image_template = config.lambda_image
        self.edge_url = edge_url
        self.folder = tempfile.mkdtemp(prefix="ruststack-lambda-docker-")
        self.runtime_dir = runtime_path.link_runtime(os.path.join(self.folder, "runtime"))
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._events: Any = None
        self._images: dict[str, Any] = {}
        self._threads: ThreadPool | None = None
        self._containers: dict[str, _Container] = {}
        # Why environments cannot start, once an attempt (the first at
        # start) has shown it (health).
        self.problem: str | None = None
        self._early: dict[str, list[tuple[str, int]]] = {}

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
        # Reach the engine now, so that health says at once when none
        # answers, rather than the first invoke (which tries again).
        self.in_thread(self._docker).addErrback(lambda _: None)

    def close(self) -> defer.Deferred:
        # Every container has ended by now (the pool stopped them first).
        if self._events is not None:
            self._events.close()
            self._events = None
        if self._threads is not None:
            self._threads.stop()
            self._threads = None
        shutil.rmtree(self.folder, ignore_errors=True)
        return defer.succeed(None)

    def launch(
        self, function: FunctionSnapshot, runtime_api_address: str, log_stream: str, output: Callable[[bytes], None]
    ) -> defer.Deferred:
        output_fifo = OutputFifo(self.reactor, self.folder, output)
        edge_url = self.edge_url()
        d = self.in_thread(self._start, function, runtime_api_address, log_stream, edge_url, output_fifo.path)

        def started(container_id: str) -> _Container:
            container = self._containers[container_id] = _Container(self, container_id, output_fifo)
            for action, status in self._early.pop(container_id, []):
                self._event(container_id, action, status)
            return container

        def failed(failure: Any) -> Any:
            output_fifo.close()
            return failure

        return d.addCallbacks(started, failed)

    def kill_container(self, container_id: str) -> None:
        try:
            self._client.api.kill(container_id)
        except Exception:  # gone already
            pass

    def _event(self, container_id: str, action: str, status: int) -> None:
        container = self._containers.get(container_id)
        if container is None:
            # The container ended before start() returned.
            self._early.setdefault(container_id, []).append((action, status))
        elif action == "oom":
            container.out_of_memory = True
        elif action == "die":
            container.died(status)
            # Docker removes it next ("destroy"); should that event not come,
            # the environment still ends.
            self.reactor.callLater(_DESTROY_GRACE, self._forget, container_id)
        else:
            self._forget(container_id)

    def _forget(self, container_id: str) -> None:
        container = self._containers.pop(container_id, None)
        if container is not None:
            container.destroyed()

    def _watch(self, events: Any) -> None:
        try:
            for event in events:
                action = event.get("Action") or event.get("status")
                if action in ("oom", "die", "destroy"):
                    status = int(event.get("Actor", {}).get("Attributes", {}).get("exitCode", 0) or 0)
                    self.reactor.callFromThread(self._event, event["id"], action, status)
        except Exception:  # the stream was closed (close()) or the engine went away
            pass

    def _docker(self) -> Any:
        with self._client_lock:
            if self._client is None:
                import docker

                try:
                    client = docker.from_env()
                    client.ping()
                except Exception as e:
                    self.problem = (
                        f"the docker executor cannot reach a Docker engine ({e}): start one"
                        " (scripts/start-docker-engine.sh as root, or systemctl start docker)"
                    )
                    raise AwsError("ServiceException", self.problem[0].upper() + self.problem[1:], 500) from None
                self.problem = None
                self._remove_orphans(client)
                # Subscribed before any container starts, so no end is missed.
                self._events = client.events(
                    decode=True, filters={"type": "container", "label": f"{LABEL}={os.getpid()}"}
                )
                threading.Thread(
                    target=self._watch, args=(self._events,), name="ruststack-lambda-docker-events", daemon=True
                ).start()
                self._client = client
        return self._client

    def _remove_orphans(self, client: Any) -> None:
        # Containers of a RustStack that died without stopping them.
        # Process ids mean something only on this host (and pid namespace).
        mine = {"label": [LABEL, f"{HOST_LABEL}={socket.gethostname()}"]}
        for container in client.containers.list(all=True, filters=mine):
            owner = container.labels.get(LABEL, "")
            if owner.isdigit() and not owner_alive(int(owner)):
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

    def _start(
        self, function: FunctionSnapshot, runtime_api_address: str, log_stream: str, edge_url: str | None, fifo: str
    ) -> str:
        image = self._image(function.runtime)
        api = self._docker().api
        mode = image.labels.get("ruststack.lambda.mode", "rootfs")
        opt = "/opt" if function.opt_dir is not None else None
        variables = lambda_variables(function, log_stream, edge_url, "/var/task", "/var/runtime", opt)
        variables["AWS_LAMBDA_RUNTIME_API"] = runtime_api_address
        binds = {function.code_dir: {"bind": "/var/task", "mode": "ro"}, fifo: {"bind": _OUTPUT, "mode": "rw"}}
        if function.opt_dir is not None:
            # The function's layers, merged (ruststack.awslambda.layer_store).
            binds[function.opt_dir] = {"bind": "/opt", "mode": "ro"}
            variables["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/bin"
        if mode == "host":
            own = f"python{sys.version_info.major}.{sys.version_info.minor}"
            if function.runtime != own:
                raise unavailable_runtime(function.runtime, f"image {image.tags} runs the host's {own}")
            for path in {sys.prefix, sys.base_prefix, *_HOST_MOUNTS}:
                if os.path.exists(path):
                    binds[path] = {"bind": path, "mode": "ro"}
            # The runtime's packages only (their links point into sys.prefix,
            # mounted at the same place), not the host's site-packages.
            binds[self.runtime_dir] = {"bind": "/var/runtime", "mode": "ro"}
            command = [sys.executable, "-S", "-c", _BOOT, function.handler]
            variables["PATH"] = "/usr/bin:/bin:/opt/bin" if opt else "/usr/bin:/bin"
        else:
            command = ["/usr/bin/python3", "-c", _BOOT, function.handler]
        created = api.create_container(
            image.id,
            command=command,
            environment=variables,
            working_dir="/var/task",
            volumes=[bind["bind"] for bind in binds.values()],
            labels={
                LABEL: str(os.getpid()),
                HOST_LABEL: socket.gethostname(),
                "ruststack.lambda.function": function.arn,
            },
            name=f"ruststack-lambda-{function.name}-{uuid.uuid4().hex[:12]}",
            host_config=api.create_host_config(
                binds=binds,
                network_mode="host",
                mem_limit=f"{function.memory_size}m",
                memswap_limit=f"{function.memory_size}m",
                auto_remove=True,
            ),
        )
        try:
            api.start(created["Id"])
        except Exception:
            api.remove_container(created["Id"], force=True)
            raise
        return created["Id"]
