"""``GET /subject-access/{journey_id}``: what visits holds about one woman (admin only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from services.visits.api.deps import ReadModels, Visits
from services.visits.subject_access import subject_access
from shared.admin.subject_access import SubjectAccessRead
from shared.http.deps import CurrentPrincipal

router = APIRouter(tags=["subject access"], dependencies=[SubjectAccessRead])


@router.get(
    "/subject-access/{journey_id}",
    summary="Subject access export: her contacts and the facts about her on each visit",
)
def export(
    journey_id: UUID,
    visits: Visits,
    read_models: ReadModels,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    contacts = read_models.subject_contacts
    return subject_access(visits, contacts, journey_id, reader=principal.subject)
