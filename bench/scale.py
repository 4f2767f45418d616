"""Replicas: visits/s through the API with 1, 2, 3 replicas of each service, and failover times.

For each replica count it starts the whole system as real processes on PostgreSQL — a 3-node
NATS cluster (streams R3) and N replicas of visits, cases and notifications with leases on
(``tests/cluster/replicas.py``) — posts ``--visits`` completed visits from ``--concurrency``
clients spread over the visits replicas, and reports:

* **API visits/s**: 201s per second of posting;
* **end to end visits/s**: visits per second from the first POST until every journey and inbox
  entry is in the read models (the pipeline through relay, NATS, consumers, projections);
* with two or more replicas, **failover**: each service's lease holder is killed (SIGKILL)
  and the time until another replica holds all its work is measured.

Run from the repository root::

    python -m bench.scale --database-url postgresql://postgres@127.0.0.1:5432/test

It prints a table, the ratios against one replica, and one JSON line. Nothing here asserts
anything about timing; the figures and the machine they came from are in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from shared.settings import ServiceName
from tests.cluster.replicas import SERVICES, ReplicatedSystem
from tests.e2e.test_first_slice import visit_body
from tests.support import drop_schemas, unique_schema_prefix


def caught_up(system: ReplicatedSystem, expected: int) -> bool:
    journeys = system.count("SELECT count(*) FROM caseload", ServiceName.CASES)[0]
    inbox = system.count("SELECT count(*) FROM inbox", ServiceName.NOTIFICATIONS)[0]
    return journeys >= expected and inbox >= expected


def run(replicas: int, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    prefix = unique_schema_prefix()
    # The event store's pool shrinks as replicas grow, to stay under max_connections.
    pool = 2 if replicas < 3 else 1
    system = ReplicatedSystem(root / f"r{replicas}", args.database_url, prefix, replicas, pool)
    try:
        for attempt in range(5):
            try:
                system.start()
                break
            except (RuntimeError, TimeoutError) as error:
                # PostgreSQL's connections are shared with whatever else runs on the machine.
                print(f"start failed ({str(error).splitlines()[0]}); again in 20 s", flush=True)
                system.stop()
                system = ReplicatedSystem(
                    root / f"r{replicas}-{attempt}", args.database_url, prefix, replicas, pool
                )
                time.sleep(20)
        else:
            raise RuntimeError("the system did not start")
        bodies = [visit_body() for _ in range(args.visits)]
        statuses: Counter[int] = Counter()
        started = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            for status in pool.map(lambda b: system.post_visit(b, on_switch=print), bodies):
                statuses[status] += 1
        posted = time.monotonic() - started
        deadline = time.monotonic() + args.catch_up_timeout
        while not caught_up(system, args.visits) and time.monotonic() < deadline:
            time.sleep(0.2)
        end_to_end = time.monotonic() - started
        result: dict[str, Any] = {
            "replicas": replicas,
            "visits": args.visits,
            "statuses": dict(statuses),
            "api_visits_per_s": args.visits / posted,
            "end_to_end_visits_per_s": args.visits / end_to_end,
            "caught_up": caught_up(system, args.visits),
            "failover_s": {},
        }
        if replicas > 1:
            for service in SERVICES:
                holders = system.holders(service)
                victim = Counter(holders.values()).most_common(1)[0][0]
                works = {work for work, replica in holders.items() if replica is victim}
                system.kill(victim)
                result["failover_s"][service.value] = system.wait_all_held(service, works)
        return result
    finally:
        system.stop()
        drop_schemas(args.database_url, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("WAYMARK_TEST_POSTGRES_DSN"))
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--visits", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--catch-up-timeout", type=float, default=300)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or WAYMARK_TEST_POSTGRES_DSN) is needed: replicas share it")
    counts = [int(part) for part in args.replicas.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="waymark-scale-") as tmp:
        for replicas in counts:
            results.append(run(replicas, args, Path(tmp)))
            print(json.dumps(results[-1]), flush=True)
    base = results[0]
    print(f"\n{platform.node()} · {os.cpu_count()} CPUs · {args.visits} visits")
    print("| replicas | API visits/s | ÷ first | end to end visits/s | ÷ first | failover s |")
    print("|---|---|---|---|---|---|")
    for r in results:
        failover = ", ".join(f"{k} {v:.1f}" for k, v in r["failover_s"].items()) or "—"
        print(
            f"| {r['replicas']} | {r['api_visits_per_s']:.1f}"
            f" | {r['api_visits_per_s'] / base['api_visits_per_s']:.2f}"
            f" | {r['end_to_end_visits_per_s']:.1f}"
            f" | {r['end_to_end_visits_per_s'] / base['end_to_end_visits_per_s']:.2f}"
            f" | {failover} |"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
