"""``GET /subject-access/{journey_id}``: what visits holds about one woman (admin only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from services.visits.api.deps import Visits
from services.visits.subject_access import subject_access
from services.visits.subject_contacts import SubjectContacts
from shared.admin.subject_access import SubjectAccessRead
from shared.http.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["subject access"], dependencies=[SubjectAccessRead])


@router.get(
    "/subject-access/{journey_id}",
    summary="Subject access export: her contacts and the facts about her on each visit",
)
def export(
    journey_id: UUID,
    visits: Visits,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    contacts = runtime.parts.named("subject_contacts", SubjectContacts)
    return subject_access(visits, contacts, journey_id, reader=principal.subject)
