"""Every notifications error mapped to its HTTP answer, in one place."""

from __future__ import annotations

from services.notifications.application import NotificationNotFound, VersionMismatch
from shared.http.problems import ProblemSpec

DOMAIN_ERRORS: dict[type[Exception], ProblemSpec] = {
    NotificationNotFound: ProblemSpec(404, "notification-not-found", "No such notification"),
    VersionMismatch: ProblemSpec(
        412, "precondition-failed", "The record has changed since you read it"
    ),
}
