"""Which visits a caller may open: her team's, one she started, or one she was on.

The role gate (``api/access.py``) has already let the caller through. A safeguarding lead sees
every visit; an outreach worker or a caseworker is checked against the visit itself, as a
caseworker is against a journey (``shared/http/record_access.py``). Visits cannot tell
which journeys a caseworker holds, so her team is what opens a visit to her.
"""

from __future__ import annotations

from fastapi import Depends, Request

from services.visits.api.deps import Visits
from services.visits.application import VisitNotFound
from services.visits.visit import Visit
from shared.http.deps import CurrentPrincipal
from shared.http.problems import Problem
from shared.http.record_access import check_record_access


async def check_visit_access(request: Request, principal: CurrentPrincipal, visits: Visits) -> None:
    await check_record_access(
        request, principal, "visit_id", visits.get_visit, VisitNotFound, _not_your_visit
    )


def _not_your_visit(visit: Visit) -> None:
    raise Problem(
        403,
        "not-your-visit",
        "This visit was recorded by another team",
        "Ask the safeguarding lead, who may open every visit.",
    )


VisitAccess = Depends(check_visit_access)
