"""The dispatch queue read model: what the dispatcher may have to do, and from when. Rebuilding
it from zero sends nothing: it only lists what is due; the dispatcher acts, and the aggregates
decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.notifications.domain import Notification
from services.notifications.reminders import Reminder
from shared.storage.projection import Projection, handler
from shared.storage.sql import SqlCursor, to_sql_time, write_row

#: The due time of a first attempt (and of one in flight): at once, before any retry.
AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DueItem:
    kind: str  # "delivery", "escalation" or "reminder"
    item_id: UUID
    channel: str  # the channel of a delivery; "" otherwise


class DispatchQueue(Projection):
    """What the dispatcher may have to do, and from when: deliveries (first attempts and
    retries), escalations, reminders. Candidates only — the aggregate decides — so a lag
    delays work and a rebuild repeats none."""

    name = "dispatch_queue"

    columns = (
        "item_id TEXT NOT NULL, kind TEXT NOT NULL, channel TEXT NOT NULL,"
        " due_at TEXT NOT NULL, PRIMARY KEY (item_id, kind, channel)"
    )
    indexes = {"dispatch_queue_by_due": "due_at"}

    @handler
    def _requested(self, event: Notification.Requested, cursor: SqlCursor) -> None:
        for channel in event.channels:
            self._put(cursor, event, "delivery", channel, AT_ONCE)
        if event.escalate_at is not None:
            self._put(cursor, event, "escalation", "", event.escalate_at)

    @handler
    def _attempted(self, event: Notification.DeliveryAttempted, cursor: SqlCursor) -> None:
        # In flight: due at once, so that a process that stopped mid-attempt is noticed.
        self._put(cursor, event, "delivery", event.channel, AT_ONCE)

    @handler
    def _retry(self, event: Notification.RetryScheduled, cursor: SqlCursor) -> None:
        self._put(cursor, event, "delivery", event.channel, event.at)

    @handler
    def _delivery_over(
        self, event: Notification.Delivered | Notification.GaveUp, cursor: SqlCursor
    ) -> None:
        self._drop(cursor, event, "delivery", event.channel)

    @handler
    def _escalation_over(
        self, event: Notification.Acknowledged | Notification.Escalated, cursor: SqlCursor
    ) -> None:
        self._drop(cursor, event, "escalation", "")

    @handler
    def _cancelled(self, event: Notification.Cancelled, cursor: SqlCursor) -> None:
        self._drop(cursor, event, None, None)

    @handler
    def _reminder(
        self, event: Reminder.Scheduled | Reminder.Rescheduled, cursor: SqlCursor
    ) -> None:
        self._put(cursor, event, "reminder", "", event.fire_at)

    @handler
    def _reminder_over(self, event: Reminder.Fired | Reminder.Cancelled, cursor: SqlCursor) -> None:
        self._drop(cursor, event, "reminder", "")

    def _put(
        self,
        cursor: SqlCursor,
        event: DomainEventProtocol[UUID],
        kind: str,
        channel: str,
        due_at: datetime,
    ) -> None:
        """The event's item (its notification or reminder) has work of ``kind`` due then."""
        row = {
            "item_id": str(event.originator_id),
            "kind": kind,
            "channel": channel,
            "due_at": to_sql_time(due_at),
        }
        write_row(cursor, self.table, row, key="item_id, kind, channel", update=True)

    def _drop(
        self,
        cursor: SqlCursor,
        event: DomainEventProtocol[UUID],
        kind: str | None,
        channel: str | None,
    ) -> None:
        """The event's item has no work of ``kind`` left (None: none at all)."""
        item = str(event.originator_id)
        if kind is None:
            cursor.execute(f"DELETE FROM {self.table} WHERE item_id = %s", (item,))
        else:
            cursor.execute(
                f"DELETE FROM {self.table} WHERE item_id = %s AND kind = %s AND channel = %s",
                (item, kind, channel),
            )

    def due(self, now: datetime, limit: int = 200) -> list[DueItem]:
        """Work due by ``now``, the longest waiting first."""
        rows = self.store.rows(
            f"SELECT item_id, kind, channel FROM {self.table}"
            " WHERE due_at <= %s ORDER BY due_at, item_id, kind, channel LIMIT %s",
            (to_sql_time(now), limit),
        )
        return [DueItem(str(r["kind"]), UUID(str(r["item_id"])), str(r["channel"])) for r in rows]
