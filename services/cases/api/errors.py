"""Every cases-domain error mapped to its HTTP answer, in one place.

Each rule of the journey is a named error class (``services/cases/errors.py``); its problem
type is its name in kebab case (``ReferralAlreadyDeclined`` → ``referral-already-declined``),
its title the first line of its docstring, its status set by its base class: unknown item on
the journey 404, a value that can never be right 422, any other broken rule 409. A stale
``If-Match`` (``VersionMismatch``) is answered alike by every service (``shared/http/problems.py``).
"""

from __future__ import annotations

from services.cases.application import JourneyNotFound
from services.cases.errors import (
    JourneyErased,
    JourneyError,
    JourneyInputError,
    JourneyItemNotFound,
)
from shared.http.problems import ProblemSpec, problems_below
from shared.storage.keyring import SubjectErasedError

JOURNEY_RULES: dict[type[Exception], ProblemSpec] = {
    error: spec
    for error, spec in problems_below(
        (JourneyError,), {JourneyItemNotFound: 404, JourneyInputError: 422, JourneyError: 409}
    ).items()
    if error not in (JourneyItemNotFound, JourneyInputError)
}

DOMAIN_ERRORS: dict[type[Exception], ProblemSpec] = {
    JourneyNotFound: ProblemSpec(404, "journey-not-found", "No such journey"),
    **JOURNEY_RULES,
    # Her erasure committed between a command's check and its save, so her key was gone when
    # the save sealed her fields: in place of the shared answer, the one the same command gets
    # a moment later.
    SubjectErasedError: JOURNEY_RULES[JourneyErased],
    JourneyItemNotFound: ProblemSpec(404, "journey-item-not-found", "No such item on this journey"),
    JourneyInputError: ProblemSpec(422, "journey-input", "A value breaks a rule of the journey"),
    JourneyError: ProblemSpec(409, "journey-rule", "The journey cannot change this way"),
}
