"""Crypto-shredding helpers beside the key ring: the snapshots of an erased person.

A snapshot seals an aggregate's whole state under the person's key, so once the key is gone it
is unreadable (``TolerantRepository`` then folds from the events). It is deleted anyway: it is
only a shortcut, and with ``secure_delete`` (SQLite) or ``VACUUM`` (PostgreSQL) not even the
ciphertext is left behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from shared.storage.eventstore import WaymarkApplication


def drop_snapshots(app: WaymarkApplication, aggregate_ids: Iterable[UUID]) -> int:
    """Delete every stored snapshot of these aggregates; the number of rows deleted."""
    if app.snapshots is None:
        return 0
    recorder: Any = app.snapshots.recorder
    datastore = recorder.datastore
    table = recorder.events_table_name
    deleted = 0
    if hasattr(datastore, "schema"):  # PostgreSQL: uuid column
        sql = f'DELETE FROM "{datastore.schema}"."{table}" WHERE originator_id = %s'
        keys: list[Any] = list(aggregate_ids)
    else:  # SQLite: the library stores uuid hex text
        sql = f"DELETE FROM {table} WHERE originator_id = ?"
        keys = [aggregate_id.hex for aggregate_id in aggregate_ids]
    with datastore.transaction(commit=True) as cursor:
        for key in keys:
            cursor.execute(sql, (key,))
            deleted += max(int(getattr(cursor, "sqlite_cursor", cursor).rowcount), 0)
    return deleted
