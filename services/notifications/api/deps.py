"""Typed dependencies for the notifications routes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends

from services.notifications.application import NotificationsApplication
from services.notifications.projections import Inbox
from shared.http.deps import IfMatch, get_actor, get_runtime
from shared.http.problems import Problem
from shared.runtime import Runtime

_ONE_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def get_notifications(
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> NotificationsApplication:
    app = runtime.app
    assert isinstance(app, NotificationsApplication)
    return app


def get_inbox(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Inbox:
    inbox = runtime.parts.extras["inbox"]
    assert isinstance(inbox, Inbox)
    return inbox


def get_expected_version(if_match: IfMatch = None) -> int | None:
    """The notification version the client last read (``If-Match``), or None to skip the check.
    A value that is not one of our ETags can never match: 412 at once."""
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ONE_ETAG.match(if_match.strip())
    if found is None:
        raise Problem(
            412,
            "precondition-failed",
            "The record has changed since you read it",
            "If-Match must be the single ETag of the notification as last read.",
        )
    return int(found.group(1))


def get_now() -> datetime:
    return datetime.now(UTC)


Notifications = Annotated[NotificationsApplication, Depends(get_notifications)]
InboxView = Annotated[Inbox, Depends(get_inbox)]
Actor = Annotated[str, Depends(get_actor)]
ExpectedVersion = Annotated[int | None, Depends(get_expected_version)]
Now = Annotated[datetime, Depends(get_now)]
