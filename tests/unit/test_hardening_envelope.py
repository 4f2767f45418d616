"""A contract violation's reason goes into a dead letter's header and a log line: it must name
the field and what is wrong, and never one character of what the message carried."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from shared.contracts import ContactMadeV1
from shared.contracts.envelope import ContractViolation, decode, encode

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def _good() -> dict[str, Any]:
    event = ContactMadeV1(
        contact_id=uuid4(), visit_id=uuid4(), language="ro", occurred_at=T0, recorded_at=T0
    )
    payload = encode(event, service="visits", origin=event.visit_id, version=2, position=1, time=T0)
    document: dict[str, Any] = json.loads(payload)
    return document


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contact_id", "Maria"),  # pydantic: "invalid character: found `M` at 0"
        ("contact_id", "\u00c9lodie-0000-0000-0000-000000000000"),
        ("occurred_at", "Z2026-11-27"),
        ("recorded_at", "Qx"),
    ],
)
def test_a_value_a_parser_cannot_read_is_named_by_its_field_never_quoted(
    field: str, value: str
) -> None:
    document = _good()
    document["data"][field] = value
    with pytest.raises(ContractViolation) as refused:
        decode(json.dumps(document).encode())
    reason = str(refused.value)
    assert reason.startswith(f"data.{field}: ")
    assert value[0] not in reason.removeprefix(f"data.{field}: ").replace("valid", "")
    assert "`" not in reason
