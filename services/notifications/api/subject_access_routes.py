"""``GET /subject-access/{journey_id}``: what notifications holds about one woman (admin only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.notifications.api.deps import get_notifications
from services.notifications.application import NotificationsApplication
from services.notifications.subject_access import subject_access
from services.notifications.subject_items import JourneyItems
from shared.http.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["subject access"])


@router.get(
    "/subject-access/{journey_id}",
    summary="Subject access export: notifications and reminders about her journey",
)
def export(
    journey_id: UUID,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    request.state.audit_purpose = "subject-access"
    app: NotificationsApplication = get_notifications(runtime)
    items = runtime.parts.extras["journey_items"]
    assert isinstance(items, JourneyItems)
    response.headers["Cache-Control"] = "no-store"  # her data: never kept by a proxy
    return subject_access(app, items, journey_id, reader=principal.subject)
