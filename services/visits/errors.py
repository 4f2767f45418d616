"""The rules of a visit, each a named error. Messages carry ids and codes only, never an alias
or details, since they reach problem documents and logs."""

from __future__ import annotations


class VisitError(Exception):
    """A rule of the visits domain was broken. Messages carry ids and codes only."""


class VisitAlreadyCompleted(VisitError):
    pass


class VisitFull(VisitError):
    """The visit already holds as many of these as one visit can (``domain.LIMITS``)."""


class DuplicateContact(VisitError):
    """The contact id is already recorded on this visit with other content."""


class DuplicateObservation(VisitError):
    """The observation id is already recorded on this visit with other content."""


class DuplicateFollowUp(VisitError):
    """The follow-up id is already recorded on this visit with other content."""


class DuplicateConcern(VisitError):
    """The concern id is already recorded on this visit with other content."""


class UnknownContact(VisitError):
    """The contact named is not recorded on this visit."""


class UnknownConcern(VisitError):
    """The urgent concern named is not recorded on this visit."""


class ContactAlreadyLinked(VisitError):
    """The contact is already linked to another person."""


class OccurredBeforeVisitStarted(VisitError):
    pass


class CompletedBeforeStarted(OccurredBeforeVisitStarted):
    pass


class ResolvedBeforeRaised(VisitError):
    pass


class FollowUpDueBeforeOffered(VisitError):
    pass


class VolunteerNotOnVisit(VisitError):
    """The volunteer who bridged the language must be one of the visit's volunteers."""


class ContradictoryOutcome(VisitError):
    """'No answer' cannot be the outcome of a visit on which contacts were made."""


class UnknownSource(VisitError):
    pass


class AmbiguousPremises(VisitError):
    """A visit is to a registered premises (its id) or to an unregistered place (a label)."""
