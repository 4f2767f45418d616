"""The National Referral Mechanism: a First Responder contacted, her NRM referral submitted, the
Reasonable and Conclusive Grounds decisions as learnt, and her recovery period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import DecisionSource, NrmOutcome
from services.cases.values import NrmDecision as Decision
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
    """A decision on her NRM referral, as learnt and from whom: each stage's command names the
    ``Journey`` method that records such a decision."""

    outcome: NrmOutcome
    decided_on: date
    learned_on: date
    source: DecisionSource

    received_by: ClassVar[Callable[[Journey, Decision, datetime, str], None]]

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        decision = Decision(self.outcome, self.decided_on, self.learned_on, self.source)
        type(self).received_by(journey, decision, self.occurred_at, actor)


class RecordReasonableGrounds(NrmDecision):
    received_by = Journey.record_reasonable_grounds


class RecordConclusiveGrounds(NrmDecision):
    received_by = Journey.record_conclusive_grounds


class StartRecoveryPeriod(JourneyCommand):
    starts_on: date
    ends_on: date

    records = Journey.start_recovery_period
