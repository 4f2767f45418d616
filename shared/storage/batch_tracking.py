"""Process recorders that store several upstream positions with one transaction's events.

The library records one ``Tracking`` with the events of a save. A durable consumer applies a
fetched batch of messages in one transaction, so the positions of every message in the batch
must commit with the events they caused: ``insert_events(..., tracking=first,
more_tracking=rest)`` writes them all in the same transaction, or none; the rest with one
statement.
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


def _insert_more(recorder: Any, cursor: Any, trackings: Sequence[Tracking]) -> None:
    """A batch's other positions in one statement (every row inserted, or an error); psycopg
    sends an ``executemany`` in one round trip. With one row a name, each is an upsert checked
    on its own, as the library does."""
    if recorder.datastore.single_row_tracking:
        for tracking in trackings:
            recorder._insert_tracking(cursor, tracking)
    elif trackings:
        recorder._check_has_multi_row_tracking_table(cursor)
        rows = [
            {"application_name": t.application_name, "notification_id": t.notification_id}
            for t in trackings
        ]
        cursor.executemany(recorder.insert_tracking_statement, rows)


class SQLiteBatchTrackingRecorder(SQLiteProcessRecorder):
    records_several_trackings = True

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        self.insert_more_tracking(c, _more(kwargs))
        return returning

    def insert_more_tracking(self, c: SQLiteCursor, trackings: Sequence[Tracking]) -> None:
        _insert_more(self, c, trackings)


class PostgresBatchTrackingRecorder(PostgresProcessRecorder):
    records_several_trackings = True

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        self.insert_more_tracking(curs, _more(kwargs))

    def insert_more_tracking(self, curs: Cursor[DictRow], trackings: Sequence[Tracking]) -> None:
        _insert_more(self, curs, trackings)
