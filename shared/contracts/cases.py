"""Contracts published by the cases service on the CASES stream."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from shared.contracts.base import AwareDatetime, Code, IntegrationEvent, StaffId

# The steps each contract can report, named so that the cases service checks its own against
# the contract's (its translators' tables by type, its referral statuses by a test).
ReferralStatusName = Literal[
    "made", "acknowledged", "accepted", "declined", "completed", "withdrawn", "expired"
]
AppointmentStatusName = Literal["scheduled", "moved", "cancelled", "attended"]
NrmMilestoneName = Literal[
    "referral_submitted",
    "reasonable_grounds_positive",
    "reasonable_grounds_negative",
    "recovery_period_started",
    "conclusive_grounds_positive",
    "conclusive_grounds_negative",
]


class JourneyContract(IntegrationEvent):
    """Every contract the cases service publishes is about one journey."""

    aggregate_field: ClassVar[str] = "journey_id"


class JourneyOpenedV1(JourneyContract, subject="cases.journey_opened.v1"):
    """A support journey was opened (for a contact met on a visit, or a registration)."""

    journey_id: UUID
    contact_id: UUID | None = None
    opened_at: AwareDatetime
    recorded_at: AwareDatetime


class CaseworkerAssignedV1(JourneyContract, subject="cases.caseworker_assigned.v1"):
    """A caseworker was assigned (or reassigned) to a journey."""

    journey_id: UUID
    caseworker_id: StaffId
    previous_caseworker_id: StaffId | None = None
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class BreakGlassAccessGrantedV1(JourneyContract, subject="cases.break_glass_access_granted.v1"):
    """A caseworker opened a journey not assigned to her, for a limited time (the reason she
    gave stays in the cases store, sealed: the lead reads it there)."""

    journey_id: UUID
    grant_id: UUID
    caseworker_id: StaffId
    expires_at: AwareDatetime
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class ReferralStatusChangedV1(JourneyContract, subject="cases.referral_status_changed.v1"):
    """A referral to a partner organisation moved in its lifecycle."""

    referral_id: UUID
    journey_id: UUID
    partner: Code
    status: ReferralStatusName
    respond_by: AwareDatetime | None = None
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class AppointmentScheduledV1(JourneyContract, subject="cases.appointment_scheduled.v1"):
    """An appointment or meeting was scheduled, moved or cancelled (reminders follow it)."""

    appointment_id: UUID
    journey_id: UUID
    kind: Code
    status: AppointmentStatusName
    at: AwareDatetime
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class FollowUpScheduledV1(JourneyContract, subject="cases.follow_up_scheduled.v1"):
    """A follow-up offered to her on a visit (e.g. coffee away from the premises) is now on her
    journey, due at a time; reminders follow it. The visit's details stay in the visits store."""

    follow_up_id: UUID
    journey_id: UUID
    kind: Code
    due_at: AwareDatetime
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class NrmMilestoneV1(JourneyContract, subject="cases.nrm_milestone.v1"):
    """A step on the National Referral Mechanism pathway, as far as the charity knows it."""

    journey_id: UUID
    milestone: NrmMilestoneName
    on: date
    #: For a recovery period: its last day (at least 30 days after it starts).
    until: date | None = None
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class JourneyStatusChangedV1(JourneyContract, subject="cases.journey_status_changed.v1"):
    """A journey's status changed (assessing, active, dormant, closed, reopened)."""

    journey_id: UUID
    status: Code
    reason: Code | None = None
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class PersonErasedV1(JourneyContract, subject="cases.person_erased.v1"):
    """Her personal data was erased (crypto-shredding): every service destroys the keys of the
    contacts named and purges what its read models hold about her. Ids only."""

    journey_id: UUID
    contact_ids: list[UUID]
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
