"""
The twistd program: C{twistd -n ruststack [options]}.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import attrs
from twisted.application.service import IService
from twisted.internet.error import CannotListenError
from twisted.logger import Logger
from twisted.python import usage

from ruststack import config as _config
from ruststack.endpoint_strings import split_list

log = Logger()


def _parameters() -> list[list]:
    rows = []
    for field in attrs.fields(_config.Config):
        default = field.default
        shown = (",".join(default) or None) if isinstance(default, tuple) else default
        help = f"{field.metadata['help']} [env {_config.env_name(field.name)}]"
        if shown is not None:
            help += f" [default: {shown}]"
        # The default stays None here so that the environment can fill in
        # what the command line leaves out (Config.resolve).
        rows.append([field.name.replace("_", "-"), field.metadata["short"], None, help])
    return rows


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = (
        "RustStack: a local AWS emulator (S3, DynamoDB, Lambda, API Gateway) for integration tests. "
        "Every option can also be set by its RUSTSTACK_* environment variable; the command line wins."
    )
    optParameters = _parameters()

    def opt_listen(self, description: str) -> None:
        # Repeatable, as `twistd web --listen` is: each one adds listeners.
        try:
            # A lone backslash at the end would escape the comma joining the next.
            split_list(description)
        except ValueError as e:
            raise SystemExit(f"ruststack: --listen: {e}") from None
        given = self.get("listen")
        self["listen"] = description if given is None else f"{given},{description}"

    def parseOptions(self, options: list[str] | None = None) -> None:
        # twistd answers a usage error with sixty lines of usage: one line
        # saying what is wrong, and where the options are, is easier to read.
        try:
            super().parseOptions(options)
        except usage.UsageError as e:
            raise SystemExit(f"{_program()}: {str(e).rstrip('.')} (see `{_program()} --help`)") from None

    def given(self) -> dict[str, str | None]:
        return {field.name: self.get(field.name.replace("_", "-")) for field in attrs.fields(_config.Config)}


def _program() -> str:
    # How the user started RustStack: the console script or twistd's plugin.
    return "twistd ruststack" if os.path.basename(sys.argv[0]).startswith("twistd") else "ruststack"


def makeService(options: Options, reactor: Any = None) -> IService:
    """
    twistd's entry point. A bad setting ends start-up with one line naming
    the option (twistd would print its whole usage for a UsageError).

    @param reactor: the reactor to run in; twistd passes none, and gets the
        one it runs (the only place RustStack takes the global reactor).
    """
    from ruststack import stack

    if reactor is None:
        from twisted.internet import reactor as running

        reactor = running
    try:
        config = _config.Config.resolve(options.given())
        built = stack.build(config, reactor)
    except _config.ConfigError as e:
        raise SystemExit(f"ruststack: {e}") from None
    built.ready.addErrback(_stop_on_failure, built)
    return built


def _stop_on_failure(failure, built) -> None:
    """
    RustStack cannot serve (its port is taken, say): say why, stop what did
    start (DynamoDB Local...), and exit with status 1, so that systemd
    restarts it and a test harness that started it sees it fail at once.
    """
    if failure.check(CannotListenError):
        log.critical("RustStack could not start: {error}", error=failure.getErrorMessage())
    else:
        log.failure("RustStack could not start", failure)
    reactor = built.reactor

    def stop() -> None:
        reactor.addSystemEventTrigger("after", "shutdown", _exit_failed)
        reactor.stop()

    # twistd starts services before the reactor runs: stop once it does.
    reactor.callWhenRunning(stop)


def _exit_failed() -> None:
    # twistd has no exit status of its own to set; the services have
    # stopped (a "before" shutdown trigger) by the time this runs.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)
