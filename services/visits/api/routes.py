"""HTTP routes of the visits service. Plain ``def``: FastAPI runs them in its thread pool, so
the synchronous event store never blocks the event loop.

A visit is posted in one go (``POST /visits``) or step by step while it is open. Every step
answers with the visit and its version as ``ETag``, honours ``If-Match`` (412 when stale), and is
safe to retry: a step already recorded answers 200 with ``Idempotent-Replayed: true``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

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
from services.visits.api.visit_access import VisitAccess
from services.visits.application import HistoryEntry, VisitsApplication, VisitStep
from shared.errors import ExpectedVersions
from shared.http.deps import IdempotencyKey
from shared.http.etag import ExpectedAnyOf, etag_for

router = APIRouter(tags=["visits"], dependencies=[VisitAccess])

_CREATE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The visit id is already recorded with different content"},
    413: {"description": "The body is too large"},
    422: {"description": "A field or code is invalid, or the Idempotency-Key was reused"},
}
_STEP_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such visit (or contact, concern on it)"},
    409: {"description": "The step contradicts what is recorded (an id reused, visit completed)"},
    412: {"description": "If-Match names a version that is no longer current"},
    413: {"description": "The body is too large"},
    422: {"description": "A field or code is invalid, or the step is impossible as given"},
}


def _step(
    visits: VisitsApplication,
    visit_id: UUID,
    step: VisitStep,
    actor: str,
    expected: ExpectedVersions,
    response: Response,
) -> VisitPublic:
    """Run the step; answer with the visit, its version as ETag, and whether it was a replay."""
    outcome = visits.do(visit_id, step, actor=actor, expected=expected)
    response.headers["ETag"] = etag_for(outcome.visit.version)
    if not outcome.changed:
        response.headers["Idempotent-Replayed"] = "true"
    return VisitPublic.of(outcome.visit)


@router.post(
    "/visits",
    status_code=201,
    response_model=VisitPublic,
    responses=_CREATE_PROBLEMS,
    summary="Record a visit in one go (completed), or start an open one (no completed_at)",
)
def record_visit(
    body: VisitCreate,
    visits: Visits,
    actor: Actor,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> VisitPublic:
    outcome = visits.record_visit(body.to_command(), actor, idempotency_key)
    response.headers["ETag"] = etag_for(outcome.visit.version)
    response.headers["Location"] = f"/visits/{outcome.visit.id}"
    if not outcome.created:
        response.headers["Idempotent-Replayed"] = "true"
    return VisitPublic.of(outcome.visit)


@router.get(
    "/visits/{visit_id}",
    response_model=VisitPublic,
    responses={404: {"description": "No such visit"}},
    summary="One visit, as recorded (ETag = version)",
)
def get_visit(visit_id: UUID, visits: Visits, response: Response) -> VisitPublic:
    visit = visits.get_visit(visit_id)
    response.headers["ETag"] = etag_for(visit.version)
    return VisitPublic.of(visit)


@router.get(
    "/visits/{visit_id}/events",
    response_model=HistoryPublic,
    responses={404: {"description": "No such visit"}},
    summary="Everything recorded about a visit, corrections included, by when it happened",
)
def visit_events(visit_id: UUID, visits: Visits) -> HistoryPublic:
    return history(visits.visit_events(visit_id))


@router.post(
    "/visits/{visit_id}/contacts",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="A contact made on an open visit (with her indicators, follow-up, link)",
)
def add_contact(
    visit_id: UUID,
    body: ContactStep,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(visit_id), actor, expected, response)


@router.post(
    "/visits/{visit_id}/premises-indicators",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="An indicator observed about the premises (also after the visit ended)",
)
def observe_premises_indicator(
    visit_id: UUID,
    body: PremisesIndicatorStep,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(), actor, expected, response)


@router.post(
    "/visits/{visit_id}/person-indicators",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="An indicator about a woman met on the visit (also after the visit ended)",
)
def observe_person_indicator(
    visit_id: UUID,
    body: PersonIndicatorStep,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(), actor, expected, response)


@router.post(
    "/visits/{visit_id}/follow-ups",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="A follow-up offered to a woman met on the visit, e.g. a coffee on a date",
)
def offer_follow_up(
    visit_id: UUID,
    body: FollowUpStep,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(), actor, expected, response)


@router.post(
    "/visits/{visit_id}/urgent-concerns",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="An urgent concern, published at once for the safeguarding lead",
)
def raise_urgent_concern(
    visit_id: UUID,
    body: UrgentConcernStep,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(), actor, expected, response)


@router.post(
    "/visits/{visit_id}/urgent-concerns/{concern_id}/resolution",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="An urgent concern has been dealt with (it stays in the history)",
)
def resolve_urgent_concern(
    visit_id: UUID,
    concern_id: UUID,
    body: ConcernResolution,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(concern_id), actor, expected, response)


@router.post(
    "/visits/{visit_id}/completion",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="The visit has ended, with its outcome",
)
def complete_visit(
    visit_id: UUID,
    body: Completion,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(), actor, expected, response)


@router.post(
    "/visits/{visit_id}/contacts/{contact_id}/alias-correction",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="Correct a mistyped alias (a new event; the history keeps both)",
)
def correct_alias(
    visit_id: UUID,
    contact_id: UUID,
    body: AliasCorrection,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(contact_id), actor, expected, response)


@router.post(
    "/visits/{visit_id}/premises-correction",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="Correct the premises a visit was recorded against",
)
def correct_premises(
    visit_id: UUID,
    body: PremisesCorrection,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(), actor, expected, response)


@router.post(
    "/visits/{visit_id}/contacts/{contact_id}/person-link",
    response_model=VisitPublic,
    responses=_STEP_PROBLEMS,
    summary="Link a contact to the registered woman she is (her journey id in cases)",
)
def link_contact_to_person(
    visit_id: UUID,
    contact_id: UUID,
    body: PersonLink,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> VisitPublic:
    return _step(visits, visit_id, body.to_command(contact_id), actor, expected, response)


def history(entries: list[HistoryEntry]) -> HistoryPublic:
    # The public entry has the application's fields one for one.
    return HistoryPublic(
        items=[HistoryEntryPublic.model_validate(e, from_attributes=True) for e in entries]
    )
