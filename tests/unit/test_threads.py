"""The sync seam: store calls run on worker threads, no more at once than the store's
connections, and a cancelled caller still waits for its thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from shared.settings import ServiceName, Settings
from shared.threads import in_thread, limit_store_threads


async def test_no_more_threads_than_the_limit_call_the_store_at_once() -> None:
    limit_store_threads(2)
    running, most = 0, 0
    lock = threading.Lock()
    release = threading.Event()

    def call() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        release.wait(timeout=10)
        with lock:
            running -= 1

    calls = [asyncio.ensure_future(in_thread(call)) for _ in range(6)]
    for _ in range(200):  # until two threads are in, or long enough for a third to join
        await asyncio.sleep(0.005)
        with lock:
            if running == 2:
                break
    with lock:
        assert running == 2
    release.set()
    await asyncio.gather(*calls)
    assert most == 2


@pytest.mark.parametrize("cancels", [1, 3], ids=["cancelled-once", "cancelled-again-and-again"])
async def test_a_cancelled_caller_waits_for_its_thread_to_finish(cancels: int) -> None:
    # Stopping a service cancels a task again until it ends (shared.tasks.cancel_until_done).
    started, finish = threading.Event(), threading.Event()
    finished = threading.Event()

    def call() -> None:
        started.set()
        finish.wait(timeout=10)
        finished.set()

    task = asyncio.ensure_future(in_thread(call))
    await asyncio.to_thread(started.wait, 10)
    for _ in range(cancels):
        task.cancel()
        await asyncio.sleep(0.01)
        assert not task.done()  # still waiting for the thread, not abandoning it
    finish.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished.is_set()


async def test_the_result_and_the_error_of_the_call_come_back() -> None:
    assert await in_thread(lambda a, b: a + b, 2, 3) == 5

    def fails() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        await in_thread(fails)


def test_the_limit_defaults_to_the_postgres_pool_and_cannot_exceed_it() -> None:
    assert Settings(service=ServiceName.CASES).store_threads == 40
    sized = Settings(service=ServiceName.CASES, postgres_pool_size=4, postgres_max_overflow=6)
    assert sized.store_threads == 10
    dsn = "postgresql://waymark@db.example/waymark"
    with pytest.raises(ValueError, match="store_threads"):
        Settings(
            service=ServiceName.CASES,
            database_url=dsn,
            store_threads=11,
            postgres_pool_size=4,
            postgres_max_overflow=6,
        )
