"""Erasure (crypto-shredding): asked for by her caseworker, a safeguarding lead or an admin,
approved by an admin who did not ask (four eyes).

Two routers. On the journey (``/journeys/{id}/erasure-requests``) the journey-access check
applies as on every journey route: a caseworker asks only for a journey she may open. Admins
are assigned to no journey, so their routes (``/erasure-requests…``) sit on a router without
that check; the role gate (``api/access.py``) lets admins alone through to them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from services.cases.api.deps import Actor, Cases, ReadModels
from services.cases.api.journey_access import JourneyAccess
from services.cases.api.responses import PROBLEMS
from services.cases.commands import RequestErasure
from services.cases.domain import Journey
from services.cases.queries.erasure_requests.projection import ErasureRequestEntry, ErasureRequests
from services.cases.values import ErasureReason
from shared.http.deps import PageLimit, PageOffset

journey_router = APIRouter(tags=["erasure"], dependencies=[JourneyAccess])
admin_router = APIRouter(tags=["erasure"])


class ErasureRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: ErasureReason
    #: Client-generated, so a retried POST names the same request.
    request_id: UUID | None = None


class AdminErasureRequestCreate(ErasureRequestCreate):
    journey_id: UUID


class ErasureRequestPublic(BaseModel):
    journey_id: UUID
    request_id: UUID
    reason: str
    requested_by: str
    requested_at: datetime
    state: Literal["pending", "erased"]
    approved_by: str | None = None
    erased_at: datetime | None = None

    @classmethod
    def of(cls, journey: Journey) -> ErasureRequestPublic:
        request = journey.erasure_request
        assert request is not None
        return cls(
            journey_id=journey.id,
            request_id=request.request_id,
            reason=request.reason.value,
            requested_by=request.requested_by,
            requested_at=request.requested_at,
            state="erased" if journey.erased else "pending",
            approved_by=journey.erased_by,
            erased_at=journey.erased_at,
        )

    @classmethod
    def of_entry(cls, entry: ErasureRequestEntry) -> ErasureRequestPublic:
        return cls(
            **{**entry.__dict__, "state": "erased" if entry.state == "erased" else "pending"}
        )


class ErasureRequestPage(BaseModel):
    items: list[ErasureRequestPublic]
    total: int


async def get_erasure_requests(read_models: ReadModels) -> ErasureRequests:
    return read_models.erasure_requests


ErasureRequestsView = Annotated[ErasureRequests, Depends(get_erasure_requests)]
_ANSWER: dict[str, Any] = {"response_model": ErasureRequestPublic, "responses": PROBLEMS}


@journey_router.post(
    "/journeys/{journey_id}/erasure-requests",
    status_code=201,
    summary="Ask for her personal data to be erased (an admin approves)",
    **_ANSWER,
)
def request_erasure(
    journey_id: UUID, body: ErasureRequestCreate, cases: Cases, actor: Actor
) -> ErasureRequestPublic:
    return _request(cases, journey_id, body, actor)


@admin_router.post(
    "/erasure-requests",
    status_code=201,
    summary="Ask for a woman's personal data to be erased, by journey id (admin)",
    **_ANSWER,
)
def request_erasure_as_admin(
    body: AdminErasureRequestCreate, cases: Cases, actor: Actor
) -> ErasureRequestPublic:
    return _request(cases, body.journey_id, body, actor)


@admin_router.get(
    "/erasure-requests",
    response_model=ErasureRequestPage,
    summary="Erasure requests, oldest first: `?state=pending` for those awaiting approval",
)
def list_erasure_requests(
    view: ErasureRequestsView,
    state: Literal["pending", "erased"] | None = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> ErasureRequestPage:
    entries, total = view.list(state=state, limit=limit, offset=offset)
    return ErasureRequestPage(
        items=[ErasureRequestPublic.of_entry(e) for e in entries], total=total
    )


@admin_router.post(
    "/erasure-requests/{journey_id}/approval",
    summary="Approve the pending erasure: her keys are destroyed now (not by the requester)",
    **_ANSWER,
)
def approve_erasure(journey_id: UUID, cases: Cases, actor: Actor) -> ErasureRequestPublic:
    journey = cases.approve_erasure(journey_id, occurred_at=datetime.now(UTC), actor=actor)
    return ErasureRequestPublic.of(journey)


def _request(
    cases: Cases, journey_id: UUID, body: ErasureRequestCreate, actor: str
) -> ErasureRequestPublic:
    request = RequestErasure(
        request_id=body.request_id or uuid4(), reason=body.reason, occurred_at=datetime.now(UTC)
    )
    return ErasureRequestPublic.of(cases.do(journey_id, request, actor=actor))
