"""Every visits-domain error mapped to its HTTP answer, in one place.

404: the thing named in the path does not exist. 409: the request contradicts what is already
recorded (an id reused with other content, a completed visit, an existing link). 422: the request
is impossible on its own terms (times out of order, an unknown contact or volunteer named in the
body). A reference-data code or premises id that is not known is a 422 naming the field
(``FieldError``, handled for every service). Details carry ids and codes, never personal text.
"""

from __future__ import annotations

from services.visits.application import (
    ConcernNotFound,
    ContactNotFound,
    IdempotencyKeyReused,
    PremisesConflict,
    PremisesNotFound,
    VisitConflict,
    VisitNotFound,
)
from services.visits.errors import (
    AmbiguousPremises,
    ContactAlreadyLinked,
    ContradictoryOutcome,
    DuplicateConcern,
    DuplicateContact,
    DuplicateFollowUp,
    DuplicateObservation,
    FollowUpDueBeforeOffered,
    OccurredBeforeVisitStarted,
    ResolvedBeforeRaised,
    UnknownConcern,
    UnknownContact,
    UnknownSource,
    VisitAlreadyCompleted,
    VisitError,
    VisitFull,
    VolunteerNotOnVisit,
)
from services.visits.premises import CorrectedBeforeRegistered, PremisesError
from shared.http.problems import ProblemSpec
from shared.storage.keyring import SubjectErasedError

DOMAIN_ERRORS: dict[type[Exception], ProblemSpec] = {
    VisitNotFound: ProblemSpec(404, "visit-not-found", "No such visit"),
    ContactNotFound: ProblemSpec(404, "contact-not-found", "No such contact on this visit"),
    ConcernNotFound: ProblemSpec(404, "concern-not-found", "No such concern on this visit"),
    UnknownConcern: ProblemSpec(404, "concern-not-found", "No such concern on this visit"),
    PremisesNotFound: ProblemSpec(404, "premises-not-found", "No such premises"),
    VisitConflict: ProblemSpec(
        409, "visit-conflict", "This visit id is already recorded with different content"
    ),
    PremisesConflict: ProblemSpec(
        409, "premises-conflict", "This premises id is already recorded with different content"
    ),
    # As the IETF Idempotency-Key draft advises: the key is reused for another payload.
    IdempotencyKeyReused: ProblemSpec(
        422, "idempotency-key-reused", "This Idempotency-Key was used for a different request"
    ),
    VisitAlreadyCompleted: ProblemSpec(
        409, "visit-already-completed", "The visit is completed: contacts and completion are closed"
    ),
    DuplicateContact: ProblemSpec(
        409, "duplicate-contact", "This contact id is already recorded with different content"
    ),
    DuplicateObservation: ProblemSpec(
        409,
        "duplicate-observation",
        "This observation id is already recorded with different content",
    ),
    DuplicateFollowUp: ProblemSpec(
        409, "duplicate-follow-up", "This follow-up id is already recorded with different content"
    ),
    DuplicateConcern: ProblemSpec(
        409, "duplicate-concern", "This concern id is already recorded with different content"
    ),
    ContactAlreadyLinked: ProblemSpec(
        409, "contact-already-linked", "The contact is already linked to another person"
    ),
    VisitFull: ProblemSpec(
        409, "visit-full", "The visit already holds as many of these as one visit can"
    ),
    UnknownContact: ProblemSpec(
        422, "unknown-contact", "The contact named is not recorded on this visit"
    ),
    VolunteerNotOnVisit: ProblemSpec(
        422, "volunteer-not-on-visit", "The bridging volunteer is not one of the visit's volunteers"
    ),
    OccurredBeforeVisitStarted: ProblemSpec(
        422, "before-visit-started", "Nothing can happen on a visit before it started"
    ),
    ResolvedBeforeRaised: ProblemSpec(
        422, "resolved-before-raised", "A concern cannot be resolved before it was raised"
    ),
    FollowUpDueBeforeOffered: ProblemSpec(
        422, "follow-up-due-before-offered", "A follow-up cannot be due before it was offered"
    ),
    ContradictoryOutcome: ProblemSpec(
        422, "contradictory-outcome", "'No answer' cannot be the outcome of a visit with contacts"
    ),
    UnknownSource: ProblemSpec(422, "unknown-source", "Not a known source of an indicator"),
    AmbiguousPremises: ProblemSpec(
        422, "ambiguous-premises", "Name either a registered premises or a label, not both"
    ),
    CorrectedBeforeRegistered: ProblemSpec(
        422, "corrected-before-registered", "A premises cannot be corrected before it existed"
    ),
    # Her key was destroyed (erasure): nothing personal can be written about her again.
    SubjectErasedError: ProblemSpec(
        409, "subject-erased", "This person's data was erased; nothing more is recorded for her"
    ),
    # Anything the domain adds later without a mapping still gets a clear answer, never a 500.
    VisitError: ProblemSpec(409, "visit-rule", "The visit cannot change this way"),
    PremisesError: ProblemSpec(409, "premises-rule", "The premises cannot change this way"),
}
