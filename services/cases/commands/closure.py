"""Where her journey leads: leaving the sex industry, returning to it or home, contact lost, and
her case closed and reopened."""

from __future__ import annotations

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from services.cases.values import ReopenReason


class RecordExit(JourneyCommand):
    records = Journey.record_exit


class RecordReturnToIndustry(JourneyCommand):
    records = Journey.record_return_to_industry


class RecordReturnHome(JourneyCommand):
    assisted: bool = False

    records = Journey.record_return_home


class RecordContactLost(JourneyCommand):
    records = Journey.record_contact_lost


class CloseJourney(JourneyCommand):
    reason: str

    records = Journey.close
    codes = {"reason": "closure_reasons"}


class ReopenJourney(JourneyCommand):
    reason: ReopenReason | None = None

    records = Journey.reopen
