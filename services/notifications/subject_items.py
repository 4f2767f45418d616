"""``journey_items``: which notifications, reminders and journey records are about one journey.

Answers the subject access export (``subject_access.py``) without scanning the log. A
notification is about a journey when it links to it (``/journeys/<id>``: journey opened,
caseworker assigned, referral declined or expired, a fired reminder, an escalation of any of
these); a reminder names its journey. Ids only; rebuildable from the log like every read model.
"""

from __future__ import annotations

import re
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.notifications.domain import Notification
from services.notifications.reminders import JourneyWatch, Reminder
from shared.storage.projection import Projection, handler
from shared.storage.sql import SqlCursor, write_row

_JOURNEY_LINK = re.compile(r"^/journeys/([0-9a-fA-F-]{36})(?:/|$)")


class JourneyItems(Projection):
    name = "journey_items"

    columns = (
        "journey_id TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " PRIMARY KEY (journey_id, item_id)"
    )

    @handler
    def _requested(self, event: Notification.Requested, cursor: SqlCursor) -> None:
        found = _JOURNEY_LINK.match(event.link)
        # Not every notification is about a journey: an urgent concern links to a visit.
        if found is not None:
            self._file(cursor, UUID(found.group(1)), event, "notification")

    @handler
    def _reminder(
        self, event: Reminder.Scheduled | Reminder.Rescheduled, cursor: SqlCursor
    ) -> None:
        self._file(cursor, event.journey_id, event, "reminder")

    @handler
    def _erased(self, event: JourneyWatch.Erased, cursor: SqlCursor) -> None:
        # Her erasure: nothing here may tie an item to her journey any more.
        cursor.execute(f"DELETE FROM {self.table} WHERE journey_id = %s", (str(event.journey_id),))

    def _file(
        self, cursor: SqlCursor, journey_id: UUID, event: DomainEventProtocol[UUID], kind: str
    ) -> None:
        """The event's item (its notification or reminder) is about that journey."""
        row = {"journey_id": str(journey_id), "item_id": str(event.originator_id), "kind": kind}
        write_row(cursor, self.table, row, key="journey_id, item_id")

    def items_of(self, journey_id: UUID) -> list[tuple[str, UUID]]:
        """(kind, aggregate id) pairs about this journey."""
        rows = self.store.rows(
            f"SELECT kind, item_id FROM {self.table} WHERE journey_id = %s ORDER BY kind, item_id",
            (str(journey_id),),
        )
        return [(str(r["kind"]), UUID(str(r["item_id"]))) for r in rows]
