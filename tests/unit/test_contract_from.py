"""A contract made from its event: attributes of the same names copied, the rest given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from shared.contracts import JourneyOpenedV1, PersonErasedV1
from shared.messaging.translation import contract_from

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Erased:
    originator_id: UUID
    contact_ids: list[UUID]
    occurred_at: datetime
    timestamp: datetime
    actor: str = "cw-1"


def test_given_an_event_then_its_fields_of_the_contracts_names_are_copied() -> None:
    event = Erased(uuid4(), [uuid4()], T0, T0 + timedelta(seconds=1))

    contract = contract_from(PersonErasedV1, event, journey_id=event.originator_id)

    assert contract == PersonErasedV1(
        journey_id=event.originator_id,
        contact_ids=event.contact_ids,
        occurred_at=T0,
        recorded_at=T0 + timedelta(seconds=1),
    )


def test_given_an_event_without_an_optional_field_then_the_contract_keeps_its_default() -> None:
    event = Erased(uuid4(), [], T0, T0)

    contract = contract_from(JourneyOpenedV1, event, journey_id=uuid4(), opened_at=T0)

    assert contract.contact_id is None
