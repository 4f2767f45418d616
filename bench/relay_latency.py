"""Commit → publish in the visits service's background work: how long after a visit commits
its messages are handed to JetStream, while JetStream's acknowledgements come ``--ack-ms`` late.

In one process, as a visits service runs it: the visits application, its projections and its
relay behind one ``LogReader``. JetStream is a stand-in that notes when each message was
published and acknowledges it ``--ack-ms`` later, so what is measured is the service's own path
(the wake-up, the read, the translation, the hops to worker threads), not NATS. Visits are
recorded on a fixed schedule (``--rate`` a second for ``--seconds``) from a worker thread, and
``--busy`` threads of plain Python work stand for the requests that share the GIL in a real
service. It prints the median, p90, p99 and max of commit → published (each visit's contact
messages), and how often the relay left the reader to catch up on its own.

    python -m bench.relay_latency [--rate 100] [--seconds 5] [--ack-ms 3] [--busy 1]

Nothing here asserts a time. Figures: docs/performance.md ("Fifth round").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.visits_e2e import percentiles
from services.visits.main import assemble
from shared.logging import configure_logging
from shared.messaging.relay import Relay
from shared.runtime import open_stores
from shared.settings import ServiceName
from shared.storage.log_follower import LogFollower
from shared.storage.log_reader import LogReader
from tests.support import hour_visit, make_settings


class LateJetStream:
    """Notes when each message is published; acknowledges it ``ack_s`` later."""

    def __init__(self, ack_s: float) -> None:
        self.ack_s = ack_s
        self.published: dict[str, float] = {}

    async def add_stream(self, config: Any) -> None:
        return None

    async def publish_async(self, subject: str, payload: bytes, **kwargs: Any) -> Any:
        self.published.setdefault(kwargs["headers"]["Nats-Msg-Id"], time.perf_counter())
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def acknowledge() -> None:
            if not ack.done():
                ack.set_result(None)

        asyncio.get_running_loop().call_later(self.ack_s, acknowledge)
        return ack


class StandInConnection:
    def __init__(self, js: LateJetStream) -> None:
        self.js = js

    async def jetstream(self) -> LateJetStream:
        return self.js


def busy(stop: threading.Event) -> None:
    """Plain Python work with short pauses, as request handling holds the GIL."""
    while not stop.is_set():
        json.dumps([{"n": n, "s": str(n)} for n in range(200)])
        time.sleep(0.0005)


async def measure(args: argparse.Namespace, root: Path) -> tuple[list[float], int]:
    settings = make_settings(ServiceName.VISITS, root)
    configure_logging(settings)
    stores = open_stores(settings)
    parts = assemble(stores)
    app = parts.application
    assert parts.outbound is not None
    js = LateJetStream(args.ack_ms / 1000)
    relay = Relay(
        app,
        positions=stores.positions,
        connection=StandInConnection(js),  # type: ignore[arg-type]
        stream=parts.outbound.stream,
        translate=parts.outbound.translate,
        event_classes=parts.outbound.event_classes,
        settings=settings,
    )
    followers: list[LogFollower] = [*parts.projections, relay]
    reader = LogReader(
        app,
        stores.positions,
        followers,
        batch_size=max(f.batch_size for f in followers),
        poll_interval=settings.log_poll_interval_s,
    )
    departures = 0
    leave = reader._leave

    def counted_leave(follower: LogFollower) -> None:
        nonlocal departures
        departures += follower is relay
        leave(follower)

    reader._leave = counted_leave  # type: ignore[method-assign]
    committed: dict[str, float] = {}

    def record() -> None:
        start = time.perf_counter()
        for n in range(int(args.rate * args.seconds)):
            delay = start + n / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            visit = app.record_visit(hour_visit("alias"), "bench").visit
            committed[str(visit.id)] = time.perf_counter()

    stop = threading.Event()
    workers = [threading.Thread(target=busy, args=(stop,)) for _ in range(args.busy)]
    task = asyncio.create_task(reader.run())
    try:
        for worker in workers:
            worker.start()
        await asyncio.to_thread(record)
        await asyncio.sleep(1.0)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        task.cancel()
        await asyncio.wait([task])
        app.close()
        stores.close()
    seconds = []
    for msg_id, at in js.published.items():
        _, visit_id, version = msg_id.split(":")[:3]
        if visit_id in committed and version == "2":  # the contact's messages (v1 and v2)
            seconds.append(at - committed[visit_id])
    return seconds, departures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100, help="visits a second")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--ack-ms", type=float, default=3, help="how late JetStream acks")
    parser.add_argument("--busy", type=int, default=1, help="threads of plain Python work")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
        seconds, departures = asyncio.run(measure(args, Path(tmp)))
    figures = percentiles(seconds)
    print(
        f"{args.rate:g} visits/s for {args.seconds:g} s, acks {args.ack_ms:g} ms late,"
        f" {args.busy} busy thread(s): commit → published (ms, n={len(seconds)}): "
        + "  ".join(f"{k} {v:.1f}" for k, v in figures.items())
        + f"; the relay left the reader {departures} times"
    )
    print(
        json.dumps(
            {
                "bench": "relay_latency",
                **vars(args),
                "departures": departures,
                "ms": {k: round(v, 2) for k, v in figures.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
