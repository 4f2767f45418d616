"""Which visits a caller may open: her team's, one she started, or one she was on.

The role gate (``api/access.py``) has already let the caller through. A safeguarding lead sees
every visit; an outreach worker or a caseworker is checked against the visit itself, as a
caseworker is against a journey (``services/cases/api/journey_access.py``). Visits cannot tell
which journeys a caseworker holds, so her team is what opens a visit to her.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import Depends, Request

from services.visits.api.deps import Visits
from services.visits.application import VisitNotFound, VisitsApplication
from shared.http.deps import CurrentPrincipal
from shared.http.problems import Problem
from shared.security.roles import Principal, Role
from shared.threads import in_thread


async def check_visit_access(request: Request, principal: CurrentPrincipal, visits: Visits) -> None:
    # ``async``, and a worker thread only when the visit must be read: a POST (no visit id)
    # or a lead's request costs no hop.
    raw = request.path_params.get("visit_id")
    if raw is None or principal.has(Role.SAFEGUARDING_LEAD):
        return
    await in_thread(_check_visit, raw, principal, visits)


def _check_visit(raw: str, principal: Principal, visits: VisitsApplication) -> None:
    try:
        visit = visits.get_visit(UUID(raw))
    except (ValueError, VisitNotFound):
        return  # the route answers 422 or 404 as it would for anyone
    if visit.is_visible_to(principal.subject, principal.team):
        return
    raise Problem(
        403,
        "not-your-visit",
        "This visit was recorded by another team",
        "Ask the safeguarding lead, who may open every visit.",
    )


VisitAccess = Depends(check_visit_access)
