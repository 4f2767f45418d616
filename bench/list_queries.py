"""How long a page of the caseload, the due list and the referrals board takes, by caseload size.

    python -m bench.list_queries
    python -m bench.list_queries --database-url postgresql://postgres@127.0.0.1:5432/test

Fills the read models of a throw-away cases store with ``--sizes`` journeys (rows written
straight into the tables in one transaction, as the projections would leave them: half the
journeys with an appointment due, most with a contact, one in four with two referrals) and
times, as the routes call them (median of ``--repeats``):

* the first page (``limit=50``, with its ``total``), and the page halfway down reached by its
  cursor (as the routes ask for it: no ``total``) and by ``offset`` (with it);
* the same first page by the query the caseload ran before keyset pagination (a join with every
  open due item grouped by journey, sorted in full), as the reference;
* ``COUNT(*)``, which every page still answers as ``total``.

Nothing here asserts anything about timing; the figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from services.cases.application import CasesApplication
from services.cases.queries.caseload.projection import Caseload
from services.cases.queries.due_items.projection import DueItems
from services.cases.queries.referrals_board.projection import ReferralsBoard
from services.cases.queries.tables import contact_order
from shared.runtime import open_stores
from shared.settings import ServiceName
from shared.storage.sql import to_sql_time
from tests.support import make_settings, unique_schema_prefix

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PAGE = 50
OLD_CASELOAD_PAGE = (
    "SELECT c.*, d.next_due_at FROM {caseload} c LEFT JOIN (SELECT journey_id,"
    " MIN(due_at) AS next_due_at FROM {due} WHERE state = 'open' GROUP BY journey_id) d"
    " ON d.journey_id = c.journey_id WHERE 1 = 1 AND c.status <> %s"
    " ORDER BY (d.next_due_at IS NULL), d.next_due_at, (c.last_contact_at IS NULL),"
    " c.last_contact_at DESC, c.journey_id LIMIT %s OFFSET %s"
)


def median_ms(call: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def fill(views: Any, journeys: int) -> None:
    store = views.store
    caseload, due, board = (store.table(t) for t in ("caseload", "due_items", "referrals_board"))
    with store.transaction() as cursor:
        for n in range(journeys):
            journey = str(uuid4())
            opened = T0 + timedelta(minutes=n)
            contact = None if n % 10 == 0 else opened + timedelta(hours=n % 48)
            due_at = to_sql_time(T0 + timedelta(days=n % 90)) if n % 2 else None
            cursor.execute(
                f"INSERT INTO {caseload} (journey_id, status, registered, caseworker_id,"
                " possible_minor, opened_at, last_contact_at, contact_count, open_referrals,"
                " version, team_id, opened_by, languages, preferred_languages,"
                " interpreter_needed, urgent_concerns, next_due_at, due_order, contact_order)"
                " VALUES (%s, %s, 0, %s, 0, %s, %s, 1, 0, 3, NULL, 'cw-0', '[\"ro\"]', '[]', 0,"
                " 0, %s, %s, %s)",
                (
                    journey,
                    ("new", "assessing", "active", "closed")[n % 4],
                    f"cw-{n % 40}",
                    to_sql_time(opened),
                    None if contact is None else to_sql_time(contact),
                    due_at,
                    "1" if due_at is None else "0" + due_at,
                    contact_order(contact),
                ),
            )
            if due_at is not None:
                cursor.execute(
                    f"INSERT INTO {due} VALUES (%s, %s, 'appointment', 'gp', %s, 'open')",
                    (str(uuid4()), journey, due_at),
                )
            if n % 4 == 1:
                for partner, days in (("housing_charity", n % 30), ("local_gp_practice", 20)):
                    cursor.execute(
                        f"INSERT INTO {board} VALUES (%s, %s, %s, 'housing', %s, 0, %s, %s, %s, 0)",
                        (
                            str(uuid4()),
                            journey,
                            partner,
                            ("made", "acknowledged", "accepted")[n % 3],
                            to_sql_time(opened),
                            to_sql_time(T0 + timedelta(days=days)),
                            to_sql_time(opened),
                        ),
                    )


def measure(root: Path, journeys: int, args: argparse.Namespace, prefix: str) -> dict[str, float]:
    settings = make_settings(
        ServiceName.CASES,
        root / f"n{journeys}",
        database_url=args.database_url,
        schema_prefix=f"{prefix}n{journeys}" if args.database_url else None,
    )
    stores = open_stores(settings)
    app = CasesApplication(
        env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
    )
    try:
        caseload = Caseload(app, stores.views, stores.positions)
        due = DueItems(app, stores.views, stores.positions)
        board = ReferralsBoard(app, stores.views, stores.positions)
        fill(caseload, journeys)
        with stores.views.transaction() as cursor:
            cursor.execute("ANALYZE")  # as a long-running store would have statistics
        now = T0 + timedelta(days=10)
        middle = journeys // 2
        halfway, _ = caseload.list(limit=1, offset=middle)
        halfway_key = halfway[0].list_key if halfway else None
        due_half, _ = due.coming_up(limit=1, offset=middle // 2)
        board_half, _ = board.board(now, limit=1, offset=middle // 4)
        store = stores.views
        old_sql = OLD_CASELOAD_PAGE.format(
            caseload=store.table("caseload"), due=store.table("due_items")
        )

        def old_first_page() -> None:
            with store.transaction(commit=False) as cursor:
                cursor.execute(old_sql, ("merged", PAGE, 0))
                cursor.fetchall()

        def count_only() -> None:
            with store.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT COUNT(*) AS n FROM {store.table('caseload')} c WHERE c.status <> %s",
                    ("merged",),
                )
                cursor.fetchone()

        r = args.repeats
        return {
            "caseload first page (before: join + sort)": median_ms(old_first_page, r),
            "caseload first page": median_ms(lambda: caseload.list(limit=PAGE), r),
            "caseload mid page, cursor": median_ms(
                lambda: caseload.list(limit=PAGE, after_key=halfway_key, with_total=False), r
            ),
            "caseload mid page, offset": median_ms(
                lambda: caseload.list(limit=PAGE, offset=middle), r
            ),
            "caseload one caseworker": median_ms(
                lambda: caseload.list(limit=PAGE, caseworker_id="cw-7"), r
            ),
            "caseload COUNT(*) alone": median_ms(count_only, r),
            "due first page": median_ms(lambda: due.coming_up(limit=PAGE), r),
            "due mid page, cursor": median_ms(
                lambda: due.coming_up(
                    limit=PAGE,
                    after_key=due_half[0].list_key if due_half else None,
                    with_total=False,
                ),
                r,
            ),
            "board first page": median_ms(lambda: board.board(now, limit=PAGE), r),
            "board mid page, cursor": median_ms(
                lambda: board.board(
                    now,
                    limit=PAGE,
                    after_key=board_half[0].list_key if board_half else None,
                    with_total=False,
                ),
                r,
            ),
        }
    finally:
        app.close()
        stores.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 20_000])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--database-url", default=None, help="postgresql://…; default SQLite")
    args = parser.parse_args(argv)
    prefix = unique_schema_prefix()
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="waymark-bench-") as tmp:
        try:
            for size in args.sizes:
                print(f"{size} journeys …", flush=True)
                results[size] = measure(Path(tmp), size, args, prefix)
        finally:
            if args.database_url:
                from tests.support import drop_schemas

                drop_schemas(args.database_url, prefix)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    small, large = min(results), max(results)
    print(f"\n{backend}, median of {args.repeats}, ms per call (limit={PAGE})")
    print(f"{'query':<44}" + "".join(f"{size:>10}" for size in results) + f"{'ratio':>8}")
    for name in results[small]:
        row = "".join(f"{results[size][name]:>10.2f}" for size in results)
        print(f"{name:<44}{row}{results[large][name] / results[small][name]:>8.1f}")


if __name__ == "__main__":
    main()
