"""Where a visit was: a registered premises (its id) or an unregistered place (a label), never
both; recorded against the wrong one, it is corrected by a new event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.visits.errors import AmbiguousPremises
from services.visits.visit.base import VisitFact, VisitPart


class Place(VisitPart):
    class PremisesCorrected(VisitFact):
        """The visit was recorded against the wrong premises; this is the right one."""

        premises_id: UUID | None
        premises_label: str | None

        def apply(self, visit: VisitPart) -> None:
            visit.premises_id = self.premises_id
            visit.premises_label = self.premises_label

    def correct_premises(
        self,
        premises_id: UUID | None,
        premises_label: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        require_one_premises(premises_id, premises_label)
        if (self.premises_id, self.premises_label) == (premises_id, premises_label):
            return
        self._require_after_start(occurred_at)
        self._record(
            self.PremisesCorrected,
            occurred_at,
            actor,
            premises_id=premises_id,
            premises_label=premises_label,
        )


def require_one_premises(premises_id: UUID | None, premises_label: str | None) -> None:
    if (premises_id is None) == (premises_label is None):
        raise AmbiguousPremises("a visit names either a registered premises or a label, not both")
