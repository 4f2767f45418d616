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
    records = Journey.record_exit


@dataclass(frozen=True, kw_only=True)
class RecordReturnToIndustry(JourneyCommand):
    records = Journey.record_return_to_industry


@dataclass(frozen=True, kw_only=True)
class RecordReturnHome(JourneyCommand):
    assisted: bool = False

    records = Journey.record_return_home


@dataclass(frozen=True, kw_only=True)
class RecordContactLost(JourneyCommand):
    records = Journey.record_contact_lost


@dataclass(frozen=True, kw_only=True)
class CloseJourney(JourneyCommand):
    reason: str

    records = Journey.close

    def check(self, reference: ReferenceData) -> None:
        reference.require("closure_reasons", self.reason, "body.reason")


@dataclass(frozen=True, kw_only=True)
class ReopenJourney(JourneyCommand):
    reason: ReopenReason | None = None

    records = Journey.reopen
