"""Leases in NATS KV: one holder at a time, handed over on a clean stop, on a crash, on a theft."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import nats
import pytest
import pytest_asyncio
from prometheus_client import REGISTRY

from services.visits.application import VisitsApplication
from shared.lease import Lease, LeaseBucket, LeaseTimes
from shared.messaging.connection import NatsConnection
from shared.nats_server import NatsServer, free_port
from shared.runtime import PeriodicTask, Runtime, ServiceParts, Stores
from shared.settings import ServiceName, Settings
from tests.integration.test_nats_permissions import PASSWORDS, secured_nats  # noqa: F401
from tests.support import make_settings

TIMES = LeaseTimes(ttl_s=2.0, renew_s=0.3, margin_s=0.6)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats", free_port()).start()
    yield server
    server.stop()


class Replica:
    """One process's view: its own NATS connection, its lease, and when its work ran."""

    def __init__(self, settings: Settings, name: str, intervals: list[tuple[str, float, float]]):
        self.name = name
        self.connection = NatsConnection(settings, client_name=name)
        self.lease = Lease(
            LeaseBucket(self.connection, settings), work="relay", holder=name, times=TIMES
        )
        self.intervals = intervals
        self.task: asyncio.Task[None] | None = None
        #: Its work drops the first cancel, as nats-py can inside asyncio.wait_for on 3.11.
        self.deaf_once = False

    async def start(self) -> Replica:
        await self.connection.start()
        self.task = asyncio.create_task(self.lease.run(self._work))
        return self

    async def _work(self) -> None:
        started = time.monotonic()
        try:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                if not self.deaf_once:
                    raise
                await asyncio.Event().wait()
        finally:
            self.intervals.append((self.name, started, time.monotonic()))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.connection.close()


@pytest_asyncio.fixture
async def two_replicas(
    nats_server: NatsServer, tmp_path: Path
) -> AsyncIterator[tuple[Replica, Replica, list[tuple[str, float, float]]]]:
    settings = make_settings(
        ServiceName.VISITS,
        tmp_path,
        nats_url=nats_server.url,
        leases=True,
        lease_ttl_s=2.0,
        lease_renew_s=0.3,
        lease_margin_s=0.6,
    )
    intervals: list[tuple[str, float, float]] = []
    a = await Replica(settings, "a", intervals).start()
    await eventually(lambda: a.lease.held)
    b = await Replica(settings, "b", intervals).start()
    yield a, b, intervals
    await a.stop()
    await b.stop()


async def eventually(probe: Callable[[], bool], within_s: float = 15.0) -> None:
    deadline = time.monotonic() + within_s
    while not probe():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


def assert_never_overlapped(intervals: list[tuple[str, float, float]]) -> None:
    ordered = sorted(intervals, key=lambda interval: interval[1])
    for (_, _, ended), (_, next_started, _) in itertools.pairwise(ordered):
        assert ended <= next_started, ordered


async def test_given_a_holder_when_another_replica_starts_then_only_the_holder_runs_the_work(
    two_replicas: tuple[Replica, Replica, list[tuple[str, float, float]]],
) -> None:
    a, b, intervals = two_replicas
    # b tries the lease in its own task: wait until it has seen a holding it, then let time
    # pass for what must not happen.
    await eventually(lambda: b.lease.status() == "elsewhere:a")
    await asyncio.sleep(TIMES.ttl_s * 1.5)  # several renewals, and longer than the TTL
    assert a.lease.held and not b.lease.held
    assert b.lease.status() == "elsewhere:a"
    assert intervals == []  # a's work is still running; b's never started


async def test_when_the_holder_stops_cleanly_then_the_other_takes_over_without_waiting_the_ttl(
    two_replicas: tuple[Replica, Replica, list[tuple[str, float, float]]],
) -> None:
    a, b, intervals = two_replicas
    labels = {"work": b.lease.work}
    failovers_before = REGISTRY.get_sample_value("waymark_lease_failovers_total", labels) or 0.0
    await eventually(lambda: b.lease.status() == "elsewhere:a")  # b has seen a holding it
    await a.stop()
    await eventually(lambda: b.lease.held, within_s=TIMES.renew_s * 4)
    assert [name for name, _, _ in intervals] == ["a"]
    assert_never_overlapped(intervals)
    # The metrics an operator alerts on: held here now, and one failover counted.
    assert REGISTRY.get_sample_value("waymark_lease_held", labels) == 1.0
    failovers = REGISTRY.get_sample_value("waymark_lease_failovers_total", labels)
    assert failovers == failovers_before + 1


async def test_when_the_holder_loses_nats_then_it_stops_before_the_other_starts(
    two_replicas: tuple[Replica, Replica, list[tuple[str, float, float]]],
) -> None:
    a, b, intervals = two_replicas
    # As a crashed or partitioned holder: no renewal reaches the server, nothing is released.
    client = a.connection._client
    assert client is not None
    await client.close()
    await eventually(lambda: b.lease.held)
    await b.stop()
    assert [name for name, _, _ in sorted(intervals, key=lambda i: i[1])] == ["a", "b"]
    assert_never_overlapped(intervals)
    assert b.lease.acquired == 1


