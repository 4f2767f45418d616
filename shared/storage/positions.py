"""Durable positions of log followers (the relay, each projection) in the views store."""

from __future__ import annotations

from collections.abc import Sequence

from shared.storage.sql import SqlCursor, SqlStore, placeholders


class LogPositions:
    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._table = store.table("log_positions")
        store.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self._table} ("
                " follower TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            ]
        )

    @property
    def store(self) -> SqlStore:
        """Where the positions are: a follower's writes there can commit with its position."""
        return self._store

    def get(self, follower: str) -> int:
        with self._store.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT position FROM {self._table} WHERE follower = %s", (follower,))
            row = cursor.fetchone()
        return 0 if row is None else int(row["position"])

    def get_locked(self, follower: str, cursor: SqlCursor) -> int:
        """The position inside the caller's transaction, its row locked on PostgreSQL, so that a
        rebuild swapped in meanwhile is seen (and waited for) before a batch is applied."""
        lock = " FOR UPDATE" if self._store.dialect == "postgres" else ""
        cursor.execute(f"SELECT position FROM {self._table} WHERE follower = %s{lock}", (follower,))
        row = cursor.fetchone()
        return 0 if row is None else int(row["position"])

    def get_many(
        self, followers: Sequence[str], cursor: SqlCursor, *, lock: bool = False
    ) -> dict[str, int]:
        """Several positions inside the caller's transaction (0 for one never recorded); with
        ``lock``, their rows locked on PostgreSQL, in one order so that two such transactions
        cannot deadlock."""
        if not followers:
            return {}
        locking = lock and self._store.dialect == "postgres"
        lock_rows = " ORDER BY follower FOR UPDATE" if locking else ""
        cursor.execute(
            f"SELECT follower, position FROM {self._table}"
            f" WHERE follower IN ({placeholders(followers)}){lock_rows}",
            tuple(followers),
        )
        found = {str(row["follower"]): int(row["position"]) for row in cursor.fetchall()}
        return {follower: found.get(follower, 0) for follower in followers}

    def set(self, follower: str, position: int, cursor: SqlCursor | None = None) -> None:
        """Record the position; pass the cursor to commit it with the follower's own writes."""
        if cursor is None:
            with self._store.transaction() as own:
                self.set(follower, position, own)
            return
        cursor.execute(
            f"INSERT INTO {self._table} (follower, position) VALUES (%s, %s)"
            " ON CONFLICT (follower) DO UPDATE SET position = excluded.position",
            (follower, position),
        )

    def reset(self, follower: str) -> None:
        with self._store.transaction() as cursor:
            cursor.execute(f"DELETE FROM {self._table} WHERE follower = %s", (follower,))
