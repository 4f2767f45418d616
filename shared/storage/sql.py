"""A small, portable SQL store for read models, log positions and key rings.

It rides on the event-store library's own datastores (connection pooling, WAL mode on SQLite,
psycopg pool on PostgreSQL), so the services have one way of talking to a database. SQL is
written once with ``%s`` placeholders and portable DDL; the SQLite dialect swaps in ``?``.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import psycopg
import structlog
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from shared.storage.secure_sqlite import SecureSQLiteDatastore

log = structlog.get_logger(__name__)

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

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        """The rows one statement answers, read in a transaction of its own."""
        with self.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

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


#: What a stored time that cannot be read at all is read as: the earliest there is, so its row
#: is still served (sorted first) without anything being made up about when it was.
UNREADABLE_TIME = datetime.min.replace(tzinfo=UTC)
# Before year 1000, ``strftime("%Y")`` wrote the year without its leading zeros ("999-12-31T…"):
# read models written then still hold such values until they are rebuilt.
_SHORT_YEAR = re.compile(r"^(\d{1,3})-")


def to_sql_time(value: datetime) -> str:
    """One fixed UTC text format with a four-digit year, so that text order is time order on
    both backends and every value reads back."""
    if value.tzinfo is UTC:
        moment = value
    else:
        try:
            moment = value.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 pushed out of range by its offset: the nearest end
            moment = datetime.min if value.year == datetime.min.year else datetime.max
    # isoformat always writes four digits for the year (strftime's %Y did not before 1000,
    # hence ``_SHORT_YEAR``), and it is quick: a projection calls this for nearly every event.
    return moment.isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


def from_sql_time(value: object, *, row: object = None) -> datetime:
    """A time written by ``to_sql_time`` (any version of it). A value that cannot be read is
    logged with the ``row`` it is in (never the value) and read as ``UNREADABLE_TIME``, so one
    odd row does not fail every read of its page."""
    text = _SHORT_YEAR.sub(lambda year: f"{int(year[1]):04d}-", str(value).replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        log.warning("sql.unreadable_time", row=None if row is None else str(row))
        return UNREADABLE_TIME
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


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


class Where:
    """A WHERE clause gathered filter by filter: its conditions (all must hold) and the values
    of their placeholders, in order."""

    def __init__(self, *conditions: str, params: Sequence[Any] = ()) -> None:
        self.conditions = list(conditions) or ["1 = 1"]
        self.params = list(params)

    def add(self, condition: str, *params: Any) -> None:
        self.conditions.append(condition)
        self.params.extend(params)

    def __str__(self) -> str:
        return " AND ".join(self.conditions)


def count_rows(cursor: SqlCursor, source: str, params: Params = ()) -> int:
    """How many rows ``source`` (``FROM … WHERE …``) holds."""
    cursor.execute(f"SELECT COUNT(*) AS n {source}", params)
    row = cursor.fetchone()
    return int(row["n"]) if row else 0


def placeholders(values: Sized) -> str:
    """One ``%s`` for each of ``values``, comma-separated: ``IN ({placeholders(ids)})``."""
    return ", ".join(["%s"] * len(values))


def rows_by(
    cursor: SqlCursor, table: str, column: str, keys: Sequence[str], *, order: str
) -> dict[str, list[Row]]:
    """The rows of ``table`` whose ``column`` is one of ``keys``, by key, each key's in
    ``order`` (a key with none is left out): what a page of a list shows beside each of its
    rows, read in one statement."""
    if not keys:
        return {}
    cursor.execute(
        f"SELECT * FROM {table} WHERE {column} IN ({placeholders(keys)}) ORDER BY {order}", keys
    )
    found: dict[str, list[Row]] = {}
    for row in cursor.fetchall():
        found.setdefault(str(row[column]), []).append(row)
    return found


@functools.cache  # a handler asks for its statement at every event; the text never changes
def insert(table: str, columns: str, *, key: str, update: bool = False) -> str:
    """The statement that writes one row of ``table``: its ``columns`` (names, comma-separated)
    take ``%s`` values in that order. A row already there under ``key`` (the conflict target) is
    left as it is, or with ``update`` takes the new row's values of every column outside ``key``
    (a replayed or corrected event writes the same row again)."""
    names = [name.strip() for name in columns.split(",")]
    statement = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders(names)})"
    if not update:
        return f"{statement} ON CONFLICT ({key}) DO NOTHING"
    keys = {name.strip() for name in key.split(",")}
    changes = ", ".join(f"{name} = excluded.{name}" for name in names if name not in keys)
    return f"{statement} ON CONFLICT ({key}) DO UPDATE SET {changes}"


def write_row(
    cursor: SqlCursor, table: str, row: Mapping[str, Any], *, key: str, update: bool = False
) -> None:
    """Write ``row`` (each column's value by its name) into ``table`` by ``insert``'s
    statement: each value beside the column it goes to, so the two cannot fall out of step."""
    cursor.execute(insert(table, ", ".join(row), key=key, update=update), tuple(row.values()))
