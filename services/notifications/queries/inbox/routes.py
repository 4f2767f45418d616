"""``GET /inbox``: the caller's in-app notifications, hers and her roles', newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.notifications.addresses import ADDRESS
from services.notifications.api.deps import InboxView
from services.notifications.domain import InboxState
from services.notifications.queries.inbox.schemas import InboxEntryPublic, InboxPage
from shared.http.deps import CurrentPrincipal, PageLimit, PageOffset
from shared.http.problems import Problem

router = APIRouter(tags=["notifications"])


@router.get(
    "/inbox",
    response_model=InboxPage,
    summary="The caller's in-app notifications (hers and her roles'), newest first",
)
def list_inbox(
    inbox: InboxView,
    principal: CurrentPrincipal,
    recipient: Annotated[
        str | None,
        Query(
            pattern=ADDRESS,
            description="only this one of her addresses: user:<your id> or role:<one of your"
            " roles> (default: all of them)",
        ),
    ] = None,
    state: Annotated[InboxState | None, Query(description="only entries in this state")] = None,
    awaiting_acknowledgement: Annotated[
        bool,
        Query(
            description="only entries that ask to be acknowledged (urgent concerns and their"
            " escalations) and are not yet: what a lead's urgent banner shows"
        ),
    ] = False,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> InboxPage:
    if recipient is not None and recipient not in principal.recipients:
        raise Problem(403, "forbidden", "You are not allowed to do this")
    # A lead's on-call alerts come to her by name, the intake ones to her role: one inbox.
    recipients = [recipient] if recipient is not None else sorted(principal.recipients)
    entries, total = inbox.for_recipients(
        recipients,
        state=None if state is None else state.value,
        awaiting_acknowledgement=awaiting_acknowledgement,
        limit=limit,
        offset=offset,
    )
    return InboxPage(
        recipients=recipients,
        items=[InboxEntryPublic.of(e) for e in entries],
        total=total,
        limit=limit,
        offset=offset,
    )
