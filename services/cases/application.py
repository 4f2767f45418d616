"""The cases application: command handlers and queries on support journeys."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from services.cases.domain import Journey
from shared.storage.eventstore import WaymarkApplication


class JourneyNotFound(Exception):
    pass


class CasesApplication(WaymarkApplication):
    name = "cases"

    def record_contact_from_visit(
        self,
        contact_id: UUID,
        visit_id: UUID,
        language: str,
        occurred_at: datetime,
        upstream: Tracking,
        actor: str = "system:visits",
    ) -> bool:
        """Open (or continue) the journey of the woman met on a visit. Idempotent per upstream
        event: returns False when that event was already applied."""
        journey_id = Journey.create_id(contact_id)
        try:
            journey: Journey = self.repository.get(journey_id)
        except AggregateNotFoundError:
            journey = Journey(contact_id=contact_id, occurred_at=occurred_at, actor=actor)
        if (visit_id, contact_id) not in journey.contacts:
            journey.record_contact(contact_id, visit_id, language, occurred_at, actor)
        return self.save_once(upstream, journey)

    def get_journey(self, journey_id: UUID) -> Journey:
        try:
            journey: Journey = self.repository.get(journey_id)
        except AggregateNotFoundError:
            raise JourneyNotFound(str(journey_id)) from None
        return journey
