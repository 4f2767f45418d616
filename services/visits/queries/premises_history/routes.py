"""``GET /premises/{premises_id}/history``: the visits to one premises, newest first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from services.visits.api.deps import PremisesHistoryView, Visits
from services.visits.queries.premises_history.schemas import PremisesHistoryPublic
from shared.http.deps import PageLimit, PageOffset

router = APIRouter(tags=["premises"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such premises"}}


@router.get(
    "/premises/{premises_id}/history",
    response_model=PremisesHistoryPublic,
    responses=_NOT_FOUND,
    summary="Visits to a premises, newest first by when they happened (a projection; may lag)",
)
def premises_history(
    premises_id: UUID,
    visits: Visits,
    view: PremisesHistoryView,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> PremisesHistoryPublic:
    visits.get_premises(premises_id)
    return PremisesHistoryPublic.of(view.history(premises_id, limit=limit, offset=offset))
