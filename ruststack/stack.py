"""
The service tree of one RustStack: the edge ports and the enabled services.

twistd (L{ruststack.tap}), the console script and the test helpers
(L{ruststack.testing}) all build it here, so they run the same program.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import attrs
from twisted.application import service
from twisted.internet import defer, endpoints
from twisted.internet.interfaces import IListeningPort
from twisted.logger import Logger

from ruststack import config as _config
from ruststack import routing
from ruststack.aws import identity
from ruststack.edge import EdgeResource, EdgeSite
from ruststack.interfaces import IAwsService
from ruststack.introspection import IntrospectionResource

log = Logger()


@attrs.define
class StackContext:
    """
    What a service factory is handed: the settings, the reactor, and the
    services built before it (to reach them through their public interfaces:
    L{ruststack.interfaces.IObjectReader}, L{ruststack.interfaces.ILambdaInvoker}).

    @ivar edge_url: a callable returning the edge's URL once listening (for
        URLs that point back at RustStack, such as C{AWS_ENDPOINT_URL}).
    """

    config: _config.Config
    reactor: Any
    services: dict[str, IAwsService]
    edge_url: Any

    def state_dir(self, name: str) -> str | None:
        """
        The folder a service keeps its state in, created on demand, or
        C{None} when RustStack runs in memory.
        """
        if self.config.data_dir is None:
            return None
        path = os.path.join(self.config.data_dir, name)
        os.makedirs(path, exist_ok=True)
        return path


class RustStack(service.MultiService):
    """
    One running RustStack: its services are children; the edge listens once
    they have started.

    @ivar ready: fires with C{self} once every port listens, or fails with
        the reason it could not.
    """

    def __init__(self, config: _config.Config, reactor: Any) -> None:
        super().__init__()
        self.config = config
        self.reactor = reactor
        self.ports: list[IListeningPort] = []
        self.site: EdgeSite | None = None
        self.edge_url: str | None = None
        self.tls_edge_url: str | None = None
        self.tls_cert_path: str | None = None
        self.ready: defer.Deferred = defer.Deferred()
        credentials = None
        if config.auth == "verify":
            assert config.credentials_file is not None  # Config.check
            credentials = identity.load_credentials(config.credentials_file)
        # Not `services`: MultiService keeps its children under that name.
        self.aws_services: dict[str, IAwsService] = {}
        self.edge = EdgeResource(
            identity.Authenticator(config.account, config.region, credentials, clock=reactor),
            IntrospectionResource(self),
            routing.known_claims(),
        )
        context = StackContext(config, reactor, self.aws_services, lambda: self.edge_url)
        for name in config.services:
            package = _config.SERVICE_PACKAGES[name]
            built = importlib.import_module(f"ruststack.{package}.service").make_service(context)
            self.aws_services[name] = built
            self.edge.register(built)
            if isinstance(built, service.Service):
                built.setServiceParent(self)

    def setServiceParent(self, parent) -> None:
        # twistd starts logging after makeService, from the application's
        # ILogObserver component when it has one: that is how --log-format
        # json reaches twistd's own log set-up.
        if self.config.log_format == "json" and hasattr(parent, "setComponent"):
            from twisted.logger import ILogObserver

            from ruststack.logs import json_observer

            parent.setComponent(ILogObserver, json_observer())
        super().setServiceParent(parent)

    def startService(self) -> None:
        super().startService()
        defer.ensureDeferred(self._listen()).chainDeferred(self.ready)

    async def _listen(self) -> RustStack:
        site = self.site = EdgeSite(self.edge, reactor=self.reactor, timeout=self.config.idle_timeout)
        port = await endpoints.TCP4ServerEndpoint(self.reactor, self.config.port, interface=self.config.host).listen(
            site
        )
        self.ports.append(port)
        self.edge_url = f"http://{_url_host(self.config.host)}:{port.getHost().port}"
        if self.config.tls_port is not None:
            from ruststack import tls

            cert, key = tls.certificate_paths(self.config)
            self.tls_cert_path = cert
            tls_endpoint = endpoints.SSL4ServerEndpoint(
                self.reactor,
                self.config.tls_port,
                tls.context_factory(cert, key),
                interface=self.config.host,
            )
            tls_port = await tls_endpoint.listen(site)
            self.ports.append(tls_port)
            self.tls_edge_url = f"https://localhost:{tls_port.getHost().port}"
        if self.config.url_file:
            _write_atomically(self.config.url_file, self.edge_url + "\n")
        log.info(
            "RustStack listening on {url}{tls}; services: {services}",
            url=self.edge_url,
            tls=f" and {self.tls_edge_url}" if self.tls_edge_url else "",
            services=", ".join(self.aws_services) or "none",
        )
        return self

    def stopService(self) -> defer.Deferred:
        stopping = [defer.maybeDeferred(port.stopListening) for port in self.ports]
        self.ports = []
        if self.site is not None:
            stopping.append(self.site.close_connections())
        if self.config.url_file and os.path.exists(self.config.url_file):
            os.unlink(self.config.url_file)
        stopping.append(defer.maybeDeferred(super().stopService))
        return defer.DeferredList(stopping, consumeErrors=True)

    async def reset(self, names: list[str] | None = None) -> list[str]:
        """
        Forget the state of the named services (all enabled ones by default).
        """
        chosen = list(self.aws_services) if names is None else names
        for name in chosen:
            await defer.maybeDeferred(self.aws_services[name].reset)
        return chosen


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _write_atomically(path: str, text: str) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)


def build(config: _config.Config, reactor: Any = None) -> RustStack:
    """
    The service tree for C{config}.
    """
    if reactor is None:
        from twisted.internet import reactor as default_reactor

        reactor = default_reactor
    return RustStack(config, reactor)
