"""Her consents: given for a scope (for a partner, to a wording version) and withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import ConsentScope
from shared.reference import ReferenceData


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
