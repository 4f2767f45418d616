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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import Mapper

from services.cases.application import CasesApplication
from services.cases.domain import Journey, RiskLevel
from services.cases.main import assemble
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


def rate(label: str, events: int, seconds: float) -> float:
    per_s = events / seconds
    print(f"  {label:<44} {per_s:>10,.0f} ev/s  ({events:,} events in {seconds:.2f} s)")
    return per_s


def decode_all(app: CasesApplication, decode: Callable[..., object]) -> tuple[int, float]:
    started = time.perf_counter()
    after, count = 0, 0
    while True:
        batch = app.recorder.select_notifications(
            start=after, limit=READ_BATCH, inclusive_of_start=False
        )
        if not batch:
            return count, time.perf_counter() - started
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
        raw = rate("library decode (fields left sealed)", *decode_all(app, plain.to_domain_event))
        app.close()
        stores.close()

        stores, app, _ = fresh()
        opened = rate("decode with decryption", *decode_all(app, app.mapper.to_domain_event))
        app.close()
        stores.close()

        stores, app, projections = fresh()
        caseload = next(p for p in projections if p.name == "caseload")
        started = time.perf_counter()
        progress = Rebuild(caseload).run()
        seconds = time.perf_counter() - started
        app.close()
        stores.close()
        ours = rate("waymark rebuild of the caseload", progress.position, seconds)
        print(
            f"  rebuild ÷ library decode {ours / raw:.2f}; ÷ decode with decryption "
            f"{ours / opened:.2f} (target ≥ 0.5)"
        )
        print(f"  1 M events at this rate: {1_000_000 / ours:.1f} s (target < 40 s)")


if __name__ == "__main__":
    main()
