"""``GET /journeys/{journey_id}/timeline``: her journey, newest first, as known now or then."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from services.cases.api.deps import Cases, TimelineView
from services.cases.api.journey_access import JourneyAccess
from services.cases.application import JourneyNotFound
from services.cases.queries.journey_timeline.schemas import TimelineEntryPublic, TimelinePage
from shared.http.deps import PageLimit, PageOffset
from shared.http.times import HappenedAt
from shared.storage.sql import to_sql_time

router = APIRouter(tags=["journeys"], dependencies=[JourneyAccess])


# "As it was known then" lies in the past, as anything that happened does.
AsOf = Annotated[
    HappenedAt | None,
    Query(description="Show the timeline as it was known then (entries recorded by this time)"),
]


@router.get(
    "/journeys/{journey_id}/timeline",
    response_model=TimelinePage,
    responses={404: {"description": "No such journey"}},
    summary="Her journey, newest first by when it happened: what, both clocks, by whom",
    description="Outreach contacts and indicators from visits merged with casework. A fact an "
    "offline app delivered late sorts by when it happened. With `as_of`, the timeline as it "
    "was known at that moment (what had been recorded by then); the audit entry says so. "
    "A projection.",
)
def get_timeline(
    journey_id: UUID,
    timeline: TimelineView,
    cases: Cases,
    request: Request,
    limit: PageLimit = 100,
    offset: PageOffset = 0,
    as_of: AsOf = None,
) -> TimelinePage:
    if as_of is not None:
        # The audit entry says she looked into the past, and at which moment.
        purpose = getattr(request.state, "audit_purpose", None)
        request.state.audit_purpose = " ".join(
            p for p in (purpose, f"as-of:{to_sql_time(as_of)}") if p
        )
    rows, total = timeline.for_journey(journey_id, limit=limit, offset=offset, as_of=as_of)
    # No rows: no such journey (get_journey raises), an erased one (her rows went with her
    # data), or one registered a moment ago that the timeline has not taken in yet. That last
    # one is there to open, with nothing listed yet: a "not found" would send her caseworker
    # away from the journey she has just registered.
    if (
        total == 0
        and (as_of is None or timeline.for_journey(journey_id, limit=1)[1] == 0)
        and cases.get_journey(journey_id).erased
    ):
        raise JourneyNotFound(str(journey_id))
    return TimelinePage(
        journey_id=journey_id,
        items=[TimelineEntryPublic.of(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
