"""Every visits-domain error mapped to its HTTP answer, in one place."""

from __future__ import annotations

from services.visits.application import IdempotencyKeyReused, VisitConflict, VisitNotFound
from services.visits.domain import VisitError
from shared.http.problems import ProblemSpec

DOMAIN_ERRORS: dict[type[Exception], ProblemSpec] = {
    VisitNotFound: ProblemSpec(404, "visit-not-found", "No such visit"),
    VisitConflict: ProblemSpec(
        409, "visit-conflict", "This visit id is already recorded with different content"
    ),
    # As the IETF Idempotency-Key draft advises: the key is reused for another payload.
    IdempotencyKeyReused: ProblemSpec(
        422, "idempotency-key-reused", "This Idempotency-Key was used for a different request"
    ),
    VisitError: ProblemSpec(409, "visit-rule", "The visit cannot change this way"),
}
