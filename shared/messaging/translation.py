"""A contract made from the one committed domain event it publishes.

Most contracts carry some of their event's attributes under the same names: those are copied,
so each translator names only what differs (the aggregate's id under the contract's name for
it, a value read from the aggregate as it stood). What crosses is still only what the contract
declares, and never one of the event's personal fields, whatever the contract names: contracts
carry ids, codes and times. ``recorded_at`` is always when the event was stored.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, Protocol, TypeVar

from shared.contracts.base import IntegrationEvent
from shared.storage.personal_data import personal_fields_of

Contract = TypeVar("Contract", bound=IntegrationEvent)


class StoredEvent(Protocol):
    @property
    def timestamp(self) -> datetime: ...


def contract_from(contract: type[Contract], event: StoredEvent, **given: Any) -> Contract:
    """``contract`` with the fields ``given``, the rest from the event's attributes of the same
    names (a field the event lacks keeps its default, or fails validation without one)."""
    copied = {
        name: getattr(event, name)
        for name in _copyable(contract, type(event))
        if name not in given and hasattr(event, name)
    }
    return contract(**copied, **given, recorded_at=event.timestamp)


@cache
def _copyable(contract: type[IntegrationEvent], event_class: type[object]) -> tuple[str, ...]:
    """The contract's fields that may come from an event of this class: worked out once per
    pair, because the relay makes a contract for every event it publishes."""
    personal = personal_fields_of(event_class)
    return tuple(
        name for name in contract.model_fields if name != "recorded_at" and name not in personal
    )
