"""HTTP routes of the visits service. Plain ``def`` (FastAPI runs them in its thread pool), but
for the visit's own writes (``POST /visits`` and the steps), ``async`` around one ``in_thread``
call. Either way the synchronous event store never blocks the event loop.

A visit is posted in one go (``POST /visits``) or step by step while it is open. Every step
answers with the visit and its version as ``ETag``, honours ``If-Match`` (412 when stale), and is
safe to retry: a step already recorded answers 200 with ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from services.visits.api.answers import answer
from services.visits.api.deps import Actor, Visits
from services.visits.api.schemas import (
    HistoryEntryPublic,
    HistoryPublic,
    VisitCreate,
    VisitPublic,
)
from services.visits.api.step_schemas import (
    AliasCorrection,
    Completion,
    ConcernResolution,
    ContactStep,
    FollowUpStep,
    PersonIndicatorStep,
    PersonLink,
    PremisesCorrection,
    PremisesIndicatorStep,
    UrgentConcernStep,
)
from services.visits.api.steps import visit_step
from services.visits.api.visit_access import VisitAccess
from services.visits.application import HistoryEntry
from shared.http.deps import IdempotencyKey
from shared.threads import in_thread

router = APIRouter(tags=["visits"], dependencies=[VisitAccess])

_CREATE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The visit id is already recorded with different content"},
    422: {"description": "A field or code is invalid, or the Idempotency-Key was reused"},
}


@router.post(
    "/visits",
    status_code=201,
    response_model=VisitPublic,
    responses=_CREATE_PROBLEMS,
    summary="Record a visit in one go (completed), or start an open one (no completed_at)",
)
async def record_visit(
    body: VisitCreate,
    visits: Visits,
    actor: Actor,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> VisitPublic:
    # ``async``, its store work in one hop: FastAPI would validate a plain ``def`` route's
    # answer in a second hop to a thread.
    def record() -> VisitPublic:
        outcome = visits.record_visit(body.to_command(), actor, idempotency_key)
        response.headers["Location"] = f"/visits/{outcome.visit.id}"
        return answer(response, outcome.visit, VisitPublic, replayed=not outcome.created)

    return await in_thread(record)


@router.get(
    "/visits/{visit_id}",
    response_model=VisitPublic,
    responses={404: {"description": "No such visit"}},
    summary="One visit, as recorded (ETag = version)",
)
def get_visit(visit_id: UUID, visits: Visits, response: Response) -> VisitPublic:
    return answer(response, visits.get_visit(visit_id), VisitPublic)


@router.get(
    "/visits/{visit_id}/events",
    response_model=HistoryPublic,
    responses={404: {"description": "No such visit"}},
    summary="Everything recorded about a visit, corrections included, by when it happened",
)
def visit_events(visit_id: UUID, visits: Visits) -> HistoryPublic:
    return history(visits.visit_events(visit_id))


visit_step(
    router,
    "/visits/{visit_id}/contacts",
    ContactStep,
    summary="A contact made on an open visit (with her indicators, follow-up, link)",
)
visit_step(
    router,
    "/visits/{visit_id}/premises-indicators",
    PremisesIndicatorStep,
    summary="An indicator observed about the premises (also after the visit ended)",
)
visit_step(
    router,
    "/visits/{visit_id}/person-indicators",
    PersonIndicatorStep,
    summary="An indicator about a woman met on the visit (also after the visit ended)",
)
visit_step(
    router,
    "/visits/{visit_id}/follow-ups",
    FollowUpStep,
    summary="A follow-up offered to a woman met on the visit, e.g. a coffee on a date",
)
visit_step(
    router,
    "/visits/{visit_id}/urgent-concerns",
    UrgentConcernStep,
    summary="An urgent concern, published at once for the safeguarding lead",
)
visit_step(
    router,
    "/visits/{visit_id}/urgent-concerns/{concern_id}/resolution",
    ConcernResolution,
    summary="An urgent concern has been dealt with (it stays in the history)",
)
visit_step(
    router,
    "/visits/{visit_id}/completion",
    Completion,
    summary="The visit has ended, with its outcome",
)
visit_step(
    router,
    "/visits/{visit_id}/contacts/{contact_id}/alias-correction",
    AliasCorrection,
    summary="Correct a mistyped alias (a new event; the history keeps both)",
)
visit_step(
    router,
    "/visits/{visit_id}/premises-correction",
    PremisesCorrection,
    summary="Correct the premises a visit was recorded against",
)
visit_step(
    router,
    "/visits/{visit_id}/contacts/{contact_id}/person-link",
    PersonLink,
    summary="Link a contact to the registered woman she is (her journey id in cases)",
)


def history(entries: list[HistoryEntry]) -> HistoryPublic:
    # The public entry has the application's fields one for one.
    return HistoryPublic(items=[HistoryEntryPublic.of(e) for e in entries])
