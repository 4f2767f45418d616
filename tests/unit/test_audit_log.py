"""The read/write audit log: appends, auditors' queries, the hash chain and its guards.

Every test runs on SQLite and, with WAYMARK_TEST_POSTGRES_DSN set, on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError

from shared.security import audit
from shared.security.audit import GENESIS_HASH, AuditEntry, AuditLog, AuditRecord
from shared.settings import ServiceName
from shared.storage.backend import ensure_postgres_schema, open_sql_store
from shared.storage.sql import SqlStore
from tests.support import make_settings

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REFUSED = (PersistenceError, psycopg.Error)
StoreFactory = Callable[[], SqlStore]


class Ticking:
    """A clock that moves one minute per reading, so every row has its own time."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def open_store(tmp_path: Path, database: tuple[str | None, str | None]) -> Iterator[StoreFactory]:
    """Opens stores on one database the way a service does; several share the same table."""
    url, prefix = database
    settings = make_settings(
        ServiceName.CASES, tmp_path / "var", database_url=url, schema_prefix=prefix
    )
    ensure_postgres_schema(settings)
    opened: list[SqlStore] = []

    def factory() -> SqlStore:
        store = open_sql_store(settings, "audit")
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def log(open_store: StoreFactory) -> AuditLog:
    return AuditLog(open_store(), clock=Ticking())


def entry(n: int = 0, /, **changes: object) -> AuditEntry:
    values: dict[str, object] = {
        "service": "cases",
        "actor": f"user-{n % 3}",
        "roles": ("caseworker",),
        "action": "GET /journeys/{journey_id}",
        "record_type": "journey",
        "record_id": f"j-{n % 4}",
        "outcome": 200,
        "details": {"team": "north"},
        "request_id": f"req-{n}",
    }
    values.update(changes)
    return AuditEntry(**values)  # type: ignore[arg-type]


def filled(log: AuditLog, count: int) -> AuditLog:
    for n in range(count):
        log.append(entry(n))
    return log


def raw(log: AuditLog, sql: str, params: tuple[object, ...] = ()) -> None:
    """SQL straight at the table, as someone with database access could run it."""
    with log._store.transaction() as cursor:
        cursor.execute(sql.format(table=log._table), params)


def drop_guards(log: AuditLog) -> None:
    if log._store.dialect == "postgres":
        raw(log, "DROP TRIGGER audit_log_no_change ON {table}")
    else:
        raw(log, "DROP TRIGGER audit_log_no_update")
        raw(log, "DROP TRIGGER audit_log_no_delete")


def test_given_an_empty_log_when_an_entry_is_appended_then_it_is_row_1_chained_to_genesis(
    log: AuditLog,
) -> None:
    record = log.append(entry(purpose="break-glass:g-42"))

    assert (record.seq, record.prev_hash, record.at) == (1, GENESIS_HASH, T0 + timedelta(minutes=1))
    assert len(record.hash) == 64
    assert log.query() == ([record], 1)


def test_given_a_record_when_it_is_read_back_then_every_field_round_trips(log: AuditLog) -> None:
    written = log.append(
        entry(roles=("caseworker", "supervisor"), details={"visit_id": "v-1", "page": "2"})
    )

    (read,), _ = log.query()

    assert read == written
    assert read.entry.roles == ("caseworker", "supervisor")
    assert read.entry.details == {"visit_id": "v-1", "page": "2"}


def test_given_a_list_read_when_it_is_logged_then_record_fields_may_be_empty(
    log: AuditLog,
) -> None:
    record = log.append(
        entry(action="GET /journeys", record_type="list", record_id=None, details={})
    )

    assert record.entry.record_id is None
    assert log.query(record_type="list")[1] == 1


@pytest.mark.parametrize(
    ("filters", "expected_seqs"),
    [
        ({"actor": "user-1"}, [2, 5, 8, 11]),
        ({"record_id": "j-2"}, [3, 7, 11]),
        ({"record_type": "visit"}, [10, 11, 12]),
        ({"action": "POST /journeys"}, [12]),
        ({"service": "visits"}, [10, 11, 12]),
        ({"actor": "user-1", "record_id": "j-2"}, [11]),
        # Row n is stamped T0 + n minutes by the ticking clock; since inclusive, until exclusive.
        ({"since": T0 + timedelta(minutes=4), "until": T0 + timedelta(minutes=7)}, [4, 5, 6]),
        ({"since": T0 + timedelta(minutes=11)}, [11, 12]),
        # Row 9 was refused (403), row 10 failed (500); the rest were served.
        ({"outcome": "refused"}, [9]),
        ({"outcome": "failed"}, [10]),
        ({"outcome": "served", "service": "visits"}, [11, 12]),
    ],
)
def test_given_a_mixed_log_when_an_auditor_filters_then_only_matching_rows_come_back(
    log: AuditLog, filters: dict[str, object], expected_seqs: list[int]
) -> None:
    filled(log, 8)
    log.append(entry(8, outcome=403))
    for n in (9, 10):
        log.append(entry(n, service="visits", record_type="visit", outcome=500 if n == 9 else 200))
    log.append(entry(11, service="visits", record_type="visit", action="POST /journeys"))

    records, total = log.query(**filters)  # type: ignore[arg-type]

    assert [record.seq for record in records] == expected_seqs
    assert total == len(expected_seqs)


