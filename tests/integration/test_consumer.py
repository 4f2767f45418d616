"""The durable consumer against a real nats-server: once, in order, and never stuck."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from nats.aio.client import Client

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from services.cases.main import assemble
from shared.contracts import ContactMadeV1
from shared.contracts.envelope import encode
from shared.contracts.streams import VISITS_STREAM
from shared.messaging.streams import ensure_streams
from shared.nats_server import NatsServer
from shared.runtime import Runtime
from shared.settings import ServiceName
from tests.integration.harness import eventually, journey_exists, start_runtime, stream_messages
from tests.support import make_settings

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def contact_made(contact_id=None) -> ContactMadeV1:
    return ContactMadeV1(
        contact_id=contact_id or uuid4(),
        visit_id=uuid4(),
        language="ro",
        occurred_at=T0,
        recorded_at=T0,
    )


async def publish(
    nc: Client, payload: bytes, msg_id: str, subject: str = "visits.contact_made.v1"
) -> None:
    await nc.jetstream().publish(subject, payload, headers={"Nats-Msg-Id": msg_id})


async def cases_runtime(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, **overrides
) -> Runtime:
    await ensure_streams(
        nc.jetstream(), (VISITS_STREAM,), make_settings(ServiceName.CASES, tmp_path)
    )
    return await start_runtime(
        ServiceName.CASES, assemble, tmp_path / "var", nats_server.url, database, **overrides
    )


async def test_a_message_delivered_twice_has_one_effect(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    runtime = await cases_runtime(nats_server, nc, tmp_path, database)
    try:
        app = runtime.app
        assert isinstance(app, CasesApplication)
        event = contact_made()
        payload = encode(event, service="visits", position=1, time=T0)
        await publish(nc, payload, "visits:1")
        await eventually(lambda: journey_exists(app, event.contact_id), message="journey")
        events_before = app.max_notification_id()
        # The same upstream event again, past JetStream's de-duplication (another msg id).
        await publish(nc, payload, "replayed-copy")
        await eventually(lambda: runtime.consumers[0].applied >= 2, message="second delivery")
        assert app.max_notification_id() == events_before
        assert app.get_journey(Journey.create_id(event.contact_id)).version == 2
    finally:
        await runtime.stop()


async def test_a_malformed_message_is_dead_lettered_with_its_reason_and_the_loop_goes_on(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    runtime = await cases_runtime(nats_server, nc, tmp_path, database)
    try:
        app = runtime.app
        assert isinstance(app, CasesApplication)
        await publish(nc, b"this is not a cloud event", "bad-1")
        good = contact_made()
        await publish(nc, encode(good, service="visits", position=2, time=T0), "visits:2")
        await eventually(lambda: journey_exists(app, good.contact_id), message="good applied")
        dead = await eventually(lambda: stream_messages(nc, "DEADLETTER"), message="DLQ")
        assert len(dead) == 1
        assert dead[0].subject == "deadletter.cases-from-visits"
        assert dead[0].data == b"this is not a cloud event"
        assert "CloudEvents" in dead[0].headers["Waymark-Dead-Letter-Reason"]
        assert dead[0].headers["Waymark-Original-Subject"] == "visits.contact_made.v1"
        assert runtime.consumers[0].running
    finally:
        await runtime.stop()


async def test_an_event_claiming_another_source_is_dead_lettered(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    runtime = await cases_runtime(nats_server, nc, tmp_path, database)
    try:
        forged = encode(contact_made(), service="cases", position=1, time=T0)
        await publish(nc, forged, "forged")
        dead = await eventually(lambda: stream_messages(nc, "DEADLETTER"), message="DLQ")
        assert "source" in dead[0].headers["Waymark-Dead-Letter-Reason"]
    finally:
        await runtime.stop()


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
        await publish(
            nc, encode(event, service="visits", position=position, time=T0), f"visits:{position}"
        )
    return events


async def test_a_transient_failure_is_retried_in_place_and_order_is_kept(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, monkeypatch
) -> None:
    runtime = await cases_runtime(nats_server, nc, tmp_path, database)
    try:
        app = runtime.app
        assert isinstance(app, CasesApplication)
        left = flaky(app, monkeypatch, failures=2)
        events = await publish_contacts(nc, 3)
        await eventually(
            lambda: all(journey_exists(app, e.contact_id) for e in events),
            within=20,
            message="all applied after retries",
        )
        assert left["failures"] == 0
        opened = [app.get_journey(Journey.create_id(e.contact_id)).created_on for e in events]
        assert opened == sorted(opened)
        assert runtime.consumers[0].dead_lettered == 0
    finally:
        await runtime.stop()


async def test_a_failure_that_outlasts_the_inline_retries_is_redelivered_and_applied_once(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, monkeypatch
) -> None:
    runtime = await cases_runtime(nats_server, nc, tmp_path, database, consumer_inline_attempts=1)
    try:
        app = runtime.app
        assert isinstance(app, CasesApplication)
        left = flaky(app, monkeypatch, failures=3)
        events = await publish_contacts(nc, 4)
        await eventually(
            lambda: all(journey_exists(app, e.contact_id) for e in events),
            within=30,
            message="all applied after redelivery",
        )
        assert left["failures"] == 0
        assert app.max_notification_id() == 2 * len(events)  # opened + contact, once each
        assert runtime.consumers[0].dead_lettered == 0
    finally:
        await runtime.stop()
