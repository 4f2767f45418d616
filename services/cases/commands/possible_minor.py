"""She may be a child: the possible-minor flag, marked and cleared by a caseworker."""

from __future__ import annotations

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey


class MarkPossibleMinor(JourneyCommand):
    records = Journey.mark_possible_minor


class ClearPossibleMinor(JourneyCommand):
    records = Journey.clear_possible_minor
