"""Per-person data keys, wrapped by the master key (envelope encryption).

Each person or not-yet-identified contact (a *subject*) gets a random 256-bit AES-GCM key. Only
the wrapped form is stored. Erasure (crypto-shredding) destroys the wrapped key and leaves a
tombstone, so nothing can be written for that subject again and every ciphertext made under the
key is unreadable for good.

A new key is stored no later than the first ciphertext made under it. On PostgreSQL the key
table lives in the events' database and schema, so new keys are inserted in the same
transaction as the events that need them (``new_keys``; one commit per save). On SQLite the
keys have their own file (so backups and erasure can treat it apart), and a file cannot share
a transaction with another one atomically: new keys are committed just before the events
(``ensure``).

Keys are cached in each process. An erasure made by another process (another replica, or the
HTTP process beside the one running the background work) is seen through the table: at most
every ``erasure_check_s`` a process asks which keys were destroyed lately and drops them from
its cache before it hands out a key, so no process can open her data for longer than that after
the erasure has committed.

Master-key rotation never touches events or snapshots: they are sealed under the data keys,
which do not change. Only the wrapping does. The *current* master key wraps every new key and
re-wraps old ones (``rewrap``); *previous* master keys only unwrap, until every row has been
re-wrapped and they can be dropped from the settings. Each row records the id of the master key
that wrapped it, so a missing key is named instead of failing as an anonymous ``InvalidTag``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.postgres import PostgresDatastore

from shared.storage.sql import SqlStore, placeholders

log = structlog.get_logger(__name__)

NONCE_BYTES = 12
_RECLAIM_ATTEMPTS = 5
# Subjects per query when preloading keys (well under any database's parameter limit).
_PRELOAD_CHUNK = 500
_KEY_ID_LABEL = b"waymark master key id"
#: How far back each look for other processes' erasures reaches before the last one it saw:
#: two erasures committing at once may commit in the other order than their times, and the
#: processes' clocks may differ a little.
_ERASURE_OVERLAP = timedelta(minutes=5)


class SubjectErasedError(Exception):
    """Personal data cannot be written for a subject whose key was destroyed."""


class MasterKeyUnavailableError(Exception):
    """A data key was wrapped by a master key that this process is not configured with."""


def master_key_id(master_key: bytes) -> str:
    """A non-secret fingerprint of a master key, safe to store, log and show.

    An HMAC keyed *by* the master key rather than a plain hash of it: the id then reveals
    nothing that would help test a guess of the key without already holding it.
    """
    return hmac.new(master_key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class RewrapReport:
    rewrapped: int = 0
    already_current: int = 0
    erased_skipped: int = 0


#: Called after each committed batch with (rows examined so far, rows in the table).
RewrapProgress = Callable[[int, int], None]


class Keyring:
    def __init__(
        self,
        store: SqlStore,
        master_key: bytes,
        previous_master_keys: Sequence[bytes] = (),
        cache_size: int = 10_000,
        erasure_check_s: float = 0.5,
    ) -> None:
        for key in (master_key, *previous_master_keys):
            if len(key) != 32:
                raise ValueError("master key must be 32 bytes")
        self._store = store
        self.current_key_id = master_key_id(master_key)
        self._master = AESGCM(master_key)
        # Current first: a row of unknown origin (written before ids were recorded) is most
        # likely under it.
        self._masters: dict[str, AESGCM] = {self.current_key_id: self._master}
        for key in previous_master_keys:
            self._masters.setdefault(master_key_id(key), AESGCM(key))
        self._table = store.table("subject_keys")
        self._cache: OrderedDict[UUID, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # Keys made for a save under way in this thread, not stored yet (``new_keys``).
        self._unsaved = threading.local()
        self._erasure_check_s = erasure_check_s
        # Erasures before this process started cannot be in its cache.
        self._next_erasure_check = time.monotonic() + erasure_check_s
        self._erasures_seen_to = datetime.now(UTC).isoformat()
        store.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self._table} ("
                " subject_id TEXT PRIMARY KEY,"
                " wrapped_key TEXT,"  # NULL once erased: the tombstone
                " created_at TEXT NOT NULL,"
                " erased_at TEXT,"
                " master_key_id TEXT)"  # NULL: wrapped before ids were recorded
            ]
        )
        self._add_master_key_id_column()
        store.execute_script(
            [f"CREATE INDEX IF NOT EXISTS subject_keys_erased ON {self._table} (erased_at)"]
        )

    @property
    def master_key_ids(self) -> tuple[str, ...]:
        """Ids of every configured master key, the current one first."""
        return tuple(self._masters)

    def key_for(self, subject: UUID, *, create: bool) -> bytes | None:
        """The subject's data key; ``None`` when erased (or unknown and not created)."""
        self._forget_erased_elsewhere()
        with self._lock:
            cached = self._cache.get(subject)
            if cached is not None:
                self._cache.move_to_end(subject)
                return cached
        unsaved: dict[UUID, bytes] = getattr(self._unsaved, "keys", {})
        if subject in unsaved:
            return unsaved[subject]
        row = self._read(subject)
        if row is None and create:
            self._insert_new(subject)
            row = self._read(subject)
        if row is None:
            return None
        if row["wrapped_key"] is None:
            if create:
                raise SubjectErasedError(str(subject))
            return None
        key = self._unwrap(subject, bytes.fromhex(row["wrapped_key"]), row["master_key_id"])
        self._remember(subject, key)
        return key

    def _remember(self, subject: UUID, key: bytes) -> None:
        with self._lock:
            self._cache[subject] = key
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _forget_erased_elsewhere(self) -> None:
        """Drop from the cache the keys another process destroyed lately (at most one query
        every ``erasure_check_s``, whichever thread comes first; none while nothing is cached)."""
        now = time.monotonic()
        with self._lock:
            if now < self._next_erasure_check or not self._cache:
                return
            self._next_erasure_check = now + self._erasure_check_s
            seen_to = self._erasures_seen_to
        since = (datetime.fromisoformat(seen_to) - _ERASURE_OVERLAP).isoformat()
        rows = self._store.rows(
            f"SELECT subject_id, erased_at FROM {self._table} WHERE erased_at > %s", (since,)
        )
        with self._lock:
            for row in rows:
                self._cache.pop(UUID(row["subject_id"]), None)
                self._erasures_seen_to = max(self._erasures_seen_to, row["erased_at"])

    def shares_database(self, events: PostgresDatastore) -> bool:
        """Whether this key table is in the events' PostgreSQL database and schema, so that
        the events' transaction can insert new keys too (``new_keys``)."""
        mine = getattr(self._store, "_datastore", None)
        if self._store.dialect != "postgres" or not isinstance(mine, PostgresDatastore):
            return False
        names = ("dbname", "host", "port")
        ours, theirs = _connection_of(mine), _connection_of(events)
        return mine.schema == events.schema and all(ours.get(n) == theirs.get(n) for n in names)

    @property
    def insert_statement(self) -> str:
        """Stores one new key (``new_keys`` rows), in a caller's transaction. No ``ON
        CONFLICT``: a key that another writer stored first fails that transaction, and the
        ciphertexts made under the key that lost with it."""
        return (
            f"INSERT INTO {self._table} (subject_id, wrapped_key, created_at, master_key_id)"
            " VALUES (%s, %s, %s, %s)"
        )

    def new_keys(self, subjects: set[UUID]) -> list[tuple[str, str, str, str]]:
        """Keys for a save: the stored ones read (and cached), the missing ones made but not
        stored. Returns the rows the caller inserts (``insert_statement``) in the transaction
        that stores the ciphertexts; until it calls ``keep_new_keys`` (committed) or
        ``drop_new_keys``, ``key_for`` in this thread answers with the unsaved keys."""
        with self._lock:
            missing = sorted((s for s in subjects if s not in self._cache), key=str)
        self._unsaved.keys = {}
        if not missing:
            return []
        stored = self._read_many(missing)
        unsaved: dict[UUID, bytes] = {}
        rows: list[tuple[str, str, str, str]] = []
        now = datetime.now(UTC).isoformat()
        for subject in missing:
            row = stored.get(str(subject))
            if row is None:
                key = AESGCM.generate_key(bit_length=256)
                unsaved[subject] = key
                wrapped = self._wrap(subject, key).hex()
                rows.append((str(subject), wrapped, now, self.current_key_id))
            elif row["wrapped_key"] is None:
                raise SubjectErasedError(str(subject))
            else:
                wrapped_key = bytes.fromhex(str(row["wrapped_key"]))
                self._remember(subject, self._unwrap(subject, wrapped_key, row["master_key_id"]))
        self._unsaved.keys = unsaved
        return rows

    def keep_new_keys(self) -> None:
        """The save that stored the keys from ``new_keys`` committed: they are the keys now."""
        for subject, key in getattr(self._unsaved, "keys", {}).items():
            self._remember(subject, key)
        self._unsaved.keys = {}

    def drop_new_keys(self) -> None:
        """The save failed: its keys were never stored, and nothing was sealed under them."""
        self._unsaved.keys = {}

    def ensure(self, subjects: set[UUID]) -> None:
        """Create every missing key in one transaction (one commit per save, not per person)."""
        with self._lock:
            missing = sorted(subject for subject in subjects if subject not in self._cache)
        if not missing:
            return
        now = datetime.now(UTC).isoformat()
        with self._store.transaction() as cursor:
            for subject in missing:
                cursor.execute(
                    f"INSERT INTO {self._table}"
                    " (subject_id, wrapped_key, created_at, master_key_id)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (subject_id) DO NOTHING",
                    (
                        str(subject),
                        self._wrap(subject, AESGCM.generate_key(256)).hex(),
                        now,
                        self.current_key_id,
                    ),
                )
        for subject in missing:
            self.key_for(subject, create=True)  # caches it; raises if she was erased

    def preload(self, subjects: Iterable[UUID]) -> None:
        """Read many subjects' keys in one query per few hundred into the cache, for a batch of
        the log whose personal fields are about to be opened; erased and unknown subjects are
        left to ``key_for``."""
        self._forget_erased_elsewhere()
        with self._lock:
            wanted = sorted({s for s in subjects if s not in self._cache}, key=str)
        wanted = wanted[: self._cache_size]
        for start in range(0, len(wanted), _PRELOAD_CHUNK):
            chunk = [str(subject) for subject in wanted[start : start + _PRELOAD_CHUNK]]
            rows = self._store.rows(
                f"SELECT subject_id, wrapped_key, master_key_id FROM {self._table}"
                f" WHERE subject_id IN ({placeholders(chunk)}) AND wrapped_key IS NOT NULL",
                chunk,
            )
            for row in rows:
                subject = UUID(row["subject_id"])
                key = self._unwrap(subject, bytes.fromhex(row["wrapped_key"]), row["master_key_id"])
                with self._lock:
                    self._cache[subject] = key
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)

    def forget(self, subject: UUID) -> None:
        """Destroy one subject's key for good, keeping a tombstone."""
        self.shred([subject])

    def shred(self, subjects: Sequence[UUID]) -> None:
        """Erasure: destroy every one of these keys in one transaction, then make the deleted
        key bytes physically gone from the store (``SqlStore.reclaim``). Idempotent."""
        now = datetime.now(UTC).isoformat()
        with self._store.transaction() as cursor:
            for subject in sorted(set(subjects), key=str):
                cursor.execute(
                    f"INSERT INTO {self._table} (subject_id, wrapped_key, created_at, erased_at)"
                    " VALUES (%s, NULL, %s, %s)"
                    " ON CONFLICT (subject_id) DO UPDATE"
                    " SET wrapped_key = NULL, master_key_id = NULL, erased_at = %s",
                    (str(subject), now, now, now),
                )
        with self._lock:
            for subject in subjects:
                self._cache.pop(subject, None)
        # The keys are gone already; this makes their old bytes gone too. A reader mid-query
        # can keep a checkpoint from finishing: a few short retries, then the log says so.
        for attempt in range(_RECLAIM_ATTEMPTS):
            if self._store.reclaim(self._table):
                return
            time.sleep(0.05 * (attempt + 1))
        log.warning("keys.reclaim_incomplete", table="subject_keys")

    def is_erased(self, subject: UUID) -> bool:
        row = self._read(subject)
        return row is not None and row["wrapped_key"] is None

    def rewrap(self, batch_size: int = 500, progress: RewrapProgress | None = None) -> RewrapReport:
        """Re-wrap every data key that is not under the current master key with it.

        The data keys themselves stay the same, so no event or snapshot is rewritten. Each
        batch commits on its own: an interrupted run leaves every row readable (under either
        key) and the next run carries on, skipping the rows already done. Safe beside a running
        service: an erasure that lands mid-batch wins (the update matches the old wrapped key
        only), and a concurrent new key is made under the current master key anyway.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        total = self._count()
        rewrapped = already_current = erased_skipped = 0
        after = ""  # keyset pagination on the primary key: each batch is an index range
        while True:
            rows = self._store.rows(
                f"SELECT subject_id, wrapped_key, master_key_id FROM {self._table}"
                " WHERE subject_id > %s ORDER BY subject_id LIMIT %s",
                (after, batch_size),
            )
            if not rows:
                break
            after = rows[-1]["subject_id"]
            updates: list[tuple[str, str, str, str]] = []
            for row in rows:
                if row["wrapped_key"] is None:
                    erased_skipped += 1
                elif row["master_key_id"] == self.current_key_id:
                    already_current += 1
                else:
                    subject = UUID(row["subject_id"])
                    key = self._unwrap(
                        subject, bytes.fromhex(row["wrapped_key"]), row["master_key_id"]
                    )
                    rewrapped_key = self._wrap(subject, key).hex()
                    updates.append(
                        (rewrapped_key, self.current_key_id, row["subject_id"], row["wrapped_key"])
                    )
            # Read first, then a write-only transaction: on SQLite a read that turns into a
            # write can fail against another process's commit; this way it simply waits.
            if updates:
                with self._store.transaction() as cursor:
                    for update in updates:
                        cursor.execute(
                            f"UPDATE {self._table} SET wrapped_key = %s, master_key_id = %s"
                            " WHERE subject_id = %s AND wrapped_key = %s",
                            update,
                        )
                        if cursor.rowcount == 1:
                            rewrapped += 1
                        else:  # erased (or re-wrapped by another run) since it was read
                            already_current += 1
            if progress is not None:
                progress(rewrapped + already_current + erased_skipped, total)
        # The cached data keys are still right (the keys did not change), so the cache stays.
        return RewrapReport(rewrapped, already_current, erased_skipped)

    def close(self) -> None:
        self._store.close()

    def _add_master_key_id_column(self) -> None:
        # Tables made before rotation existed lack the column; their rows keep NULL ids and
        # are tried under every configured master key until re-wrapped.
        if self._store.dialect == "postgres":
            self._store.execute_script(
                [f"ALTER TABLE {self._table} ADD COLUMN IF NOT EXISTS master_key_id TEXT"]
            )
            return
        if self._has_master_key_id_column():
            return
        try:
            self._store.execute_script([f"ALTER TABLE {self._table} ADD COLUMN master_key_id TEXT"])
        except Exception:
            # Another process starting at the same moment may have added it first.
            if not self._has_master_key_id_column():
                raise

    def _has_master_key_id_column(self) -> bool:
        columns = self._store.rows(f"PRAGMA table_info({self._table})")
        return any(row["name"] == "master_key_id" for row in columns)

    def _count(self) -> int:
        with self._store.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {self._table}")
            row = cursor.fetchone()
        return int(row["n"]) if row is not None else 0

    def _read(self, subject: UUID) -> dict[str, str | None] | None:
        with self._store.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT wrapped_key, master_key_id FROM {self._table} WHERE subject_id = %s",
                (str(subject),),
            )
            return cursor.fetchone()

    def _read_many(self, subjects: Sequence[UUID]) -> dict[str, dict[str, str | None]]:
        rows = self._store.rows(
            f"SELECT subject_id, wrapped_key, master_key_id FROM {self._table}"
            f" WHERE subject_id IN ({placeholders(subjects)})",
            [str(subject) for subject in subjects],
        )
        return {str(row["subject_id"]): row for row in rows}

    def _insert_new(self, subject: UUID) -> None:
        # Committed before any event that uses it, so a stored ciphertext never outlives a
        # key that was lost in a crash. A racing insert for the same subject keeps the first.
        wrapped = self._wrap(subject, AESGCM.generate_key(bit_length=256))
        with self._store.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (subject_id, wrapped_key, created_at, master_key_id)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (subject_id) DO NOTHING",
                (str(subject), wrapped.hex(), datetime.now(UTC).isoformat(), self.current_key_id),
            )

    def _wrap(self, subject: UUID, key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._master.encrypt(nonce, key, subject.bytes)

    def _unwrap(self, subject: UUID, wrapped: bytes, key_id: str | None) -> bytes:
        nonce, sealed, aad = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], subject.bytes
        if key_id is not None:
            master = self._masters.get(key_id)
            if master is None:
                raise MasterKeyUnavailableError(
                    f"the data key of subject {subject} is wrapped by master key {key_id},"
                    " which is not configured: add that key to WAYMARK_PREVIOUS_MASTER_KEYS or"
                    " WAYMARK_PREVIOUS_MASTER_KEY_FILES (configured: "
                    + ", ".join(self._masters)
                    + ")"
                )
            return master.decrypt(nonce, sealed, aad)
        for master in self._masters.values():
            try:
                return master.decrypt(nonce, sealed, aad)
            except InvalidTag:
                continue
        raise MasterKeyUnavailableError(
            f"the data key of subject {subject} was wrapped before master key ids were recorded"
            " and none of the configured master keys ("
            + ", ".join(self._masters)
            + ") opens it: add the master key in use then to WAYMARK_PREVIOUS_MASTER_KEYS or"
            " WAYMARK_PREVIOUS_MASTER_KEY_FILES"
        )


def _connection_of(datastore: PostgresDatastore) -> Mapping[str, object]:
    kwargs = datastore.pool.kwargs
    return (kwargs() if callable(kwargs) else kwargs) or {}
