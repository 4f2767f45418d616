"""Every visits error mapped to its HTTP answer, derived from what the error is.

404: the thing named in the path (or an item on the visit) does not exist. 409: the request
contradicts what is already recorded (an id reused with other content, a completed visit, an
existing link) — any rule of the visit or premises not said otherwise. 422: the request is
impossible on its own terms (times out of order, an unknown contact or volunteer named in the
body). Each error's problem type is its name in kebab case and its title the first line of its
docstring (``shared.http.problems.problems_below``). A reference-data code or premises id that
is not known is a 422 naming the field (``FieldError``, handled for every service). Details
carry ids and codes, never personal text.
"""

from __future__ import annotations

from services.visits.application import Conflict, IdempotencyKeyReused, NotFound
from services.visits.errors import (
    OccurredBeforeVisitStarted,
    UnknownConcern,
    VisitError,
    VisitInputError,
    VisitItemNotFound,
)
from services.visits.premises import PremisesError, PremisesInputError
from shared.http.problems import ProblemSpec, problems_below

_STATUSES: dict[type[Exception], int] = {
    NotFound: 404,
    VisitItemNotFound: 404,
    Conflict: 409,
    VisitError: 409,
    PremisesError: 409,
    VisitInputError: 422,
    PremisesInputError: 422,
}

_DERIVED = problems_below((NotFound, Conflict, VisitError, PremisesError), _STATUSES)

DOMAIN_ERRORS: dict[type[Exception], ProblemSpec] = {
    **_DERIVED,
    # Types clients already branch on, kept as they were named before the errors were.
    UnknownConcern: ProblemSpec(404, "concern-not-found", _DERIVED[UnknownConcern].title),
    OccurredBeforeVisitStarted: ProblemSpec(
        422, "before-visit-started", _DERIVED[OccurredBeforeVisitStarted].title
    ),
    # As the IETF Idempotency-Key draft advises: the key is reused for another payload.
    IdempotencyKeyReused: ProblemSpec(
        422, "idempotency-key-reused", "This Idempotency-Key was used for a different request"
    ),
    # Anything the domain adds later without a docstring still gets a clear answer, never a 500.
    VisitError: ProblemSpec(409, "visit-rule", "The visit cannot change this way"),
    PremisesError: ProblemSpec(409, "premises-rule", "The premises cannot change this way"),
}
