"""A 3-node NATS cluster and two replicas of each service lose processes under load.

1,000 visits are posted through both visits replicas while the test kill -9s (a) the VISITS
stream's leader node, (b) in each service the replica holding its leases, (c) one HTTP replica
(the client retries with the same Idempotency-Key, as a phone would). Then it counts from the
stores and read models: 0 lost, 0 doubled; and it prints each failover time (never asserted).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nats
import pytest

from shared.settings import ServiceName
from tests.cluster.replicas import SERVICES, ReplicatedSystem
from tests.e2e.test_first_slice import visit_body
from tests.support import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

VISITS = 1_000
CLIENTS = 4


@pytest.fixture
def system(tmp_path: Path, database: tuple[str | None, str | None]) -> Any:
    url, prefix = database
    assert url is not None and prefix is not None
    system = ReplicatedSystem(tmp_path, url, prefix, replicas=2)
    try:
        yield system.start()
    finally:
        system.stop()


def kill_the_stream_leader(system: ReplicatedSystem, report: dict[str, float]) -> None:
    leader = asyncio.run(system.nats.stream_leader("VISITS"))
    node = system.nats.node(leader)
    node.server.kill()
    killed = time.monotonic()
    new = asyncio.run(system.nats.wait_for_new_leader("VISITS", leader))
    report[f"VISITS stream leader {leader} → {new}"] = time.monotonic() - killed
    node.server.start()  # back as a follower; the cluster has three nodes again


def kill_each_lease_holder(system: ReplicatedSystem, report: dict[str, float]) -> None:
    for service in SERVICES:
        # Leases that lapsed while the NATS node above was away are taken back once its
        # bucket has a leader again: wait for a holder rather than catch that moment.
        deadline = time.monotonic() + 60
        while not (holders := system.holders(service)):
            assert time.monotonic() < deadline, f"{service}: no replica holds any lease"
            time.sleep(0.1)
        # The replica holding most of the service's work (all of it, usually).
        victim = Counter(holders.values()).most_common(1)[0][0]
        works = {work for work, replica in holders.items() if replica is victim}
        system.kill(victim)
        took = system.wait_all_held(service, works)
        report[f"{service.value} leases ({len(works)}) from {victim.name}"] = took
        system.start_replica(victim)


def kill_an_http_replica(system: ReplicatedSystem, report: dict[str, float]) -> None:
    victim = system.replicas[ServiceName.VISITS][0]
    system.kill(victim)
    report["visits HTTP replica killed"] = 0.0


def test_given_a_replicated_system_when_nodes_and_replicas_die_then_nothing_lost_or_doubled(
    system: ReplicatedSystem,
) -> None:
    bodies = [visit_body() for _ in range(VISITS)]
    report: dict[str, float] = {}
    switches: list[float] = []
    done = Counter[int]()
    lock = threading.Lock()

    def post(body: dict[str, Any]) -> None:
        status = system.post_visit(body, on_switch=switches.append)
        with lock:
            done[status] += 1

    faults = [
        (VISITS // 5, kill_the_stream_leader),
        (VISITS * 2 // 5, kill_each_lease_holder),
        (VISITS * 3 // 5, kill_an_http_replica),
    ]
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(post, body) for body in bodies]
        for threshold, fault in faults:
            while sum(done.values()) < threshold:
                time.sleep(0.05)
            fault(system, report)
        for future in futures:
            future.result()
    posting_s = time.monotonic() - started
    assert done == Counter({201: VISITS}), done

    visits_schema = ServiceName.VISITS
    wanted = {str(body["visit_id"]) for body in bodies}
    assert len(wanted) == VISITS

    def settled() -> bool:
        journeys = system.count(
            "SELECT count(*), count(DISTINCT originator_id) FROM cases_events"
            " WHERE topic LIKE '%:Journey.Opened'",
            ServiceName.CASES,
        )
        inbox = system.count("SELECT count(*) FROM inbox", ServiceName.NOTIFICATIONS)
        return journeys[1] >= VISITS and inbox[0] >= VISITS

    wait_until(settled, timeout=180, interval=0.5, message="journeys and inbox caught up")
    time.sleep(2)  # anything doubled late would show now

    started_visits = system.count(
        "SELECT count(*), count(DISTINCT originator_id) FROM visits_events"
        " WHERE topic LIKE '%:Visit.Started'",
        visits_schema,
    )
    journeys = system.count(
        "SELECT count(*), count(DISTINCT originator_id) FROM cases_events"
        " WHERE topic LIKE '%:Journey.Opened'",
        ServiceName.CASES,
    )
    # Every journey was fed the same thing (one contact): any doubled upstream message would
    # give its journey more events than the others.
    events_per_journey = system.count(
        "SELECT count(DISTINCT n), min(n), max(n) FROM (SELECT count(*) AS n FROM cases_events"
        " WHERE originator_id IN (SELECT originator_id FROM cases_events"
        "  WHERE topic LIKE '%:Journey.Opened') GROUP BY originator_id) AS per_journey",
        ServiceName.CASES,
    )
    caseload = system.count("SELECT count(*) FROM caseload", ServiceName.CASES)
    requested = system.count(
        "SELECT count(*), count(DISTINCT originator_id) FROM notifications_events"
        " WHERE topic LIKE '%:Notification.Requested'",
        ServiceName.NOTIFICATIONS,
    )
    inbox = system.count("SELECT count(*) FROM inbox", ServiceName.NOTIFICATIONS)
    stream = asyncio.run(_stream_ids(system, "VISITS"))

    print(f"\nposted {VISITS} visits in {posting_s:.1f} s through 2 visits replicas")
    for what, seconds in report.items():
        if seconds:
            print(f"failover: {what}: {seconds:.2f} s")
    if switches:
        print(
            f"failover: {len(switches)} POSTs retried on another visits replica,"
            f" answered after at most {max(switches):.2f} s"
        )
    print(f"visits {started_visits}, journeys {journeys}, per journey {events_per_journey}")
    print(f"caseload {caseload}, notifications {requested}, inbox {inbox}, stream {stream}")

    assert started_visits == (VISITS, VISITS)
    assert journeys == (VISITS, VISITS)
    assert events_per_journey[0] == 1, events_per_journey
    assert caseload == (VISITS,)
    assert requested == (VISITS, VISITS)
    assert inbox == (VISITS,)
    messages, distinct_ids = stream
    assert messages == distinct_ids  # JetStream stored no message twice


async def _stream_ids(system: ReplicatedSystem, stream: str) -> tuple[int, int]:
    nc = await nats.connect(servers=system.nats.urls)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        ids = set()
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream, sequence)
            ids.add((message.headers or {}).get("Nats-Msg-Id"))
        return info.state.messages, len(ids)
    finally:
        await nc.close()
