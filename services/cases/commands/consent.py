"""Her consents: given for a scope (for a partner, to a wording version) and withdrawn."""

from __future__ import annotations

from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import ConsentScope


class GiveConsent(JourneyCommand):
    consent_id: UUID
    scope: ConsentScope
    partner: str | None = None
    wording_version: str

    records = Journey.give_consent
    codes = {"partner": "partners"}


class WithdrawConsent(JourneyCommand):
    consent_id: UUID

    records = Journey.withdraw_consent
