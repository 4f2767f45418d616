"""HTTP routes of the cases service (plain ``def``: run in the thread pool)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.cases.api.deps import Cases, JourneyListView
from services.cases.api.schemas import JourneyPage, JourneyPublic, JourneySummaryPublic
from services.cases.domain import JourneyStatus
from shared.http.etag import etag_for

router = APIRouter(tags=["journeys"])


@router.get(
    "/journeys",
    response_model=JourneyPage,
    summary="Journeys, most recent contact first (a projection; may lag writes slightly)",
)
def list_journeys(
    journeys: JourneyListView,
    status: JourneyStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JourneyPage:
    items, total = journeys.list(
        status=status.value if status else None, limit=limit, offset=offset
    )
    return JourneyPage(
        items=[JourneySummaryPublic.of(i) for i in items], total=total, limit=limit, offset=offset
    )


@router.get(
    "/journeys/{journey_id}",
    response_model=JourneyPublic,
    responses={404: {"description": "No such journey"}},
    summary="One journey, current state (ETag = version)",
)
def get_journey(journey_id: UUID, cases: Cases, response: Response) -> JourneyPublic:
    journey = cases.get_journey(journey_id)
    response.headers["ETag"] = etag_for(journey.version)
    return JourneyPublic.of(journey)
