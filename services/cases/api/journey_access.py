"""Which journeys a caseworker may open: hers, her team's, or one she broke the glass for.

The role gate (``api/access.py``) has already let the caller through. A safeguarding lead sees
every journey; a caseworker is checked against the journey itself (not a projection that may
lag a moment behind her own registration). A break-glass grant lets her in until it expires,
and every request it lets through is audited under the grant's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from services.cases.api.deps import Cases
from services.cases.application import CasesApplication, JourneyNotFound
from services.cases.queries.tables import Visibility
from shared.http.deps import CurrentPrincipal
from shared.http.problems import Problem
from shared.security.roles import Principal, Role
from shared.threads import in_thread


async def check_journey_access(request: Request, principal: CurrentPrincipal, cases: Cases) -> None:
    # ``async``, and a worker thread only when the journey must be read: a request without a
    # journey id, or a lead's, costs no hop.
    raw = request.path_params.get("journey_id")
    if raw is None or principal.has(Role.SAFEGUARDING_LEAD):
        return
    await in_thread(_check_journey, request, raw, principal, cases)


def _check_journey(
    request: Request, raw: str, principal: Principal, cases: CasesApplication
) -> None:
    try:
        journey = cases.get_journey(UUID(raw))
    except (ValueError, JourneyNotFound):
        return  # the route answers 422 or 404 as it would for anyone
    if journey.is_visible_to(principal.subject, principal.team):
        return
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
