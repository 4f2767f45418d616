"""CloudEvents 1.0 structured-mode JSON envelopes around the contracts.

``id`` is ``"<service>:<aggregate id>:<version>"`` — the identity of the domain event it was
made from, the same string as ``Nats-Msg-Id`` — so it names that event and no other, in any
install and after any restore of a store. The ``position`` extension carries the publishing
service's log position, so consumers record exactly which upstream event they applied, however
often (or however late, after a re-publish) it arrives. When one event is published as two
contract versions side by side, the second's id also names its subject and both carry the same
``position``: a consumer that takes both versions applies the event once.

Decoding is bounded before anything is parsed: a message larger than ``MAX_ENVELOPE_BYTES`` or
nested deeper than ``MAX_JSON_DEPTH`` is refused, and ``position`` must fit a signed 64-bit
integer (the column it is tracked in), so no input can exhaust the stack or overflow a store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from shared.contracts.base import MAX_INTEGER, IntegrationEvent, contract_for_type

SOURCE_PREFIX = "/waymark/"
_FORMAT = JSONFormat()

#: A real envelope is under 1 kB; anything near this is not one of ours.
MAX_ENVELOPE_BYTES = 64 * 1024
#: A real envelope nests three deep (envelope, data, a list in data).
MAX_JSON_DEPTH = 16
#: Positions are tracked in a signed 64-bit column.
MAX_POSITION = MAX_INTEGER
MAX_ID_LENGTH = 256

# A JSON string (with its escapes), so that brackets inside strings are not counted as nesting.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class ContractViolation(Exception):
    """The message is not a valid envelope or its data breaks its contract. Never retried."""


@dataclass(frozen=True)
class Envelope:
    id: str
    source_service: str
    position: int
    type: str
    time: datetime | None
    event: IntegrationEvent


def message_id(service: str, origin: UUID, version: int, variant: str | None = None) -> str:
    """``<service>:<aggregate id>:<version>``: the domain event's own identity, which no other
    event shares (its log position recurs in every install and after a restore). A further
    contract published for the same event (a new version beside the old) adds its subject, so
    JetStream keeps both and still de-duplicates each."""
    event_id = f"{service}:{origin}:{version}"
    return event_id if variant is None else f"{event_id}:{variant}"


def encode(
    event: IntegrationEvent,
    *,
    service: str,
    origin: UUID,
    version: int,
    position: int,
    time: datetime,
    variant: str | None = None,
) -> bytes:
    cloud_event = CloudEvent(
        {
            "id": message_id(service, origin, version, variant),
            "source": SOURCE_PREFIX + service,
            "type": event.event_type,
            "specversion": "1.0",
            "subject": event.aggregate_id(),
            "time": time,
            "datacontenttype": "application/json",
            "position": position,
        },
        event.model_dump(mode="json"),
    )
    return _FORMAT.write(cloud_event)


def decode(payload: bytes) -> Envelope:
    """The envelope and its contract, or ``ContractViolation`` naming what is wrong (never a
    value from the payload). Nothing else escapes, whatever the bytes."""
    _check_bounds(payload)
    try:
        cloud_event = _FORMAT.read(None, payload)
    except (
        ValueError,  # also JSON and UTF-8 errors, and integers too long to convert
        TypeError,
        KeyError,
        AttributeError,
        OverflowError,
        RecursionError,
        BaseCloudEventException,
    ) as error:
        raise ContractViolation(
            f"not a CloudEvents 1.0 JSON envelope: {type(error).__name__}"
        ) from error
    attributes = cloud_event.get_attributes()
    source = str(attributes.get("source", ""))
    if not source.startswith(SOURCE_PREFIX):
        raise ContractViolation("source: not a Waymark service")
    if len(str(attributes["id"])) > MAX_ID_LENGTH:
        raise ContractViolation(f"id: longer than {MAX_ID_LENGTH} characters")
    raw_position = attributes.get("position")
    # bool is an int to Python but not a position; a float or string is not one either.
    if not isinstance(raw_position, int) or isinstance(raw_position, bool):
        raise ContractViolation("position: missing or not an integer")
    position = raw_position
    if not 1 <= position <= MAX_POSITION:
        raise ContractViolation(f"position: must be between 1 and {MAX_POSITION}")
    event_type = str(attributes["type"])
    contract = contract_for_type(event_type)
    if contract is None:
        raise ContractViolation("type: not a known event type")
    data = cloud_event.get_data()
    if not isinstance(data, dict):
        raise ContractViolation("data: must be a JSON object")
    try:
        event = contract.model_validate(data)
    except ValidationError as error:
        raise ContractViolation(_describe(error)) from error
    time = attributes.get("time")
    return Envelope(
        id=str(attributes["id"]),
        source_service=source.removeprefix(SOURCE_PREFIX),
        position=position,
        type=event_type,
        time=time if isinstance(time, datetime) else None,
        event=event,
    )


def _check_bounds(payload: bytes) -> None:
    """Refuse what is too large or too deeply nested before the JSON parser sees it: the
    standard parser recurses once per level, so depth is counted here without recursion."""
    if len(payload) > MAX_ENVELOPE_BYTES:
        raise ContractViolation(f"envelope: larger than {MAX_ENVELOPE_BYTES} bytes")
    if payload.count(b"[") + payload.count(b"{") <= MAX_JSON_DEPTH:
        return  # too few openings to nest that deep, wherever they are (every real envelope)
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b'""', payload)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ContractViolation(f"envelope: nested deeper than {MAX_JSON_DEPTH} levels")
        else:
            depth -= 1


def _describe(error: ValidationError) -> str:
    # Field locations and reasons only: the offending input is never copied into the reason,
    # because a malformed message could carry text that must not spread further.
    parts = [
        "data." + ".".join(str(p) for p in issue["loc"]) + ": " + issue["msg"]
        for issue in error.errors(include_input=False, include_url=False)
    ]
    return "; ".join(parts)[:1000]
