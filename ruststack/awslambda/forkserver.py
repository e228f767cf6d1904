"""
The process executor's fork server: one interpreter that has imported
awslambdaric once and forks a runtime per environment, so that a cold start
costs a fork instead of an interpreter start and the runtime's imports.

Run as C{python -S forkserver.py} with C{PYTHONPATH} the runtime folder
(L{ruststack.awslambda.runtime_path}); it imports nothing of RustStack. It
reads requests from stdin and answers on stdout, one JSON object a line:

  - C{{"spawn": id, "cwd": ..., "env": {...}, "handler": ..., "output": fifo}}
    -> C{{"spawned": id, "pid": pid}} (or C{{"spawned": id, "error": text}}):
    the forked child becomes the runtime (unsandboxed);
  - C{{"spawn": id, "argv": [...], "env": {...}, "output": fifo, "cgroup":
    procs-file or null, "data_limit": bytes or null}}: the forked child joins
    the cgroup (or takes the limit on its data segment) and executes C{argv}
    (a sandbox, L{ruststack.awslambda.sandbox});
  - and, when a runtime ends: C{{"exited": pid, "status": "exit status 1"}}.

A runtime's output goes to the FIFO named in its request. Each runtime dies
with the server (PR_SET_PDEATHSIG), which dies with RustStack.
"""

import ctypes
import json
import os
import resource
import selectors
import signal
import sys

if __name__ != "__main__":
    raise ImportError("ruststack.awslambda.forkserver is a script, run by the process executor")

# Not this folder: a function's "import code" must not find RustStack's.
del sys.path[0]

# What a fork saves: awslambdaric's heavy imports, all but its native client
# (runtime_client), which reads AWS_LAMBDA_RUNTIME_API once, when imported.
import http.client  # noqa: E402, F401
import logging  # noqa: E402, F401
import traceback  # noqa: E402

import awslambdaric.lambda_context  # noqa: E402, F401
import awslambdaric.lambda_runtime_exception  # noqa: E402, F401
import awslambdaric.lambda_runtime_log_utils  # noqa: E402, F401
import awslambdaric.lambda_runtime_marshaller  # noqa: E402, F401

_PR_SET_PDEATHSIG = 1


def _describe(status: int, sandboxed: bool) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
    elif sandboxed and os.WEXITSTATUS(status) > 128:
        # bwrap exits with 128 + the signal that ended its command.
        number = os.WEXITSTATUS(status) - 128
    else:
        return f"exit status {os.WEXITSTATUS(status)}"
    return "signal: killed" if number == signal.SIGKILL else f"signal: {number}"


def _become_child(request: dict) -> None:
    # In the child: die with the server, output to the environment's FIFO.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.set_wakeup_fd(-1)
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    output = os.open(request["output"], os.O_WRONLY)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.closerange(3, 1024)


def _exec_sandbox(request: dict) -> None:
    # Joined before the exec, so that everything the sandbox starts is counted.
    if request.get("cgroup"):
        with open(request["cgroup"], "w") as procs:
            procs.write(str(os.getpid()))
    if request.get("data_limit"):
        resource.setrlimit(resource.RLIMIT_DATA, (request["data_limit"], request["data_limit"]))
    _become_child(request)
    os.chdir("/")
    os.execve(request["argv"][0], request["argv"], request["env"])


def _run_runtime(request: dict, task_root_first: list) -> None:
    # In the child: become the environment's runtime.
    _become_child(request)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[:0] = task_root_first
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    import awslambdaric.__main__

    awslambdaric.__main__.main(["awslambdaric", request["handler"]])


def main() -> None:
    # A session of its own, as DynamoDB Local's JVM has: a Ctrl-C in
    # RustStack's terminal reaches RustStack alone, which stops this server
    # (closing its stdin) rather than seeing it die of a KeyboardInterrupt.
    try:
        os.setsid()
    except OSError:  # a process group leader already: ignore Ctrl-C instead
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "requests")
    selector.register(wake_read, selectors.EVENT_READ, "children")
    requests = os.fdopen(sys.stdin.fileno(), "rb", buffering=0)
    pending = b""
    sandboxes: set[int] = set()

    def answer(message: dict) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    while True:
        for key, _ in selector.select():
            if key.data == "children":
                os.read(wake_read, 4096)
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    answer({"exited": pid, "status": _describe(status, pid in sandboxes)})
                    sandboxes.discard(pid)
                continue
            data = requests.read(65536)
            if not data:
                return  # RustStack closed our stdin: it is stopping.
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                request = json.loads(line)
                # The task root, and the layers' folders when there are any.
                paths = request["env"].get("PYTHONPATH", "").split(":")
                task_root = [path for path in paths if path and path not in sys.path]
                try:
                    pid = os.fork()
                except OSError as e:
                    answer({"spawned": request["spawn"], "error": str(e)})
                    continue
                if pid == 0:
                    code = 1
                    try:
                        if "argv" in request:
                            _exec_sandbox(request)
                        _run_runtime(request, task_root)
                    except SystemExit as e:  # awslambdaric exits so after an init error
                        code = e.code if isinstance(e.code, int) else 1
                    except BaseException:
                        traceback.print_exc()
                    finally:
                        sys.stdout.flush()
                        sys.stderr.flush()
                        os._exit(code)
                if "argv" in request:
                    sandboxes.add(pid)
                answer({"spawned": request["spawn"], "pid": pid})


if __name__ == "__main__":
    main()
