"""The intake queue: open journeys nobody holds yet, and a caseworker taking one.

Deliberately outside the journey-access check: a journey opened by a visit is nobody's until
someone takes it, so every caseworker must be able to see that it is waiting and claim it. The
queue shows only what is needed to decide (languages, flags, counts, times — never her
pseudonym or any free text: ``docs/security.md``); the journey itself opens once she is hers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from services.cases.api.deps import CaseloadView
from services.cases.api.responses import COMMAND, Do
from services.cases.commands import ClaimJourney
from services.cases.queries.caseload.schemas import IntakeEntryPublic, IntakePage
from services.cases.queries.journey_detail.schemas import JourneyPublic
from shared.http.deps import CurrentPrincipal, PageLimit, PageOffset

router = APIRouter(tags=["intake"])


@router.get(
    "/journeys/intake",
    response_model=IntakePage,
    summary="The intake queue: open journeys with no caseworker, oldest first",
    description="What a caseworker needs to decide whether to take her: when she was first "
    "met, languages, interpreter need, flags and counts — never her pseudonym or free text. "
    "Every caseworker sees the whole queue (a journey opened by a visit belongs to no team "
    "until someone takes it). A projection: it may lag a write by a fraction of a second.",
)
def intake_queue(
    caseload: CaseloadView,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
    journey_id: Annotated[
        UUID | None,
        Query(description="Only this journey, if she is still waiting (after a 412 on a claim)"),
    ] = None,
) -> IntakePage:
    items, total = caseload.intake(limit=limit, offset=offset, journey_id=journey_id)
    return IntakePage(
        items=[IntakeEntryPublic.of(i) for i in items], total=total, limit=limit, offset=offset
    )


@router.post(
    "/journeys/{journey_id}/claim",
    **COMMAND,
    summary="Take a journey from the intake queue: you become her caseworker",
    description="Send the version from the queue as If-Match. Another caseworker's journey "
    "answers 409 `already-assigned` (also when two claims meet at the same moment); if she "
    "changed since you read the queue (someone claimed her, or outreach added to her journey), "
    "412, and `GET /journeys/intake?journey_id=` tells whether she is still waiting. Claiming "
    "your own again changes nothing. A safeguarding lead assigns with "
    "`POST /journeys/{id}/caseworker`.",
)
def claim_journey(principal: CurrentPrincipal, do: Do) -> JourneyPublic:
    return do(
        ClaimJourney(
            caseworker_id=principal.subject, team_id=principal.team, occurred_at=datetime.now(UTC)
        )
    )
