"""The rules of a support journey, each a named error.

Each class's docstring is the title a caller sees (``api/errors.py`` maps every class to a
problem type named after it); the message carries ids and codes only, never her data.
By base class: a ``JourneyError`` is a state conflict (409), a ``JourneyItemNotFound`` an unknown
consent, goal, appointment or referral on this journey (404), a ``JourneyInputError`` a value
that can never be right for this command (422).
"""

from __future__ import annotations


class JourneyError(Exception):
    """The journey cannot change this way."""


class JourneyItemNotFound(JourneyError):
    """No such item on this journey."""


class JourneyInputError(JourneyError):
    """A value in the command breaks a rule of the journey."""


# --- the journey as a whole -------------------------------------------------------------------


class JourneyClosed(JourneyError):
    """The journey is closed: reopen it first."""


class JourneyMerged(JourneyError):
    """This journey was merged into another woman's journey; work on hers."""


class JourneyNotClosed(JourneyError):
    """The journey is not closed, so it cannot be reopened."""


class JourneyAlreadyExists(JourneyError):
    """A journey with this id already exists."""


class OpenReferralsRemain(JourneyError):
    """Referrals are still open: withdraw or finish them before closing the journey."""


class ContactAlreadyRecorded(JourneyError):
    """This contact is already recorded on the journey."""


class AlreadyMerged(JourneyError):
    """This journey was already merged into a different journey."""


class CannotMergeIntoItself(JourneyInputError):
    """A journey cannot be merged into itself."""


# --- registration ---------------------------------------------------------------------------


class NotRegistered(JourneyError):
    """She is not registered yet: register her before recording casework."""


class AlreadyAssigned(JourneyError):
    """Another caseworker has already taken this journey."""


class AlreadyRegistered(JourneyError):
    """She is already registered, with different details: correct them instead."""


# --- consent --------------------------------------------------------------------------------


class ConsentNotFound(JourneyItemNotFound):
    """No such consent on this journey."""


class ConsentAlreadyWithdrawn(JourneyError):
    """This consent was already withdrawn."""


class ConsentConflict(JourneyError):
    """This consent id is already recorded with different content."""


class PartnerRequired(JourneyInputError):
    """A consent to share with a partner must name the partner."""


class PartnerNotExpected(JourneyInputError):
    """Only a consent to share with a partner names a partner."""


class ConsentRequired(JourneyError):
    """Sharing her data needs her consent for that partner, or a recorded lawful basis."""


class ConsentDoesNotCover(JourneyError):
    """The consent named does not cover this (scope, partner, or withdrawn)."""


# --- goals ----------------------------------------------------------------------------------


class GoalNotFound(JourneyItemNotFound):
    """No such goal on this journey."""


class GoalConflict(JourneyError):
    """This goal id is already recorded with different content."""


class GoalAlreadyAchieved(JourneyError):
    """The goal was already achieved."""


class GoalAlreadyDropped(JourneyError):
    """The goal was already dropped."""


# --- plans and meetings ---------------------------------------------------------------------


class SafetyPlanConflict(JourneyError):
    """This safety plan id is already recorded with different content."""


class MeetingConflict(JourneyError):
    """This meeting id is already recorded with different content."""


# --- appointments ---------------------------------------------------------------------------


class AppointmentNotFound(JourneyItemNotFound):
    """No such appointment on this journey."""


class AppointmentConflict(JourneyError):
    """This appointment id is already recorded with different content."""


class AppointmentNotScheduled(JourneyError):
    """The appointment is no longer scheduled (cancelled or attended)."""


# --- referrals ------------------------------------------------------------------------------


class ReferralNotFound(JourneyItemNotFound):
    """No such referral on this journey."""


class ReferralConflict(JourneyError):
    """This referral id is already recorded with different content."""


class ReferralNotOpen(JourneyError):
    """The referral is closed (completed, withdrawn or expired)."""


class ReferralAlreadyDeclined(ReferralNotOpen):
    """The referral was already declined."""


class InvalidReferralTransition(JourneyError):
    """The referral cannot move to that step from where it is."""


class ReferralNotOverdue(JourneyError):
    """The referral's response date has not passed yet."""


class RespondByNotAfterReferral(JourneyInputError):
    """The response date must be after the referral was made."""


# --- the National Referral Mechanism --------------------------------------------------------


class NotAFirstResponder(JourneyInputError):
    """That partner is not a First Responder: only a First Responder can make an NRM referral."""


class NrmConsentRequired(JourneyError):
    """An adult must give informed consent (scope nrm_referral) before an NRM referral."""


class NrmAlreadySubmitted(JourneyError):
    """An NRM referral is already recorded for her, with different details."""


class NrmNotSubmitted(JourneyError):
    """No NRM referral is recorded for her yet."""


class NoPositiveReasonableGrounds(JourneyError):
    """This step needs a positive Reasonable Grounds decision first."""


class NrmDecisionAlreadyRecorded(JourneyError):
    """This NRM decision is already recorded, with different details."""


class RecoveryPeriodAlreadyStarted(JourneyError):
    """A recovery period is already recorded, with different dates."""


class RecoveryPeriodTooShort(JourneyInputError):
    """The recovery period must last at least 30 days."""


class DatesOutOfOrder(JourneyInputError):
    """The dates are out of order (e.g. learned of a decision before it was made)."""


# --- flags, exit, closure -------------------------------------------------------------------


class AlreadyMarkedPossibleMinor(JourneyError):
    """She is already marked as possibly under 18."""


class NotMarkedPossibleMinor(JourneyError):
    """She is not marked as possibly under 18."""


class AlreadyExited(JourneyError):
    """Her exit from the sex industry is already recorded."""


class NotExited(JourneyError):
    """No exit from the sex industry is recorded, so there is nothing to reverse."""


class AlreadyReturnedHome(JourneyError):
    """Her return home is already recorded."""


class ContactAlreadyLost(JourneyError):
    """Contact is already recorded as lost."""


# --- access ---------------------------------------------------------------------------------


class BreakGlassReasonRequired(JourneyInputError):
    """Break-glass access needs a written reason."""


# --- erasure (crypto-shredding) -------------------------------------------------------------


class JourneyErased(JourneyError):
    """Her personal data was erased: the journey can be read but not changed."""


class ErasureAlreadyRequested(JourneyError):
    """Someone else has already asked for this erasure; an admin must decide on that request."""


class NoErasureRequested(JourneyError):
    """There is no pending erasure request to approve."""


class ErasureNeedsSecondPerson(JourneyError):
    """An erasure must be approved by someone other than the person who asked for it."""
