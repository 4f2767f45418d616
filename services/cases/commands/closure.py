"""Where her journey leads: leaving the sex industry, returning to it or home, contact lost, and
her case closed and reopened."""

from __future__ import annotations

from dataclasses import dataclass

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import ReopenReason
from shared.reference import ReferenceData


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
