"""The relay's and the consumers' metrics move with real NATS traffic: published position and
count, consumer backlog, applied, redelivered and dead-lettered messages."""

from __future__ import annotations

from pathlib import Path

from nats.aio.client import Client
from nats.aio.msg import Msg
from prometheus_client import REGISTRY

from services.visits.application import VisitsApplication
from services.visits.main import assemble as assemble_visits
from shared.nats_server import NatsServer
from shared.settings import ServiceName
from tests.integration.harness import eventually, journey_exists, start_runtime
from tests.integration.test_consumer import contact_made, publish, running_cases, wire
from tests.integration.test_relay import visit

CONSUMER = {"consumer": "cases-from-visits"}


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_relay_reports_what_it_published_and_the_log_head(
    nats_server: NatsServer, tmp_path: Path, database
) -> None:
    service = {"service": "visits"}
    published_before = sample("waymark_relay_published_events_total", service)
    runtime = await start_runtime(
        ServiceName.VISITS, assemble_visits, tmp_path / "var", nats_server.url, database
    )
    try:
        app = runtime.app
        assert isinstance(app, VisitsApplication)
        app.record_visit(visit(2), actor="v-1")
        head = app.max_notification_id()
        assert sample("waymark_log_head_position", service) == head
        # Two contacts (each as v1 and v2) and the visit itself.
        await eventually(
            lambda: sample("waymark_relay_published_events_total", service) - published_before >= 5,
            message="five events published",
        )
        assert sample("waymark_relay_published_position", service) == head
    finally:
        await runtime.stop()


async def test_a_consumer_reports_its_backlog_applied_and_dead_lettered_messages(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    applied = sample("waymark_consumer_applied_total", CONSUMER)
    dead = sample("waymark_dead_letters_total", CONSUMER)
    async with running_cases(nats_server, nc, tmp_path, database) as (_, app):
        await publish(nc, b"this is not a cloud event", "bad-1")
        good = contact_made()
        await publish(nc, wire(good, 2), "visits:2")
        await eventually(lambda: journey_exists(app, good.contact_id), message="good applied")
        await eventually(
            lambda: sample("waymark_consumer_applied_total", CONSUMER) == applied + 1,
            message="one applied",
        )
        assert sample("waymark_dead_letters_total", CONSUMER) == dead + 1
        # The last message fetched had nothing behind it.
        assert REGISTRY.get_sample_value("waymark_consumer_pending_messages", CONSUMER) == 0


async def test_a_redelivered_message_is_counted(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, monkeypatch
) -> None:
    redelivered = sample("waymark_consumer_redeliveries_total", CONSUMER)
    good = contact_made()
    # Given a process that applied a message and died before acknowledging it
    original_ack = Msg.ack

    async def lost(self: Msg) -> None:
        return None

    monkeypatch.setattr(Msg, "ack", lost)
    async with running_cases(nats_server, nc, tmp_path, database, consumer_ack_wait_s=1.0) as (
        _,
        app,
    ):
        await publish(nc, wire(good, 2), "visits:2")
        await eventually(lambda: journey_exists(app, good.contact_id), message="applied")
    # When the next process takes the durable over, the message comes again and is counted
    monkeypatch.setattr(Msg, "ack", original_ack)
    async with running_cases(nats_server, nc, tmp_path, database, consumer_ack_wait_s=1.0):
        await eventually(
            lambda: sample("waymark_consumer_redeliveries_total", CONSUMER) >= redelivered + 1,
            message="redelivery counted",
        )
