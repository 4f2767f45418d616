"""The parts of a support journey: fixed domain codes and the state of each sub-entity.

Codes that a charity configures (needs, goals, partners, closure reasons…) are reference data,
validated by the application. The codes here are the domain's own rules — the scopes a consent
can have, the steps of a referral, where an NRM decision was heard from — so they live in code.
Everything is stdlib only: the domain imports no infrastructure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID


class JourneyStatus(StrEnum):
    NEW = "new"
    ASSESSING = "assessing"
    ACTIVE = "active"
    CLOSED = "closed"
    MERGED = "merged"


class ConsentScope(StrEnum):
    STORE_DATA = "store_data"
    SHARE_WITH_PARTNER = "share_with_partner"
    NRM_REFERRAL = "nrm_referral"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class IndicatorSource(StrEnum):
    OBSERVED = "observed"
    DISCLOSED = "disclosed"
    THIRD_PARTY = "third_party"


class GoalStatus(StrEnum):
    SET = "set"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class GoalDropReason(StrEnum):
    NO_LONGER_WANTED = "no_longer_wanted"
    NOT_POSSIBLE = "not_possible"
    REPLACED = "replaced"
    OTHER = "other"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    ATTENDED = "attended"


class ReferralStatus(StrEnum):
    MADE = "made"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self in _OPEN_REFERRAL


_OPEN_REFERRAL = frozenset(
    {ReferralStatus.MADE, ReferralStatus.ACKNOWLEDGED, ReferralStatus.ACCEPTED}
)


class DeclineReason(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    NO_CAPACITY = "no_capacity"
    SHE_DECLINED = "she_declined"
    UNABLE_TO_CONTACT = "unable_to_contact"
    OTHER = "other"


class WithdrawalReason(StrEnum):
    NO_LONGER_NEEDED = "no_longer_needed"
    SHE_CHANGED_HER_MIND = "she_changed_her_mind"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    MADE_IN_ERROR = "made_in_error"
    OTHER = "other"


class ReopenReason(StrEnum):
    SHE_RETURNED = "she_returned"
    NEW_NEED = "new_need"
    CLOSED_IN_ERROR = "closed_in_error"
    OTHER = "other"


class NrmOutcome(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class DecisionSource(StrEnum):
    """Where the charity heard an NRM decision from: outcomes often arrive second-hand."""

    FIRST_RESPONDER = "first_responder"
    HOME_OFFICE = "home_office"
    SOLICITOR = "solicitor"
    HERSELF = "herself"
    SUPPORT_PROVIDER = "support_provider"


class AttentionKind(StrEnum):
    #: An open referral shares her data on a consent she has since withdrawn.
    REFERRAL_CONSENT_WITHDRAWN = "referral_consent_withdrawn"
    #: She may be a child and no NRM referral is recorded: a child must always be referred.
    POSSIBLE_MINOR_NOT_REFERRED = "possible_minor_not_referred"
    #: Something came in from outreach after the journey was closed.
    ACTIVITY_AFTER_CLOSURE = "activity_after_closure"


#: Minimum length of the NRM recovery period (Modern Slavery Act statutory guidance).
RECOVERY_PERIOD_MIN_DAYS = 30


@dataclass(frozen=True)
class Consent:
    consent_id: UUID
    scope: ConsentScope
    partner: str | None
    wording_version: str
    given_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    def covers(self, scope: ConsentScope, partner: str | None = None) -> bool:
        return self.active and self.scope is scope and self.partner == partner


@dataclass(frozen=True)
class Risk:
    level: RiskLevel
    indicators: tuple[str, ...]
    notes: str | None
    assessed_at: datetime


@dataclass(frozen=True)
class SafetyPlan:
    plan_id: UUID
    summary: str
    review_on: date
    agreed_at: datetime


@dataclass(frozen=True)
class Goal:
    goal_id: UUID
    goal: str
    target_on: date | None
    set_at: datetime
    status: GoalStatus = GoalStatus.SET
    closed_at: datetime | None = None
    drop_reason: GoalDropReason | None = None


@dataclass(frozen=True)
class Meeting:
    meeting_id: UUID
    meeting_type: str
    notes: str | None
    held_at: datetime


@dataclass(frozen=True)
class Appointment:
    appointment_id: UUID
    kind: str
    at: datetime
    accompanied: bool
    status: AppointmentStatus = AppointmentStatus.SCHEDULED


@dataclass(frozen=True)
class ReferralTerms:
    """What a referral is made on — to which partner, for which need, sharing her personal data
    or not and on which consent or lawful basis, answered by when — as the fact that makes it
    records them and the referral keeps them."""

    referral_id: UUID
    partner: str
    need: str
    shares_personal_data: bool
    consent_id: UUID | None
    lawful_basis: str | None
    respond_by: datetime


@dataclass(frozen=True)
class Referral(ReferralTerms):
    made_at: datetime
    status: ReferralStatus = ReferralStatus.MADE
    status_at: datetime | None = None
    reason: str | None = None
    #: The consent it relied on was withdrawn while it was open (and no lawful basis).
    consent_withdrawn: bool = False


@dataclass(frozen=True)
class NrmDecision:
    outcome: NrmOutcome
    decided_on: date
    learned_on: date
    source: DecisionSource


@dataclass(frozen=True)
class NrmPathway:
    first_responders_contacted: tuple[str, ...] = ()
    submitted_by: str | None = None
    submitted_on: date | None = None
    consent_id: UUID | None = None
    submitted_as_possible_minor: bool = False
    reasonable_grounds: NrmDecision | None = None
    recovery_starts_on: date | None = None
    recovery_ends_on: date | None = None
    conclusive_grounds: NrmDecision | None = None


@dataclass(frozen=True)
class Indicator:
    observation_id: UUID
    indicator: str
    source: IndicatorSource
    visit_id: UUID
    observed_at: datetime


@dataclass(frozen=True)
class Concern:
    concern_id: UUID
    concern: str
    visit_id: UUID
    raised_at: datetime


@dataclass(frozen=True)
class FollowUp:
    follow_up_id: UUID
    kind: str
    due_at: datetime
    visit_id: UUID
    offered_at: datetime


@dataclass(frozen=True)
class Attention:
    kind: AttentionKind
    referral_id: UUID | None = None


@dataclass(frozen=True)
class BreakGlassGrant:
    """A caseworker's time-limited access to a journey not assigned to her (reason sealed in
    the event, not kept here)."""

    grant_id: UUID
    caseworker_id: str
    expires_at: datetime
    granted_at: datetime


class ErasureReason(StrEnum):
    """Why her personal data is to be erased: a code, never free text (it stays in the log)."""

    SUBJECT_REQUEST = "subject_request"  # she asked (UK GDPR art. 17)
    RETENTION_EXPIRED = "retention_expired"  # the retention period ran out
    RECORDED_IN_ERROR = "recorded_in_error"  # she was never a client: a record made by mistake


@dataclass(frozen=True)
class ErasureRequest:
    """A pending request to erase her personal data; a second person (an admin) approves it."""

    request_id: UUID
    reason: ErasureReason
    requested_by: str
    requested_at: datetime
