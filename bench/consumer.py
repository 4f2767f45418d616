"""The cases consumer against a bare JetStream ``fetch`` + ``ack`` loop, in one run.

    python -m bench.consumer [--messages 3000] [--runs 3] [--postgres DSN]

The visits stream is filled with ``ContactMade`` messages as the visits relay publishes them
(each opens a woman's journey in cases: two events). Then, alternately, ``--runs`` times:

* **raw**: a durable pull consumer that fetches batches of ``consumer_batch_size`` and acks
  each message — what NATS and nats-py cost, with no work done;
* **consumer**: the cases service's ``DurableConsumer`` on a fresh store: decode and validate
  each envelope, apply the batch in one transaction with its tracking records, ack after the
  commit;
* **consumer, one transaction per message**: the same with the batch transaction switched off
  (the subscription without its application), for comparison.

It prints msg/s (median) and the ratios to raw. Figures vary with load: run it on a quiet
machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from bench.report import Clock, Figures, against_raw_arguments, print_against_raw, scratch_nats
from services.cases.application import CasesApplication
from services.cases.integration import inbound
from shared.contracts import ContactMadeV1
from shared.contracts.envelope import encode
from shared.contracts.streams import VISITS_STREAM
from shared.logging import configure_logging
from shared.messaging.connection import NatsConnection
from shared.messaging.consumer import DurableConsumer
from shared.messaging.streams import ensure_streams
from shared.runtime import open_stores
from shared.settings import ServiceName, Settings
from tests.support import drop_schemas, make_settings, unique_schema_prefix

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def contact_made(position: int) -> bytes:
    event = ContactMadeV1(
        contact_id=uuid4(), visit_id=uuid4(), language="ro", occurred_at=T0, recorded_at=T0
    )
    return encode(
        event, service="visits", origin=event.visit_id, version=2, position=position, time=T0
    )


async def fill(nats: NatsConnection, settings: Settings, count: int) -> None:
    js = await nats.jetstream()
    await ensure_streams(js, (VISITS_STREAM,), settings)
    acks = [
        await js.publish_async(
            ContactMadeV1.subject, contact_made(n), headers={"Nats-Msg-Id": f"visits:{n}"}
        )
        for n in range(1, count + 1)
    ]
    await asyncio.gather(*acks)


async def run_raw(
    nats: NatsConnection, settings: Settings, count: int, run: int
) -> tuple[float, float]:
    js = await nats.jetstream()
    durable = f"raw-{run}"
    config = ConsumerConfig(
        durable_name=durable,
        ack_policy=AckPolicy.EXPLICIT,
        max_ack_pending=settings.consumer_batch_size,
        filter_subject=ContactMadeV1.subject,
    )
    await js.add_consumer(VISITS_STREAM.name, config)
    subscription = await js.pull_subscribe_bind(durable=durable, stream=VISITS_STREAM.name)
    clock, seen = Clock(), 0
    while seen < count:
        for message in await subscription.fetch(settings.consumer_batch_size, timeout=5):
            await message.ack()
            seen += 1
    timing = clock.read()
    await subscription.unsubscribe()
    return timing


async def run_consumer(
    nats: NatsConnection, base: Settings, count: int, run: int, together: bool, dsn: str | None
) -> tuple[float, float]:
    overrides: dict[str, Any] = {}
    if dsn:
        overrides = {"database_url": dsn, "schema_prefix": unique_schema_prefix()}
    settings = make_settings(
        ServiceName.CASES,
        base.var_dir / f"cases-{run}-{together}",
        nats_url=base.nats_servers[0],
        **overrides,
    )
    stores = open_stores(settings)
    app = CasesApplication(env=stores.event_store_env, keyring=stores.keyring)
    subscription = inbound(app)
    if not together:
        subscription = dataclasses.replace(subscription, application=None)
    js = await nats.jetstream()
    with contextlib.suppress(NotFoundError):
        await js.delete_consumer(VISITS_STREAM.name, subscription.durable)
    consumer = DurableConsumer(nats, subscription, settings)
    clock = Clock()
    task = asyncio.create_task(consumer.run())
    while consumer.applied < count:  # noqa: ASYNC110 - polls the consumer's own counter
        await asyncio.sleep(0.005)
    timing = clock.read()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert app.max_notification_id() == 2 * count  # opened + contact, once each
    app.close()
    stores.close()
    if dsn:
        drop_schemas(dsn, overrides["schema_prefix"])
    return timing


async def main(args: argparse.Namespace) -> None:
    figures = Figures(
        raw="raw fetch + ack",
        batch="consumer, one transaction per batch",
        single="consumer, one per message",
    )
    with scratch_nats() as (tmp, server):
        settings = make_settings(ServiceName.CASES, tmp / "var", nats_url=server.url)
        configure_logging(settings)  # as a service logs (INFO)
        nats = NatsConnection(settings, "bench-consumer")
        await nats.start()
        await fill(nats, settings, args.messages)
        for run in range(args.runs):
            timings = {"raw": await run_raw(nats, settings, args.messages, run)}
            for kind, together in (("batch", True), ("single", False)):
                timings[kind] = await run_consumer(
                    nats, settings, args.messages, run, together, args.postgres
                )
            for kind, (seconds, cpu_seconds) in timings.items():
                figures.record(kind, args.messages, seconds, cpu_seconds)
        await nats.close()
    store = "PostgreSQL" if args.postgres else "SQLite"
    print_against_raw(
        figures, f"{args.messages} ContactMade messages per run, {args.runs} runs, {store}"
    )


if __name__ == "__main__":
    asyncio.run(main(against_raw_arguments(__doc__, messages=3000)))
