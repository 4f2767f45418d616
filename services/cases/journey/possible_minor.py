"""She may be a child: the possible-minor flag, marked and cleared by a caseworker (outreach
sets it too, from an indicator or a concern). A possible child needs no consent to be referred
to the NRM, and must always be referred (``Journey.attention``)."""

from __future__ import annotations

from datetime import datetime

from services.cases.journey.base import JourneyError, JourneyFact, JourneyPart


class AlreadyMarkedPossibleMinor(JourneyError):
    """She is already marked as possibly under 18."""


class NotMarkedPossibleMinor(JourneyError):
    """She is not marked as possibly under 18."""


class PossibleMinor(JourneyPart):
    class PossibleMinorMarked(JourneyFact):
        """She may be under 18: a child must always be referred."""

        def apply(self, journey: JourneyPart) -> None:
            journey.possible_minor = True

    class PossibleMinorCleared(JourneyFact):
        """The possible-minor flag was cleared (e.g. after an age assessment)."""

        def apply(self, journey: JourneyPart) -> None:
            journey.possible_minor = False

    def mark_possible_minor(self, occurred_at: datetime, actor: str) -> None:
        self._require_writable()
        if self.possible_minor:
            raise AlreadyMarkedPossibleMinor(f"journey {self.id}")
        self._record(self.PossibleMinorMarked, occurred_at, actor)

    def clear_possible_minor(self, occurred_at: datetime, actor: str) -> None:
        """E.g. after an age assessment: she is an adult, and her consent is needed again."""
        self._require_writable()
        if not self.possible_minor:
            raise NotMarkedPossibleMinor(f"journey {self.id}")
        self._record(self.PossibleMinorCleared, occurred_at, actor)
