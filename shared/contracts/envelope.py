"""CloudEvents 1.0 structured-mode JSON envelopes around the contracts.

``id`` is ``"<service>:<notification id>"`` — the same string as ``Nats-Msg-Id`` — and the
``position`` extension carries the notification id, so consumers record exactly which upstream
event they applied, however often (or however late, after a re-publish) it arrives. When one
event is published as two contract versions side by side, the second's id also names its subject
and both carry the same ``position``: a consumer that takes both versions applies the event once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from shared.contracts.base import IntegrationEvent, contract_for_type

SOURCE_PREFIX = "/waymark/"
_FORMAT = JSONFormat()


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


def message_id(service: str, position: int, variant: str | None = None) -> str:
    """``<service>:<position>``; a further contract published for the same event (a new version
    beside the old) adds its subject, so JetStream keeps both and still de-duplicates each."""
    return f"{service}:{position}" if variant is None else f"{service}:{position}:{variant}"


def encode(
    event: IntegrationEvent,
    *,
    service: str,
    position: int,
    time: datetime,
    variant: str | None = None,
) -> bytes:
    cloud_event = CloudEvent(
        {
            "id": message_id(service, position, variant),
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
    try:
        cloud_event = _FORMAT.read(None, payload)
    except (ValueError, TypeError, KeyError, AttributeError, BaseCloudEventException) as error:
        raise ContractViolation(
            f"not a CloudEvents 1.0 JSON envelope: {type(error).__name__}"
        ) from error
    attributes = cloud_event.get_attributes()
    source = str(attributes.get("source", ""))
    if not source.startswith(SOURCE_PREFIX):
        raise ContractViolation("source: not a Waymark service")
    try:
        position = int(attributes["position"])
    except (KeyError, TypeError, ValueError) as error:
        raise ContractViolation("position: missing or not an integer") from error
    if position < 1:
        raise ContractViolation("position: must be positive")
    event_type = str(attributes["type"])
    contract = contract_for_type(event_type)
    if contract is None:
        raise ContractViolation(f"type: unknown event type {event_type!r}")
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


def _describe(error: ValidationError) -> str:
    # Field locations and reasons only: the offending input is never copied into the reason,
    # because a malformed message could carry text that must not spread further.
    parts = [
        "data." + ".".join(str(p) for p in issue["loc"]) + ": " + issue["msg"]
        for issue in error.errors(include_input=False, include_url=False)
    ]
    return "; ".join(parts)[:1000]
