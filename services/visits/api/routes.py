"""HTTP routes of the visits service. Plain ``def``: FastAPI runs them in its thread pool, so
the synchronous event store never blocks the event loop."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from services.visits.api.deps import Actor, Visits
from services.visits.api.schemas import VisitCreate, VisitPublic
from shared.http.deps import IdempotencyKey
from shared.http.etag import etag_for

router = APIRouter(tags=["visits"])

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The visit id is already recorded with different content"},
    413: {"description": "The body is too large"},
    422: {"description": "A field is invalid, or the Idempotency-Key was reused"},
}


@router.post(
    "/visits",
    status_code=201,
    response_model=VisitPublic,
    responses=_PROBLEMS,
    summary="Record a completed outreach visit and the contacts made on it",
)
def record_completed_visit(
    body: VisitCreate,
    visits: Visits,
    actor: Actor,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> VisitPublic:
    outcome = visits.record_completed_visit(body.to_command(), actor, idempotency_key)
    response.headers["ETag"] = etag_for(outcome.visit.version)
    response.headers["Location"] = f"/visits/{outcome.visit.id}"
    if not outcome.created:
        response.headers["Idempotent-Replayed"] = "true"
    return VisitPublic.of(outcome.visit)


@router.get(
    "/visits/{visit_id}",
    response_model=VisitPublic,
    responses={404: {"description": "No such visit"}},
    summary="One visit, as recorded",
)
def get_visit(visit_id: UUID, visits: Visits, response: Response) -> VisitPublic:
    visit = visits.get_visit(visit_id)
    response.headers["ETag"] = etag_for(visit.version)
    return VisitPublic.of(visit)
