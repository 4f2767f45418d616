"""How long a journey takes to load, by length, with and without snapshots; and her detail.

    python -m bench.journey_load

Builds journeys of 10, 100, 1,000 and 10,000 events on a throw-away SQLite store (the events
written in one save per journey, so building is quick) and times ``get_journey`` (best of several
loads, no aggregate cache). With snapshots every ``JOURNEY_SNAPSHOT_INTERVAL`` events a load reads
the latest snapshot (opened with her key) and at most that many events after it.

Then the journey detail (``GET /journeys/{id}``): folded from every event (what the first read
costs), kept and read again with nothing new (``KeptDetails``), and kept with one new event
stored since; each against the library's own load of the journey from its snapshot.
"""

from __future__ import annotations

import base64
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

from services.cases.application import JOURNEY_SNAPSHOT_INTERVAL, CasesApplication
from services.cases.domain import Journey
from services.cases.queries.journey_detail.detail import journey_detail
from shared.runtime import Stores, open_stores
from shared.settings import ServiceName, Settings

LENGTHS = (10, 100, 1_000, 10_000)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class WithoutSnapshots(CasesApplication):
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}


def stores_in(var_dir: Path) -> Stores:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(service=ServiceName.CASES, var_dir=var_dir, master_key=key, log_json=False)  # type: ignore[arg-type]
    return open_stores(settings)


def journey_of(app: CasesApplication, length: int) -> UUID:
    journey_id = uuid4()
    journey = Journey.register_new(journey_id, "R-1", ["ro"], False, T0, "cw-1")
    while journey.version < length:
        n = journey.version
        journey.correct_pseudonym(f"R-{n}", T0 + timedelta(minutes=n), "cw-1")
    app.save(journey)
    return journey_id


def load_time(app: CasesApplication, journey_id: UUID, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        app.get_journey(journey_id)
        best = min(best, time.perf_counter() - started)
    return best


def best_of(repeats: int, read: Any) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        read()
        best = min(best, time.perf_counter() - started)
    return best


def detail_times(app: CasesApplication, journey_id: UUID, repeats: int) -> dict[str, float]:
    events = app.repository.event_store
    folded = best_of(repeats, lambda: journey_detail(events.get(journey_id)))
    app.journey_detail(journey_id)  # kept from here on
    kept = best_of(repeats, lambda: app.journey_detail(journey_id))
    one_more = float("inf")
    for n in range(repeats):
        journey = app.get_journey(journey_id)
        journey.correct_pseudonym(f"R-new-{n}", T0 + timedelta(days=30, minutes=n), "cw-1")
        app.save(journey)
        one_more = min(one_more, best_of(1, lambda: app.journey_detail(journey_id)))
    return {"folded": folded, "kept": kept, "kept + 1 new": one_more}


def detail_report(app: CasesApplication) -> None:
    print("\nJourney detail (GET /journeys/{id}), ms, best of several, against the library's load")
    print(f"{'events':>8} {'library load':>13} {'folded':>8} {'kept':>7} {'kept + 1 new':>13}")
    for length in LENGTHS:
        journey_id = journey_of(app, length)
        repeats = 5 if length < 10_000 else 3
        load = load_time(app, journey_id, repeats)
        times = detail_times(app, journey_id, repeats)
        cells = " ".join(
            f"{times[k] * 1000:>{w}.2f} ({load / times[k]:.2f})"
            for k, w in (("folded", 7), ("kept", 6), ("kept + 1 new", 7))
        )
        print(f"{length:>8} {load * 1000:>12.2f} {cells}")
    print("(in brackets: the library's load ÷ that read; 1.0 is as fast as the library)")


def main() -> None:
    results: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, cls in (("snapshots", CasesApplication), ("no snapshots", WithoutSnapshots)):
            stores = stores_in(Path(tmp) / label.replace(" ", "_"))
            app = cls(
                env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
            )
            try:
                for length in LENGTHS:
                    journey_id = journey_of(app, length)
                    results[(label, length)] = load_time(
                        app, journey_id, 5 if length < 10_000 else 3
                    )
            finally:
                app.close()
                stores.close()
    print(
        f"Journey load time (SQLite, best of several; snapshot every {JOURNEY_SNAPSHOT_INTERVAL})"
    )
    print(f"{'events':>8} {'snapshots':>12} {'no snapshots':>14} {'speed-up':>9}")
    for length in LENGTHS:
        with_s, without = results[("snapshots", length)], results[("no snapshots", length)]
        speed_up = without / with_s
        print(f"{length:>8} {with_s * 1000:>10.2f}ms {without * 1000:>12.2f}ms {speed_up:>8.1f}x")
    short = results[("snapshots", LENGTHS[0])]
    longest = results[("snapshots", LENGTHS[-1])]
    plain = results[("no snapshots", LENGTHS[-1])] / results[("no snapshots", LENGTHS[0])]
    print(
        f"10,000-event journey ÷ 10-event journey, with snapshots: {longest / short:.1f}x;"
        f" without: {plain:.1f}x"
    )
    with tempfile.TemporaryDirectory() as tmp:
        stores = stores_in(Path(tmp))
        app = CasesApplication(
            env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
        )
        try:
            detail_report(app)
        finally:
            app.close()
            stores.close()


if __name__ == "__main__":
    main()
