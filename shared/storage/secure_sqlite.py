"""SQLite that overwrites what it deletes (``PRAGMA secure_delete``), for every file we open.

Crypto-shredding deletes a wrapped key (and an erased person's snapshots and read-model rows).
Without ``secure_delete`` SQLite only marks the freed pages, and the old bytes stay in the file
until the page is reused. The pragma is per connection, so the connection pool of the event
store library is extended to set it on each connection it makes; the event store uses the
factory below through ``PERSISTENCE_MODULE`` (``shared/storage/backend.py``).
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InfrastructureFactoryError
from eventsourcing.sqlite import (
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteFactory,
)

#: The ``PERSISTENCE_MODULE`` value (a factory topic) for an event store on SQLite.
SECURE_SQLITE_FACTORY = "shared.storage.secure_sqlite:SecureSQLiteFactory"


class SecureSQLiteConnectionPool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection._sqlite_conn.execute("PRAGMA secure_delete = ON")
        return connection


class SecureSQLiteDatastore(SQLiteDatastore):
    def __init__(self, db_name: str, **kwargs: Any) -> None:
        super().__init__(db_name, **kwargs)
        pool = self.pool
        self.pool = SecureSQLiteConnectionPool(
            db_name=pool.db_name,
            lock_timeout=pool.lock_timeout,
            pool_size=pool.pool_size,
            max_overflow=pool.max_overflow,
            pool_timeout=pool.pool_timeout,
            max_age=pool.max_age,
            pre_ping=pool.pre_ping,
        )
        pool.close()  # made no connection yet: connections are made on first use


class SecureSQLiteFactory(SQLiteFactory):
    def __init__(self, env: Any) -> None:
        super().__init__(env)
        old = self.datastore
        if not isinstance(old, SQLiteDatastore):  # pragma: no cover - the library changed
            raise InfrastructureFactoryError("expected an SQLite datastore")
        self.datastore = SecureSQLiteDatastore(
            old.pool.db_name,
            lock_timeout=old.pool.lock_timeout,
            single_row_tracking=old.single_row_tracking,
            originator_id_type=old.originator_id_type,
        )
        old.close()
