"""The durable consumer against a real nats-server: once, in order, and never stuck."""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from services.cases.main import assemble
from shared.contracts import ContactMadeV1
from shared.contracts.envelope import MAX_ENVELOPE_BYTES, encode
from shared.nats_server import NatsServer
from shared.runtime import Runtime
from shared.settings import ServiceName
from tests.integration.harness import consuming_visits, eventually, journey_exists, stream_messages

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def contact_made(contact_id=None) -> ContactMadeV1:
    return ContactMadeV1(
        contact_id=contact_id or uuid4(),
        visit_id=uuid4(),
        language="ro",
        occurred_at=T0,
        recorded_at=T0,
    )


def wire(event: ContactMadeV1, position: int, service: str = "visits") -> bytes:
    """As the visits relay publishes it: the visit's event at ``position`` in its log."""
    return encode(
        event, service=service, origin=event.visit_id, version=2, position=position, time=T0
    )


async def publish(
    nc: Client, payload: bytes, msg_id: str, subject: str = "visits.contact_made.v1"
) -> None:
    await nc.jetstream().publish(subject, payload, headers={"Nats-Msg-Id": msg_id})


def running_cases(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, **overrides
) -> AbstractAsyncContextManager[tuple[Runtime, CasesApplication]]:
    """The cases service consuming the visits stream, stopped however the test ends."""
    return consuming_visits(
        ServiceName.CASES,
        assemble,
        CasesApplication,
        nats_server,
        nc,
        tmp_path,
        database,
        **overrides,
    )


