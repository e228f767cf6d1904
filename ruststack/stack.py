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
from twisted.internet import defer
from twisted.internet.interfaces import IListeningPort
from twisted.logger import Logger

from ruststack import config as _config
from ruststack import listeners, routing, tls
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
    @ivar authenticator: the edge's, whose sessions STS issues.
    """

    config: _config.Config
    reactor: Any
    services: dict[str, IAwsService]
    edge_url: Any
    authenticator: identity.Authenticator

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
    they have started, on the endpoints its listeners name.

    @ivar listeners: the edge's L{listeners.Listener}s, in the order given.
    @ivar ports: the ports listening, in the same order.
    @ivar edge_url: the URL of the first plain HTTP listener (the first
        HTTPS one if none is plain): the one handed to Lambda functions as
        C{AWS_ENDPOINT_URL} and written to C{--url-file}.
    @ivar tls_edge_url: the URL of the first HTTPS listener, if any.
    @ivar tls_cert_path: the certificate that listener serves.
    @ivar ready: fires with C{self} once every port listens, or fails with
        the reason it could not.
    """

    def __init__(self, config: _config.Config, reactor: Any) -> None:
        super().__init__()
        self.config = config
        self.reactor = reactor
        # Endpoint strings are read now, so that a bad one stops start-up
        # before anything runs.
        self.listeners = listeners.from_config(config, lambda: tls.certificate_paths(config))
        self._endpoints = [listener.endpoint(reactor) for listener in self.listeners]
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
        authenticator = identity.Authenticator(config.account, config.region, credentials, clock=reactor)
        self.edge = EdgeResource(authenticator, IntrospectionResource(self), routing.known_claims())
        context = StackContext(config, reactor, self.aws_services, lambda: self.edge_url, authenticator)
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
        named = []
        for listener, endpoint in zip(self.listeners, self._endpoints, strict=True):
            port = await endpoint.listen(site)
            self.ports.append(port)
            url = listener.url(port.getHost())
            named.append(url or listener.description)
            if url is None:
                continue
            if not listener.tls:
                self.edge_url = self.edge_url or url
            elif self.tls_edge_url is None:
                self.tls_edge_url, self.tls_cert_path = url, listener.certificate
        self.edge_url = self.edge_url or self.tls_edge_url
        if self.config.url_file:
            if self.edge_url is not None:
                _write_atomically(self.config.url_file, self.edge_url + "\n")
            else:
                log.warn("--url-file not written: no listener has an IP address, so the edge has no URL")
        log.info(
            "RustStack listening on {listening}; services: {services}",
            listening=" and ".join(named),
            url=self.edge_url,
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


def _write_atomically(path: str, text: str) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)


def build(config: _config.Config, reactor: Any) -> RustStack:
    """
    The service tree for C{config}, to run in C{reactor}.

    @raise ruststack.config.ConfigError: a listener's endpoint string names
        no endpoint this process can have.
    """
    return RustStack(config, reactor)
