"""``JourneyPublic``: one journey as the caseworker UI reads it (kept apart from the domain on
purpose), built from its detail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import ClassVar, Self, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field

from services.cases.queries.journey_detail.detail import JourneyDetail
from shared.http.public import Public


class FromValue(Public):
    """A part of the journey read from the value object whose fields it shares by name."""

    #: Fields sealed under her key: absent once her data is erased.
    personal: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def of(cls, shown: object, *, erased: bool = False) -> Self:
        part = super().of(shown)
        return part.model_copy(update=dict.fromkeys(cls.personal)) if erased else part


P = TypeVar("P", bound=FromValue)


class JourneyContact(BaseModel):
    visit_id: UUID
    contact_id: UUID


class ConsentPublic(FromValue):
    consent_id: UUID
    scope: str
    partner: str | None
    wording_version: str
    given_at: datetime
    withdrawn_at: datetime | None
    active: bool


class RiskPublic(FromValue):
    personal: ClassVar[tuple[str, ...]] = ("notes",)

    level: str
    indicators: list[str]
    notes: str | None
    assessed_at: datetime


class SafetyPlanPublic(FromValue):
    personal: ClassVar[tuple[str, ...]] = ("summary",)

    plan_id: UUID
    summary: str | None = Field(description="Null once her personal data has been erased")
    review_on: date
    agreed_at: datetime


class GoalPublic(FromValue):
    goal_id: UUID
    goal: str
    target_on: date | None
    status: str
    set_at: datetime
    closed_at: datetime | None
    drop_reason: str | None


class MeetingPublic(FromValue):
    personal: ClassVar[tuple[str, ...]] = ("notes",)

    meeting_id: UUID
    meeting_type: str
    notes: str | None = Field(description="Null when none, or once her data has been erased")
    held_at: datetime


class AppointmentPublic(FromValue):
    appointment_id: UUID
    kind: str
    at: datetime
    accompanied: bool
    status: str


class ReferralPublic(FromValue):
    referral_id: UUID
    partner: str
    need: str
    shares_personal_data: bool
    consent_id: UUID | None
    lawful_basis: str | None
    respond_by: datetime
    made_at: datetime
    status: str
    status_at: datetime | None
    reason: str | None
    consent_withdrawn: bool


class NrmDecisionPublic(FromValue):
    outcome: str
    decided_on: date
    learned_on: date
    source: str


class NrmPublic(FromValue):
    first_responders_contacted: list[str]
    submitted_by: str | None
    submitted_on: date | None
    consent_id: UUID | None
    submitted_as_possible_minor: bool
    reasonable_grounds: NrmDecisionPublic | None
    recovery_starts_on: date | None
    recovery_ends_on: date | None
    conclusive_grounds: NrmDecisionPublic | None


class IndicatorPublic(FromValue):
    observation_id: UUID
    indicator: str
    source: str
    visit_id: UUID
    observed_at: datetime


class ConcernPublic(FromValue):
    concern_id: UUID
    concern: str
    visit_id: UUID
    raised_at: datetime


class FollowUpPublic(FromValue):
    follow_up_id: UUID
    kind: str
    due_at: datetime
    visit_id: UUID
    offered_at: datetime


class AttentionPublic(FromValue):
    kind: str
    referral_id: UUID | None


ERASED_STATUS = "erased"


class JourneyPublic(BaseModel):
    journey_id: UUID
    version: int
    status: str = Field(
        description="new, assessing, active, closed, merged — or erased: her personal data was "
        "erased (crypto-shredded); every personal field is then null, ids and codes remain"
    )
    erased_at: datetime | None
    contact_id: UUID | None
    opened_at: datetime
    recorded_at: datetime
    updated_at: datetime | None
    last_contact_at: datetime | None
    languages: list[str]
    contacts: list[JourneyContact]
    registered: bool
    registered_at: datetime | None
    pseudonym: str | None
    preferred_languages: list[str]
    interpreter_needed: bool
    caseworker_id: str | None
    consents: list[ConsentPublic]
    needs: list[str]
    needs_notes: str | None
    needs_assessed_at: datetime | None
    risk: RiskPublic | None
    safety_plan: SafetyPlanPublic | None
    goals: list[GoalPublic]
    meetings: list[MeetingPublic]
    appointments: list[AppointmentPublic]
    referrals: list[ReferralPublic]
    nrm: NrmPublic
    possible_minor: bool
    exited: bool
    exited_at: datetime | None
    returned_home_at: datetime | None
    returned_home_assisted: bool | None
    contact_lost_at: datetime | None
    closed_at: datetime | None
    closure_reason: str | None
    reopened_at: datetime | None
    indicators: list[IndicatorPublic]
    concerns: list[ConcernPublic]
    follow_ups: list[FollowUpPublic]
    linked_contacts: list[JourneyContact]
    merged_into: UUID | None
    attention: list[AttentionPublic]

    @classmethod
    def of(cls, detail: JourneyDetail) -> JourneyPublic:
        journey = detail.journey
        # After erasure her sealed fields can no longer be opened: shown as absent, not as a
        # marker string a client would have to recognise.
        erased = journey.erased
        risk, plan = detail.risk, detail.safety_plan

        def parts(part: type[P], values: Iterable[object]) -> list[P]:
            return [part.of(value, erased=erased) for value in values]

        return cls(
            journey_id=journey.id,
            version=journey.version,
            status=ERASED_STATUS if erased else journey.status.value,
            erased_at=journey.erased_at,
            contact_id=journey.contact_id,
            opened_at=detail.opened_at,
            recorded_at=detail.recorded_at,
            updated_at=detail.updated_at,
            last_contact_at=detail.last_contact_at,
            languages=detail.languages,
            contacts=[JourneyContact(visit_id=v, contact_id=c) for v, c in journey.contacts],
            registered=journey.registered,
            registered_at=journey.registered_at,
            pseudonym=None if erased else journey.pseudonym,
            preferred_languages=journey.preferred_languages,
            interpreter_needed=journey.interpreter_needed,
            caseworker_id=journey.caseworker_id,
            consents=parts(ConsentPublic, journey.consents.values()),
            needs=detail.needs,
            needs_notes=None if erased else detail.needs_notes,
            needs_assessed_at=detail.needs_assessed_at,
            risk=None if risk is None else RiskPublic.of(risk, erased=erased),
            safety_plan=None if plan is None else SafetyPlanPublic.of(plan, erased=erased),
            goals=parts(GoalPublic, journey.goals.values()),
            meetings=parts(MeetingPublic, journey.meetings.values()),
            appointments=parts(AppointmentPublic, journey.appointments.values()),
            referrals=parts(ReferralPublic, journey.referrals.values()),
            nrm=NrmPublic.of(journey.nrm),
            possible_minor=journey.possible_minor,
            exited=journey.exited,
            exited_at=journey.exited_at,
            returned_home_at=journey.returned_home_at,
            returned_home_assisted=detail.returned_home_assisted,
            contact_lost_at=journey.contact_lost_at,
            closed_at=journey.closed_at,
            closure_reason=detail.closure_reason,
            reopened_at=detail.reopened_at,
            indicators=parts(IndicatorPublic, journey.indicators.values()),
            concerns=parts(ConcernPublic, journey.concerns.values()),
            follow_ups=parts(FollowUpPublic, journey.follow_ups.values()),
            linked_contacts=[
                JourneyContact(visit_id=v, contact_id=c) for v, c in journey.linked_contacts
            ],
            merged_into=journey.merged_into,
            attention=parts(AttentionPublic, journey.attention()),
        )
