"""The rules of a support journey, each a named error, defined beside the commands that raise
them in ``services/cases/journey/`` and gathered here for callers.

Each class's docstring is the title a caller sees (``api/errors.py`` maps every class to a
problem type named after it); the message carries ids and codes only, never her data.
By base class: a ``JourneyError`` is a state conflict (409), a ``JourneyItemNotFound`` an unknown
consent, goal, appointment or referral on this journey (404), a ``JourneyInputError`` a value
that can never be right for this command (422).
"""

from __future__ import annotations

from services.cases.journey.access import (
    AlreadyAssigned,
    BreakGlassReasonRequired,
)
from services.cases.journey.appointments import (
    AppointmentConflict,
    AppointmentNotFound,
    AppointmentNotScheduled,
)
from services.cases.journey.assessment import (
    SafetyPlanConflict,
)
from services.cases.journey.base import (
    DatesOutOfOrder,
    JourneyAlreadyExists,
    JourneyClosed,
    JourneyErased,
    JourneyError,
    JourneyInputError,
    JourneyItemNotFound,
    JourneyMerged,
    NotRegistered,
)
from services.cases.journey.closure import (
    AlreadyExited,
    AlreadyReturnedHome,
    ContactAlreadyLost,
    JourneyNotClosed,
    NotExited,
    OpenReferralsRemain,
)
from services.cases.journey.consent import (
    ConsentAlreadyWithdrawn,
    ConsentConflict,
    ConsentDoesNotCover,
    ConsentNotFound,
    PartnerNotExpected,
    PartnerRequired,
)
from services.cases.journey.data_rights import (
    ErasureAlreadyRequested,
    ErasureNeedsSecondPerson,
    NoErasureRequested,
)
from services.cases.journey.nrm import (
    NoPositiveReasonableGrounds,
    NotAFirstResponder,
    NrmAlreadySubmitted,
    NrmConsentRequired,
    NrmDecisionAlreadyRecorded,
    NrmNotSubmitted,
    RecoveryPeriodAlreadyStarted,
    RecoveryPeriodTooShort,
)
from services.cases.journey.outreach import (
    AlreadyMerged,
    CannotMergeIntoItself,
    ContactAlreadyRecorded,
)
from services.cases.journey.possible_minor import AlreadyMarkedPossibleMinor, NotMarkedPossibleMinor
from services.cases.journey.referrals import (
    ConsentRequired,
    InvalidReferralTransition,
    ReferralAlreadyDeclined,
    ReferralConflict,
    ReferralNotFound,
    ReferralNotOpen,
    ReferralNotOverdue,
    RespondByNotAfterReferral,
)
from services.cases.journey.registration import (
    AlreadyRegistered,
)
from services.cases.journey.support import (
    GoalAlreadyAchieved,
    GoalAlreadyDropped,
    GoalConflict,
    GoalNotFound,
    MeetingConflict,
)

__all__ = [
    "AlreadyAssigned",
    "AlreadyExited",
    "AlreadyMarkedPossibleMinor",
    "AlreadyMerged",
    "AlreadyRegistered",
    "AlreadyReturnedHome",
    "AppointmentConflict",
    "AppointmentNotFound",
    "AppointmentNotScheduled",
    "BreakGlassReasonRequired",
    "CannotMergeIntoItself",
    "ConsentAlreadyWithdrawn",
    "ConsentConflict",
    "ConsentDoesNotCover",
    "ConsentNotFound",
    "ConsentRequired",
    "ContactAlreadyLost",
    "ContactAlreadyRecorded",
    "DatesOutOfOrder",
    "ErasureAlreadyRequested",
    "ErasureNeedsSecondPerson",
    "GoalAlreadyAchieved",
    "GoalAlreadyDropped",
    "GoalConflict",
    "GoalNotFound",
    "InvalidReferralTransition",
    "JourneyAlreadyExists",
    "JourneyClosed",
    "JourneyErased",
    "JourneyError",
    "JourneyInputError",
    "JourneyItemNotFound",
    "JourneyMerged",
    "JourneyNotClosed",
    "MeetingConflict",
    "NoErasureRequested",
    "NoPositiveReasonableGrounds",
    "NotAFirstResponder",
    "NotExited",
    "NotMarkedPossibleMinor",
    "NotRegistered",
    "NrmAlreadySubmitted",
    "NrmConsentRequired",
    "NrmDecisionAlreadyRecorded",
    "NrmNotSubmitted",
    "OpenReferralsRemain",
    "PartnerNotExpected",
    "PartnerRequired",
    "RecoveryPeriodAlreadyStarted",
    "RecoveryPeriodTooShort",
    "ReferralAlreadyDeclined",
    "ReferralConflict",
    "ReferralNotFound",
    "ReferralNotOpen",
    "ReferralNotOverdue",
    "RespondByNotAfterReferral",
    "SafetyPlanConflict",
]
