"""Urgent concerns: a possible minor, violence, held against her will, a medical need — raised
on a visit and resolved when dealt with.

A concern's free-text ``details`` are sealed under the contact's key when it names one, else
under the visit's own key.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from services.visits.errors import DuplicateConcern, ResolvedBeforeRaised, UnknownConcern
from services.visits.values import UrgentConcern
from services.visits.visit.base import VisitFact, VisitPart
from services.visits.visit.limits import MAX_URGENT_CONCERNS


class UrgentConcerns(VisitPart):
    class UrgentConcernRaised(VisitFact):
        """An urgent concern: a possible minor, violence, held against her will, medical."""

        personal_fields: ClassVar[tuple[str, ...]] = ("details",)
        personal_subject: ClassVar[str] = "details_subject"

        concern_id: UUID
        concern: str
        contact_id: UUID | None
        details: str | None

        @property
        def details_subject(self) -> UUID:
            """Whose key seals the details: the contact's if one is named, else the visit's."""
            return self.contact_id or self.originator_id

        def apply(self, visit: VisitPart) -> None:
            visit.urgent_concerns.append(
                UrgentConcern(
                    self.concern_id, self.concern, self.contact_id, self.details, self.occurred_at
                )
            )

    class UrgentConcernResolved(VisitFact):
        """The urgent concern was dealt with."""

        concern_id: UUID

        def apply(self, visit: VisitPart) -> None:
            visit.urgent_concerns = [
                replace(c, resolved_at=self.occurred_at) if c.concern_id == self.concern_id else c
                for c in visit.urgent_concerns
            ]

    def concern(self, concern_id: UUID) -> UrgentConcern | None:
        return next((c for c in self.urgent_concerns if c.concern_id == concern_id), None)

    def raise_urgent_concern(
        self,
        concern_id: UUID,
        concern: str,
        contact_id: UUID | None,
        details: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        existing = self.concern(concern_id)
        if existing is not None:
            if existing.raised_as() == (concern, contact_id, details, occurred_at):
                return
            raise DuplicateConcern(
                f"concern {concern_id} is already recorded on visit {self.id} with other content"
            )
        if contact_id is not None:
            self._require_contact(contact_id)
        self._require_room(len(self.urgent_concerns), MAX_URGENT_CONCERNS, "urgent concerns")
        self._require_after_start(occurred_at)
        self._record(
            self.UrgentConcernRaised,
            occurred_at,
            actor,
            concern_id=concern_id,
            concern=concern,
            contact_id=contact_id,
            details=details,
        )

    def resolve_urgent_concern(self, concern_id: UUID, occurred_at: datetime, actor: str) -> None:
        concern = self.concern(concern_id)
        if concern is None:
            raise UnknownConcern(f"concern {concern_id} is not recorded on visit {self.id}")
        if concern.resolved_at is not None:
            return  # resolved is resolved: a retry, or a colleague who got there first
        if occurred_at < concern.occurred_at:
            raise ResolvedBeforeRaised("a concern cannot be resolved before it was raised")
        self._record(self.UrgentConcernResolved, occurred_at, actor, concern_id=concern_id)
