"""
C{python -m bench.dynamodb_backups [items]}: what an on-demand backup and a
restore of a table of C{items} (default 10,000) items of about 200 bytes
cost through a RustStack child process: wall time of CreateBackup, of
RestoreTableFromBackup until the table is ACTIVE, and of a point-in-time
restore; the backup file's size; RustStack's peak RSS; and the slowest of
the GetItems sent every 20 ms meanwhile (the reactor is never blocked).
"""

from __future__ import annotations

import os
import sys
import threading
import time

from ruststack.config import Config
from ruststack.testing import RustStackProcess
from tests.dynamodb.helpers import JAR, make_table, wait_running


def _rss_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _fill(client, count: int) -> None:
    for start in range(0, count, 25):
        client.batch_write_item(
            RequestItems={
                "big": [
                    {"PutRequest": {"Item": {"pk": {"S": f"p{n:06d}"}, "sk": {"S": "s"}, "body": {"S": "x" * 180}}}}
                    for n in range(start, min(count, start + 25))
                ]
            }
        )


class _Prober(threading.Thread):
    """
    A request every 20 ms on a client of its own: GetItem (through DynamoDB
    Local) or DescribeEndpoints (answered by the proxy alone: the reactor's
    latency); the answers' times.
    """

    def __init__(self, stack: RustStackProcess, local: bool) -> None:
        super().__init__(daemon=True)
        self.client = stack.client("dynamodb")
        self.local = local
        self.times: list[float] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            started = time.perf_counter()
            if self.local:
                self.client.get_item(TableName="big", Key={"pk": {"S": "p000001"}, "sk": {"S": "s"}})
            else:
                self.client.describe_endpoints()
            self.times.append(time.perf_counter() - started)
            time.sleep(0.02)

    def summary(self) -> str:
        ordered = sorted(self.times)
        return (
            f"{len(ordered)} answers, p50 {ordered[len(ordered) // 2] * 1000:.1f} ms, "
            f"p99 {ordered[len(ordered) * 99 // 100] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
        )


def _wait_active(client, table: str) -> None:
    while client.describe_table(TableName=table)["Table"]["TableStatus"] != "ACTIVE":
        time.sleep(0.05)


def _run_folders() -> set[str]:
    # Where a RustStack without --data-dir keeps its backups (service.py).
    root = os.path.join(Config.resolve({}).cache_dir, "dynamodb-backups")
    return {os.path.join(root, name) for name in os.listdir(root)} if os.path.isdir(root) else set()


def main(count: int) -> None:
    before = _run_folders()
    stack = RustStackProcess.start("--services", "dynamodb", "--dynamodb-local-jar", JAR)
    try:
        wait_running(stack)
        client = stack.client("dynamodb")
        pid = stack.process.pid
        make_table(client, "big", gsi=False, lsi=False)
        # For comparison: the same probes while a client writes the items.
        probers = [_Prober(stack, local=True), _Prober(stack, local=False)]
        for prober in probers:
            prober.start()
        started = time.perf_counter()
        _fill(client, count)
        print(f"filled {count} items with BatchWriteItem from boto3: {time.perf_counter() - started:.2f} s")
        for prober in probers:
            prober.running = False
            prober.join()
        print(f"  GetItem meanwhile: {probers[0].summary()}")
        print(f"  DescribeEndpoints (the proxy alone) meanwhile: {probers[1].summary()}")
        client.update_continuous_backups(
            TableName="big", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        rss_before = _rss_kib(pid, "VmRSS")
        probers = [_Prober(stack, local=True), _Prober(stack, local=False)]
        for prober in probers:
            prober.start()

        started = time.perf_counter()
        details = client.create_backup(TableName="big", BackupName="bench")["BackupDetails"]
        backup = time.perf_counter() - started
        started = time.perf_counter()
        client.restore_table_from_backup(TargetTableName="big-copy", BackupArn=details["BackupArn"])
        _wait_active(client, "big-copy")
        restore = time.perf_counter() - started
        started = time.perf_counter()
        client.restore_table_to_point_in_time(
            SourceTableName="big", TargetTableName="big-pitr", UseLatestRestorableTime=True
        )
        _wait_active(client, "big-pitr")
        pitr = time.perf_counter() - started

        for prober in probers:
            prober.running = False
            prober.join()
        copied = client.describe_table(TableName="big-copy")["Table"]["ItemCount"]
        files = [
            os.path.join(folder, name) for run in _run_folders() - before for folder, _, names in os.walk(run)
            for name in names if name.endswith(".jsonl")
        ]  # fmt: skip
        size = sum(os.path.getsize(path) for path in files)
        print(f"CreateBackup: {backup:.2f} s ({count / backup:,.0f} items/s); backup files {size / 1e6:.1f} MB")
        print(f"RestoreTableFromBackup until ACTIVE: {restore:.2f} s ({count / restore:,.0f} items/s); {copied} items")
        print(f"RestoreTableToPointInTime (scan + write) until ACTIVE: {pitr:.2f} s")
        print(
            f"RustStack RSS {rss_before / 1024:.0f} MiB before, {_rss_kib(pid, 'VmRSS') / 1024:.0f} MiB after, "
            f"peak {_rss_kib(pid, 'VmHWM') / 1024:.0f} MiB"
        )
        print(f"GetItem meanwhile: {probers[0].summary()}")
        print(f"DescribeEndpoints (the proxy alone) meanwhile: {probers[1].summary()}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
