"""The outbox relay against a real nats-server: in order, once, nothing lost while NATS is down."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from nats.aio.client import Client

from services.visits.application import CompletedVisit, VisitsApplication
from services.visits.main import assemble
from shared.nats_server import NatsServer
from shared.runtime import Runtime
from shared.settings import ServiceName
from tests.integration.harness import (
    event_ids_name_their_domain_events,
    eventually,
    exactly,
    start_runtime,
    stream_messages,
)
from tests.support import hour_visit

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def visit(contacts: int) -> CompletedVisit:
    return hour_visit(*(f"Secret alias {n}" for n in range(contacts)))


async def test_committed_events_are_published_in_order_with_their_ids_and_no_alias(
    visits: VisitsApplication, nc: Client
) -> None:
    for contacts in (2, 1):
        visits.record_visit(visit(contacts), actor="v-1")
    # Each contact goes out as v1 and, beside it, v2 (same position, its own message id).
    messages = await eventually(
        lambda: exactly(stream_messages(nc, "VISITS"), 8), message="8 published messages"
    )
    ids = [m.headers["Nats-Msg-Id"] for m in messages]
    positions = [json.loads(m.data)["position"] for m in messages]
    assert positions == sorted(positions) and len(set(ids)) == 8
    assert event_ids_name_their_domain_events(messages)
    made, made_v2, completed = (
        "visits.contact_made.v1",
        "visits.contact_made.v2",
        "visits.visit_completed.v1",
    )
    assert [m.subject for m in messages] == [
        made,
        made_v2,
        made,
        made_v2,
        completed,
        made,
        made_v2,
        completed,
    ]
    assert all(b"Secret alias" not in m.data for m in messages)


async def test_a_relay_that_restarts_from_an_old_position_publishes_nothing_twice(
    visits_runtime: Runtime, visits: VisitsApplication, nc: Client
) -> None:
    visits.record_visit(visit(3), actor="v-1")
    await eventually(lambda: exactly(stream_messages(nc, "VISITS"), 7), message="7 messages")
    relay = visits_runtime.relay
    assert relay is not None
    await eventually(
        lambda: (
            relay.in_flight == 0 and relay.acknowledged_position() == visits.max_notification_id()
        ),
        message="the position recorded",
    )
    # As if the relay crashed after publishing but before saving its position.
    visits_runtime.stores.positions.reset("relay")
    published_before = visits_runtime.relay.published
    await eventually(
        lambda: visits_runtime.relay.published >= published_before + 7,
        message="the batch published again",
    )
    assert len(await stream_messages(nc, "VISITS")) == 7


async def test_writes_succeed_while_nats_is_down_and_are_all_published_after(
    tmp_path: Path, database
) -> None:
    from shared.nats_server import free_port

    server = NatsServer(tmp_path / "nats", free_port())
    runtime = await start_runtime(
        ServiceName.VISITS, assemble, tmp_path / "var", server.url, database
    )
    try:
        app = runtime.app
        assert isinstance(app, VisitsApplication)
        for _ in range(5):
            app.record_visit(visit(1), actor="v-1")  # NATS has never been up
        assert not runtime.connection.is_connected
        server.start()
        import nats

        client = await nats.connect(server.url)
        try:
            messages = await eventually(
                lambda: exactly(stream_messages(client, "VISITS"), 15),
                within=30,
                message="15 messages (5 visits: v1, v2, completed) after NATS came up",
            )
            assert len({m.headers["Nats-Msg-Id"] for m in messages}) == 15
        finally:
            await client.close()
    finally:
        await runtime.stop()
        server.stop()