def test_given_many_matches_when_paged_then_pages_are_in_seq_order_and_total_is_all(
    log: AuditLog,
) -> None:
    filled(log, 30)  # user-0 made rows 1, 4, ..., 28: ten rows

    first, total = log.query(actor="user-0", limit=4)
    last, _ = log.query(actor="user-0", limit=4, offset=8)
    newest, _ = log.query(actor="user-0", limit=2, newest_first=True)

    assert total == 10
    assert [r.seq for r in first] == [1, 4, 7, 10]
    assert [r.seq for r in last] == [25, 28]
    assert [r.seq for r in newest] == [28, 25]
    assert log.query(limit=5, offset=40) == ([], 30)


def test_given_a_fresh_log_when_verified_then_it_is_intact_with_nothing_checked(
    log: AuditLog,
) -> None:
    assert log.verify() == audit.ChainCheck(True, 0, None, None, None)


def test_given_a_chain_longer_than_a_batch_when_verified_then_every_row_is_checked(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "VERIFY_BATCH", 7)
    filled(log, 100)
    head, _ = log.query(limit=1, newest_first=True)

    check = log.verify()
    tail = log.verify(from_seq=60)

    assert (check.intact, check.checked, check.head_hash) == (True, 100, head[0].hash)
    assert (tail.intact, tail.checked) == (True, 41)


def test_given_a_log_reopened_when_more_is_appended_then_the_chain_continues(
    open_store: StoreFactory,
) -> None:
    first = AuditLog(open_store())
    filled(first, 3)

    again = AuditLog(open_store())  # creating table, indexes and triggers again is a no-op
    record = again.append(entry(3))

    assert record.seq == 4
    assert again.verify().checked == 4


def test_given_a_clock_that_goes_back_when_appending_then_time_never_runs_backwards(
    open_store: StoreFactory,
) -> None:
    store = open_store()
    AuditLog(store, clock=lambda: T0).append(entry())

    lagging = AuditLog(store, clock=lambda: T0 - timedelta(hours=1)).append(entry())

    assert lagging.at == T0


def test_given_an_edited_actor_when_verified_then_that_row_is_the_first_broken(
    log: AuditLog,
) -> None:
    filled(log, 10)
    drop_guards(log)

    raw(log, "UPDATE {table} SET actor = %s WHERE seq = %s", ("someone-else", 6))
    check = log.verify()

    assert (check.intact, check.first_broken_seq, check.checked) == (False, 6, 5)
    assert check.reason is not None and "hash" in check.reason


def test_given_an_edit_with_its_hash_recomputed_when_verified_then_the_next_link_breaks(
    log: AuditLog,
) -> None:
    filled(log, 10)
    drop_guards(log)
    with log._store.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT * FROM {log._table} WHERE seq = 6")
        stored = cursor.fetchone()
    assert stored is not None
    forged = {**stored, "actor": "someone-else"}

    raw(
        log,
        "UPDATE {table} SET actor = %s, hash = %s WHERE seq = %s",
        ("someone-else", audit._chain_hash(forged), 6),
    )

    assert log.verify().first_broken_seq == 7


def test_given_a_deleted_middle_row_when_verified_then_the_gap_is_reported(
    log: AuditLog,
) -> None:
    filled(log, 10)
    drop_guards(log)

    raw(log, "DELETE FROM {table} WHERE seq = %s", (4,))
    check = log.verify()

    assert (check.intact, check.first_broken_seq) == (False, 4)
    assert check.reason is not None and "missing" in check.reason


