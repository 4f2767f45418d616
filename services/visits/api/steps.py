"""How every step on an open visit answers: the visit as it now is, its version as the ETag,
and ``Idempotent-Replayed: true`` when the step was already recorded (a retry)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Response

from services.visits.api.answers import answer
from services.visits.api.deps import Actor, Visits
from services.visits.api.schemas import VisitPublic
from services.visits.application import VisitsApplication, VisitStep
from shared.http.etag import ExpectedAnyOf

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such visit (or contact, concern on it)"},
    409: {"description": "The step contradicts what is recorded (an id reused, visit completed)"},
    412: {"description": "If-Match names a version that is no longer current"},
    413: {"description": "The body is too large"},
    422: {"description": "A field or code is invalid, or the step is impossible as given"},
}

#: Decorator arguments every step route shares.
STEP: dict[str, Any] = {"response_model": VisitPublic, "responses": PROBLEMS}


@dataclass(frozen=True)
class VisitSteps:
    """Runs a step on the visit in the path, as the caller, against the versions her
    ``If-Match`` names, and answers with the visit."""

    visits: VisitsApplication
    visit_id: UUID
    actor: str
    expected: frozenset[int] | None
    response: Response

    def __call__(self, step: VisitStep) -> VisitPublic:
        outcome = self.visits.do(self.visit_id, step, actor=self.actor, expected=self.expected)
        return answer(self.response, outcome.visit, VisitPublic, replayed=not outcome.changed)


def visit_steps(
    visit_id: UUID, visits: Visits, actor: Actor, expected: ExpectedAnyOf, response: Response
) -> VisitSteps:
    return VisitSteps(visits, visit_id, actor, expected, response)


#: A route parameter: ``do(step)`` runs it on the visit in the path and answers. A route with
#: an item in its path (a contact, a concern) names ``visit_id`` before it too, so that the
#: OpenAPI lists the path's parameters in the path's order.
Do = Annotated[VisitSteps, Depends(visit_steps)]
