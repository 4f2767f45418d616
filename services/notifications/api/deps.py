"""Typed dependencies for the notifications routes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends

from services.notifications.application import NotificationNotFound, NotificationsApplication
from services.notifications.queries.inbox.projection import Inbox
from services.notifications.read_models import NotificationsReadModels
from shared.http.deps import Actor as Actor
from shared.http.deps import CurrentPrincipal, get_application, get_queries
from shared.http.problems import Problem
from shared.runtime import Runtime

# The runtime ``build_api`` made from ``services.notifications.main.assemble``: its parts are these.
NotificationsRuntime = Runtime[NotificationsApplication, NotificationsReadModels]


Notifications = Annotated[NotificationsApplication, Depends(get_application)]
ReadModels = Annotated[NotificationsReadModels, Depends(get_queries)]


async def get_inbox(read_models: ReadModels) -> Inbox:
    return read_models.inbox


def get_own_notification(
    notification_id: UUID,
    app: Notifications,
    principal: CurrentPrincipal,
) -> UUID:
    """The id of a notification addressed to the caller (or escalated to her); anyone else's
    is answered as if it did not exist."""
    try:
        notification = app.get_notification(notification_id)
    except NotificationNotFound:
        notification = None
    mine = principal.recipients
    if notification is None or (
        notification.recipient not in mine and notification.escalated_to not in mine
    ):
        raise Problem(404, "notification-not-found", "No such notification")
    return notification_id


async def get_now() -> datetime:
    return datetime.now(UTC)


InboxView = Annotated[Inbox, Depends(get_inbox)]
Now = Annotated[datetime, Depends(get_now)]
OwnNotification = Annotated[UUID, Depends(get_own_notification)]
