"""She may be a child: the possible-minor flag, marked and cleared by a caseworker."""

from __future__ import annotations

from dataclasses import dataclass

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey


@dataclass(frozen=True, kw_only=True)
class MarkPossibleMinor(JourneyCommand):
    records = Journey.mark_possible_minor


@dataclass(frozen=True, kw_only=True)
class ClearPossibleMinor(JourneyCommand):
    records = Journey.clear_possible_minor
