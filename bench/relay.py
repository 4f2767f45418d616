"""The outbox relay against nats-py's own ``publish_async``, on the same payloads, in one run.

    python -m bench.relay [--visits 1500] [--contacts 2] [--runs 3] [--postgres DSN]

A visits store is filled with completed visits; then, alternately, ``--runs`` times:

* **raw**: the relay's exact messages (subjects, payloads, ``Nats-Msg-Id``), already encoded,
  sent with ``js.publish_async`` and every ack awaited — the ceiling for one Python process;
* **relay**: a fresh ``Relay`` catching up the whole log from position 0: it reads and decodes
  the log, translates, publishes with its window of acks in flight, and records its position;
* **relay, given decoded batches**: ``Relay.handle`` fed batches already read and decoded (what
  the relay costs once the service's log reader has decoded a batch for every follower).

The stream is deleted between runs so nothing is de-duplicated. It prints msg/s (median) and
the ratios to raw. Figures vary with load: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from nats.js.errors import NotFoundError

from bench.report import Clock, Figures, against_raw_arguments, print_against_raw, scratch_nats
from services.visits.application import CompletedVisit, VisitsApplication
from services.visits.integration import outbound
from shared.logging import configure_logging
from shared.messaging.connection import NatsConnection
from shared.messaging.relay import Relay
from shared.runtime import open_stores
from shared.settings import ServiceName, Settings
from tests.support import drop_schemas, hour_visit, make_settings, unique_schema_prefix

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
Batch = list[tuple[Notification, DomainEventProtocol[UUID]]]


def visit(contacts: int) -> CompletedVisit:
    return hour_visit(*(f"alias {n}" for n in range(contacts)))


def make_relay(
    app: VisitsApplication, settings: Settings, stores: Any, nats: NatsConnection
) -> Relay:
    out = outbound(app)
    return Relay(
        app,
        positions=stores.positions,
        connection=nats,
        stream=out.stream,
        translate=out.translate,
        event_classes=out.event_classes,
        settings=settings,
    )


async def drop_stream(nats: NatsConnection, name: str) -> None:
    js = await nats.jetstream()
    with contextlib.suppress(NotFoundError):
        await js.delete_stream(name)


async def run_raw(
    nats: NatsConnection, relay: Relay, batches: list[Batch]
) -> tuple[int, float, float]:
    messages = [m for batch in batches for m in relay._translate_batch(batch)]
    await relay.publish(batches[0][:1])  # provisions the stream; deleted again below
    await drop_stream(nats, relay._stream.name)
    js = await nats.jetstream()
    from shared.messaging.streams import ensure_streams

    await ensure_streams(js, (relay._stream,), relay._settings)
    stream = relay._stream.name
    clock = Clock()
    acks = [
        await js.publish_async(
            contract.subject, payload, stream=stream, headers={"Nats-Msg-Id": msg_id}
        )
        for msg_id, contract, payload in messages
    ]
    await asyncio.gather(*acks)
    return len(messages), *clock.read()


async def run_relay(relay: Relay) -> tuple[int, float, float]:
    clock = Clock()
    while await relay.catch_up_once():
        pass
    await relay.flush()
    return relay.published, *clock.read()


async def run_handle(relay: Relay, batches: list[Batch]) -> tuple[int, float, float]:
    clock = Clock()
    for batch in batches:
        await relay.handle(batch, batch[-1][0].id)
    await relay.flush()
    return relay.published, *clock.read()


async def main(args: argparse.Namespace) -> None:
    with scratch_nats() as (tmp, server):
        overrides: dict[str, Any] = {}
        if args.postgres:
            overrides = {"database_url": args.postgres, "schema_prefix": unique_schema_prefix()}
        settings = make_settings(ServiceName.VISITS, tmp / "var", nats_url=server.url, **overrides)
        configure_logging(settings)  # as a service logs (INFO): no debug line per batch
        stores = open_stores(settings)
        app = VisitsApplication(env=stores.event_store_env, keyring=stores.keyring)
        for _ in range(args.visits):
            app.record_visit(visit(args.contacts), actor="bench")
        nats = NatsConnection(settings, "bench-relay")
        await nats.start()
        await nats.jetstream()
        reader = make_relay(app, settings, stores, nats)
        batches: list[Batch] = []
        after = 0
        while batch := reader.read_batch(after):
            batches.append(batch)
            after = batch[-1][0].id
        figures = Figures(
            raw="raw publish_async",
            relay="relay (reads the log)",
            handle="relay (given decoded batches)",
        )
        for _ in range(args.runs):
            count, seconds, cpu_seconds = await run_raw(nats, reader, batches)
            figures.record("raw", count, seconds, cpu_seconds)
            for kind in ("relay", "handle"):
                await drop_stream(nats, reader._stream.name)
                stores.positions.reset("relay")
                relay = make_relay(app, settings, stores, nats)
                if kind == "relay":
                    count, seconds, cpu_seconds = await run_relay(relay)
                else:
                    count, seconds, cpu_seconds = await run_handle(relay, batches)
                figures.record(kind, count, seconds, cpu_seconds)
        await nats.close()
        app.close()
        stores.close()
        if args.postgres:
            drop_schemas(args.postgres, overrides["schema_prefix"])
    store = "PostgreSQL" if args.postgres else "SQLite"
    runs = f"{count} messages per run, {args.runs} runs, {store}"
    print_against_raw(figures, f"{runs}, window {settings.relay_window}")


if __name__ == "__main__":
    asyncio.run(main(against_raw_arguments(__doc__, visits=1500, contacts=2)))
