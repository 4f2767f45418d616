"""Which visits a caller may open: her team's, one she started, or one she was on.

The role gate (``api/access.py``) has already let the caller through. A safeguarding lead sees
every visit; an outreach worker or a caseworker is checked against the visit itself, as a
caseworker is against a journey (``shared/http/record_access.py``). Visits cannot tell
which journeys a caseworker holds, so her team is what opens a visit to her.
"""

from __future__ import annotations

from functools import partial
from uuid import UUID

from fastapi import Depends, Request

from services.visits.api.deps import Visits
from services.visits.application import VisitNotFound, VisitsApplication
from shared.http.deps import CurrentPrincipal
from shared.http.problems import Problem
from shared.http.record_access import check_record_access
from shared.security.roles import Principal


async def check_visit_access(request: Request, principal: CurrentPrincipal, visits: Visits) -> None:
    await check_record_access(
        request, principal, "visit_id", partial(_check_visit, principal, visits)
    )


def _check_visit(principal: Principal, visits: VisitsApplication, visit_id: UUID) -> None:
    try:
        visit = visits.get_visit(visit_id)
    except VisitNotFound:
        return  # the route answers 404 as it would for anyone
    if visit.is_visible_to(principal.subject, principal.team):
        return
    raise Problem(
        403,
        "not-your-visit",
        "This visit was recorded by another team",
        "Ask the safeguarding lead, who may open every visit.",
    )


VisitAccess = Depends(check_visit_access)
