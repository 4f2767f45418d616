"""Break-glass: a caseworker opens a journey that is not hers, for a reason, for a while.

Deliberately outside the journey-access check (it is how she gets past it). The grant is an
event on the journey (the reason sealed with the woman's key), published so the safeguarding
lead is told at once, and named in the audit entry of every request it lets through.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.cases.api.deps import Cases
from services.cases.api.responses import PROBLEMS
from services.cases.commands import BreakGlass
from shared.http.deps import CurrentPrincipal, RuntimeDep

router = APIRouter(tags=["journeys"])


class BreakGlassRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=1000)
    ] = Field(description="Why you must open it now; personal data, encrypted, never published")


class BreakGlassGrantPublic(BaseModel):
    journey_id: UUID
    grant_id: UUID
    caseworker_id: str
    expires_at: datetime


@router.post(
    "/journeys/{journey_id}/break-glass",
    status_code=201,
    response_model=BreakGlassGrantPublic,
    responses=PROBLEMS,
    summary="Open a journey not assigned to you, for a limited time (audited; the lead is told)",
)
def break_glass(
    journey_id: UUID,
    body: BreakGlassRequest,
    cases: Cases,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    request: Request,
) -> BreakGlassGrantPublic:
    now = datetime.now(UTC)
    expires_at = now + timedelta(minutes=runtime.settings.break_glass_minutes)
    grant_for = BreakGlass(
        grant_id=uuid4(),
        caseworker_id=principal.subject,
        reason=body.reason,
        expires_at=expires_at,
        occurred_at=now,
    )
    journey = cases.do(journey_id, grant_for, actor=principal.subject)
    grant = journey.break_glass_grant(principal.subject, now)
    assert grant is not None
    request.state.audit_purpose = f"break-glass:{grant.grant_id}"
    return BreakGlassGrantPublic(
        journey_id=journey_id,
        grant_id=grant.grant_id,
        caseworker_id=grant.caseworker_id,
        expires_at=grant.expires_at,
    )
