"""What ``GET /inbox`` answers with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.notifications.messages import title
from services.notifications.queries.inbox.projection import InboxEntry


class InboxEntryPublic(BaseModel):
    notification_id: UUID
    recipient: str
    rule: str
    title: str
    link: str
    state: str
    needs_acknowledgement: bool
    created_at: datetime

    @classmethod
    def of(cls, entry: InboxEntry) -> InboxEntryPublic:
        return cls(
            notification_id=entry.notification_id,
            recipient=entry.recipient,
            rule=entry.rule,
            title=title(entry.rule),
            link=entry.link,
            state=entry.state,
            needs_acknowledgement=entry.needs_acknowledgement,
            created_at=entry.created_at,
        )


class InboxPage(BaseModel):
    #: The addresses listed: all of the caller's (her own and her roles'), or the one asked for.
    recipients: list[str]
    items: list[InboxEntryPublic]
    total: int
    limit: int
    offset: int
