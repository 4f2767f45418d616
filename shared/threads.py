"""The one seam between the synchronous event store and the asyncio side of a service.

Store calls run on anyio's worker threads under the event loop's default capacity limiter,
the one Starlette's synchronous routes use too: sized to the store's connections
(``Settings.store_threads``), so no more threads call the store at once than PostgreSQL's pool
can serve, and a burst of requests waits for a thread rather than for a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

T = TypeVar("T")


def limit_store_threads(total: int) -> None:
    """Let at most ``total`` worker threads of the running event loop call the store at once."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = total


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run ``function`` on a worker thread; when cancelled, still wait for it to finish.

    Cancelling a task does not stop the store call its thread is making; without the wait,
    shutdown could close the store under a running query (SQLite then crashes the process).
    """
    work = asyncio.ensure_future(anyio.to_thread.run_sync(function, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        # Stopping cancels again until a task ends (shared.tasks): each cancel waits too.
        while not work.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([work])
        raise
