"""``GET /subject-access/{journey_id}``: what notifications holds about one woman (admin only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from services.notifications.api.deps import Notifications, ReadModels
from services.notifications.subject_access import subject_access
from shared.admin.subject_access import SubjectAccessRead
from shared.http.deps import CurrentPrincipal

router = APIRouter(tags=["subject access"], dependencies=[SubjectAccessRead])


@router.get(
    "/subject-access/{journey_id}",
    summary="Subject access export: notifications and reminders about her journey",
)
def export(
    journey_id: UUID,
    app: Notifications,
    read_models: ReadModels,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    return subject_access(app, read_models.journey_items, journey_id, reader=principal.subject)
