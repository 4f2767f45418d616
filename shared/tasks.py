"""Stopping asyncio tasks that may not hear the first cancel.

On Python 3.11 ``asyncio.wait_for`` drops a cancellation that arrives in the same turn of the
loop as its inner result (fixed in 3.12, gh-86296). nats-py awaits through ``wait_for`` when it
connects and fetches, and goes on as if never cancelled; the next cancel, at its next await,
is heard. So stopping cancels again until the task ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

# How often a task that has not ended is cancelled again.
RECANCEL_EVERY_S = 0.5


async def cancel_until_done(
    tasks: Iterable[asyncio.Task[Any]], within_s: float | None = None
) -> set[asyncio.Task[Any]]:
    """Cancel ``tasks`` until each has ended or ``within_s`` has passed; return the rest."""
    loop = asyncio.get_running_loop()
    deadline = None if within_s is None else loop.time() + within_s
    pending = {task for task in tasks if not task.done()}
    while pending:
        wait_s = RECANCEL_EVERY_S
        if deadline is not None:
            wait_s = min(wait_s, deadline - loop.time())
            if wait_s <= 0:
                break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=wait_s)
    return pending
