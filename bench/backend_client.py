"""
C{python -m bench.backend_client}: RustStack's lean client for DynamoDB Local
(L{ruststack.dynamodb.backend}) against treq's Agent with a persistent
connection pool, one GetItem at a time straight to a DynamoDB Local: wall
time and this process's CPU per request, in alternating rounds.

Why the proxy does not use Agent (DESIGN.md planned treq/Agent): what Agent
costs per request is more than the whole proxy's budget.
"""

from __future__ import annotations

import io
import json
import resource
import shutil
import time
from collections.abc import Awaitable, Callable

from twisted.internet import defer, task
from twisted.web.client import Agent, FileBodyProducer, HTTPConnectionPool, readBody
from twisted.web.http_headers import Headers

from bench.servers import start_dynamodb_local, temporary_folder
from ruststack.dynamodb.backend import JSON_10, BackendPool, request_head

_AUTHORIZATION = b", ".join(
    [
        b"AWS4-HMAC-SHA256 Credential=000000000000/20120810/us-east-1/dynamodb/aws4_request",
        b"SignedHeaders=host",
        b"Signature=0",
    ]
)
_TABLE = {
    "TableName": "items",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}
_GET = json.dumps({"TableName": "items", "Key": {"pk": {"S": "k"}}}).encode()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def compare(reactor, port: int, requests: int = 4000, rounds: int = 3) -> None:
    pool = BackendPool(reactor, "127.0.0.1", port)

    def lean(target: bytes, body: bytes) -> defer.Deferred:
        head = request_head(b"127.0.0.1", port, JSON_10, target, _AUTHORIZATION, len(body))
        return pool.request(head, body)

    await lean(b"DynamoDB_20120810.CreateTable", json.dumps(_TABLE).encode())
    item = {"TableName": "items", "Item": {"pk": {"S": "k"}, "v": {"S": "x" * 1000}}}
    await lean(b"DynamoDB_20120810.PutItem", json.dumps(item).encode())

    agent_pool = HTTPConnectionPool(reactor, persistent=True)
    agent = Agent(reactor, pool=agent_pool)
    headers = Headers(
        {
            b"Content-Type": [JSON_10],
            b"X-Amz-Target": [b"DynamoDB_20120810.GetItem"],
            b"Authorization": [_AUTHORIZATION],
        }
    )
    url = f"http://127.0.0.1:{port}/".encode()

    async def via_lean() -> bytes:
        return (await lean(b"DynamoDB_20120810.GetItem", _GET)).body

    async def via_agent() -> bytes:
        response = await agent.request(b"POST", url, headers, FileBodyProducer(io.BytesIO(_GET)))
        return await readBody(response)

    clients: list[tuple[str, Callable[[], Awaitable[bytes]]]] = [("lean", via_lean), ("agent", via_agent)]
    for round_number in range(rounds):
        for label, fetch in clients:
            for _ in range(300):
                await fetch()
            cpu, started = _cpu(), time.perf_counter()
            for _ in range(requests):
                body = await fetch()
            wall, spent = time.perf_counter() - started, _cpu() - cpu
            assert b'"Item"' in body
            print(
                f"{label:5} round {round_number}: {wall / requests * 1e6:5.0f} us/request,"
                f" {spent / requests * 1e6:4.0f} us of client CPU",
                flush=True,
            )
    await pool.close()
    await agent_pool.closeCachedConnections()


def main(reactor) -> defer.Deferred:
    folder = temporary_folder("backend-client")
    local = start_dynamodb_local(folder)
    port = int(local.url.rsplit(":", 1)[1])

    def stop(result):
        local.stop()
        shutil.rmtree(folder, ignore_errors=True)
        return result

    return defer.ensureDeferred(compare(reactor, port)).addBoth(stop)


if __name__ == "__main__":
    task.react(main)
