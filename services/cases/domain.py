"""Support journeys: one woman's journey with the charity, as past-tense facts.

A journey can begin before she is a registered person: the first contact made on a visit
opens it, keyed by a deterministic id derived from that contact's id, so however often the
contact arrives there is exactly one journey for it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_JOURNEY_NAMESPACE = UUID("5d6c3c7e-6f0b-4c59-9a8e-0f4f7f1d9a11")


class JourneyStatus(StrEnum):
    NEW = "new"


class JourneyError(Exception):
    """A rule of the journey was broken."""


class ContactAlreadyRecorded(JourneyError):
    pass


class Journey(Aggregate):
    @staticmethod
    def create_id(contact_id: UUID) -> UUID:
        return uuid5(_JOURNEY_NAMESPACE, str(contact_id))

    class Opened(Aggregate.Created):
        contact_id: UUID
        occurred_at: datetime
        actor: str

    class ContactRecorded(Aggregate.Event):
        contact_id: UUID
        visit_id: UUID
        language: str
        occurred_at: datetime
        actor: str

    @event(Opened)
    def __init__(self, contact_id: UUID, occurred_at: datetime, actor: str) -> None:
        self.contact_id = contact_id
        self.opened_at = occurred_at
        self.status = JourneyStatus.NEW
        self.contacts: list[tuple[UUID, UUID]] = []  # (visit id, contact id)
        self.languages: list[str] = []
        self.last_contact_at: datetime | None = None

    def record_contact(
        self, contact_id: UUID, visit_id: UUID, language: str, occurred_at: datetime, actor: str
    ) -> None:
        if (visit_id, contact_id) in self.contacts:
            raise ContactAlreadyRecorded(f"contact on visit {visit_id} is already recorded")
        self._contact_recorded(contact_id, visit_id, language, occurred_at, actor)

    @event(ContactRecorded)
    def _contact_recorded(
        self, contact_id: UUID, visit_id: UUID, language: str, occurred_at: datetime, actor: str
    ) -> None:
        self.contacts.append((visit_id, contact_id))
        if language not in self.languages:
            self.languages.append(language)
        # Offline apps deliver late: the latest contact is the latest by the device clock.
        if self.last_contact_at is None or occurred_at > self.last_contact_at:
            self.last_contact_at = occurred_at
