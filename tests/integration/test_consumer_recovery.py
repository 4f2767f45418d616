"""A consumer that dies with a batch in hand: its messages come back within seconds, first,
and change nothing that was already committed."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from uuid import uuid4

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from shared.contracts import (
    ContactLinkedToPersonV1,
    ContactMadeV1,
    FollowUpOfferedV1,
    PersonIndicatorObservedV1,
    UrgentConcernRaisedV1,
)
from shared.contracts.envelope import encode
from shared.contracts.streams import VISITS_STREAM
from shared.messaging.streams import ensure_streams
from shared.nats_server import NatsServer
from shared.settings import ServiceName
from tests.integration.harness import eventually, journey_exists
from tests.integration.test_consumer import (
    T0,
    contact_made,
    publish,
    publish_contacts,
    running_cases,
    wire,
)
from tests.support import make_settings

ACK_WAIT = 2.0  # seconds: how long a dead consumer's batch stays claimed
#: What the cases service consumes from visits, by subject.
CASES_FROM_VISITS = [
    contract.subject
    for contract in (
        ContactMadeV1,
        PersonIndicatorObservedV1,
        UrgentConcernRaisedV1,
        FollowUpOfferedV1,
        ContactLinkedToPersonV1,
    )
]


def created_on(app: CasesApplication, contact_ids) -> list:
    return [app.get_journey(Journey.create_id(c)).created_on for c in contact_ids]


async def visits_stream(nc: Client, tmp_path: Path) -> None:
    settings = make_settings(ServiceName.CASES, tmp_path)
    await ensure_streams(nc.jetstream(), (VISITS_STREAM,), settings)


async def acknowledged_everything(nc: Client) -> bool:
    js = nc.jetstream()
    last = (await js.stream_info("VISITS")).state.last_seq
    try:
        info = await js.consumer_info("VISITS", "cases-from-visits")
    except NotFoundError:  # not made yet
        return False
    return info.ack_floor.stream_seq == last and info.num_ack_pending == 0


async def test_a_batch_committed_but_never_acknowledged_comes_again_and_changes_nothing(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, monkeypatch
) -> None:
    # Given several messages waiting, so the first fetch takes them as one batch
    await visits_stream(nc, tmp_path)
    events = await publish_contacts(nc, 6)
    # And a consumer whose process dies between the batch's commit and its ack
    original_ack = Msg.ack

    async def lost(self: Msg) -> None:
        return None

    monkeypatch.setattr(Msg, "ack", lost)
    async with running_cases(nats_server, nc, tmp_path, database, consumer_ack_wait_s=ACK_WAIT) as (
        _,
        app,
    ):
        await eventually(
            lambda: all(journey_exists(app, e.contact_id) for e in events), message="committed"
        )
        stored = app.max_notification_id()
    assert stored == 2 * len(events)  # opened + contact, once each

    # When a new process takes over the same durable consumer
    monkeypatch.setattr(Msg, "ack", original_ack)
    async with running_cases(nats_server, nc, tmp_path, database, consumer_ack_wait_s=ACK_WAIT) as (
        runtime,
        app,
    ):
        # Then the whole batch is delivered again and acknowledged
        await eventually(lambda: acknowledged_everything(nc), message="the batch acknowledged")
        assert runtime.consumers[0].applied == len(events)  # each delivered again
        # And nothing was stored twice
        assert app.max_notification_id() == stored
        assert all(app.get_journey(Journey.create_id(e.contact_id)).version == 2 for e in events)


async def test_a_consumer_killed_mid_batch_hands_its_messages_over_in_seconds_and_in_order(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, monkeypatch
) -> None:
    # Given a batch in hand whose first handler is still running when the process dies
    await visits_stream(nc, tmp_path)
    first = await publish_contacts(nc, 5)
    started, release = threading.Event(), threading.Event()
    async with running_cases(nats_server, nc, tmp_path, database, consumer_ack_wait_s=ACK_WAIT) as (
        runtime,
        app,
    ):

        def stuck(*args, **kwargs):
            started.set()
            release.wait(30)
            raise ConnectionError("the process died here")

        monkeypatch.setattr(app, "record_contact_from_visit", stuck)
        await asyncio.to_thread(started.wait, 15)
        assert started.is_set()
        # The process dies: its consumer task is cancelled without committing or acking
        for task in list(runtime._tasks):
            if task.get_name().startswith("consumer:"):
                task.cancel()
        release.set()
        await asyncio.sleep(0.2)
    monkeypatch.undo()

    # And newer messages arrive meanwhile
    later = await publish_later(nc, start=len(first) + 1, count=3)

    # When a new consumer takes over
    async with running_cases(nats_server, nc, tmp_path, database, consumer_ack_wait_s=ACK_WAIT) as (
        _,
        app,
    ):
        began = time.monotonic()
        await eventually(
            lambda: all(journey_exists(app, e.contact_id) for e in first + later),
            within=4 * ACK_WAIT + 5,  # a bound on the wait, not a performance assertion
            message="the dead consumer's batch and the newer messages",
        )
        print(f"handed over after {time.monotonic() - began:.1f} s (ack wait {ACK_WAIT} s)")
        await eventually(lambda: acknowledged_everything(nc), message="all acknowledged")
        # Then nothing was lost or doubled
        assert app.max_notification_id() == 2 * (len(first) + len(later))
        # And the dead consumer's messages were applied before the newer ones
        opened = created_on(app, [e.contact_id for e in first + later])
        assert opened == sorted(opened)


async def publish_later(nc: Client, start: int, count: int):
    events = [contact_made() for _ in range(count)]
    for position, event in enumerate(events, start=start):
        await publish(nc, wire(event, position), f"visits:{position}")
    return events


async def test_a_durable_an_older_release_made_is_updated_in_place_and_goes_on(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    # Given a durable made with the older settings (30 s ack wait, four batches in hand) that
    # has acknowledged two messages
    await visits_stream(nc, tmp_path)
    events = await publish_contacts(nc, 3)
    js = nc.jetstream()
    await js.add_consumer(
        "VISITS",
        ConsumerConfig(
            durable_name="cases-from-visits",
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=30,
            max_deliver=-1,
            max_ack_pending=256,
            filter_subjects=sorted(CASES_FROM_VISITS),
        ),
    )
    old = await js.pull_subscribe_bind(durable="cases-from-visits", stream="VISITS")
    for message in await old.fetch(2, timeout=5):
        await message.ack_sync()
    await old.unsubscribe()
    # When this release starts on it (a new store that accepts the durable's progress)
    async with running_cases(
        nats_server,
        nc,
        tmp_path,
        database,
        consumer_ack_wait_s=ACK_WAIT,
        allow_empty_store_with_consumer_progress=True,
    ) as (_, app):
        # Then it goes on after what was acknowledged, with the new settings
        await eventually(lambda: journey_exists(app, events[2].contact_id), message="the third")
        info = await js.consumer_info("VISITS", "cases-from-visits")
        assert info.config.ack_wait == ACK_WAIT
        assert info.config.max_ack_pending == 64
        assert not journey_exists(app, events[0].contact_id)
        assert not journey_exists(app, events[1].contact_id)


async def test_messages_about_one_journey_in_one_batch_build_on_each_other_once(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    # Given a contact, an indicator about her, and a second contact with her, waiting together
    await visits_stream(nc, tmp_path)
    first = contact_made()
    second = ContactMadeV1(
        contact_id=first.contact_id,
        visit_id=uuid4(),
        language="ro",
        occurred_at=first.occurred_at,
        recorded_at=first.recorded_at,
    )
    indicator = PersonIndicatorObservedV1(
        observation_id=uuid4(),
        visit_id=first.visit_id,
        contact_id=first.contact_id,
        indicator="possible_under_18",
        source="observed",
        occurred_at=first.occurred_at,
        recorded_at=first.recorded_at,
    )
    await publish(nc, wire(first, 1), "visits:1")
    await publish(
        nc,
        encode(indicator, service="visits", origin=first.visit_id, version=3, position=2, time=T0),
        "visits:2",
        subject=PersonIndicatorObservedV1.subject,
    )
    await publish(nc, wire(second, 3), "visits:3")
    # When the consumer takes them as one batch, and then all three again
    async with running_cases(nats_server, nc, tmp_path, database) as (runtime, app):
        await eventually(lambda: acknowledged_everything(nc), message="the batch acknowledged")
        journey = app.get_journey(Journey.create_id(first.contact_id))
        version = journey.version
        for position, payload, subject in (
            (1, wire(first, 1), ContactMadeV1.subject),
            (
                2,
                encode(
                    indicator,
                    service="visits",
                    origin=first.visit_id,
                    version=3,
                    position=2,
                    time=T0,
                ),
                PersonIndicatorObservedV1.subject,
            ),
            (3, wire(second, 3), ContactMadeV1.subject),
        ):
            await publish(nc, payload, f"again:{position}", subject=subject)
        await eventually(lambda: runtime.consumers[0].applied >= 6, message="the copies")
        await eventually(lambda: acknowledged_everything(nc), message="the copies acknowledged")
        # Then her one journey holds both contacts and the indicator, each once
        assert len(journey.contacts) == 2
        assert len(journey.indicators) == 1
        assert app.get_journey(journey.id).version == version == 4  # opened, 2 contacts, 1 sign
        assert runtime.consumers[0].dead_lettered == 0


async def test_a_handler_slower_than_the_ack_wait_keeps_its_batch(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, monkeypatch
) -> None:
    # Given a batch whose first handler takes longer than two ack waits
    async with running_cases(nats_server, nc, tmp_path, database, consumer_ack_wait_s=1.0) as (
        runtime,
        app,
    ):
        original = app.record_contact_from_visit
        slow = {"once": True}

        def record(*args, **kwargs):
            if slow["once"]:
                slow["once"] = False
                time.sleep(2.5)
            return original(*args, **kwargs)

        monkeypatch.setattr(app, "record_contact_from_visit", record)
        events = await publish_contacts(nc, 4)
        await eventually(lambda: acknowledged_everything(nc), message="the batch acknowledged")
        # Then its claim was renewed meanwhile: nothing was delivered twice
        assert runtime.consumers[0].applied == len(events)
        assert app.max_notification_id() == 2 * len(events)
