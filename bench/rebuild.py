"""How fast a read model is rebuilt, beside what the event-store library decodes.

    python -m bench.rebuild [events]          # default 120,000 events, SQLite

Builds a cases log of realistic journeys (a contact from a visit, her registration with a
pseudonym, needs and risk assessed with notes, meetings with notes, appointments, a referral;
every note and pseudonym sealed with her own key) and then, each on a fresh application (cold
key cache, as a ``waymark rebuild`` run would start):

- the library's raw decode rate (its own ``Mapper``, personal fields left sealed);
- decode with decryption (Waymark's ``PersonalDataMapper``, every personal field opened);
- Waymark's rebuild of the caseload (``shared.admin.rebuild``, shadow tables, then the swap),

and prints the rebuild ÷ decode-with-decryption ratio (target ≥ 0.5) and the time 1 M events
would take at that rate (target < 40 s).
"""

from __future__ import annotations

import base64
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, Notification

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from services.cases.main import assemble
from services.cases.values import RiskLevel
from shared.admin.rebuild import Rebuild
from shared.runtime import Stores, open_stores
from shared.settings import ServiceName, Settings
from shared.storage.projection import Projection

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
READ_BATCH = 5_000


def settings_in(var_dir: Path, key: str) -> Settings:
    return Settings(service=ServiceName.CASES, var_dir=var_dir, master_key=key, log_json=False)  # type: ignore[arg-type]


def journey(n: int, at: datetime) -> Journey:
    """About a dozen events, seven of them with sealed personal fields."""
    j = Journey.register_new(uuid4(), f"R-{n:06d}", ["ro", "en"], n % 3 == 0, at, "cw-1")
    j.record_contact(uuid4(), uuid4(), "ro", at, "outreach")
    j.assign_caseworker(f"cw-{n % 40}", at, "cw-lead")
    j.assess_needs(["housing", "health"], f"needs notes for {n}: " + "x" * 120, at, "cw-1")
    j.assess_risk(RiskLevel.MEDIUM, [], f"risk notes {n} " + "y" * 80, at, "cw-1")
    for m in range(3):
        j.record_meeting(uuid4(), "coffee", f"meeting {m} of {n}: " + "z" * 150, at, "cw-1")
    appointment = uuid4()
    j.schedule_appointment(appointment, "gp", at + timedelta(days=3), n % 2 == 0, at, "cw-1")
    j.record_contact(uuid4(), uuid4(), "en", at + timedelta(days=7), "outreach")
    return j


def build_log(app: CasesApplication, events: int) -> None:
    n = 0
    while app.max_notification_id() < events:
        app.save(*(journey(n + i, T0 + timedelta(minutes=n + i)) for i in range(50)))
        n += 50


@dataclass
class Rate:
    wall: float  # events per second of wall time
    cpu: float  # events per second of this process's CPU time (all its threads)


class Clock:
    """Wall and CPU time together: the CPU figure holds when other work shares the machine."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def rate(self, label: str, events: int) -> Rate:
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        measured = Rate(events / wall, events / cpu)
        print(
            f"  {label:<46} {measured.wall:>9,.0f} ev/s wall {measured.cpu:>9,.0f} ev/s CPU"
            f"  ({events:,} events, {wall:.2f} s wall, {cpu:.2f} s CPU)"
        )
        return measured


def decode_all(app: CasesApplication, decode: Callable[..., object], label: str) -> Rate:
    clock = Clock()
    after, count = 0, 0
    while True:
        batch = app.recorder.select_notifications(
            start=after, limit=READ_BATCH, inclusive_of_start=False
        )
        if not batch:
            return clock.rate(label, count)
        for notification in batch:
            decode(notification)
        count += len(batch)
        after = batch[-1].id


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 120_000
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_in(Path(tmp) / "var", key)

        def fresh() -> tuple[Stores, CasesApplication, list[Projection]]:
            stores = open_stores(settings)
            parts = assemble(stores)
            assert isinstance(parts.application, CasesApplication)
            return stores, parts.application, list(parts.projections)

        stores, app, _ = fresh()
        started = time.perf_counter()
        build_log(app, events)
        stored = app.max_notification_id()
        print(f"Built {stored:,} events in {time.perf_counter() - started:.1f} s (SQLite)")
        app.close()
        stores.close()

        stores, app, _ = fresh()
        plain = Mapper(transcoder=app.mapper.transcoder)
        raw = decode_all(app, plain.to_domain_event, "library decode (fields left sealed)")
        app.close()
        stores.close()

        stores, app, _ = fresh()
        opened = decode_all(app, app.mapper.to_domain_event, "decode with decryption")
        app.close()
        stores.close()

        stores, app, projections = fresh()
        caseload = next(p for p in projections if p.name == "caseload")
        clock = Clock()
        progress = Rebuild(caseload).run()
        ours = clock.rate("waymark rebuild of the caseload", progress.position)
        app.close()
        stores.close()

        # The caseload's own SQL, on events decoded beforehand: what no reader can take away.
        stores, app, projections = fresh()
        caseload = next(p for p in projections if p.name == "caseload")
        decoded: list[tuple[Notification, DomainEventProtocol[UUID]]] = []
        last = 0
        while last < stored:
            batch, last = caseload.read_upto(last, stored)
            decoded += batch
        # Into shadow tables, without indexes, as a rebuild folds.
        shadow = type(caseload)(app, caseload.store, caseload.positions, shadow_suffix="__bench")
        clock = Clock()
        shadow.apply_batch(decoded, stored, 0)
        fold = clock.rate("  of which the caseload's own SQL (fold alone)", stored)
        app.close()
        stores.close()
        for kind in ("wall", "cpu"):
            o, r, d, f = (getattr(x, kind) for x in (ours, raw, opened, fold))
            print(
                f"  by {kind} time: rebuild ÷ library decode {o / r:.2f}; ÷ decode with"
                f" decryption {o / d:.2f} (target ≥ 0.5); 1 M events {1e6 / o:.0f} s (target"
                f" < 40 s); per event {1e6 / o:.0f} µs ≈ read+decode {1e6 / d:.0f} µs"
                f" + the caseload's SQL {1e6 / f:.0f} µs"
            )


if __name__ == "__main__":
    main()
