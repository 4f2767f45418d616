"""Follow-ups: a date offered to a woman met, e.g. coffee away from the premises."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from services.visits.errors import DuplicateFollowUp, FollowUpDueBeforeOffered
from services.visits.values import FollowUp
from services.visits.visit.base import VisitFact, VisitPart
from services.visits.visit.limits import MAX_FOLLOW_UPS


class FollowUps(VisitPart):
    class FollowUpOffered(VisitFact):
        """A follow-up was offered to her for a date (e.g. coffee away from the premises)."""

        follow_up_id: UUID
        contact_id: UUID
        kind: str
        due_at: datetime

        def apply(self, visit: VisitPart) -> None:
            visit.follow_ups.append(
                FollowUp(
                    self.follow_up_id, self.contact_id, self.kind, self.due_at, self.occurred_at
                )
            )

    def offer_follow_up(
        self,
        follow_up_id: UUID,
        contact_id: UUID,
        kind: str,
        due_at: datetime,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        offered = FollowUp(follow_up_id, contact_id, kind, due_at, occurred_at)
        existing = next((f for f in self.follow_ups if f.follow_up_id == follow_up_id), None)
        if existing is not None:
            if existing == offered:
                return
            raise DuplicateFollowUp(
                f"follow-up {follow_up_id} is already recorded on visit {self.id} "
                "with other content"
            )
        self._require_contact(contact_id)
        self._require_room(len(self.follow_ups), MAX_FOLLOW_UPS, "follow-ups")
        self._require_after_start(occurred_at)
        if due_at < occurred_at:
            raise FollowUpDueBeforeOffered("a follow-up cannot be due before it was offered")
        self.trigger_event(self.FollowUpOffered, actor=actor, **asdict(offered))
