"""She may be a child: the possible-minor flag, marked and cleared by a caseworker."""

from __future__ import annotations

from dataclasses import dataclass

from services.cases.commands.base import JourneyCommand
from services.cases.domain import Journey
from shared.reference import ReferenceData


@dataclass(frozen=True, kw_only=True)
class MarkPossibleMinor(JourneyCommand):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.mark_possible_minor(self.occurred_at, actor)


@dataclass(frozen=True, kw_only=True)
class ClearPossibleMinor(JourneyCommand):
    def apply_to(self, journey: Journey, actor: str, reference: ReferenceData) -> None:
        journey.clear_possible_minor(self.occurred_at, actor)
