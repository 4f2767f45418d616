"""The append-only, hash-chained log of every read and write of a person's data.

Each row says who (an opaque subject id and roles), which record, when, why (a purpose code),
through which service and route, and with what outcome. Row ``seq`` n stores
``hash = sha256(prev_hash + "\\n" + canonical JSON of every other column)`` with ``prev_hash``
the hash of row n-1 (64 zeros for row 1), so editing, deleting, inserting or re-ordering a row
breaks the chain at that point and ``verify()`` names the first broken ``seq``.

What protects what, honestly: the UPDATE/DELETE (and on PostgreSQL TRUNCATE) triggers stop
mistakes and the application; they do not stop a DBA with DDL rights, who can drop them. The
chain is what makes tampering *evident*. It cannot reveal a rewrite of the whole tail from
some row on, nor a truncated tail: for that, copy ``ChainCheck.head_hash`` somewhere the
database's administrators cannot write (an anchor; not built here).

The log can never be erased, so crypto-shredding cannot reach it: it must never hold personal
data. Every text value is therefore checked against a pattern of ids and codes (no spaces, so
no names or notes); that keeps sentences out, not every identifier, so callers still pass ids.

Appends are serialised so the chain never forks across threads, processes and replicas: a lock
per instance, then the database's write lock (a PostgreSQL advisory lock; on SQLite the write
lock taken by a first no-op write) before the head is read. Concurrent appends share one short
transaction (group commit): from threads through ``AuditLog.append``, and from the requests an
event loop is serving through ``AuditWriter``, which also spares each request its own hop to a
worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from shared.observability.metrics import AUDIT_APPEND_SECONDS
from shared.storage.sql import Row, SqlCursor, SqlStore, from_sql_time, to_sql_time
from shared.threads import in_thread

GENESIS_HASH = "0" * 64
VERIFY_BATCH = 1_000
_CODE = re.compile(r"[A-Za-z0-9._:@|/{}+,=-]{0,200}")
_ACTION = re.compile(r"[A-Za-z0-9._:@|/{}+,=-]{1,100}( [A-Za-z0-9._:@|/{}+,=-]{1,200})?")
_MAX_DETAILS = 20
# Every stored column but ``hash`` itself is hashed (as canonical JSON, so order is moot).
_HASHED = (
    "seq at service actor roles action record_type record_id outcome purpose details"
    " request_id prev_hash"
)
_COLUMNS = tuple(_HASHED.split())


OutcomeClass = Literal["served", "refused", "failed"]
#: Each outcome class as a half-open range of HTTP statuses.
OUTCOME_RANGES: dict[str, tuple[int, int]] = {
    "served": (0, 400),
    "refused": (400, 500),
    "failed": (500, 1000),
}


@dataclass(frozen=True)
class AuditEntry:
    service: str
    actor: str
    roles: tuple[str, ...]
    action: str
    record_type: str | None
    record_id: str | None
    outcome: int
    purpose: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    entry: AuditEntry
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    intact: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None
    #: The last hash checked: worth copying elsewhere to detect a rewritten or truncated tail.
    head_hash: str | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _chain_hash(row: Mapping[str, Any]) -> str:
    body = _canonical({name: row[name] for name in _COLUMNS})
    return hashlib.sha256(f"{row['prev_hash']}\n{body}".encode()).hexdigest()


def _check_code(name: str, value: str | None, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not _CODE.fullmatch(value) or (required and not value):
        raise ValueError(f"audit {name} must be an id or code (no spaces, at most 200 chars)")


def validate(entry: AuditEntry) -> None:
    """Refuse anything that could be free text: the log cannot be erased, so no personal data."""
    for name in ("service", "actor"):
        _check_code(name, getattr(entry, name), required=True)
    for name in ("record_type", "record_id", "purpose", "request_id"):
        _check_code(name, getattr(entry, name))
    if not isinstance(entry.action, str) or not _ACTION.fullmatch(entry.action):
        raise ValueError("audit action must be a method and route template, or a code")
    for role in entry.roles:
        _check_code("role", role, required=True)
    if isinstance(entry.outcome, bool) or not isinstance(entry.outcome, int):
        raise ValueError("audit outcome must be an int (an HTTP status)")
    if len(entry.details) > _MAX_DETAILS:
        raise ValueError(f"audit details hold at most {_MAX_DETAILS} items")
    for key, value in entry.details.items():
        _check_code("details key", key, required=True)
        _check_code("details value", value, required=True)


class _Slot:
    """One caller's entry waiting in a group commit, and how it ended."""

    def __init__(self, entry: AuditEntry) -> None:
        self.entry = entry
        self.done = False
        self._record: AuditRecord | None = None
        self._error: BaseException | None = None

    def succeed(self, record: AuditRecord) -> None:
        self._record, self.done = record, True

    def fail(self, error: BaseException) -> None:
        self._error, self.done = error, True

    def outcome(self) -> AuditRecord:
        if self._error is not None:
            raise self._error
        assert self._record is not None
        return self._record


