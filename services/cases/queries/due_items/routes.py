"""``GET /due``: follow-ups, appointments and dates coming up, soonest first."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.cases.api.deps import DueItemsView
from services.cases.api.journey_access import JourneyAccess, VisibleTo
from services.cases.queries.due_items.schemas import DueItemPublic, DuePage
from shared.http.deps import StaffIdQuery
from shared.http.paging import KeysetQuery
from shared.http.times import SearchTime

router = APIRouter(tags=["journeys"], dependencies=[JourneyAccess])


@router.get(
    "/due",
    response_model=DuePage,
    summary="Follow-ups, appointments and dates coming up on open journeys, soonest first",
)
def due_items(
    request: Request,
    due: DueItemsView,
    visible_to: VisibleTo,
    page: KeysetQuery,
    caseworker: StaffIdQuery = None,
    after: SearchTime | None = None,
    before: SearchTime | None = None,
) -> DuePage:
    asked = page.asked("due", (str, str))
    items, total = due.coming_up(
        caseworker_id=caseworker,
        visible_to=visible_to,
        after=after,
        before=before,
        **asked.window,
    )
    return DuePage.listing(request, asked, items, DueItemPublic.of, total)
