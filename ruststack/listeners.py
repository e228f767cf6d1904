"""
The edge's listeners: the Twisted endpoint strings it listens on -- those of
C{--listen}, or those C{--host}, C{--port} and C{--tls-port} stand for --
and the URL each one gives once it listens.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import attrs
from twisted.internet import endpoints
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress, IStreamServerEndpoint

from ruststack.config import Config, ConfigError
from ruststack.endpoint_strings import parse, quote

# Types whose listeners speak TLS (a systemd: socket is plain TCP).
_TLS_TYPES = frozenset({"ssl"})


@attrs.frozen
class Listener:
    """
    One way into the edge.

    @ivar description: its endpoint string, as C{serverFromString} reads it.
    @ivar option: the option it comes from, to name in errors.
    @ivar tls: whether it speaks HTTPS.
    @ivar url_host: the host its URL names; C{None}: the address it listens on.
    @ivar certificate: the certificate file it serves (TLS), for clients to
        trust.
    """

    description: str
    option: str = "--listen"
    tls: bool = False
    url_host: str | None = None
    certificate: str | None = None

    def endpoint(self, reactor: Any) -> IStreamServerEndpoint:
        """
        The endpoint to listen on, in C{reactor}.

        @raise ConfigError: the string names no endpoint this process can
            have (unknown type, bad argument, missing file, no socket handed
            over by systemd).
        """
        try:
            return endpoints.serverFromString(reactor, self.description)
        except Exception as e:
            raise ConfigError(f"{self.option} {self.description!r}: {_reason(self.description, e)}") from None

    def url(self, address: IAddress) -> str | None:
        """
        The URL of this listener once it listens at C{address} (which knows
        the port the system chose for port 0, or the one systemd bound);
        C{None} for an address with no host and port (a Unix socket).
        """
        if not isinstance(address, IPv4Address | IPv6Address):
            return None
        host = self.url_host or _url_host_of(address.host, self.tls)
        return f"{'https' if self.tls else 'http'}://{host}:{address.port}"


def from_config(config: Config, certificate: Callable[[], tuple[str, str]]) -> list[Listener]:
    """
    The edge's listeners: those of C{--listen} if given, else C{--host}'s
    C{--port} and, if set, C{--tls-port}.

    @param certificate: returns the (certificate, key) files to serve where
        no listener names its own (called only then: it may generate them).
    """
    if config.listen:
        return [_given(description, certificate) for description in config.listen]
    host = quote(config.host)
    listeners = [Listener(f"tcp:{config.port}:interface={host}", "--port", url_host=url_host(config.host))]
    if config.tls_port is not None:
        cert, key = certificate()
        listeners.append(
            Listener(
                f"ssl:{config.tls_port}:interface={host}:privateKey={quote(key)}:certKey={quote(cert)}",
                "--tls-port",
                tls=True,
                url_host="localhost",
                certificate=cert,
            )
        )
    return listeners


def _given(description: str, certificate: Callable[[], tuple[str, str]]) -> Listener:
    try:
        args, kwargs = parse(description)
    except ValueError as e:
        raise ConfigError(f"--listen: {e}") from None
    if args[0] not in _TLS_TYPES:
        return Listener(description)
    if "privateKey" in kwargs or "certKey" in kwargs:
        return Listener(description, tls=True, certificate=kwargs.get("certKey", kwargs.get("privateKey")))
    # Without a certificate, Twisted would look for server.pem in the working
    # folder; serve RustStack's own instead, as --tls-port does.
    cert, key = certificate()
    return Listener(f"{description}:privateKey={quote(key)}:certKey={quote(cert)}", tls=True, certificate=cert)


def url_host(host: str) -> str:
    """
    How a URL names C{--host}: its loopback address when it is "any".
    """
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _url_host_of(address: str, tls: bool) -> str:
    ip = ipaddress.ip_address(address.partition("%")[0])
    if tls and (ip.is_loopback or ip.is_unspecified):
        return "localhost"  # the name certificates for local use carry (the self-signed one does)
    if ip.is_unspecified:
        ip = ipaddress.ip_address("::1" if ip.version == 6 else "127.0.0.1")
    return f"[{ip}]" if ip.version == 6 else str(ip)


def _reason(description: str, error: Exception) -> str:
    if isinstance(error, IndexError | KeyError) and parse(description)[0][0] == "systemd":
        kwargs = parse(description)[1]
        which = f"at index {kwargs['index']}" if "index" in kwargs else f"named {kwargs.get('name')!r}"
        return f"no socket {which} was handed over (socket activation sets LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES)"
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror}: {error.filename!r}"
    return str(error) or type(error).__name__
