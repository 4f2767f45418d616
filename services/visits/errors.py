"""The rules of a visit, each a named error. Messages carry ids and codes only, never an alias
or details, since they reach problem documents and logs.

The first line of each docstring is the title of its problem document; its base class says
what kind of refusal it is (``services/visits/api/errors.py``): an item on the visit that does
not exist, a value that can never be right, or any other rule (a conflict with what is
recorded)."""

from __future__ import annotations


class VisitError(Exception):
    """The visit cannot change this way.

    A rule of the visits domain was broken. Messages carry ids and codes only."""


class VisitItemNotFound(VisitError):
    """No such item on this visit."""


class VisitInputError(VisitError):
    """A value breaks a rule of the visit."""


class VisitAlreadyCompleted(VisitError):
    """The visit is completed: contacts and completion are closed."""


class VisitFull(VisitError):
    """The visit already holds as many of these as one visit can.

    The limits are in ``services/visits/visit/limits.py``."""


class DuplicateContact(VisitError):
    """This contact id is already recorded with different content."""


class DuplicateObservation(VisitError):
    """This observation id is already recorded with different content."""


class DuplicateFollowUp(VisitError):
    """This follow-up id is already recorded with different content."""


class DuplicateConcern(VisitError):
    """This concern id is already recorded with different content."""


class UnknownContact(VisitInputError):
    """The contact named is not recorded on this visit."""


class UnknownConcern(VisitItemNotFound):
    """No such concern on this visit."""


class ContactAlreadyLinked(VisitError):
    """The contact is already linked to another person."""


class OccurredBeforeVisitStarted(VisitInputError):
    """Nothing can happen on a visit before it started."""


class CompletedBeforeStarted(OccurredBeforeVisitStarted):
    pass


class ResolvedBeforeRaised(VisitInputError):
    """A concern cannot be resolved before it was raised."""


class FollowUpDueBeforeOffered(VisitInputError):
    """A follow-up cannot be due before it was offered."""


class VolunteerNotOnVisit(VisitInputError):
    """The bridging volunteer is not one of the visit's volunteers."""


class ContradictoryOutcome(VisitInputError):
    """'No answer' cannot be the outcome of a visit with contacts."""


class UnknownSource(VisitInputError):
    """Not a known source of an indicator."""


class AmbiguousPremises(VisitInputError):
    """Name either a registered premises or a label, not both.

    A visit is to a registered premises (its id) or to an unregistered place (a label)."""
