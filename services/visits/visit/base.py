"""What every part of a visit shares: its state and the guards most commands start with.

Each concept (contacts, indicators, follow-ups, urgent concerns, where the visit was) is a mixin
class in its own module holding that concept's events and commands; ``Visit`` combines them. The
mixins declare the state here so that each reads and checks it typed; ``Visit.__init__`` sets it.

Each command returns without an event when the same fact is already recorded (a retry), and
raises a named ``VisitError`` when the fact cannot be recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.aggregate_parts import AggregatePart
from services.visits.errors import (
    OccurredBeforeVisitStarted,
    UnknownContact,
    VisitAlreadyCompleted,
    VisitFull,
)
from services.visits.values import (
    Contact,
    FollowUp,
    PersonObservation,
    PremisesObservation,
    UrgentConcern,
)


class VisitFact(Aggregate.Event):
    """A fact about a visit. Each keeps when it happened by the device's clock (an app that was
    offline may send it hours later) and who recorded it; the server's time is the event's
    ``timestamp``."""

    occurred_at: datetime
    actor: str


class VisitPart(AggregatePart):
    """A part of an outreach visit: the state and guards every concept's commands share."""

    premises_id: UUID | None
    premises_label: str | None
    team: str
    volunteers: list[str]
    languages_offered: list[str]
    started_at: datetime
    started_by: str
    completed_at: datetime | None
    outcome: str | None
    contacts: list[Contact]
    premises_indicators: list[PremisesObservation]
    person_indicators: list[PersonObservation]
    follow_ups: list[FollowUp]
    urgent_concerns: list[UrgentConcern]

    def _record(
        self, event_class: type[VisitFact], occurred_at: datetime, actor: str, **facts: Any
    ) -> None:
        """The event, with when it happened and who recorded it, as every visit event has."""
        self.trigger_event(event_class, occurred_at=occurred_at, actor=actor, **facts)

    def contact(self, contact_id: UUID) -> Contact | None:
        return next((c for c in self.contacts if c.contact_id == contact_id), None)

    def _require_open(self) -> None:
        if self.completed_at is not None:
            raise VisitAlreadyCompleted(f"visit {self.id} is already completed")

    def _require_room(self, held: int, limit: int, what: str) -> None:
        if held >= limit:
            raise VisitFull(f"visit {self.id} already holds {limit} {what}, as many as a visit can")

    def _require_after_start(self, occurred_at: datetime) -> None:
        if occurred_at < self.started_at:
            raise OccurredBeforeVisitStarted(
                f"nothing can happen on visit {self.id} before it started"
            )

    def _require_contact(self, contact_id: UUID) -> Contact:
        contact = self.contact(contact_id)
        if contact is None:
            raise UnknownContact(f"contact {contact_id} is not recorded on visit {self.id}")
        return contact

    def _replace_contact(self, contact_id: UUID, **changes: Any) -> None:
        self.contacts = [
            replace(c, **changes) if c.contact_id == contact_id else c for c in self.contacts
        ]
