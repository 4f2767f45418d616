"""A small, portable SQL store for read models, log positions and key rings.

It rides on the event-store library's own datastores (connection pooling, WAL mode on SQLite,
psycopg pool on PostgreSQL), so the services have one way of talking to a database. SQL is
written once with ``%s`` placeholders and portable DDL; the SQLite dialect swaps in ``?``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import psycopg
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from shared.storage.secure_sqlite import SecureSQLiteDatastore

Row = dict[str, Any]
Params = Sequence[Any] | Mapping[str, Any]


class SqlCursor:
    def __init__(self, cursor: Any, dialect: Literal["sqlite", "postgres"]) -> None:
        self._cursor = cursor
        self._dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> None:
        if self._dialect == "sqlite":
            sql = sql.replace("%s", "?")
        self._cursor.execute(sql, params)

    def fetchone(self) -> Row | None:
        row = self._cursor.fetchone()
        return None if row is None else dict(row)

    def fetchall(self) -> list[Row]:
        return [dict(row) for row in self._cursor.fetchall()]

    @property
    def rowcount(self) -> int:
        inner = getattr(self._cursor, "sqlite_cursor", self._cursor)
        return int(inner.rowcount)


class SqlStore:
    def __init__(
        self,
        datastore: SQLiteDatastore | PostgresDatastore,
        dialect: Literal["sqlite", "postgres"],
        schema: str | None = None,
    ) -> None:
        self._datastore = datastore
        self.dialect = dialect
        self._schema = schema

    @classmethod
    def sqlite(cls, path: Path | str) -> SqlStore:
        # secure_delete: deleted rows (an erased person's key, her read-model rows) are
        # overwritten in the file, not merely marked free.
        return cls(SecureSQLiteDatastore(str(path), lock_timeout=30), "sqlite")

    @classmethod
    def postgres(
        cls,
        *,
        schema: str,
        dbname: str,
        host: str,
        port: str,
        user: str,
        password: str,
        pool_size: int = 2,
        max_overflow: int = 8,
    ) -> SqlStore:
        datastore = PostgresDatastore(
            dbname=dbname,
            host=host,
            port=port,
            user=user,
            password=password,
            pool_size=pool_size,
            max_overflow=max_overflow,
            schema=schema,
            connect_timeout=10,
            idle_in_transaction_session_timeout=10,
        )
        return cls(datastore, "postgres", schema)

    def table(self, name: str) -> str:
        """A table name qualified with the service's schema where there is one."""
        if self._schema is None:
            return name
        return f'"{self._schema}"."{name}"'

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[SqlCursor]:
        with self._datastore.transaction(commit=commit) as cursor:
            yield SqlCursor(cursor, self.dialect)

    def execute_script(self, statements: Sequence[str]) -> None:
        with self.transaction() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def reclaim(self, table: str) -> bool:
        """Make deleted rows of ``table`` physically gone, as far as the database allows.

        SQLite (secure_delete is on): copy the write-ahead log into the file and truncate it,
        so the pre-delete pages do not linger in ``-wal``. A reader holding an old snapshot can
        keep some frames until the next checkpoint; SQLite checkpoints on its own as well.
        PostgreSQL: ``VACUUM`` the table, so dead tuples are reclaimed now rather than at the
        next autovacuum (it needs ownership of the table; without it, autovacuum does it later).
        False when it could not be done now (a busy checkpoint, a missing privilege).
        """
        try:
            if isinstance(self._datastore, SQLiteDatastore):
                with self._datastore.get_connection(commit=True) as connection:
                    sqlite = connection._sqlite_conn
                    busy = sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                return not busy
            with self._datastore.get_connection() as connection:
                connection.execute(f"VACUUM {table}")  # pool connections are autocommit
        except (sqlite3.Error, psycopg.Error):
            return False
        return True

    def ping(self) -> None:
        with self.transaction(commit=False) as cursor:
            cursor.execute("SELECT 1 AS ok")
            cursor.fetchone()

    def close(self) -> None:
        self._datastore.close()


def to_sql_time(value: datetime) -> str:
    """One fixed UTC text format, so that text order is time order on both backends."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_sql_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def add_missing_columns(store: SqlStore, table: str, columns: dict[str, str]) -> None:
    """Add columns a newer read model needs to a table made by an older one (nullable ones
    only: existing rows read NULL until the projection is rebuilt or touches them)."""
    for column, kind in columns.items():
        try:
            with store.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT {column} FROM {table} WHERE 1 = 0")
        except PersistenceError:  # no such column (as eventsourcing wraps each driver's error)
            with store.transaction() as cursor:
                cursor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
