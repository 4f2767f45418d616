"""How long a journey takes to load, by length, with and without snapshots.

    python -m bench.journey_load

Builds journeys of 10, 1,000 and 10,000 events on a throw-away SQLite store (the events written
in one save per journey, so building is quick) and times ``get_journey`` (best of several loads,
no aggregate cache). With snapshots every ``JOURNEY_SNAPSHOT_INTERVAL`` events a load reads the
latest snapshot (opened with her key) and at most that many events after it.
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
from shared.runtime import Stores, open_stores
from shared.settings import ServiceName, Settings

LENGTHS = (10, 1_000, 10_000)
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


if __name__ == "__main__":
    main()
