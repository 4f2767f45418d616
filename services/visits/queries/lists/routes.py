"""The lists the apps page through: visits newest first, and premises by label.

Both read projections (``projection.py`` beside this module), so they may lag a write by a moment.
A list shows a caller only the visits she may open one by one: her team's, and those she
started or was on; a safeguarding lead sees them all. Premises belong to no team: every
reader sees the whole directory (the outreach app keeps it offline).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator

from services.visits.api.deps import ReadModels
from services.visits.queries.lists.projection import (
    PremisesDirectory,
    VisitFilter,
    VisitList,
)
from services.visits.queries.lists.schemas import (
    PremisesPage,
    PremisesSummaryPublic,
    VisitListPage,
    VisitSummaryPublic,
)
from shared.contracts.base import AwareDatetime
from shared.errors import FieldError
from shared.http.deps import CurrentPrincipal, IdentifierQuery, PageOffset
from shared.http.paging import KeysetQuery, PageCursor, bad_cursor, decode_cursor
from shared.security.roles import Role

router = APIRouter()


async def get_visit_list(read_models: ReadModels) -> VisitList:
    return read_models.visit_list


async def get_premises_directory(read_models: ReadModels) -> PremisesDirectory:
    return read_models.premises_directory


def _plausible(value: datetime | None) -> datetime | None:
    if value is not None and (value.year < 1900 or value > datetime.now(UTC) + timedelta(days=1)):
        raise ValueError("must be a time from 1900 up to now")
    return value


When = Annotated[AwareDatetime | None, AfterValidator(_plausible)]


@router.get(
    "/visits",
    response_model=VisitListPage,
    tags=["visits"],
    summary="Visits, newest first by when they happened (a projection; may lag)",
    description="Only the visits you may open: your team's and those you started or were "
    "on (a safeguarding lead sees all). Filter by premises, team and a time window "
    "(`from` inclusive, `to` exclusive, on when the visit started). No aliases.",
)
def list_visits(
    request: Request,
    view: Annotated[VisitList, Depends(get_visit_list)],
    principal: CurrentPrincipal,
    page: KeysetQuery,
    premises_id: UUID | None = None,
    team: IdentifierQuery = None,
    started_from: Annotated[When, Query(alias="from")] = None,
    started_to: Annotated[When, Query(alias="to")] = None,
) -> VisitListPage:
    asked = page.asked("visits", (str, str))
    if started_from and started_to and started_to < started_from:
        raise FieldError("query.to", "must not be before from")
    everything = principal.has(Role.SAFEGUARDING_LEAD)
    which = VisitFilter(
        premises_id=premises_id,
        team=team,
        started_from=started_from,
        started_to=started_to,
        visible_team=None if everything else principal.team,
        visible_person=None if everything else principal.subject,
    )
    items, total = view.newest_first(which, **asked.window)
    return VisitListPage.listing(request, asked, items, VisitSummaryPublic.of, total)


@router.get(
    "/premises",
    response_model=PremisesPage,
    tags=["premises"],
    summary="Premises by label: all of them (paged), or those whose label contains `label`",
    description="The pseudonymous label is the team's own name for a place, not personal "
    "data. The outreach app caches the whole list offline: page through it with up to "
    "1000 at a time. A projection: it may lag a registration by a moment.",
)
def list_premises(
    request: Request,
    view: Annotated[PremisesDirectory, Depends(get_premises_directory)],
    label: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Part of the label, any case"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: PageOffset = 0,
    cursor: PageCursor = None,
) -> PremisesPage:
    after = decode_cursor("premises", cursor, (str,))
    try:
        after_premises = None if after is None else UUID(after[0])
    except ValueError:
        raise bad_cursor() from None
    items, total = view.search(
        label=label.strip() if label else None,
        limit=limit,
        offset=offset,
        after_premises=after_premises,
        with_total=cursor is None,
    )
    return PremisesPage.answer(
        request,
        "premises",
        [PremisesSummaryPublic.of(i) for i in items],
        (str(items[-1].premises_id),) if items else None,
        total=total,
        limit=limit,
        offset=offset,
    )