class AuditLog:
    def __init__(self, store: SqlStore, clock: Callable[[], datetime] = _utc_now) -> None:
        self._store = store
        self._clock = clock
        self._table = store.table("audit_log")
        self._lock = threading.Lock()
        # Group commit: entries waiting for a write, and whether one is under way.
        self._turn = threading.Condition()
        self._waiting: list[_Slot] = []
        self._writing = False
        # A fixed key per table, so every replica appending to it takes the same lock.
        digest = hashlib.sha256(f"waymark-audit:{self._table}".encode()).digest()
        self._advisory_key = int.from_bytes(digest[:8], "big", signed=True)
        self._create()

    @AUDIT_APPEND_SECONDS.time()
    def append(self, entry: AuditEntry) -> AuditRecord:
        """Append one entry, durably, before returning it.

        Concurrent callers share commits (group commit): whoever finds no write in progress
        writes every entry waiting, in one transaction, for all of them. Each caller still
        returns only once her own entry is committed, so the guarantee is unchanged; what is
        shared is the cost of the commit (one fsync), which is most of an append's price."""
        validate(entry)
        slot = _Slot(entry)
        with self._turn:
            self._waiting.append(slot)
            while not slot.done and self._writing:
                self._turn.wait()
            if slot.done:
                return slot.outcome()
            batch, self._waiting, self._writing = self._waiting, [], True
        try:
            records = self.append_many([waiting.entry for waiting in batch])
        except BaseException as error:
            for waiting in batch:
                waiting.fail(error)
            raise
        else:
            for waiting, record in zip(batch, records, strict=True):
                waiting.succeed(record)
        finally:
            with self._turn:
                self._writing = False
                self._turn.notify_all()
        return slot.outcome()

    def append_many(self, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
        """Append entries in order, in one transaction (all or none)."""
        for entry in entries:
            validate(entry)
        rows: list[Row] = []
        with self._lock, self._store.transaction() as cursor:
            self._take_write_lock(cursor)
            cursor.execute(f"SELECT seq, at, hash FROM {self._table} ORDER BY seq DESC LIMIT 1")
            head: Row | None = cursor.fetchone()
            for entry in entries:
                row = self._chained(entry, head)
                names = ", ".join(row)
                cursor.execute(
                    f"INSERT INTO {self._table} ({names}) VALUES ({', '.join(['%s'] * len(row))})",
                    tuple(row.values()),
                )
                rows.append(row)
                head = row
        return [_record(row) for row in rows]

    def _chained(self, entry: AuditEntry, head: Row | None) -> Row:
        at = self._clock()
        if head is not None:
            # A replica whose clock lags must not make time run backwards along the chain:
            # then a time range is a seq range, and "since" filters mean what they say.
            at = max(at, from_sql_time(str(head["at"])))
        row: Row = {
            "seq": 1 if head is None else int(head["seq"]) + 1,
            "at": to_sql_time(at),
            "service": entry.service,
            "actor": entry.actor,
            "roles": _canonical(list(entry.roles)),
            "action": entry.action,
            "record_type": entry.record_type,
            "record_id": entry.record_id,
            "outcome": entry.outcome,
            "purpose": entry.purpose,
            "details": _canonical(dict(entry.details)),
            "request_id": entry.request_id,
            "prev_hash": GENESIS_HASH if head is None else str(head["hash"]),
        }
        row["hash"] = _chain_hash(row)
        return row

    def query(
        self,
        *,
        actor: str | None = None,
        record_id: str | None = None,
        record_type: str | None = None,
        action: str | None = None,
        service: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outcome: OutcomeClass | None = None,
        limit: int = 50,
        offset: int = 0,
        newest_first: bool = False,
    ) -> tuple[list[AuditRecord], int]:
        """One page of matching records (oldest first unless ``newest_first``) and the total.

        Filters combine with AND; ``since`` is inclusive and ``until`` exclusive; ``outcome``
        is a class of HTTP status (``served`` < 400, ``refused`` 4xx, ``failed`` 5xx).
        """
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        where: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("actor", actor),
            ("record_id", record_id),
            ("record_type", record_type),
            ("action", action),
            ("service", service),
        ):
            if value is not None:
                where.append(f"{column} = %s")
                params.append(value)
        if since is not None:
            where.append("at >= %s")
            params.append(to_sql_time(since))
        if until is not None:
            where.append("at < %s")
            params.append(to_sql_time(until))
        if outcome is not None:
            low, high = OUTCOME_RANGES[outcome]
            where.append("outcome >= %s AND outcome < %s")
            params.extend((low, high))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        order = "DESC" if newest_first else "ASC"
        with self._store.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {self._table}{clause}", params)
            total = cursor.fetchone()
            cursor.execute(
                f"SELECT * FROM {self._table}{clause} ORDER BY seq {order} LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = cursor.fetchall()
        return [_record(row) for row in rows], 0 if total is None else int(total["n"])

    def verify(self, *, from_seq: int = 1) -> ChainCheck:
        """Recompute the chain from ``from_seq`` (trusting the row before it) in bounded batches."""
        if from_seq < 1:
            raise ValueError("from_seq starts at 1")
        expected_seq, prev_hash, checked = from_seq, GENESIS_HASH, 0
        if from_seq > 1:
            anchor = self._rows_after(from_seq - 2, 1)
            if not anchor or int(anchor[0]["seq"]) != from_seq - 1:
                return ChainCheck(False, 0, from_seq - 1, "the row before from_seq is missing")
            prev_hash = str(anchor[0]["hash"])
        while batch := self._rows_after(expected_seq - 1, VERIFY_BATCH):
            for row in batch:
                seq = int(row["seq"])
                problem = None
                if seq != expected_seq:
                    problem = f"row {expected_seq} is missing (next stored row is {seq})"
                elif row["prev_hash"] != prev_hash:
                    problem = "prev_hash does not match the previous row's hash"
                elif _chain_hash(row) != row["hash"]:
                    problem = "the row's content does not match its hash"
                if problem is not None:
                    return ChainCheck(False, checked, expected_seq, problem, prev_hash)
                checked += 1
                expected_seq += 1
                prev_hash = str(row["hash"])
        return ChainCheck(True, checked, None, None, None if checked == 0 else prev_hash)

    def close(self) -> None:
        self._store.close()

    def _rows_after(self, seq: int, limit: int) -> list[Row]:
        return self._store.rows(
            f"SELECT * FROM {self._table} WHERE seq > %s ORDER BY seq LIMIT %s", (seq, limit)
        )

    def _take_write_lock(self, cursor: SqlCursor) -> None:
        if self._store.dialect == "postgres":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (self._advisory_key,))
        else:
            # The library opens a deferred BEGIN: a write before the head is read takes
            # SQLite's write lock now, so another process cannot commit a row in between (which
            # would fork the chain or fail with SQLITE_BUSY_SNAPSHOT). It matches no row, so
            # the no-update trigger never fires.
            cursor.execute(f"UPDATE {self._table} SET seq = seq WHERE 0 = 1")

    def _create(self) -> None:
        table, postgres = self._table, self._store.dialect == "postgres"
        seq_type = "BIGINT" if postgres else "INTEGER"
        statements = [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            f" seq {seq_type} PRIMARY KEY, at TEXT NOT NULL, service TEXT NOT NULL,"
            " actor TEXT NOT NULL, roles TEXT NOT NULL, action TEXT NOT NULL,"
            " record_type TEXT, record_id TEXT, outcome INTEGER NOT NULL, purpose TEXT,"
            " details TEXT NOT NULL, request_id TEXT, prev_hash TEXT NOT NULL,"
            " hash TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS audit_log_actor_at ON {table} (actor, at)",
            f"CREATE INDEX IF NOT EXISTS audit_log_record_at ON {table} (record_id, at)",
            f"CREATE INDEX IF NOT EXISTS audit_log_at ON {table} (at)",
        ]
        refusal = "audit_log is append-only"
        if postgres:
            function = self._store.table("audit_log_refuse_change")
            statements += [
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql"
                f" AS $$ BEGIN RAISE EXCEPTION '{refusal}'; END $$",
                "CREATE OR REPLACE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE"
                f" ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()",
                "CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        else:
            statements += [
                f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{op.lower()} BEFORE {op} ON {table}"
                f" BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
                for op in ("UPDATE", "DELETE")
            ]
        with self._store.transaction() as cursor:
            # Replicas starting together would race on CREATE ... IF NOT EXISTS on PostgreSQL.
            if postgres:
                self._take_write_lock(cursor)
            for statement in statements:
                cursor.execute(statement)


class AuditWriter:
    """Group commit for the requests one event loop serves: each awaits its own entry, durable.

    A request's entry joins a queue; one writer task at a time takes everything queued and
    appends it in one transaction (one hop to a worker thread and one commit for the lot, not
    one per request), then answers each waiting request with her record, or with the error if
    the commit failed: no request is answered before its entry is committed, and none whose
    entry was not. Entries that arrive while a commit is under way go in the next one.
    """

    def __init__(self, log: Callable[[], AuditLog]) -> None:
        self._log = log
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[AuditEntry, asyncio.Future[AuditRecord]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, entry: AuditEntry) -> AuditRecord:
        validate(entry)  # a bad entry fails its own request, never the others in its commit
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new loop (a restarted server, a test client): start over
            self._loop, self._waiting, self._writer = loop, [], None
        answer: asyncio.Future[AuditRecord] = loop.create_future()
        self._waiting.append((entry, answer))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write_all())
        return await answer

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                records = await in_thread(self._log().append_many, [entry for entry, _ in batch])
            except Exception as error:  # noqa: BLE001 - every waiting request gets the error
                _fail(batch, error)
                continue
            except BaseException:  # cancelled: the loop is stopping; nobody waits forever
                _fail([*batch, *self._waiting], AuditUnavailable())
                self._waiting = []
                raise
            for (_, answer), record in zip(batch, records, strict=True):
                if not answer.done():  # its request may have been cancelled meanwhile
                    answer.set_result(record)


class AuditUnavailable(Exception):
    """The writer stopped before the entry was committed."""


def _fail(
    batch: Sequence[tuple[AuditEntry, asyncio.Future[AuditRecord]]], error: Exception
) -> None:
    for _, answer in batch:
        if not answer.done():
            answer.set_exception(error)


def _record(row: Mapping[str, Any]) -> AuditRecord:
    entry = AuditEntry(
        service=str(row["service"]),
        actor=str(row["actor"]),
        roles=tuple(json.loads(row["roles"])),
        action=str(row["action"]),
        record_type=row["record_type"],
        record_id=row["record_id"],
        outcome=int(row["outcome"]),
        purpose=row["purpose"],
        details=json.loads(row["details"]),
        request_id=row["request_id"],
    )
    return AuditRecord(
        seq=int(row["seq"]),
        at=from_sql_time(str(row["at"])),
        entry=entry,
        prev_hash=str(row["prev_hash"]),
        hash=str(row["hash"]),
    )
