"""The National Referral Mechanism: a First Responder contacted, her NRM referral submitted, the
Reasonable and Conclusive Grounds decisions as learnt, and her recovery period."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import DecisionSource, NrmOutcome
from shared.reference import ReferenceData


class RecordFirstResponderContact(JourneyCommand):
    partner: str

    codes = {"partner": "partners"}

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        first_responder = reference.is_first_responder(self.partner)
        journey.record_first_responder_contact(
            self.partner, first_responder, self.occurred_at, actor
        )


class RecordNrmReferral(JourneyCommand):
    partner: str
    submitted_on: date
    consent_id: UUID | None = None

    codes = {"partner": "partners"}

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


class NrmDecision(JourneyCommand):
    outcome: NrmOutcome
    decided_on: date
    learned_on: date
    source: DecisionSource


class RecordReasonableGrounds(NrmDecision):
    records = Journey.record_reasonable_grounds


class RecordConclusiveGrounds(NrmDecision):
    records = Journey.record_conclusive_grounds


class StartRecoveryPeriod(JourneyCommand):
    starts_on: date
    ends_on: date

    records = Journey.start_recovery_period
