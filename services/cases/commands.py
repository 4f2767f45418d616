"""What may be asked of a journey: one small frozen command per thing a caseworker does.

A command knows its codes to check against the reference data (``check``: ``FieldError``
naming the request body's field, so 422 before anything is read) and which ``Journey`` method
records it (``apply_to``). ``CasesApplication.do`` runs any of them the same way: read the
journey, compare the version the client last read, apply, save. The request bodies
(``services/cases/api/commands.py``) make these; tests and scripts make them directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from services.cases.domain import Journey
from services.cases.values import (
    ConsentScope,
    DecisionSource,
    DeclineReason,
    ErasureReason,
    GoalDropReason,
    NrmOutcome,
    ReopenReason,
    RiskLevel,
    WithdrawalReason,
)
from shared.reference import ReferenceData


@dataclass(frozen=True, kw_only=True)
class JourneyCommand(ABC):
    occurred_at: datetime

    def check(self, reference: ReferenceData) -> None:
        """Refuse a code the reference data does not know (most commands carry none)."""
        return None

    @abstractmethod
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        """Record the command on the journey (its rules may refuse it)."""


# --- registration ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Register(JourneyCommand):
    """Register the woman whose journey began with a contact on a visit."""

    pseudonym: str
    preferred_languages: Sequence[str] = ()
    interpreter_needed: bool = False

    def check(self, reference: ReferenceData) -> None:
        reference.require_all("languages", self.preferred_languages, "body.preferred_languages")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.register(
            self.pseudonym,
            self.preferred_languages,
            self.interpreter_needed,
            self.occurred_at,
            actor,
        )


@dataclass(frozen=True, kw_only=True)
class CorrectPseudonym(JourneyCommand):
    pseudonym: str

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.correct_pseudonym(self.pseudonym, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class ChangeLanguagePreferences(JourneyCommand):
    preferred_languages: Sequence[str]
    interpreter_needed: bool

    def check(self, reference: ReferenceData) -> None:
        reference.require_all("languages", self.preferred_languages, "body.preferred_languages")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.change_language_preferences(
            self.preferred_languages, self.interpreter_needed, self.occurred_at, actor
        )


# --- consent, caseworker, access -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GiveConsent(JourneyCommand):
    consent_id: UUID
    scope: ConsentScope
    partner: str | None = None
    wording_version: str

    def check(self, reference: ReferenceData) -> None:
        if self.partner is not None:
            reference.require("partners", self.partner, "body.partner")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.give_consent(
            self.consent_id,
            self.scope,
            self.partner,
            self.wording_version,
            self.occurred_at,
            actor,
        )


@dataclass(frozen=True, kw_only=True)
class WithdrawConsent(JourneyCommand):
    consent_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.withdraw_consent(self.consent_id, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class AssignCaseworker(JourneyCommand):
    caseworker_id: str
    team_id: str | None = None

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.assign_caseworker(self.caseworker_id, self.occurred_at, actor, self.team_id)


@dataclass(frozen=True, kw_only=True)
class ClaimJourney(JourneyCommand):
    """A caseworker takes a journey from the intake queue: she is its caseworker now."""

    caseworker_id: str
    team_id: str | None = None

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.claim(self.caseworker_id, self.occurred_at, self.team_id)


@dataclass(frozen=True, kw_only=True)
class BreakGlass(JourneyCommand):
    """Open a journey that is not hers until ``expires_at``: recorded, published (the lead is
    told), and named in the audit entry of every request it lets through."""

    grant_id: UUID
    caseworker_id: str
    reason: str
    expires_at: datetime

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.grant_break_glass(
            self.grant_id, self.caseworker_id, self.reason, self.expires_at, self.occurred_at
        )


# --- assessment and support ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AssessNeeds(JourneyCommand):
    needs: Sequence[str]
    notes: str | None = None

    def check(self, reference: ReferenceData) -> None:
        reference.require_all("needs", self.needs, "body.needs")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.assess_needs(self.needs, self.notes, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class AssessRisk(JourneyCommand):
    level: RiskLevel
    indicators: Sequence[str] = ()
    notes: str | None = None

    def check(self, reference: ReferenceData) -> None:
        reference.require_all("person_indicators", self.indicators, "body.indicators")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.assess_risk(self.level, self.indicators, self.notes, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class AgreeSafetyPlan(JourneyCommand):
    plan_id: UUID
    summary: str
    review_on: date

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.agree_safety_plan(
            self.plan_id, self.summary, self.review_on, self.occurred_at, actor
        )


@dataclass(frozen=True, kw_only=True)
class SetGoal(JourneyCommand):
    goal_id: UUID
    goal: str
    target_on: date | None = None

    def check(self, reference: ReferenceData) -> None:
        reference.require("goals", self.goal, "body.goal")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.set_goal(self.goal_id, self.goal, self.target_on, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class AchieveGoal(JourneyCommand):
    goal_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.achieve_goal(self.goal_id, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class DropGoal(JourneyCommand):
    goal_id: UUID
    reason: GoalDropReason | None = None

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.drop_goal(self.goal_id, self.reason, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RecordMeeting(JourneyCommand):
    meeting_id: UUID
    meeting_type: str
    notes: str | None = None

    def check(self, reference: ReferenceData) -> None:
        reference.require("meeting_types", self.meeting_type, "body.meeting_type")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_meeting(
            self.meeting_id, self.meeting_type, self.notes, self.occurred_at, actor
        )


@dataclass(frozen=True, kw_only=True)
class ScheduleAppointment(JourneyCommand):
    appointment_id: UUID
    kind: str
    at: datetime
    accompanied: bool = False

    def check(self, reference: ReferenceData) -> None:
        reference.require("appointment_types", self.kind, "body.kind")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.schedule_appointment(
            self.appointment_id, self.kind, self.at, self.accompanied, self.occurred_at, actor
        )


@dataclass(frozen=True, kw_only=True)
class MoveAppointment(JourneyCommand):
    appointment_id: UUID
    at: datetime

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.move_appointment(self.appointment_id, self.at, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class CancelAppointment(JourneyCommand):
    appointment_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.cancel_appointment(self.appointment_id, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RecordAttendance(JourneyCommand):
    appointment_id: UUID
    accompanied: bool

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_attendance(self.appointment_id, self.accompanied, self.occurred_at, actor)


# --- referrals -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MakeReferral(JourneyCommand):
    referral_id: UUID
    partner: str
    need: str
    shares_personal_data: bool
    consent_id: UUID | None = None
    lawful_basis: str | None = None
    respond_by: datetime

    def check(self, reference: ReferenceData) -> None:
        reference.require("partners", self.partner, "body.partner")
        reference.require("needs", self.need, "body.need")
        if self.lawful_basis is not None:
            reference.require("lawful_bases", self.lawful_basis, "body.lawful_basis")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.make_referral(
            self.referral_id,
            self.partner,
            self.need,
            self.shares_personal_data,
            self.consent_id,
            self.lawful_basis,
            self.respond_by,
            self.occurred_at,
            actor,
        )


@dataclass(frozen=True, kw_only=True)
class AcknowledgeReferral(JourneyCommand):
    referral_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.acknowledge_referral(self.referral_id, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class AcceptReferral(JourneyCommand):
    referral_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.accept_referral(self.referral_id, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class DeclineReferral(JourneyCommand):
    referral_id: UUID
    reason: DeclineReason | None = None

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.decline_referral(self.referral_id, self.reason, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class CompleteReferral(JourneyCommand):
    referral_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.complete_referral(self.referral_id, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class WithdrawReferral(JourneyCommand):
    referral_id: UUID
    reason: WithdrawalReason

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.withdraw_referral(self.referral_id, self.reason, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class ExpireReferral(JourneyCommand):
    """Nothing was heard about a referral by its due date (``occurred_at``: now)."""

    referral_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.expire_referral(self.referral_id, self.occurred_at, actor)


# --- the National Referral Mechanism ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordFirstResponderContact(JourneyCommand):
    partner: str

    def check(self, reference: ReferenceData) -> None:
        reference.require("partners", self.partner, "body.partner")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        first_responder = reference.is_first_responder(self.partner)
        journey.record_first_responder_contact(
            self.partner, first_responder, self.occurred_at, actor
        )


@dataclass(frozen=True, kw_only=True)
class RecordNrmReferral(JourneyCommand):
    partner: str
    submitted_on: date
    consent_id: UUID | None = None

    def check(self, reference: ReferenceData) -> None:
        reference.require("partners", self.partner, "body.partner")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        first_responder = reference.is_first_responder(self.partner)
        journey.record_nrm_referral(
            self.partner,
            first_responder,
            self.submitted_on,
            self.consent_id,
            self.occurred_at,
            actor,
        )


@dataclass(frozen=True, kw_only=True)
class NrmDecision(JourneyCommand):
    outcome: NrmOutcome
    decided_on: date
    learned_on: date
    source: DecisionSource


@dataclass(frozen=True, kw_only=True)
class RecordReasonableGrounds(NrmDecision):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_reasonable_grounds(
            self.outcome, self.decided_on, self.learned_on, self.source, self.occurred_at, actor
        )


@dataclass(frozen=True, kw_only=True)
class RecordConclusiveGrounds(NrmDecision):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_conclusive_grounds(
            self.outcome, self.decided_on, self.learned_on, self.source, self.occurred_at, actor
        )


@dataclass(frozen=True, kw_only=True)
class StartRecoveryPeriod(JourneyCommand):
    starts_on: date
    ends_on: date

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.start_recovery_period(self.starts_on, self.ends_on, self.occurred_at, actor)


# --- flags, exit, closure, erasure -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MarkPossibleMinor(JourneyCommand):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.mark_possible_minor(self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class ClearPossibleMinor(JourneyCommand):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.clear_possible_minor(self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RecordExit(JourneyCommand):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_exit(self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RecordReturnToIndustry(JourneyCommand):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_return_to_industry(self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RecordReturnHome(JourneyCommand):
    assisted: bool = False

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_return_home(self.assisted, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RecordContactLost(JourneyCommand):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.record_contact_lost(self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class CloseJourney(JourneyCommand):
    reason: str

    def check(self, reference: ReferenceData) -> None:
        reference.require("closure_reasons", self.reason, "body.reason")

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.close(self.reason, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class ReopenJourney(JourneyCommand):
    reason: ReopenReason | None = None

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.reopen(self.reason, self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class RequestErasure(JourneyCommand):
    """Ask for her personal data to be erased; an admin other than the asker approves."""

    request_id: UUID
    reason: ErasureReason

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.request_erasure(self.request_id, self.reason, self.occurred_at, actor)
