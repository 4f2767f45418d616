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

The envelope is written here by pydantic's serializer in one call (the contract and the
attributes around it, compact UTF-8 JSON) and read with the standard ``json`` module, checking
the same attribute rules as the ``cloudevents`` SDK's JSON format (required attributes,
``specversion``, optional attributes' types, extension names). The SDK itself took 33 of the
44 µs of a decode (``dateutil`` parsing the time, building and validating a ``CloudEvent``) and
about 45 µs of an encode, on every message the relay sends and every consumer receives
(docs/performance.md); dumping the contract and then ``json.dumps`` of the envelope took a
third of what the relay spends on a message of its own. ``tests/unit/test_contracts.py`` keeps
the SDK as the judge: it reads every contract's envelope as the same event, what it writes this
module reads the same, and what it refuses this module refuses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from pydantic_core import to_json

from shared.contracts.base import MAX_INTEGER, IntegrationEvent, contract_for_type

SOURCE_PREFIX = "/waymark/"
SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

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

# CloudEvents 1.0: the attributes with a meaning of their own; any other is an extension, whose
# name is lower-case letters and digits.
_REQUIRED = ("id", "source", "type")
_OPTIONAL_TEXT = ("subject", "datacontenttype", "dataschema")
_CONTEXT = frozenset({"id", "source", "type", "specversion", "time", *_OPTIONAL_TEXT})
_EXTENSION_NAME = re.compile(r"[a-z0-9]+")


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


def message_id(service: str, origin: UUID | str, version: int, variant: str | None = None) -> str:
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
    return envelope(
        event,
        id=message_id(service, origin, version, variant),
        service=service,
        position=position,
        time=rfc3339(time),
    )


def envelope(event: IntegrationEvent, *, id: str, service: str, position: int, time: str) -> bytes:
    """The envelope's bytes, given its ``id`` and ``time`` as text: the relay makes those once
    for a domain event, however many contracts it publishes it as."""
    return to_json(
        {
            "id": id,
            "source": SOURCE_PREFIX + service,
            "type": event.event_type,
            "specversion": SPECVERSION,
            "subject": event.aggregate_id(),
            "time": time,
            "datacontenttype": CONTENT_TYPE,
            "position": position,
            "data": event,  # serialized by its own contract, as model_dump_json would
        }
    )


def rfc3339(time: datetime) -> str:
    """As the SDK writes a time: ISO 8601, with "Z" for a zero offset (RFC 3339 §2)."""
    if time.tzinfo is None:
        raise ValueError("time: must carry a UTC offset")
    text = time.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def decode(payload: bytes) -> Envelope:
    """The envelope and its contract, or ``ContractViolation`` naming what is wrong (never a
    value from the payload). Nothing else escapes, whatever the bytes."""
    _check_bounds(payload)
    try:
        # Decoded first, so that only UTF-8 is read (json.loads would also guess UTF-16/32).
        document = json.loads(payload.decode())
    except (ValueError, RecursionError) as error:  # JSON and UTF-8 errors, too-long integers
        raise ContractViolation(
            f"not a CloudEvents 1.0 JSON envelope: {type(error).__name__}"
        ) from error
    if not isinstance(document, dict):
        raise ContractViolation("not a CloudEvents 1.0 JSON envelope: not an object")
    time = _context(document)
    source: str = document["source"]
    if not source.startswith(SOURCE_PREFIX):
        raise ContractViolation("source: not a Waymark service")
    if len(document["id"]) > MAX_ID_LENGTH:
        raise ContractViolation(f"id: longer than {MAX_ID_LENGTH} characters")
    raw_position = document.get("position")
    # bool is an int to Python but not a position; a float or string is not one either.
    if not isinstance(raw_position, int) or isinstance(raw_position, bool):
        raise ContractViolation("position: missing or not an integer")
    position = raw_position
    if not 1 <= position <= MAX_POSITION:
        raise ContractViolation(f"position: must be between 1 and {MAX_POSITION}")
    event_type: str = document["type"]
    contract = contract_for_type(event_type)
    if contract is None:
        raise ContractViolation("type: not a known event type")
    data = document.get("data")
    if not isinstance(data, dict):
        raise ContractViolation("data: must be a JSON object")
    try:
        event = contract.model_validate(data)
    except ValidationError as error:
        raise ContractViolation(_describe(error)) from error
    return Envelope(
        id=document["id"],
        source_service=source.removeprefix(SOURCE_PREFIX),
        position=position,
        type=event_type,
        time=time,
        event=event,
    )


def _context(document: dict[str, Any]) -> datetime | None:
    """The envelope's time, once its context attributes pass the CloudEvents 1.0 rules as the
    SDK checks them; a violation names the attribute, never its value."""
    for name in _REQUIRED:
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise ContractViolation(f"{name}: a CloudEvents attribute, required, non-empty text")
    if document.get("specversion") != SPECVERSION:
        raise ContractViolation(f"specversion: must be {SPECVERSION}")
    for name in _OPTIONAL_TEXT:
        if name in document and (not isinstance(document[name], str) or not document[name]):
            raise ContractViolation(f"{name}: must be non-empty text")
    for name in document.keys() - _CONTEXT - {"data", "data_base64"}:
        if not _EXTENSION_NAME.fullmatch(name):
            raise ContractViolation("extension: names are lower-case letters and digits")
    time = None
    if "time" in document:
        raw = document["time"]
        try:
            time = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            time = None
        if time is None or time.tzinfo is None:
            raise ContractViolation("time: must be an RFC 3339 timestamp with an offset")
    return time


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
    # A parser's own error spliced into the message may quote it ("found `M` at 0"): such an
    # issue is named by its kind (``uuid_parsing``) instead.
    parts = [
        "data."
        + ".".join(str(p) for p in issue["loc"])
        + ": "
        + (issue["type"] if "error" in (issue.get("ctx") or {}) else issue["msg"])
        for issue in error.errors(include_input=False, include_url=False)
    ]
    return "; ".join(parts)[:1000]
