"""The lists the apps page through: visits newest first, and premises by label.

Both read projections (``services/visits/lists.py``), so they may lag a write by a moment.
A list shows a caller only the visits she may open one by one: her team's, and those she
started or was on; a safeguarding lead sees them all. Premises belong to no team: every
reader sees the whole directory (the outreach app keeps it offline).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AfterValidator, BaseModel, Field

from services.visits.lists import (
    PremisesDirectory,
    PremisesEntry,
    VisitEntry,
    VisitFilter,
    VisitList,
)
from shared.contracts.base import AwareDatetime
from shared.errors import FieldError
from shared.http.deps import IDENTIFIER, CurrentPrincipal, PageLimit, PageOffset, get_runtime
from shared.http.paging import KeysetPage, PageCursor, bad_cursor, decode_cursor
from shared.runtime import Runtime
from shared.security.roles import Role

router = APIRouter()


async def get_visit_list(runtime: Annotated[Runtime, Depends(get_runtime)]) -> VisitList:
    return runtime.parts.named("visit_list", VisitList)


async def get_premises_directory(
    runtime: Annotated[Runtime, Depends(get_runtime)],
) -> PremisesDirectory:
    return runtime.parts.named("premises_directory", PremisesDirectory)


def _plausible(value: datetime | None) -> datetime | None:
    if value is not None and (value.year < 1900 or value > datetime.now(UTC) + timedelta(days=1)):
        raise ValueError("must be a time from 1900 up to now")
    return value


When = Annotated[AwareDatetime | None, AfterValidator(_plausible)]


class VisitSummaryPublic(BaseModel):
    visit_id: UUID
    premises_id: UUID | None = Field(description="Null for a visit to an unregistered place")
    premises_label: str | None = Field(description="The team's pseudonymous label for the place")
    team: str
    started_at: datetime
    completed_at: datetime | None = Field(description="Null while the visit is open")
    outcome: str | None
    contact_count: int
    urgent_concerns: int
    open_urgent_concerns: int
    recorded_at: datetime

    @classmethod
    def of(cls, entry: VisitEntry) -> VisitSummaryPublic:
        return cls(**entry.__dict__)


class VisitListPage(KeysetPage[VisitSummaryPublic]):
    pass


class PremisesSummaryPublic(BaseModel):
    premises_id: UUID
    label: str = Field(description="The team's pseudonymous label, never an address of record")
    area: str
    premises_type: str
    registered_at: datetime
    version: int

    @classmethod
    def of(cls, entry: PremisesEntry) -> PremisesSummaryPublic:
        return cls(**entry.__dict__)


class PremisesPage(KeysetPage[PremisesSummaryPublic]):
    pass


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
    premises_id: UUID | None = None,
    team: Annotated[str | None, Query(pattern=IDENTIFIER)] = None,
    started_from: Annotated[When, Query(alias="from")] = None,
    started_to: Annotated[When, Query(alias="to")] = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
    cursor: PageCursor = None,
) -> VisitListPage:
    after_key = decode_cursor("visits", cursor, (str, str))
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
    items, total = view.newest_first(
        which, limit=limit, offset=offset, after_key=after_key, with_total=cursor is None
    )
    return VisitListPage.answer(
        request,
        "visits",
        [VisitSummaryPublic.of(i) for i in items],
        items[-1].list_key if items else None,
        total=total,
        limit=limit,
        offset=offset,
    )


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