async def test_when_another_writer_takes_the_key_then_the_holder_stops_at_its_next_renewal(
    two_replicas: tuple[Replica, Replica, list[tuple[str, float, float]]], nats_server: NatsServer
) -> None:
    a, b, intervals = two_replicas
    nc = await nats.connect(nats_server.url)
    try:
        kv = await nc.jetstream().key_value("waymark_leases_visits")
        await kv.put("relay", b"intruder")  # not revision-checked: a fencing violation
        await eventually(lambda: not a.lease.held, within_s=TIMES.renew_s * 4)
        assert [name for name, _, _ in intervals] == ["a"]
        # Nobody runs the work until the intruder's key expires; then one replica does.
        await eventually(lambda: a.lease.held or b.lease.held)
        assert a.lease.held != b.lease.held
    finally:
        await nc.close()


async def test_when_its_work_misses_the_first_cancel_then_the_holder_still_stops_it(
    two_replicas: tuple[Replica, Replica, list[tuple[str, float, float]]], nats_server: NatsServer
) -> None:
    a, b, intervals = two_replicas
    a.deaf_once = True
    nc = await nats.connect(nats_server.url)
    try:
        kv = await nc.jetstream().key_value("waymark_leases_visits")
        await kv.put("relay", b"intruder")
        await eventually(lambda: [name for name, _, _ in intervals] == ["a"])
        await eventually(lambda: a.lease.held or b.lease.held)
    finally:
        await nc.close()
    await a.stop()
    await b.stop()
    assert len(intervals) == 2
    assert_never_overlapped(intervals)


async def test_given_the_deployed_permissions_then_each_service_holds_leases_in_its_own_bucket(
    secured_nats: NatsServer,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    for service in (ServiceName.VISITS, ServiceName.CASES, ServiceName.NOTIFICATIONS):
        settings = make_settings(
            service,
            tmp_path,
            nats_url=secured_nats.url,
            nats_user=service.value,
            nats_password=PASSWORDS[service.value],
            leases=True,
        )
        replica = await Replica(settings, service.value, []).start()
        try:
            await eventually(lambda replica=replica: replica.lease.held)
        finally:
            await replica.stop()


async def test_given_two_runtimes_with_leases_then_a_timer_ticks_in_one_and_moves_on_a_stop(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    ticks: dict[str, int] = {"a": 0, "b": 0}

    def assemble_for(name: str) -> Callable[[Stores], ServiceParts]:
        def tick() -> None:
            ticks[name] += 1

        def assemble(stores: Stores) -> ServiceParts:
            app = VisitsApplication(env=stores.event_store_env, keyring=stores.keyring)
            return ServiceParts(
                application=app, queries=None, periodic=[PeriodicTask("tick", 0.05, tick)]
            )

        return assemble

    runtimes = {
        name: Runtime(
            make_settings(
                ServiceName.VISITS,
                tmp_path / name,
                nats_url=nats_server.url,
                leases=True,
                lease_ttl_s=2.0,
                lease_renew_s=0.3,
                lease_margin_s=0.6,
            ),
            assemble_for(name),
        )
        for name in ("a", "b")
    }
    running = [runtimes["a"]]
    await runtimes["a"].start()
    try:
        await eventually(lambda: ticks["a"] > 0)
        await runtimes["b"].start()
        running.append(runtimes["b"])
        # b tries the timer's lease in its own task: wait until it has seen a holding it, then
        # let time pass for what must not happen.
        await eventually(
            lambda: (
                runtimes["b"].lease_status()
                == {"periodic:tick": f"elsewhere:{runtimes['a'].replica}"}
            )
        )
        await asyncio.sleep(1.0)
        assert ticks["b"] == 0
        assert runtimes["a"].lease_status() == {"periodic:tick": "held"}
        assert runtimes["b"].lease_status() == {
            "periodic:tick": f"elsewhere:{runtimes['a'].replica}"
        }
        # The replica that leaves the timer to another is still ready.
        assert all(runtimes["b"].readiness().values()), runtimes["b"].readiness()
        assert "periodic:tick" not in runtimes["b"].readiness()
        running.remove(runtimes["a"])
        await runtimes["a"].stop()
        stopped_at = ticks["a"]
        await eventually(lambda: ticks["b"] > 0)
        assert ticks["a"] == stopped_at
        assert runtimes["b"].lease_status() == {"periodic:tick": "held"}
    finally:
        for runtime in running:
            await runtime.stop()


async def test_given_a_holder_that_missed_its_deadline_then_it_takes_its_own_key_back_at_once(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    # A TTL far longer than the test may wait: taking the lease back must not wait for expiry.
    settings = make_settings(
        ServiceName.VISITS, tmp_path, nats_url=nats_server.url, leases=True, lease_ttl_s=60.0
    )
    skew = [0.0]
    connection = NatsConnection(settings, client_name="a")
    lease = Lease(
        LeaseBucket(connection, settings),
        work="relay",
        holder="a",
        times=LeaseTimes(ttl_s=60.0, renew_s=0.2, margin_s=1.0),
        clock=lambda: time.monotonic() + skew[0],
    )
    runs: list[float] = []

    async def work() -> None:
        runs.append(time.monotonic())
        await asyncio.Event().wait()

    await connection.start()
    task = asyncio.create_task(lease.run(work))
    try:
        await eventually(lambda: lease.held)
        # As if no renewal had succeeded for longer than TTL - margin (a NATS election, a pause).
        skew[0] = 120.0
        await eventually(lambda: len(runs) == 2, within_s=10)
        assert lease.held and lease.acquired == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await connection.close()


def test_given_a_margin_and_renewal_that_fill_the_ttl_then_the_settings_are_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="WAYMARK_LEASE_RENEW_S"):
        make_settings(
            ServiceName.VISITS, tmp_path, lease_ttl_s=3.0, lease_renew_s=1.0, lease_margin_s=2.0
        )
