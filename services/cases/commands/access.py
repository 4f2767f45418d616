"""Who holds her journey: a caseworker assigned or claiming it from the intake queue, and
break-glass access for a caseworker who does not."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from shared.reference import ReferenceData


class AssignCaseworker(JourneyCommand):
    caseworker_id: str
    team_id: str | None = None

    records = Journey.assign_caseworker


class ClaimJourney(JourneyCommand):
    """A caseworker takes a journey from the intake queue: she is its caseworker now."""

    caseworker_id: str
    team_id: str | None = None

    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.claim(self.caseworker_id, self.occurred_at, self.team_id)


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
