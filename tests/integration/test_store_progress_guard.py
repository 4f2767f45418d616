"""A consumer never resumes on a store that did not receive what it has acknowledged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client

from services.cases.application import CasesApplication
from services.cases.main import assemble
from shared.contracts.streams import VISITS_STREAM
from shared.messaging.progress_guard import StoreBehindConsumer
from shared.messaging.streams import ensure_streams
from shared.nats_server import NatsServer
from shared.runtime import Runtime
from shared.settings import ServiceName
from tests.integration.harness import eventually, journey_exists, start_runtime
from tests.integration.test_consumer import contact_made, publish, wire
from tests.support import make_settings

DURABLE = "cases-from-visits"
Database = tuple[str | None, str | None]


def another_store(database: Database) -> Database:
    url, prefix = database
    return url, (prefix + "b" if prefix else None)  # dropped with the first: same prefix


async def acknowledged(nc: Client) -> int:
    info = await nc.jetstream().consumer_info(VISITS_STREAM.name, DURABLE)
    return info.ack_floor.stream_seq if info.ack_floor else 0


async def fed_by_three_messages(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database: Database
) -> None:
    """Given store A, whose consumer applied and acknowledged three messages."""
    await ensure_streams(
        nc.jetstream(), (VISITS_STREAM,), make_settings(ServiceName.CASES, tmp_path)
    )
    runtime = await start_runtime(
        ServiceName.CASES, assemble, tmp_path / "a", nats_server.url, database
    )
    try:
        app = runtime.app
        assert isinstance(app, CasesApplication)
        events = [contact_made() for _ in range(3)]
        for position, event in enumerate(events, start=1):
            payload = wire(event, position)
            await publish(nc, payload, f"visits:{position}")
        for event in events:
            await eventually(lambda e=event: journey_exists(app, e.contact_id), message="journey")
        await eventually(lambda: _at_least(nc, 3), message="three acknowledgements")
    finally:
        await runtime.stop()


async def _at_least(nc: Client, count: int) -> bool:
    return await acknowledged(nc) >= count


async def test_a_new_empty_store_is_refused_when_the_durable_has_made_progress(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database: Database
) -> None:
    await fed_by_three_messages(nats_server, nc, tmp_path, database)
    await publish(nc, wire(contact_made(), 4), "visits:4")
    # When the service restarts on a new, empty store B
    with pytest.raises(StoreBehindConsumer) as refusal:
        await start_runtime(
            ServiceName.CASES, assemble, tmp_path / "b", nats_server.url, another_store(database)
        )
    # Then it says why and what to do, and acknowledges nothing more into the wrong store
    reason = str(refusal.value)
    assert DURABLE in reason and "sequence 3" in reason
    assert "WAYMARK_DATABASE_URL" in reason and "ALLOW_EMPTY_STORE" in reason
    assert await acknowledged(nc) == 3


async def test_the_same_store_resumes_and_an_explicit_override_accepts_a_new_one(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database: Database
) -> None:
    await fed_by_three_messages(nats_server, nc, tmp_path, database)
    await publish(nc, wire(contact_made(), 4), "visits:4")
    started: list[Runtime[Any, Any]] = []
    try:
        # The real store resumes where it was…
        started.append(
            await start_runtime(
                ServiceName.CASES, assemble, tmp_path / "a", nats_server.url, database
            )
        )
        await eventually(lambda: _at_least(nc, 4), message="the fourth acknowledgement")
        await started.pop().stop()
        # …and a new store is accepted only when someone says so.
        runtime = await start_runtime(
            ServiceName.CASES,
            assemble,
            tmp_path / "b",
            nats_server.url,
            another_store(database),
            allow_empty_store_with_consumer_progress=True,
        )
        started.append(runtime)
        assert runtime.refused == {}
        await eventually(lambda: runtime.consumers[0].running, message="the consumer running")
    finally:
        for runtime in started:
            await runtime.stop()


async def test_a_consumer_that_meets_nats_only_later_checks_before_it_consumes(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database: Database
) -> None:
    await fed_by_three_messages(nats_server, nc, tmp_path, database)
    await publish(nc, wire(contact_made(), 4), "visits:4")
    await nc.close()
    nats_server.stop()
    # With NATS down the service starts on store B (it cannot know yet)…
    runtime = await start_runtime(
        ServiceName.CASES, assemble, tmp_path / "b", nats_server.url, another_store(database)
    )
    try:
        nats_server.start()
        # …and its consumer refuses as soon as NATS says how far the durable got.
        reason = await eventually(lambda: runtime.refused.get(DURABLE), message="the refusal")
        assert "WAYMARK_DATABASE_URL" in reason
        assert not runtime.consumers[0].running
        assert runtime.readiness()[f"consumer:{DURABLE}"] is False
        app = runtime.app
        assert isinstance(app, CasesApplication)
        assert app.max_notification_id() == 0
    finally:
        await runtime.stop()
