"""The one seam between the synchronous event store and the asyncio side of a service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """``asyncio.to_thread`` that, when cancelled, still waits for the thread to finish.

    Cancelling a task does not stop the store call its thread is making; without this, shutdown
    could close the store under a running query (SQLite then crashes the process).
    """
    work = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        await asyncio.wait([work])
        raise
