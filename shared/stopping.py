"""Stopping a long-running task even when a library swallowed the cancellation that asked it to.

Python 3.11's ``asyncio.wait_for`` returns the awaited result when it arrives together with the
task's cancellation, instead of raising ``CancelledError`` (fixed in 3.12); nats-py waits for every
request reply and every fetch that way. A loop that then goes round again would run on after its
service stopped it — a replica renewing a lease it was told to give up, a consumer fetching after
shutdown — and the stop that awaits it would wait for ever. The request is still counted on the
task (``Task.cancelling``): each long-running loop honours it at the top of every turn.
"""

from __future__ import annotations

import asyncio


def raise_if_stopping() -> None:
    """Raise ``CancelledError`` if this task was cancelled and something swallowed it."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