async def test_a_message_delivered_twice_has_one_effect(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    async with running_cases(nats_server, nc, tmp_path, database) as (runtime, app):
        event = contact_made()
        payload = wire(event, 1)
        await publish(nc, payload, "visits:1")
        await eventually(lambda: journey_exists(app, event.contact_id), message="journey")
        events_before = app.max_notification_id()
        # The same upstream event again, past JetStream's de-duplication (another msg id).
        await publish(nc, payload, "replayed-copy")
        await eventually(lambda: runtime.consumers[0].applied >= 2, message="second delivery")
        assert app.max_notification_id() == events_before
        assert app.get_journey(Journey.create_id(event.contact_id)).version == 2


async def test_a_malformed_message_is_dead_lettered_with_its_reason_and_the_loop_goes_on(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    async with running_cases(nats_server, nc, tmp_path, database) as (runtime, app):
        await publish(nc, b"this is not a cloud event", "bad-1")
        good = contact_made()
        await publish(nc, wire(good, 2), "visits:2")
        await eventually(lambda: journey_exists(app, good.contact_id), message="good applied")
        dead = await eventually(lambda: stream_messages(nc, "DEADLETTER"), message="DLQ")
        assert len(dead) == 1
        assert dead[0].subject == "deadletter.cases-from-visits"
        assert dead[0].data == b"this is not a cloud event"
        assert "CloudEvents" in dead[0].headers["Waymark-Dead-Letter-Reason"]
        assert dead[0].headers["Waymark-Original-Subject"] == "visits.contact_made.v1"
        assert runtime.consumers[0].running


async def test_an_event_claiming_another_source_is_dead_lettered(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    async with running_cases(nats_server, nc, tmp_path, database):
        forged = wire(contact_made(), 1, service="cases")
        await publish(nc, forged, "forged")
        dead = await eventually(lambda: stream_messages(nc, "DEADLETTER"), message="DLQ")
        assert "source" in dead[0].headers["Waymark-Dead-Letter-Reason"]


def flaky(app: CasesApplication, monkeypatch, failures: int) -> dict[str, int]:
    """Make the next ``failures`` calls of the command fail as a store outage would."""
    original = app.record_contact_from_visit
    left = {"failures": failures}

    def record(*args, **kwargs):
        if left["failures"] > 0:
            left["failures"] -= 1
            raise ConnectionError("store briefly unavailable")
        return original(*args, **kwargs)

    monkeypatch.setattr(app, "record_contact_from_visit", record)
    return left


async def publish_contacts(nc: Client, count: int) -> list[ContactMadeV1]:
    events = [contact_made() for _ in range(count)]
    for position, event in enumerate(events, start=1):
        await publish(nc, wire(event, position), f"visits:{position}")
    return events


@pytest.mark.parametrize(
    ("failures", "contacts", "within"),
    [(2, 3, 20), (6, 4, 30)],
    ids=["transient", "lasting until it heals"],
)
async def test_a_failure_is_retried_in_place_in_order_and_each_event_applied_once(
    nats_server: NatsServer,
    nc: Client,
    tmp_path: Path,
    database,
    monkeypatch,
    failures: int,
    contacts: int,
    within: float,
) -> None:
    async with running_cases(nats_server, nc, tmp_path, database) as (runtime, app):
        left = flaky(app, monkeypatch, failures=failures)
        events = await publish_contacts(nc, contacts)
        await eventually(
            lambda: all(journey_exists(app, e.contact_id) for e in events),
            within=within,
            message="all applied after retries",
        )
        assert left["failures"] == 0
        opened = [app.get_journey(Journey.create_id(e.contact_id)).created_on for e in events]
        assert opened == sorted(opened)
        assert app.max_notification_id() == 2 * len(events)  # opened + contact, once each
        assert runtime.consumers[0].dead_lettered == 0


def poisoned(position: int, change) -> bytes:
    """A ContactMade as the relay would publish it, then broken by ``change`` (its document)."""
    document = json.loads(wire(contact_made(), position))
    change(document)
    return json.dumps(document).encode()


def nested(depth: int) -> dict:
    """``data`` nested ``depth`` deep, as a placeholder swapped in after json.dumps (which would
    itself overflow the stack building it)."""
    return {"NESTED": depth}


def with_nesting(payload: bytes) -> bytes:
    document = json.loads(payload)
    depth = document["data"]["NESTED"]
    return payload.replace(json.dumps({"NESTED": depth}).encode(), b"[" * depth + b"]" * depth)


#: Each poison message the consumer once retried forever or crashed on, and what its dead
#: letter's reason must say. None of them can ever be applied.
POISON = {
    "position beyond 64 bits": (
        lambda p: poisoned(p, lambda d: d.update(position=2**70)),
        "position: must be between 1 and",
    ),
    "data nested 50,000 deep": (
        lambda p: with_nesting(poisoned(p, lambda d: d.update(data=nested(50_000)))),
        "envelope: larger than",
    ),
    "data nested 5,000 deep": (
        lambda p: with_nesting(poisoned(p, lambda d: d.update(data=nested(5_000)))),
        "envelope: nested deeper than",
    ),
    "oversized": (
        lambda p: poisoned(p, lambda d: d["data"].update(pad="Maria" * MAX_ENVELOPE_BYTES)),
        "envelope: larger than",
    ),
    "invalid JSON": (lambda p: b'{"specversion": "1.0", "id": "Maria', "not a CloudEvents"),
}


async def test_poison_messages_are_dead_lettered_with_their_reasons_and_the_rest_flow_once(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    async with running_cases(nats_server, nc, tmp_path, database) as (runtime, app):
        js = nc.jetstream()
        good = []
        position = 0
        # Given poison messages interleaved with good ones on visits.contact_made.v1
        for name, (make, _) in POISON.items():
            for _ in range(2):
                position += 1
                event = contact_made()
                good.append(event)
                await publish(nc, wire(event, position), f"good-{position}")
            position += 1
            await publish(nc, make(position), f"poison-{name}")
        last = (await js.stream_info("VISITS")).state.last_seq

        # When the consumer has worked through them, Then its ack floor reaches the end
        async def caught_up() -> bool:
            try:
                info = await js.consumer_info("VISITS", "cases-from-visits")
            except NotFoundError:  # not made yet
                return False
            return info.ack_floor.stream_seq == last and info.num_ack_pending == 0

        await eventually(caught_up, message="the ack floor at the end of the stream")
        # And each poison message is in the dead-letter stream, with its reason
        dead = await eventually(lambda: stream_messages(nc, "DEADLETTER"), message="dead letters")
        reasons = [m.headers["Waymark-Dead-Letter-Reason"] for m in dead]
        assert len(dead) == len(POISON)
        for reason, (_, expected) in zip(reasons, POISON.values(), strict=True):
            assert expected in reason
            assert "Maria" not in reason and "NESTED" not in reason
        # And every good one was applied exactly once
        assert all(journey_exists(app, event.contact_id) for event in good)
        assert app.max_notification_id() == 2 * len(good)  # opened + contact, once each
        assert runtime.consumers[0].dead_lettered == len(POISON)
        assert runtime.consumers[0].running


async def test_a_handler_failure_no_retry_can_cure_is_dead_lettered_not_retried(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, monkeypatch
) -> None:
    async with running_cases(nats_server, nc, tmp_path, database) as (_, app):
        original = app.record_contact_from_visit
        calls = {"poison": 0}
        poison, fine = contact_made(), contact_made()

        def record(*args, **kwargs):
            if kwargs["contact_id"] == poison.contact_id:
                calls["poison"] += 1
                raise OverflowError("Python int too large to convert to SQLite INTEGER")
            return original(*args, **kwargs)

        monkeypatch.setattr(app, "record_contact_from_visit", record)
        # Given a message whose handling overflows, then a good one
        await publish(nc, wire(poison, 1), "visits:1")
        await publish(nc, wire(fine, 2), "visits:2")
        # Then the good one is applied and the other dead-lettered after one attempt
        await eventually(lambda: journey_exists(app, fine.contact_id), message="good applied")
        dead = await eventually(lambda: stream_messages(nc, "DEADLETTER"), message="DLQ")
        assert dead[0].headers["Waymark-Dead-Letter-Reason"] == "failed: OverflowError"
        assert calls["poison"] == 1
