"""Read models of the notifications service, one per query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.notifications.domain import Notification, NotificationState
from shared.storage.projection import Projection
from shared.storage.sql import SqlCursor, from_sql_time, to_sql_time


@dataclass(frozen=True)
class InboxEntry:
    notification_id: UUID
    recipient: str
    rule: str
    link: str
    state: str
    created_at: datetime


class Inbox(Projection):
    """``GET /inbox``: a recipient's in-app notifications, newest first."""

    name = "inbox"
    event_classes = (Notification.Requested,)

    def create_statements(self) -> list[str]:
        table = self.store.table(self.name)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            " notification_id TEXT PRIMARY KEY,"
            " recipient TEXT NOT NULL,"
            " rule TEXT NOT NULL,"
            " link TEXT NOT NULL,"
            " state TEXT NOT NULL,"
            " created_at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS inbox_by_recipient ON {table} (recipient, created_at)",
        ]

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        if isinstance(event, Notification.Requested):
            cursor.execute(
                f"INSERT INTO {self.store.table(self.name)}"
                " (notification_id, recipient, rule, link, state, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (notification_id) DO NOTHING",
                (
                    str(event.originator_id),
                    event.recipient,
                    event.rule,
                    event.link,
                    NotificationState.REQUESTED.value,
                    to_sql_time(event.timestamp),
                ),
            )

    def for_recipient(
        self, recipient: str, *, limit: int, offset: int
    ) -> tuple[list[InboxEntry], int]:
        table = self.store.table(self.name)
        with self.store.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {table} WHERE recipient = %s", (recipient,))
            row = cursor.fetchone()
            total = int(row["n"]) if row else 0
            cursor.execute(
                f"SELECT * FROM {table} WHERE recipient = %s"
                " ORDER BY created_at DESC, notification_id LIMIT %s OFFSET %s",
                (recipient, limit, offset),
            )
            rows = cursor.fetchall()
        return [
            InboxEntry(
                notification_id=UUID(str(r["notification_id"])),
                recipient=str(r["recipient"]),
                rule=str(r["rule"]),
                link=str(r["link"]),
                state=str(r["state"]),
                created_at=from_sql_time(str(r["created_at"])),
            )
            for r in rows
        ], total
