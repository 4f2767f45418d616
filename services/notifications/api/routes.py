"""HTTP routes of the notifications service (plain ``def``: run in the thread pool)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.notifications.api.deps import (
    Actor,
    InboxView,
    Notifications,
    Now,
    OwnNotification,
)
from services.notifications.api.schemas import InboxEntryPublic, InboxPage, NotificationPublic
from services.notifications.application import NotificationsApplication
from services.notifications.domain import InboxState
from shared.http.deps import CurrentPrincipal, PageLimit, PageOffset
from shared.http.etag import Expected, etag_for
from shared.http.problems import Problem

router = APIRouter(tags=["notifications"])

RECIPIENT = r"^(role|user):[A-Za-z0-9._@-]{1,100}$"
PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such notification"},
    412: {"description": "If-Match is not the notification's current version: reload it"},
}


def _answer(
    app: NotificationsApplication, notification_id: UUID, response: Response
) -> NotificationPublic:
    notification = app.get_notification(notification_id)
    response.headers["ETag"] = etag_for(notification.version)
    return NotificationPublic.of(notification, app.history(notification_id))


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
            pattern=RECIPIENT,
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


@router.get(
    "/notifications/{notification_id}",
    response_model=NotificationPublic,
    responses=PROBLEMS,
    summary="A notification, each channel's delivery state and its whole history",
)
def get_notification(
    notification_id: OwnNotification, app: Notifications, response: Response
) -> NotificationPublic:
    return _answer(app, notification_id, response)


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationPublic,
    responses=PROBLEMS,
    summary="The recipient opened it (again: no change)",
)
def mark_read(
    notification_id: OwnNotification,
    app: Notifications,
    actor: Actor,
    expected: Expected,
    now: Now,
    response: Response,
) -> NotificationPublic:
    app.mark_read(notification_id, actor, now, expected)
    return _answer(app, notification_id, response)


@router.post(
    "/notifications/{notification_id}/acknowledgement",
    response_model=NotificationPublic,
    responses=PROBLEMS,
    summary="Someone takes it on: escalation stops (again: no change)",
)
def acknowledge(
    notification_id: OwnNotification,
    app: Notifications,
    actor: Actor,
    expected: Expected,
    now: Now,
    response: Response,
) -> NotificationPublic:
    app.acknowledge(notification_id, actor, now, expected)
    return _answer(app, notification_id, response)
