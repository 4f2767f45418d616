"""Which journeys a caseworker may open: hers, her team's, or one she broke the glass for.

The role gate (``api/access.py``) has already let the caller through. A safeguarding lead sees
every journey; a caseworker is checked against the journey itself
(``shared/http/record_access.py``). A break-glass grant lets her in until it expires,
and every request it lets through is audited under the grant's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import Depends, Request

from services.cases.api.deps import Cases
from services.cases.application import JourneyNotFound
from services.cases.domain import Journey
from services.cases.queries.tables import Visibility
from shared.http.deps import CurrentPrincipal
from shared.http.problems import Problem
from shared.http.record_access import check_record_access
from shared.security.roles import Principal, Role


async def check_journey_access(request: Request, principal: CurrentPrincipal, cases: Cases) -> None:
    refuse = partial(_unless_break_glass, request, principal)
    await check_record_access(
        request, principal, "journey_id", cases.get_journey, JourneyNotFound, refuse
    )


def _unless_break_glass(request: Request, principal: Principal, journey: Journey) -> None:
    grant = journey.break_glass_grant(principal.subject, datetime.now(UTC))
    if grant is not None:
        request.state.audit_purpose = f"break-glass:{grant.grant_id}"
        return
    raise Problem(
        403,
        "not-your-journey",
        "This journey is not assigned to you or your team",
        "If you must open it, ask for break-glass access with a written reason: it is "
        "time-limited, audited, and the safeguarding lead is told.",
    )


async def get_visibility(principal: CurrentPrincipal) -> Visibility | None:
    """The filter for a caseworker's lists; None (everything) for a safeguarding lead."""
    if principal.has(Role.SAFEGUARDING_LEAD):
        return None
    return Visibility(principal.subject, principal.team)


JourneyAccess = Depends(check_journey_access)
VisibleTo = Annotated[Visibility | None, Depends(get_visibility)]
