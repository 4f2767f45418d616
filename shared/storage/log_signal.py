"""Wakes the log followers (relay, projections) as soon as a ``save()`` commits.

SQLite has no subscriptions, so followers poll the notification log; this in-process signal
cuts the wait after a local write to almost nothing while the poll interval still covers
writes from other processes.
"""

from __future__ import annotations

import asyncio
import threading


class LogSignal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def subscribe(self) -> asyncio.Event:
        """An event set after each commit; call from inside the follower's event loop."""
        event = asyncio.Event()
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), event))
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters = [(loop, e) for loop, e in self._waiters if e is not event]

    def notify(self) -> None:
        """Safe from any thread."""
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)
