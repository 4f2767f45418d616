"""HTTP routes for premises: register, read, correct the label, and everything recorded about
it. Its visit history is a query of its own (``services/visits/queries/premises_history/``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response

from services.visits.api.answers import answer
from services.visits.api.deps import Actor, Visits
from services.visits.api.premises_schemas import (
    LabelCorrection,
    PremisesCreate,
    PremisesPublic,
)
from services.visits.api.routes import history
from services.visits.api.schemas import HistoryPublic
from shared.http.etag import ExpectedAnyOf

router = APIRouter(tags=["premises"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such premises"}}


@router.post(
    "/premises",
    status_code=201,
    response_model=PremisesPublic,
    responses={
        409: {"description": "The premises id is already recorded with different content"},
        422: {"description": "A field or code is invalid"},
    },
    summary="Register a premises under a pseudonymous label (a retry returns the original)",
)
def register_premises(
    body: PremisesCreate, visits: Visits, actor: Actor, response: Response
) -> PremisesPublic:
    outcome = visits.register_premises(body.to_command(), actor)
    response.headers["Location"] = f"/premises/{outcome.premises.id}"
    return answer(response, outcome.premises, PremisesPublic, replayed=not outcome.changed)


@router.get(
    "/premises/{premises_id}",
    response_model=PremisesPublic,
    responses=_NOT_FOUND,
    summary="One premises (ETag = version)",
)
def get_premises(premises_id: UUID, visits: Visits, response: Response) -> PremisesPublic:
    return answer(response, visits.get_premises(premises_id), PremisesPublic)


@router.post(
    "/premises/{premises_id}/label-correction",
    response_model=PremisesPublic,
    responses={
        **_NOT_FOUND,
        412: {"description": "If-Match names a version that is no longer current"},
        422: {"description": "A field is invalid"},
    },
    summary="Correct a mistyped label (a new event; the history keeps both)",
)
def correct_label(
    premises_id: UUID,
    body: LabelCorrection,
    visits: Visits,
    actor: Actor,
    expected: ExpectedAnyOf,
    response: Response,
) -> PremisesPublic:
    outcome = visits.correct_premises_label(premises_id, body.label, body.at(), actor, expected)
    return answer(response, outcome.premises, PremisesPublic, replayed=not outcome.changed)


@router.get(
    "/premises/{premises_id}/events",
    response_model=HistoryPublic,
    responses=_NOT_FOUND,
    summary="Everything recorded about a premises, corrections included",
)
def premises_events(premises_id: UUID, visits: Visits) -> HistoryPublic:
    return history(visits.premises_events(premises_id))
