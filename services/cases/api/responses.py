"""How every journey command answers: the journey as it now is, its version as the ETag."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from services.cases.api.schemas import JourneyPublic
from services.cases.domain import Journey
from shared.http.etag import etag_for

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
