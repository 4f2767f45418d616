"""What visits does when cases says a woman's personal data was erased (``PersonErasedV1``).

The keys of her contacts are destroyed, so every alias, alias correction and urgent-concern
detail recorded under them reads as ``<erased>`` for good; then one fact is recorded, ids only,
so that read models drop their rows about those contacts — and drop them again, in the same
place, when rebuilt from zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_ERASURE_NAMESPACE = UUID("0b7a4f8e-2c55-4d0e-9a39-6a2f6c1e5d21")


class ContactErasure(Aggregate):
    """The contacts whose keys visits destroyed when a woman's data was erased. Ids only."""

    @staticmethod
    def create_id(journey_id: UUID) -> UUID:
        return uuid5(_ERASURE_NAMESPACE, str(journey_id))

    class Recorded(Aggregate.Created):
        """Her contacts' keys are destroyed; read models forget the contacts."""

        journey_id: UUID
        contact_ids: list[UUID]

    @event(Recorded)
    def __init__(self, journey_id: UUID, contact_ids: Sequence[UUID]) -> None:
        self.journey_id = journey_id
        self.contact_ids = list(contact_ids)
