"""What the hash-chained audit log costs per request, against a plain INSERT.

    python -m bench.audit_log [--count N] [--postgres DSN]

On a throw-away SQLite file (always) and a throw-away PostgreSQL schema (when ``--postgres`` or
WAYMARK_TEST_POSTGRES_DSN gives a DSN; the schema is dropped afterwards) it times:

- ``AuditLog.append`` one at a time (validate, lock, read the head, hash, insert, commit);
- the same rows as single-row INSERT + commit into a plain table of the same shape and indexes
  but no chain, lock or triggers, on the same store — the floor any audit log pays;
- both again from 8 threads (appends are serialised, so this shows what contention costs);
- ``verify()`` over the whole chain, in rows per second.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier

from shared.security.audit import AuditEntry, AuditLog
from shared.storage.sql import SqlStore

THREADS = 8


def sample(n: int) -> AuditEntry:
    return AuditEntry(
        service="cases",
        actor=f"user-{n % 50}",
        roles=("caseworker",),
        action="GET /journeys/{journey_id}",
        record_type="journey",
        record_id=str(uuid.UUID(int=n % 5_000)),
        outcome=200,
        details={"team": "north"},
        request_id=uuid.uuid4().hex,
    )


def plain_table(store: SqlStore) -> Callable[[int], None]:
    """An INSERT-and-commit of one row into an un-chained table shaped like ``audit_log``."""
    table = store.table("audit_plain")
    seq_type = "BIGINT" if store.dialect == "postgres" else "INTEGER"
    store.execute_script(
        [
            f"CREATE TABLE {table} (seq {seq_type} PRIMARY KEY, at TEXT NOT NULL,"
            " service TEXT NOT NULL, actor TEXT NOT NULL, roles TEXT NOT NULL,"
            " action TEXT NOT NULL, record_type TEXT, record_id TEXT, outcome INTEGER NOT NULL,"
            " purpose TEXT, details TEXT NOT NULL, request_id TEXT, prev_hash TEXT NOT NULL,"
            " hash TEXT NOT NULL)",
            f"CREATE INDEX audit_plain_actor_at ON {table} (actor, at)",
            f"CREATE INDEX audit_plain_record_at ON {table} (record_id, at)",
            f"CREATE INDEX audit_plain_at ON {table} (at)",
        ]
    )
    counter = iter(range(1, 1 << 62))
    lock = threading.Lock()

    def insert(n: int) -> None:
        entry = sample(n)
        with lock:
            seq = next(counter)
        with store.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                " %s, %s)",
                (
                    seq,
                    time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime()),
                    entry.service,
                    entry.actor,
                    '["caseworker"]',
                    entry.action,
                    entry.record_type,
                    entry.record_id,
                    entry.outcome,
                    None,
                    '{"team":"north"}',
                    entry.request_id,
                    "0" * 64,
                    "f" * 64,
                ),
            )

    return insert


def rate(work: Callable[[int], object], count: int, threads: int = 1) -> float:
    """Calls per second of ``work(n)`` for n in range(count), shared among ``threads``."""
    started = time.perf_counter()
    if threads == 1:
        for n in range(count):
            work(n)
    else:
        workers = [
            threading.Thread(target=lambda k=k: [work(n) for n in range(k, count, threads)])
            for k in range(threads)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return count / (time.perf_counter() - started)


def measure(store: SqlStore, count: int) -> dict[str, float]:
    log = AuditLog(store)
    insert = plain_table(store)
    figures = {
        "raw": rate(insert, count),
        "audit": rate(lambda n: log.append(sample(n)), count),
        "raw threads": rate(insert, count, THREADS),
        "audit threads": rate(lambda n: log.append(sample(n)), count, THREADS),
    }
    started = time.perf_counter()
    check = log.verify()
    assert check.intact and check.checked == 2 * count, check
    figures["verify"] = check.checked / (time.perf_counter() - started)
    return figures


def on_sqlite(count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqlStore.sqlite(Path(tmp) / "audit.sqlite")
        try:
            return measure(store, count)
        finally:
            store.close()


def on_postgres(dsn: str, count: int) -> dict[str, float]:
    params = conninfo_to_dict(dsn)
    schema = f"bench_audit_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
    store = SqlStore.postgres(
        schema=schema,
        dbname=str(params.get("dbname", "postgres")),
        host=str(params.get("host", "127.0.0.1")),
        port=str(params.get("port", "5432")),
        user=str(params.get("user", "postgres")),
        password=str(params.get("password", "")),
        pool_size=THREADS,
    )
    try:
        return measure(store, count)
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=2_000, help="rows per measurement")
    parser.add_argument("--postgres", default=os.environ.get("WAYMARK_TEST_POSTGRES_DSN"))
    args = parser.parse_args()
    results = {"SQLite": on_sqlite(args.count)}
    if args.postgres:
        results["PostgreSQL"] = on_postgres(args.postgres, args.count)
    print(f"Audit log appends vs plain single-row INSERT + commit ({args.count} rows each)")
    print(
        f"{'backend':<11} {'threads':>7} {'INSERT/s':>9} {'append/s':>9} {'ratio':>6}"
        f" {'µs/append':>10} {'verify rows/s':>14}"
    )
    for backend, figures in results.items():
        for threads, suffix in ((1, ""), (THREADS, " threads")):
            raw, chained = figures["raw" + suffix], figures["audit" + suffix]
            verify = f"{figures['verify']:>14,.0f}" if threads == 1 else ""
            print(
                f"{backend:<11} {threads:>7} {raw:>9,.0f} {chained:>9,.0f}"
                f" {chained / raw:>5.2f}x {1e6 / chained:>10,.0f} {verify}"
            )


if __name__ == "__main__":
    main()
