"""How every journey command answers (the journey as it now is, its version as the ETag),
and how a command route is declared (``journey_command``)."""

from __future__ import annotations

from dataclasses import dataclass
from inspect import Parameter
from types import NoneType, UnionType
from typing import Annotated, Any, get_args
from uuid import UUID

from fastapi import APIRouter, Depends, Response

from services.cases.api.commands import CommandBody
from services.cases.api.deps import Actor, Cases
from services.cases.application import CasesApplication
from services.cases.commands import JourneyCommand
from services.cases.domain import Journey
from services.cases.queries.journey_detail.detail import JourneyDetail
from services.cases.queries.journey_detail.schemas import JourneyPublic
from shared.http.declared_routes import declare_post, param, path_ids
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


def answer(detail: JourneyDetail, response: Response) -> JourneyPublic:
    response.headers["ETag"] = etag_for(detail.journey.version)
    return JourneyPublic.of(detail)


def answer_after(cases: CasesApplication, journey: Journey, response: Response) -> JourneyPublic:
    """The journey as a command left it. The command may have read it from a snapshot, which
    holds only what its rules need: the detail is read from the events, up to the journey's own
    version, so the body and the ETag agree even when another writer has saved since."""
    return answer(cases.journey_detail(journey.id, version=journey.version), response)


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
        return answer_after(self.cases, journey, self.response)


def journey_commands(
    journey_id: UUID, cases: Cases, actor: Actor, expected: Expected, response: Response
) -> JourneyCommands:
    return JourneyCommands(cases, journey_id, actor, expected, response)


#: A route parameter: ``do(command)`` runs it on the journey in the path and answers.
Do = Annotated[JourneyCommands, Depends(journey_commands)]


def journey_command(
    router: APIRouter,
    path: str,
    command: type[JourneyCommand],
    body: type[CommandBody] | UnionType = CommandBody | None,
    *,
    summary: str,
) -> None:
    """Declare ``POST path``: the ``body`` (``X | None`` when it may be left out) becomes the
    ``command``, with the ids the path names besides the journey's, and ``do`` runs it on the
    journey in the path. The route is named after its command (``SetGoal``: ``set_goal``).

    Every journey command route is this and nothing more, so it is said once; the signature
    FastAPI reads (and documents) is the one each route would have had written out by hand."""
    model = next(kind for kind in get_args(body) or (body,) if kind is not NoneType)

    def route(do: JourneyCommands, body: CommandBody | None = None, **ids: UUID) -> JourneyPublic:
        return do((body or model()).command(command, **ids))

    optional = NoneType in get_args(body)
    declare_post(
        router,
        path,
        route,
        named_after=command,
        parameters=[
            *path_ids(path, but="journey_id"),
            param("do", Do),
            param("body", body, None if optional else Parameter.empty),
        ],
        returns=JourneyPublic,
        **COMMAND,
        summary=summary,
    )
