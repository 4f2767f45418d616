"""``GET /subject-access/{journey_id}``: what notifications holds about one woman (admin only)."""

from __future__ import annotations

from functools import partial

from services.notifications.api.deps import Notifications, ReadModels
from services.notifications.subject_access import subject_access
from shared.http.subject_access_routes import Exporter, subject_access_router


async def _exporter(app: Notifications, read_models: ReadModels) -> Exporter:
    return partial(subject_access, app, read_models.journey_items)


router = subject_access_router(
    _exporter, summary="Subject access export: notifications and reminders about her journey"
)
