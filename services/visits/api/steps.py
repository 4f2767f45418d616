"""How every step on an open visit answers: the visit as it now is, its version as the ETag,
and ``Idempotent-Replayed: true`` when the step was already recorded (a retry); and how a step
route is declared (``visit_step``)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from services.visits.api.answers import answer
from services.visits.api.deps import Actor, Visits
from services.visits.api.schemas import VisitPublic
from services.visits.application import VisitsApplication, VisitStep
from shared.http.declared_routes import declare_post, param, path_ids
from shared.http.etag import ExpectedAnyOf

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such visit (or contact, concern on it)"},
    409: {"description": "The step contradicts what is recorded (an id reused, visit completed)"},
    412: {"description": "If-Match names a version that is no longer current"},
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


#: A route parameter: ``do(step)`` runs it on the visit in the path and answers. A step route
#: names every id in its path before it, ``visit_id`` first, so that the OpenAPI lists the
#: path's parameters in the path's order.
Do = Annotated[VisitSteps, Depends(visit_steps)]


class StepBody(Protocol):
    """A step's request body: it becomes the step, given the ids in the path it needs."""

    def to_command(self, *args: Any, **kwargs: Any) -> VisitStep: ...


def visit_step(router: APIRouter, path: str, body: type[StepBody], *, summary: str) -> None:
    """Declare ``POST path``: the ``body`` becomes its step (``to_command``, given the ids of
    the path it names), and ``do`` runs it on the visit in the path. The route is named after
    the step (``AddContact``: ``add_contact``).

    Every step route is this and nothing more, so it is said once; the signature FastAPI reads
    (and documents) is the one each route would have had written out by hand."""
    to_command = inspect.signature(body.to_command, eval_str=True)
    needed = [name for name in to_command.parameters if name != "self"]
    step = to_command.return_annotation
    if not (isinstance(step, type) and issubclass(step, VisitStep)):
        raise TypeError(f"{body.__name__}.to_command must say which visit step it makes")

    def route(do: VisitSteps, body: StepBody, **ids: UUID) -> VisitPublic:
        return do(body.to_command(**{name: ids[name] for name in needed}))

    declare_post(
        router,
        path,
        route,
        named_after=step,
        parameters=[*path_ids(path), param("body", body), param("do", Do)],
        returns=VisitPublic,
        **STEP,
        summary=summary,
    )
