"""``GET /journeys``: the caseload, something due first, then by latest contact.

Plain ``def``: FastAPI runs it in its thread pool, so the synchronous store never blocks the
event loop.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from services.cases.api.deps import CaseloadView
from services.cases.api.journey_access import JourneyAccess, VisibleTo
from services.cases.queries.caseload.schemas import CaseloadEntryPublic, JourneyPage
from services.cases.values import JourneyStatus
from shared.http.deps import StaffIdQuery
from shared.http.paging import KeysetQuery
from shared.http.times import SearchTime

router = APIRouter(tags=["journeys"], dependencies=[JourneyAccess])


@router.get(
    "/journeys",
    response_model=JourneyPage,
    summary="The caseload: journeys with something due first, then by latest contact",
    description="My caseload is `?caseworker=<my id>`. A projection: it may lag a write by "
    "a fraction of a second. Merged journeys are left out unless asked for by status.",
)
def list_journeys(
    request: Request,
    caseload: CaseloadView,
    visible_to: VisibleTo,
    page: KeysetQuery,
    status: JourneyStatus | None = None,
    caseworker: StaffIdQuery = None,
    unassigned: bool = False,
    contact_id: Annotated[
        UUID | None, Query(description="Only the journey(s) that outreach knew by this contact")
    ] = None,
    due_before: SearchTime | None = None,
) -> JourneyPage:
    asked = page.asked("journeys", (str, int, str))
    items, total = caseload.list(
        status=status.value if status else None,
        caseworker_id=caseworker,
        visible_to=visible_to,
        unassigned=unassigned,
        contact_id=contact_id,
        due_before=due_before,
        **asked.window,
    )
    return JourneyPage.listing(request, asked, items, CaseloadEntryPublic.of, total)
