"""A stop reaches a long-running loop even when a library swallowed its cancellation.

Python 3.11's ``asyncio.wait_for`` (under every nats-py request and fetch) returns the reply
that arrives together with the task's cancellation instead of raising it. The fakes here do
what it does; before ``raise_if_stopping`` such a lease renewed on for ever after its replica
was stopped, and the stop never returned (seen once in CI, in tests/cluster/test_leases.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from shared.lease import Lease, LeaseTimes
from shared.stopping import raise_if_stopping

TIMES = LeaseTimes(ttl_s=2.0, renew_s=0.05, margin_s=0.6)


class SwallowingKV:
    """A lease's KV whose replies arrive with the cancellation, as wait_for lets them."""

    def __init__(self) -> None:
        self.revision = 0
        self.renewing = asyncio.Event()
        self.deleted = False

    async def _reply(self) -> int:
        with contextlib.suppress(asyncio.CancelledError):
            # The reply was already there: 3.11's wait_for returns it.
            await asyncio.sleep(0.01)
        self.revision += 1
        return self.revision

    async def create(self, key: str, value: bytes) -> int:
        return await self._reply()

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        self.renewing.set()
        return await self._reply()

    async def delete(self, key: str, last: int | None = None) -> bool:
        self.deleted = True
        return True


class Bucket:
    def __init__(self, kv: SwallowingKV) -> None:
        self._kv = kv

    async def kv(self) -> Any:
        return self._kv


async def test_a_stopped_lease_stops_even_if_its_renewal_swallowed_the_cancellation() -> None:
    kv = SwallowingKV()
    lease = Lease(Bucket(kv), work="relay", holder="a", times=TIMES)  # type: ignore[arg-type]
    work_stopped = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            work_stopped.set()

    running = asyncio.create_task(lease.run(work))
    await asyncio.wait_for(kv.renewing.wait(), timeout=5)
    running.cancel()  # lands inside the renewal, which swallows it
    done, _ = await asyncio.wait({running}, timeout=5)
    assert running in done, "the lease went on renewing after it was stopped"
    assert work_stopped.is_set()
    assert kv.deleted  # handed over at once, as on any clean stop


async def test_raise_if_stopping_raises_only_for_a_task_asked_to_stop() -> None:
    raise_if_stopping()  # not cancelled: nothing happens
    reached = asyncio.Event()

    async def loop() -> None:
        while True:
            raise_if_stopping()
            reached.set()
            with contextlib.suppress(asyncio.CancelledError):  # swallowed, as a library may
                await asyncio.sleep(0.01)

    task = asyncio.create_task(loop())
    await reached.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done and task.cancelled()
