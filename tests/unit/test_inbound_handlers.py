"""Handlers that pass an inbound message's fields to one command, by name."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from shared.contracts import ContactMadeV1
from shared.messaging.consumer import Upstream
from shared.messaging.handlers import calling, handlers_calling

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_given_a_command_whose_parameters_the_message_has_then_it_is_called_with_them() -> None:
    calls: list[tuple[UUID, str, Upstream, str]] = []

    def record(contact_id: UUID, language: str, upstream: Upstream, actor: str = "up") -> None:
        calls.append((contact_id, language, upstream, actor))

    handler = handlers_calling({ContactMadeV1: record})[ContactMadeV1]
    contact = uuid4()
    message = ContactMadeV1(
        contact_id=contact, visit_id=uuid4(), language="ro", occurred_at=T0, recorded_at=T0
    )
    upstream = Upstream("visits", 7, "event-7")

    handler(message, upstream)

    assert calls == [(contact, "ro", upstream, "up")]


def test_given_a_command_needing_a_field_the_message_lacks_then_building_it_fails() -> None:
    def record(contact_id: UUID, person_id: UUID, upstream: Upstream) -> None: ...

    with pytest.raises(TypeError, match="ContactMadeV1 has no person_id for record"):
        calling(ContactMadeV1, record)
