"""The AsyncAPI 3.0 description of the bus, generated from the contracts themselves.

``docs/asyncapi.json`` is this document; a test regenerates it and fails if they differ, so the
published description cannot drift from the code. Regenerate with ``waymark asyncapi``.
"""

from __future__ import annotations

import inspect
from typing import Any

from shared.contracts.base import IntegrationEvent, registered_contracts
from shared.contracts.envelope import MAX_ID_LENGTH, MAX_POSITION
from shared.contracts.streams import ALL_STREAMS
from shared.settings import DEFAULT_NATS_PORT

_ENVELOPE_DESCRIPTION = (
    "CloudEvents 1.0, structured JSON mode. `id` equals the Nats-Msg-Id header "
    "(`<service>:<aggregate id>:<version>`, the identity of the domain event it was made "
    "from); `position` is the publishing service's notification id; "
    "`subject` is the opaque id of the aggregate the event is about."
)


def _message_name(contract: type[IntegrationEvent]) -> str:
    return contract.__name__


def _channel_name(contract: type[IntegrationEvent]) -> str:
    return contract.subject.replace(".", "_")


def _envelope_schema(contract: type[IntegrationEvent]) -> dict[str, Any]:
    data_schema = contract.model_json_schema(ref_template="#/components/schemas/{model}")
    data_schema.pop("$defs", None)
    service = contract.subject.split(".")[0]
    return {
        "type": "object",
        "description": _ENVELOPE_DESCRIPTION,
        "required": ["specversion", "id", "source", "type", "subject", "time", "position", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {
                "type": "string",
                "maxLength": MAX_ID_LENGTH,
                "pattern": f"^{service}:[0-9a-f-]{{36}}:[0-9]+(:[a-z0-9_.]+)?$",
            },
            "source": {"const": f"/waymark/{service}"},
            "type": {"const": contract.event_type},
            "subject": {"type": "string", "format": "uuid"},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "position": {"type": "integer", "minimum": 1, "maximum": MAX_POSITION},
            "data": data_schema,
        },
    }


def build_asyncapi() -> dict[str, Any]:
    contracts = sorted(registered_contracts().values(), key=lambda c: c.event_type)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for contract in contracts:
        name, channel = _message_name(contract), _channel_name(contract)
        messages[name] = {
            "name": name,
            "title": contract.event_type,
            "summary": inspect.getdoc(contract) or name,
            "contentType": "application/cloudevents+json",
            "headers": {
                "type": "object",
                "required": ["Nats-Msg-Id"],
                "properties": {
                    "Nats-Msg-Id": {"type": "string", "description": "De-duplication key, = id"}
                },
            },
            "payload": _envelope_schema(contract),
        }
        channels[channel] = {
            "address": contract.subject,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"publish{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Waymark integration events",
            "version": "1.0.0",
            "description": (
                "Events the Waymark services publish on NATS JetStream. They carry opaque ids, "
                "codes, dates and language tags only — never names, aliases or free text. "
                "Streams: "
                + ", ".join(f"{s.name} ({', '.join(s.subjects)})" for s in ALL_STREAMS)
                + ". Consumers use durable pull consumers; messages that break their contract "
                "are copied to deadletter.<consumer> with a Waymark-Dead-Letter-Reason header."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "embedded": {
                "host": f"127.0.0.1:{DEFAULT_NATS_PORT}",
                "protocol": "nats",
                "description": "The nats-server started by `waymark run`",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
