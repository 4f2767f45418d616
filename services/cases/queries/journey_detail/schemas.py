"""``JourneyPublic``: one journey as the caseworker UI reads it (kept apart from the domain on
purpose), built from its detail."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.cases.queries.journey_detail.detail import JourneyDetail
from services.cases.values import NrmDecision


class JourneyContact(BaseModel):
    visit_id: UUID
    contact_id: UUID


class ConsentPublic(BaseModel):
    consent_id: UUID
    scope: str
    partner: str | None
    wording_version: str
    given_at: datetime
    withdrawn_at: datetime | None
    active: bool


class RiskPublic(BaseModel):
    level: str
    indicators: list[str]
    notes: str | None
    assessed_at: datetime


class SafetyPlanPublic(BaseModel):
    plan_id: UUID
    summary: str | None = Field(description="Null once her personal data has been erased")
    review_on: date
    agreed_at: datetime


class GoalPublic(BaseModel):
    goal_id: UUID
    goal: str
    target_on: date | None
    status: str
    set_at: datetime
    closed_at: datetime | None
    drop_reason: str | None


class MeetingPublic(BaseModel):
    meeting_id: UUID
    meeting_type: str
    notes: str | None = Field(description="Null when none, or once her data has been erased")
    held_at: datetime


class AppointmentPublic(BaseModel):
    appointment_id: UUID
    kind: str
    at: datetime
    accompanied: bool
    status: str


class ReferralPublic(BaseModel):
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


class NrmDecisionPublic(BaseModel):
    outcome: str
    decided_on: date
    learned_on: date
    source: str

    @classmethod
    def of(cls, decision: NrmDecision | None) -> NrmDecisionPublic | None:
        if decision is None:
            return None
        return cls(
            outcome=decision.outcome.value,
            decided_on=decision.decided_on,
            learned_on=decision.learned_on,
            source=decision.source.value,
        )


class NrmPublic(BaseModel):
    first_responders_contacted: list[str]
    submitted_by: str | None
    submitted_on: date | None
    consent_id: UUID | None
    submitted_as_possible_minor: bool
    reasonable_grounds: NrmDecisionPublic | None
    recovery_starts_on: date | None
    recovery_ends_on: date | None
    conclusive_grounds: NrmDecisionPublic | None


class IndicatorPublic(BaseModel):
    observation_id: UUID
    indicator: str
    source: str
    visit_id: UUID
    observed_at: datetime


class ConcernPublic(BaseModel):
    concern_id: UUID
    concern: str
    visit_id: UUID
    raised_at: datetime


class FollowUpPublic(BaseModel):
    follow_up_id: UUID
    kind: str
    due_at: datetime
    visit_id: UUID
    offered_at: datetime


class AttentionPublic(BaseModel):
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
        plan = detail.safety_plan
        risk = detail.risk
        nrm = journey.nrm
        # After erasure her sealed fields can no longer be opened: shown as absent, not as a
        # marker string a client would have to recognise.
        erased = journey.erased

        def personal(value: str | None) -> str | None:
            return None if erased else value

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
            pseudonym=personal(journey.pseudonym),
            preferred_languages=journey.preferred_languages,
            interpreter_needed=journey.interpreter_needed,
            caseworker_id=journey.caseworker_id,
            consents=[
                ConsentPublic(
                    consent_id=c.consent_id,
                    scope=c.scope.value,
                    partner=c.partner,
                    wording_version=c.wording_version,
                    given_at=c.given_at,
                    withdrawn_at=c.withdrawn_at,
                    active=c.active,
                )
                for c in journey.consents.values()
            ],
            needs=detail.needs,
            needs_notes=personal(detail.needs_notes),
            needs_assessed_at=detail.needs_assessed_at,
            risk=None
            if risk is None
            else RiskPublic(
                level=risk.level.value,
                indicators=list(risk.indicators),
                notes=personal(risk.notes),
                assessed_at=risk.assessed_at,
            ),
            safety_plan=None
            if plan is None
            else SafetyPlanPublic(
                plan_id=plan.plan_id,
                summary=personal(plan.summary),
                review_on=plan.review_on,
                agreed_at=plan.agreed_at,
            ),
            goals=[
                GoalPublic(
                    goal_id=g.goal_id,
                    goal=g.goal,
                    target_on=g.target_on,
                    status=g.status.value,
                    set_at=g.set_at,
                    closed_at=g.closed_at,
                    drop_reason=g.drop_reason.value if g.drop_reason else None,
                )
                for g in journey.goals.values()
            ],
            meetings=[
                MeetingPublic(
                    meeting_id=m.meeting_id,
                    meeting_type=m.meeting_type,
                    notes=personal(m.notes),
                    held_at=m.held_at,
                )
                for m in journey.meetings.values()
            ],
            appointments=[
                AppointmentPublic(
                    appointment_id=a.appointment_id,
                    kind=a.kind,
                    at=a.at,
                    accompanied=a.accompanied,
                    status=a.status.value,
                )
                for a in journey.appointments.values()
            ],
            referrals=[
                ReferralPublic(
                    referral_id=r.referral_id,
                    partner=r.partner,
                    need=r.need,
                    shares_personal_data=r.shares_personal_data,
                    consent_id=r.consent_id,
                    lawful_basis=r.lawful_basis,
                    respond_by=r.respond_by,
                    made_at=r.made_at,
                    status=r.status.value,
                    status_at=r.status_at,
                    reason=r.reason,
                    consent_withdrawn=r.consent_withdrawn,
                )
                for r in journey.referrals.values()
            ],
            nrm=NrmPublic(
                first_responders_contacted=list(nrm.first_responders_contacted),
                submitted_by=nrm.submitted_by,
                submitted_on=nrm.submitted_on,
                consent_id=nrm.consent_id,
                submitted_as_possible_minor=nrm.submitted_as_possible_minor,
                reasonable_grounds=NrmDecisionPublic.of(nrm.reasonable_grounds),
                recovery_starts_on=nrm.recovery_starts_on,
                recovery_ends_on=nrm.recovery_ends_on,
                conclusive_grounds=NrmDecisionPublic.of(nrm.conclusive_grounds),
            ),
            possible_minor=journey.possible_minor,
            exited=journey.exited,
            exited_at=journey.exited_at,
            returned_home_at=journey.returned_home_at,
            returned_home_assisted=detail.returned_home_assisted,
            contact_lost_at=journey.contact_lost_at,
            closed_at=journey.closed_at,
            closure_reason=detail.closure_reason,
            reopened_at=detail.reopened_at,
            indicators=[
                IndicatorPublic(
                    observation_id=i.observation_id,
                    indicator=i.indicator,
                    source=i.source.value,
                    visit_id=i.visit_id,
                    observed_at=i.observed_at,
                )
                for i in journey.indicators.values()
            ],
            concerns=[
                ConcernPublic(
                    concern_id=c.concern_id,
                    concern=c.concern,
                    visit_id=c.visit_id,
                    raised_at=c.raised_at,
                )
                for c in journey.concerns.values()
            ],
            follow_ups=[
                FollowUpPublic(
                    follow_up_id=f.follow_up_id,
                    kind=f.kind,
                    due_at=f.due_at,
                    visit_id=f.visit_id,
                    offered_at=f.offered_at,
                )
                for f in journey.follow_ups.values()
            ],
            linked_contacts=[
                JourneyContact(visit_id=v, contact_id=c) for v, c in journey.linked_contacts
            ],
            merged_into=journey.merged_into,
            attention=[
                AttentionPublic(kind=a.kind.value, referral_id=a.referral_id)
                for a in journey.attention()
            ],
        )
