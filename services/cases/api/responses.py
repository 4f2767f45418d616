"""How every journey command answers: the journey as it now is, its version as the ETag."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Response

from services.cases.api.deps import Actor, Cases
from services.cases.api.schemas import JourneyPublic
from services.cases.application import CasesApplication
from services.cases.commands import JourneyCommand
from services.cases.domain import Journey
from shared.http.etag import Expected, etag_for

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such journey, or no such item (consent, goal, referral…) on it"},
    409: {"description": "A rule of the journey refuses it (the problem type names the rule)"},
    412: {"description": "If-Match is not the journey's current version: reload it"},
    413: {"description": "The body is too large"},
    422: {"description": "A field is invalid or not a known code (GET /reference)"},
}

#: Decorator arguments every command route shares.
COMMAND: dict[str, Any] = {"response_model": JourneyPublic, "responses": PROBLEMS}


def answer(journey: Journey, response: Response) -> JourneyPublic:
    response.headers["ETag"] = etag_for(journey.version)
    return JourneyPublic.of(journey)


@dataclass(frozen=True)
class JourneyCommands:
    """Runs a command on the journey in the path, as the caller, against the version her
    ``If-Match`` names, and answers with the journey (its version as the ETag)."""

    cases: CasesApplication
    journey_id: UUID
    actor: str
    expected: frozenset[int] | None
    response: Response

    def __call__(self, command: JourneyCommand) -> JourneyPublic:
        journey = self.cases.do(self.journey_id, command, actor=self.actor, expected=self.expected)
        return answer(journey, self.response)


def journey_commands(
    journey_id: UUID, cases: Cases, actor: Actor, expected: Expected, response: Response
) -> JourneyCommands:
    return JourneyCommands(cases, journey_id, actor, expected, response)


#: A route parameter: ``do(command)`` runs it on the journey in the path and answers.
Do = Annotated[JourneyCommands, Depends(journey_commands)]
