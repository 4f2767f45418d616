"""Every notifications error mapped to its HTTP answer, in one place (a stale ``If-Match``,
``VersionMismatch``, is answered alike by every service: ``shared/http/problems.py``)."""

from __future__ import annotations

from services.notifications.application import NotificationNotFound
from shared.http.problems import ProblemSpec

DOMAIN_ERRORS: dict[type[Exception], ProblemSpec] = {
    NotificationNotFound: ProblemSpec(404, "notification-not-found", "No such notification"),
}
