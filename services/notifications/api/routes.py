"""HTTP routes of the notifications service (plain ``def``: run in the thread pool)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.notifications.api.deps import InboxView
from services.notifications.api.schemas import InboxEntryPublic, InboxPage

router = APIRouter(tags=["inbox"])

RECIPIENT = r"^(role|user):[A-Za-z0-9._@-]{1,100}$"


@router.get(
    "/inbox", response_model=InboxPage, summary="A recipient's in-app notifications, newest first"
)
def list_inbox(
    inbox: InboxView,
    recipient: Annotated[str, Query(pattern=RECIPIENT, description="role:<role> or user:<id>")],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> InboxPage:
    entries, total = inbox.for_recipient(recipient, limit=limit, offset=offset)
    return InboxPage(
        recipient=recipient,
        items=[InboxEntryPublic.of(e) for e in entries],
        total=total,
        limit=limit,
        offset=offset,
    )
