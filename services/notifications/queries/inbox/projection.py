"""The inbox read model: each recipient's in-app notifications with their state. Rebuilding it
from zero sends nothing: it only lists what exists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.notifications import messages
from services.notifications.domain import InboxState, Notification
from services.notifications.messages import NEEDS_ACKNOWLEDGEMENT
from services.notifications.reminders import JourneyWatch
from shared.storage.projection import Projection, handler
from shared.storage.sql import (
    SqlCursor,
    Where,
    from_sql_time,
    placeholders,
    to_sql_time,
    write_row,
)


@dataclass(frozen=True)
class InboxEntry:
    notification_id: UUID
    recipient: str
    rule: str
    link: str
    state: str
    created_at: datetime
    needs_acknowledgement: bool

    @property
    def title(self) -> str:
        return messages.title(self.rule)


class Inbox(Projection):
    """``GET /inbox``: a recipient's in-app notifications, newest first, with their state."""

    name = "inbox"

    columns = (
        "notification_id TEXT PRIMARY KEY,"
        " recipient TEXT NOT NULL,"
        " rule TEXT NOT NULL,"
        " link TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " created_at TEXT NOT NULL"
    )
    indexes = {"inbox_by_recipient": "recipient, created_at"}

    @handler
    def _requested(self, event: Notification.Requested, cursor: SqlCursor) -> None:
        row = {
            "notification_id": str(event.originator_id),
            "recipient": event.recipient,
            "rule": event.rule,
            "link": event.link,
            "state": InboxState.UNREAD.value,
            "created_at": to_sql_time(event.timestamp),
        }
        write_row(cursor, self.table, row, key="notification_id")

    @handler
    def _erased(self, event: JourneyWatch.Erased, cursor: SqlCursor) -> None:
        # Her erasure: the inbox forgets every notification about her journey.
        cursor.execute(
            f"DELETE FROM {self.table} WHERE link = %s",
            (f"/journeys/{event.journey_id}",),
        )

    @handler
    def _read(self, event: Notification.Read, cursor: SqlCursor) -> None:
        self._move(cursor, event, InboxState.READ, InboxState.ACKNOWLEDGED, InboxState.CANCELLED)

    @handler
    def _acknowledged(self, event: Notification.Acknowledged, cursor: SqlCursor) -> None:
        self._move(cursor, event, InboxState.ACKNOWLEDGED)

    @handler
    def _cancelled(self, event: Notification.Cancelled, cursor: SqlCursor) -> None:
        self._move(cursor, event, InboxState.CANCELLED, InboxState.ACKNOWLEDGED)

    def _move(
        self,
        cursor: SqlCursor,
        event: DomainEventProtocol[UUID],
        state: InboxState,
        *unless: InboxState,
    ) -> None:
        """The entry is in ``state`` now, unless it is already in one of ``unless``."""
        keep = [s.value for s in unless] or ["-"]
        cursor.execute(
            f"UPDATE {self.table} SET state = %s WHERE notification_id = %s"
            f" AND state NOT IN ({placeholders(keep)})",
            (state.value, str(event.originator_id), *keep),
        )

    def for_recipient(
        self, recipient: str, *, state: str | None = None, limit: int, offset: int
    ) -> tuple[list[InboxEntry], int]:
        return self.for_recipients([recipient], state=state, limit=limit, offset=offset)

    def for_recipients(
        self,
        recipients: Sequence[str],
        *,
        state: str | None = None,
        awaiting_acknowledgement: bool = False,
        limit: int,
        offset: int,
    ) -> tuple[list[InboxEntry], int]:
        """The entries addressed to any of ``recipients`` (one person's own and her roles'),
        newest first; ``awaiting_acknowledgement``: only those that ask to be acknowledged and
        are not yet (nor cancelled)."""
        if not recipients:
            return [], 0
        where = Where(f"recipient IN ({placeholders(recipients)})", params=recipients)
        if state is not None:
            where.add("state = %s", state)
        if awaiting_acknowledgement:
            rules = sorted(rule.value for rule in NEEDS_ACKNOWLEDGEMENT)
            where.add(
                f"rule IN ({placeholders(rules)}) AND state IN (%s, %s)",
                *rules,
                InboxState.UNREAD.value,
                InboxState.READ.value,
            )
        rows, total = self.numbered_page(
            where, order="created_at DESC, notification_id", limit=limit, offset=offset
        )
        return [
            InboxEntry(
                notification_id=UUID(str(r["notification_id"])),
                recipient=str(r["recipient"]),
                rule=str(r["rule"]),
                link=str(r["link"]),
                state=str(r["state"]),
                created_at=from_sql_time(r["created_at"], row=r["notification_id"]),
                needs_acknowledgement=str(r["rule"]) in NEEDS_ACKNOWLEDGEMENT,
            )
            for r in rows
        ], total
