"""What the inbox shows: that something needs attention, and where — nothing more."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.notifications.projections import InboxEntry


class InboxEntryPublic(BaseModel):
    notification_id: UUID
    rule: str
    link: str
    state: str
    created_at: datetime

    @classmethod
    def of(cls, entry: InboxEntry) -> InboxEntryPublic:
        return cls(
            notification_id=entry.notification_id,
            rule=entry.rule,
            link=entry.link,
            state=entry.state,
            created_at=entry.created_at,
        )


class InboxPage(BaseModel):
    recipient: str
    items: list[InboxEntryPublic]
    total: int
    limit: int
    offset: int
