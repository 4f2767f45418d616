"""HTTP routes of a notification: read it, mark it read, acknowledge it (plain ``def``: run in the
thread pool). The inbox is a query of its own (``services/notifications/queries/inbox/``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from services.notifications.api.deps import (
    Actor,
    Notifications,
    Now,
    OwnNotification,
)
from services.notifications.api.schemas import NotificationPublic
from services.notifications.application import NotificationsApplication
from services.notifications.domain import Notification
from shared.errors import ExpectedVersions
from shared.http.etag import Expected, etag_for

router = APIRouter(tags=["notifications"])

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


#: A change the recipient makes: ``(notification id, actor, now, expected versions)``.
ChangeMethod = Callable[
    [NotificationsApplication, UUID, str, datetime, ExpectedVersions], Notification
]


@dataclass(frozen=True)
class NotificationChanges:
    """Makes a change to the caller's notification in the path, as her, against the version
    her ``If-Match`` names, and answers with the notification (its version as the ETag)."""

    app: NotificationsApplication
    notification_id: UUID
    actor: str
    expected: frozenset[int] | None
    now: datetime
    response: Response

    def __call__(self, change: ChangeMethod) -> NotificationPublic:
        change(self.app, self.notification_id, self.actor, self.now, self.expected)
        return _answer(self.app, self.notification_id, self.response)


def notification_changes(
    notification_id: OwnNotification,
    app: Notifications,
    actor: Actor,
    expected: Expected,
    now: Now,
    response: Response,
) -> NotificationChanges:
    return NotificationChanges(app, notification_id, actor, expected, now, response)


#: A route parameter: ``change(method)`` makes it to the notification in the path and answers.
Change = Annotated[NotificationChanges, Depends(notification_changes)]
#: Decorator arguments every change route shares.
CHANGE: dict[str, Any] = {"response_model": NotificationPublic, "responses": PROBLEMS}


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
    **CHANGE,
    summary="The recipient opened it (again: no change)",
)
def mark_read(change: Change) -> NotificationPublic:
    return change(NotificationsApplication.mark_read)


@router.post(
    "/notifications/{notification_id}/acknowledgement",
    **CHANGE,
    summary="Someone takes it on: escalation stops (again: no change)",
)
def acknowledge(change: Change) -> NotificationPublic:
    return change(NotificationsApplication.acknowledge)
