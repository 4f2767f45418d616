"""Per-person data keys, wrapped by the master key (envelope encryption).

Each person or not-yet-identified contact (a *subject*) gets a random 256-bit AES-GCM key. Only
the wrapped form is stored. Erasure (crypto-shredding) destroys the wrapped key and leaves a
tombstone, so nothing can be written for that subject again and every ciphertext made under the
key is unreadable for good.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.storage.sql import SqlStore

NONCE_BYTES = 12


class SubjectErasedError(Exception):
    """Personal data cannot be written for a subject whose key was destroyed."""


class Keyring:
    def __init__(self, store: SqlStore, master_key: bytes, cache_size: int = 10_000) -> None:
        if len(master_key) != 32:
            raise ValueError("master key must be 32 bytes")
        self._store = store
        self._master = AESGCM(master_key)
        self._table = store.table("subject_keys")
        self._cache: OrderedDict[UUID, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        store.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self._table} ("
                " subject_id TEXT PRIMARY KEY,"
                " wrapped_key TEXT,"  # NULL once erased: the tombstone
                " created_at TEXT NOT NULL,"
                " erased_at TEXT)"
            ]
        )

    def key_for(self, subject: UUID, *, create: bool) -> bytes | None:
        """The subject's data key; ``None`` when erased (or unknown and not created)."""
        with self._lock:
            cached = self._cache.get(subject)
            if cached is not None:
                self._cache.move_to_end(subject)
                return cached
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
        key = self._unwrap(subject, bytes.fromhex(row["wrapped_key"]))
        with self._lock:
            self._cache[subject] = key
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return key

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
                    f"INSERT INTO {self._table} (subject_id, wrapped_key, created_at)"
                    " VALUES (%s, %s, %s) ON CONFLICT (subject_id) DO NOTHING",
                    (str(subject), self._wrap(subject, AESGCM.generate_key(256)).hex(), now),
                )
        for subject in missing:
            self.key_for(subject, create=True)  # caches it; raises if she was erased

    def forget(self, subject: UUID) -> None:
        """Destroy the subject's key for good, keeping a tombstone."""
        now = datetime.now(UTC).isoformat()
        with self._store.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (subject_id, wrapped_key, created_at, erased_at)"
                " VALUES (%s, NULL, %s, %s)"
                " ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, erased_at = %s",
                (str(subject), now, now, now),
            )
        with self._lock:
            self._cache.pop(subject, None)

    def close(self) -> None:
        self._store.close()

    def _read(self, subject: UUID) -> dict[str, str | None] | None:
        with self._store.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT wrapped_key FROM {self._table} WHERE subject_id = %s", (str(subject),)
            )
            return cursor.fetchone()

    def _insert_new(self, subject: UUID) -> None:
        # Committed before any event that uses it, so a stored ciphertext never outlives a
        # key that was lost in a crash. A racing insert for the same subject keeps the first.
        wrapped = self._wrap(subject, AESGCM.generate_key(bit_length=256))
        with self._store.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (subject_id, wrapped_key, created_at)"
                " VALUES (%s, %s, %s) ON CONFLICT (subject_id) DO NOTHING",
                (str(subject), wrapped.hex(), datetime.now(UTC).isoformat()),
            )

    def _wrap(self, subject: UUID, key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._master.encrypt(nonce, key, subject.bytes)

    def _unwrap(self, subject: UUID, wrapped: bytes) -> bytes:
        return self._master.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], subject.bytes)