def test_given_two_rows_swapped_when_verified_then_the_first_of_them_is_broken(
    log: AuditLog,
) -> None:
    filled(log, 6)
    drop_guards(log)

    # Re-order by renumbering: row 3 becomes 4 and row 4 becomes 3.
    raw(log, "UPDATE {table} SET seq = -1 WHERE seq = 3")
    raw(log, "UPDATE {table} SET seq = 3 WHERE seq = 4")
    raw(log, "UPDATE {table} SET seq = 4 WHERE seq = -1")

    assert log.verify().first_broken_seq == 3


def test_given_a_row_when_updated_or_deleted_then_the_database_refuses(log: AuditLog) -> None:
    filled(log, 2)

    with pytest.raises(REFUSED, match="append-only"):
        raw(log, "UPDATE {table} SET actor = 'x' WHERE seq = 1")
    with pytest.raises(REFUSED, match="append-only"):
        raw(log, "DELETE FROM {table} WHERE seq = 2")
    if log._store.dialect == "postgres":
        with pytest.raises(REFUSED, match="append-only"):
            raw(log, "TRUNCATE {table}")

    assert log.verify() == audit.ChainCheck(True, 2, None, None, log.query()[0][1].hash)


def test_given_two_logs_on_one_database_when_8_threads_append_then_the_chain_never_forks(
    open_store: StoreFactory,
) -> None:
    # Two stores (two connection pools) on one database stand in for two processes/replicas.
    logs = [AuditLog(open_store()), AuditLog(open_store())]
    per_thread, errors = 25, list[Exception]()
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        start.wait()
        try:
            for n in range(per_thread):
                logs[worker % 2].append(entry(n, actor=f"worker-{worker}"))
        except Exception as error:  # noqa: BLE001 - reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    records, total = logs[0].query(limit=1_000)
    assert errors == []
    assert total == 8 * per_thread
    assert [record.seq for record in records] == list(range(1, total + 1))
    assert logs[1].verify().intact


@pytest.mark.parametrize(
    "changes",
    [
        {"purpose": "she said she was scared of her landlord"},
        {"purpose": "x" * 201},
        {"details": {"note": "Maria from the flat upstairs"}},
        {"details": {"free text": "x"}},
        {"details": {f"k{n}": "v" for n in range(21)}},
        {"actor": ""},
        {"actor": "Jane Doe"},
        {"record_id": "j 1"},
        {"roles": ("caseworker", "head of team")},
        {"action": "GET /journeys and more words"},
        {"outcome": True},
        {"request_id": "line\nbreak"},
        {"record_type": "journey\n"},
    ],
)
def test_given_free_text_when_appended_then_it_is_refused_and_nothing_is_stored(
    log: AuditLog, changes: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match="audit"):
        log.append(entry(**changes))

    assert log.query() == ([], 0)


def test_given_ids_and_codes_when_appended_then_they_are_accepted(log: AuditLog) -> None:
    record = log.append(
        entry(
            actor="auth0|5f7c8ec7c33c6c004bbafe82",
            action="export",
            purpose="break-glass:3f1c2a9e-6d1b-4c55-9b7e-2f0a1d9c8e77",
            details={"since": "2026-01-01T00:00:00+00:00", "status": "open,closed"},
        )
    )

    assert record.entry.purpose is not None and record.entry.purpose.startswith("break-glass:")


# --- group commit ----------------------------------------------------------------------------


def test_concurrent_appends_share_commits_and_each_caller_gets_her_own_entry(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    write = log.append_many

    def slow_write(entries: Any) -> Any:
        batches.append(len(entries))
        time.sleep(0.02)  # a slow disk: others arrive while this commit is under way
        return write(entries)

    monkeypatch.setattr(log, "append_many", slow_write)
    got: dict[str, AuditRecord] = {}

    def caller(worker: int) -> None:
        for n in range(5):
            record = log.append(entry(n, actor=f"w{worker}-{n}"))
            got[f"w{worker}-{n}"] = record

    threads = [threading.Thread(target=caller, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.entry.actor for r in got.values()) == sorted(got)
    assert all(record.entry.actor == actor for actor, record in got.items())
    assert sorted(r.seq for r in got.values()) == list(range(1, 41))
    assert sum(batches) == 40  # every entry committed once, whichever commit carried it
    assert log.verify().intact


def test_a_failed_group_commit_fails_every_caller_in_it_and_the_next_one_succeeds(
    log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = log.append_many
    failures = iter([OSError("disk full")])

    def flaky(entries: Any) -> Any:
        error = next(failures, None)
        if error is not None:
            raise error
        return write(entries)

    monkeypatch.setattr(log, "append_many", flaky)
    with pytest.raises(OSError, match="disk full"):
        log.append(entry(1))
    assert log.append(entry(2)).seq == 1
    assert log.verify().intact
