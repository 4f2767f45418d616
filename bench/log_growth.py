"""Does a visit cost more when the log is longer? (It must not.)

    python -m bench.log_growth [N]            # default N = 10,000: logs of N and 10N events

For each length it builds a cases log of that many events (journeys opened by visit contacts,
as the cases consumer stores them), brings the service's log reader and all its read models
to the head, then times ``WRITES`` more visit contacts, each stored and then followed through
every projection by the service's one log reader, as ``waymark run`` does. Printed per visit:
wall time and CPU time of the write plus the followers' work, and the span of the log the
followers' queries covered; then the ratio 10N ÷ N (target: 1.0, unchanged).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import Tracking

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from services.cases.main import assemble
from shared.runtime import open_stores
from shared.settings import ServiceName, Settings
from shared.storage.log_reader import LogReader

WRITES = 300
T0 = datetime(2026, 1, 5, 21, tzinfo=UTC)


@dataclass
class PerVisit:
    wall_ms: float
    cpu_ms: float
    log_span: float


def build(app: CasesApplication, events: int) -> None:
    """Journeys opened by contacts, saved 50 at a time (quick to build)."""
    while app.max_notification_id() < events:
        journeys = []
        for _ in range(50):
            journey = Journey(occurred_at=T0, actor="visits", contact_id=uuid4())
            journeys.append(journey)
        app.save(*journeys)


def contact(app: CasesApplication, position: int) -> None:
    app.record_contact_from_visit(uuid4(), uuid4(), "ro", T0, Tracking("visits", position))


async def follow(reader: LogReader, app: CasesApplication) -> None:
    while reader.cursor < app.max_notification_id() or reader._catching_up:
        if not await reader.step():
            await asyncio.sleep(0)


async def measure(app: CasesApplication, reader: LogReader, span: list[int]) -> PerVisit:
    await reader._start()
    await follow(reader, app)  # the backlog: not measured
    span.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(WRITES):
        contact(app, 10_000_000 + n)
        await follow(reader, app)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return PerVisit(wall * 1000 / WRITES, cpu * 1000 / WRITES, sum(span) / WRITES)


def run(events: int, var_dir: Path, key: str) -> PerVisit:
    settings = Settings(service=ServiceName.CASES, var_dir=var_dir, master_key=key, log_json=False)  # type: ignore[arg-type]
    stores = open_stores(settings)
    parts = assemble(stores)
    app = parts.application
    assert isinstance(app, CasesApplication)
    try:
        build(app, events)
        span: list[int] = []
        select = app.recorder.select_notifications

        def counted(start: Any, limit: int, stop: Any = None, topics: Any = (), **kw: Any) -> Any:
            end = stop if stop is not None else app.max_notification_id()
            span.append(max(0, end - (start or 0)))
            return select(start, limit, stop, topics, **kw)

        app.recorder.select_notifications = counted  # type: ignore[method-assign]
        reader = LogReader(app, stores.positions, parts.projections)
        return asyncio.run(measure(app, reader, span))
    finally:
        app.close()
        stores.close()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for events in (n, 10 * n):
            results[events] = run(events, Path(tmp) / str(events), key)
    print(f"Per visit contact in cases (SQLite, {WRITES} writes, 7 read models, one log reader)")
    print(f"{'log':>10} {'wall ms':>9} {'CPU ms':>8} {'log span read':>14}")
    for events, cost in results.items():
        print(f"{events:>10,} {cost.wall_ms:>9.2f} {cost.cpu_ms:>8.2f} {cost.log_span:>14.1f}")
    short, long = results[n], results[10 * n]
    print(
        f"10N ÷ N: wall {long.wall_ms / short.wall_ms:.2f}, CPU {long.cpu_ms / short.cpu_ms:.2f},"
        f" log span {long.log_span / short.log_span:.2f} (target: 1.0)"
    )


if __name__ == "__main__":
    main()
