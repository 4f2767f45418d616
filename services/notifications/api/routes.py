"""HTTP routes of a notification: read it, mark it read, acknowledge it (plain ``def``: run in the
thread pool). The inbox is a query of its own (``services/notifications/queries/inbox/``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from services.notifications.api.deps import (
    Actor,
    Notifications,
    Now,
    OwnNotification,
)
from services.notifications.api.schemas import NotificationPublic
from services.notifications.application import NotificationsApplication
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
