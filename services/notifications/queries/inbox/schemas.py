"""What ``GET /inbox`` answers with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from shared.http.public import Public


class InboxEntryPublic(Public):
    notification_id: UUID
    recipient: str
    rule: str
    title: str
    link: str
    state: str
    needs_acknowledgement: bool
    created_at: datetime


class InboxPage(BaseModel):
    #: The addresses listed: all of the caller's (her own and her roles'), or the one asked for.
    recipients: list[str]
    items: list[InboxEntryPublic]
    total: int
    limit: int
    offset: int
