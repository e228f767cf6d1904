"""
The C{ruststack} console script: C{twistd -n ruststack} without the plugin
lookup (so it works from any kind of install) and without a pid file; and
C{ruststack doctor} (L{ruststack.doctor}), which checks the machine.
"""

from __future__ import annotations

import sys

from twisted.application import app
from twisted.application.service import ServiceMaker
from twisted.scripts import twistd

RUSTSTACK = ServiceMaker(
    "RustStack",
    "ruststack.tap",
    "A local AWS emulator: S3, DynamoDB, Lambda and API Gateway for integration tests.",
    "ruststack",
)


class _ServerOptions(twistd.ServerOptions):
    @property
    def subCommands(self):
        self.loadedPlugins = {RUSTSTACK.tapname: RUSTSTACK}
        yield (RUSTSTACK.tapname, None, lambda: RUSTSTACK.options(), RUSTSTACK.description)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["doctor"]:
        from ruststack import doctor

        sys.argv = ["ruststack doctor", *args[1:]]
        raise SystemExit(doctor.main(args[1:]))
    sys.argv = ["ruststack", "--nodaemon", "--pidfile=", "ruststack", *args]
    app.run(twistd.runApp, _ServerOptions)


if __name__ == "__main__":
    main()
