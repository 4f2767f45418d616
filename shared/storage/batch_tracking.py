"""Process recorders that store several upstream positions with one transaction's events.

The library records one ``Tracking`` with the events of a save. A durable consumer applies a
fetched batch of messages in one transaction, so the positions of every message in the batch
must commit with the events they caused: ``insert_events(..., tracking=first,
more_tracking=rest)`` writes them all in the same transaction, or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow


def _more(kwargs: dict[str, Any]) -> Sequence[Tracking]:
    more: Sequence[Tracking] = kwargs.get("more_tracking", ())
    return more


class SQLiteBatchTrackingRecorder(SQLiteProcessRecorder):
    records_several_trackings = True

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        for tracking in _more(kwargs):
            self._insert_tracking(c, tracking)
        return returning


class PostgresBatchTrackingRecorder(PostgresProcessRecorder):
    records_several_trackings = True

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        for tracking in _more(kwargs):
            self._insert_tracking(curs, tracking)
