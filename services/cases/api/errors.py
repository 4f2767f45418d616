"""Every cases-domain error mapped to its HTTP answer, in one place."""

from __future__ import annotations

from services.cases.application import JourneyNotFound
from services.cases.domain import JourneyError
from shared.http.problems import ProblemSpec

DOMAIN_ERRORS: dict[type[Exception], ProblemSpec] = {
    JourneyNotFound: ProblemSpec(404, "journey-not-found", "No such journey"),
    JourneyError: ProblemSpec(409, "journey-rule", "The journey cannot change this way"),
}
