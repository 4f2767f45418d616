"""How every follower of the log polls it: a full batch reads on at once, a short one waits
for the commit signal (or the poll interval), and a failure is reported and tried again."""

from __future__ import annotations

import asyncio

from shared.storage.log_signal import poll_until_cancelled

FULL = 10


async def test_a_failed_read_is_reported_and_tried_again_and_a_full_batch_reads_on_at_once() -> (
    None
):
    reads: list[int] = [FULL, 3]
    errors: list[Exception] = []
    done = asyncio.Event()
    calls = 0

    async def step() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the store is not there yet")
        if not reads:
            done.set()
            return 0
        return reads.pop(0)

    wake = asyncio.Event()
    polling = asyncio.create_task(
        poll_until_cancelled(
            step, wake, batch_size=FULL, poll_interval=0.01, on_error=errors.append
        )
    )
    await asyncio.wait_for(done.wait(), timeout=5)
    polling.cancel()
    await asyncio.gather(polling, return_exceptions=True)

    assert [type(error) for error in errors] == [RuntimeError]
    assert calls == 4 and polling.cancelled()


async def test_after_a_short_batch_a_commit_signal_wakes_the_reader_before_the_interval() -> None:
    calls = 0
    second = asyncio.Event()

    async def step() -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            second.set()
        return 0

    wake = asyncio.Event()
    polling = asyncio.create_task(
        poll_until_cancelled(step, wake, batch_size=FULL, poll_interval=60, on_error=print)
    )
    await asyncio.sleep(0.05)
    assert calls == 1  # waiting: the interval is a minute away
    wake.set()
    await asyncio.wait_for(second.wait(), timeout=5)
    polling.cancel()
    await asyncio.gather(polling, return_exceptions=True)
