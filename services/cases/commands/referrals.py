"""Referrals to partners for a need, and each step the partner answers with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import DeclineReason, WithdrawalReason
from shared.reference import ReferenceData


class MakeReferral(JourneyCommand):
    referral_id: UUID
    partner: str
    need: str
    shares_personal_data: bool
    consent_id: UUID | None = None
    lawful_basis: str | None = None
    respond_by: datetime

    records = Journey.make_referral

    def check(self, reference: ReferenceData) -> None:
        reference.require("partners", self.partner, "body.partner")
        reference.require("needs", self.need, "body.need")
        if self.lawful_basis is not None:
            reference.require("lawful_bases", self.lawful_basis, "body.lawful_basis")


class AcknowledgeReferral(JourneyCommand):
    referral_id: UUID

    records = Journey.acknowledge_referral


class AcceptReferral(JourneyCommand):
    referral_id: UUID

    records = Journey.accept_referral


class DeclineReferral(JourneyCommand):
    referral_id: UUID
    reason: DeclineReason | None = None

    records = Journey.decline_referral


class CompleteReferral(JourneyCommand):
    referral_id: UUID

    records = Journey.complete_referral


class WithdrawReferral(JourneyCommand):
    referral_id: UUID
    reason: WithdrawalReason

    records = Journey.withdraw_referral


class ExpireReferral(JourneyCommand):
    """Nothing was heard about a referral by its due date (``occurred_at``: now)."""

    referral_id: UUID

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.expire_referral(self.referral_id, self.occurred_at, actor)
