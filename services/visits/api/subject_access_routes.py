"""``GET /subject-access/{journey_id}``: what visits holds about one woman (admin only)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from services.visits.api.deps import Visits
from services.visits.subject_access import subject_access
from services.visits.subject_contacts import SubjectContacts
from shared.http.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["subject access"])


@router.get(
    "/subject-access/{journey_id}",
    summary="Subject access export: her contacts and the facts about her on each visit",
)
def export(
    journey_id: UUID,
    visits: Visits,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    request.state.audit_purpose = "subject-access"
    contacts = runtime.parts.extras["subject_contacts"]
    assert isinstance(contacts, SubjectContacts)
    response.headers["Cache-Control"] = "no-store"  # her data: never kept by a proxy
    return subject_access(visits, contacts, journey_id, reader=principal.subject)
