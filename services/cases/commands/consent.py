"""Her consents: given for a scope (for a partner, to a wording version) and withdrawn."""

from __future__ import annotations

from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import ConsentScope
from shared.reference import ReferenceData


class GiveConsent(JourneyCommand):
    consent_id: UUID
    scope: ConsentScope
    partner: str | None = None
    wording_version: str

    records = Journey.give_consent

    def check(self, reference: ReferenceData) -> None:
        if self.partner is not None:
            reference.require("partners", self.partner, "body.partner")


class WithdrawConsent(JourneyCommand):
    consent_id: UUID

    records = Journey.withdraw_consent
