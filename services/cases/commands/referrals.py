"""Referrals to partners for a need, and each step the partner answers with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import DeclineReason, WithdrawalReason
from shared.reference import ReferenceData


class ReferralCommand(JourneyCommand):
    """A command about one referral, named by its id."""

    referral_id: UUID


class MakeReferral(ReferralCommand):
    partner: str
    need: str
    shares_personal_data: bool
    consent_id: UUID | None = None
    lawful_basis: str | None = None
    respond_by: datetime

    records = Journey.make_referral
    codes = {"partner": "partners", "need": "needs", "lawful_basis": "lawful_bases"}


class AcknowledgeReferral(ReferralCommand):
    records = Journey.acknowledge_referral


class AcceptReferral(ReferralCommand):
    records = Journey.accept_referral


class DeclineReferral(ReferralCommand):
    reason: DeclineReason | None = None

    records = Journey.decline_referral


class CompleteReferral(ReferralCommand):
    records = Journey.complete_referral


class WithdrawReferral(ReferralCommand):
    reason: WithdrawalReason

    records = Journey.withdraw_referral


class ExpireReferral(ReferralCommand):
    """Nothing was heard about a referral by its due date (``occurred_at``: now)."""

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.expire_referral(self.referral_id, self.occurred_at, actor)
