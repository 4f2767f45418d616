"""Every cases-domain error mapped to its HTTP answer, in one place.

Each rule of the journey is a named error class (``services/cases/errors.py``); its problem
type is its name in kebab case (``ReferralAlreadyDeclined`` → ``referral-already-declined``),
its title the first line of its docstring, its status set by its base class: unknown item on
the journey 404, a value that can never be right 422, any other broken rule 409. A stale
``If-Match`` (``VersionMismatch``) is answered alike by every service (``shared/http/problems.py``).
"""

from __future__ import annotations

import re

from services.cases.application import JourneyNotFound
from services.cases.errors import JourneyError, JourneyInputError, JourneyItemNotFound
from shared.http.problems import ProblemSpec


def _subclasses(cls: type[JourneyError]) -> list[type[JourneyError]]:
    found: list[type[JourneyError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _spec(error: type[JourneyError]) -> ProblemSpec:
    if issubclass(error, JourneyItemNotFound):
        status = 404
    elif issubclass(error, JourneyInputError):
        status = 422
    else:
        status = 409
    slug = re.sub(r"(?<!^)(?=[A-Z])", "-", error.__name__).lower()
    title = (error.__doc__ or error.__name__).strip().splitlines()[0].rstrip(".")
    return ProblemSpec(status, slug, title)


JOURNEY_RULES: dict[type[Exception], ProblemSpec] = {
    error: _spec(error)
    for error in _subclasses(JourneyError)
    if error not in (JourneyItemNotFound, JourneyInputError)
}

DOMAIN_ERRORS: dict[type[Exception], ProblemSpec] = {
    JourneyNotFound: ProblemSpec(404, "journey-not-found", "No such journey"),
    **JOURNEY_RULES,
    JourneyItemNotFound: ProblemSpec(404, "journey-item-not-found", "No such item on this journey"),
    JourneyInputError: ProblemSpec(422, "journey-input", "A value breaks a rule of the journey"),
    JourneyError: ProblemSpec(409, "journey-rule", "The journey cannot change this way"),
}
