"""How long a page spent waiting for the services, in a ``Server-Timing`` header.

``api`` is the time spent waiting for the three services (calls made together count once),
``page`` the whole answer: their difference is what the web layer itself adds
(bench/web_pages.py reports the ratio). Only durations and a count are sent, never a path or
an id.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from starlette.types import Message, Receive, Scope, Send

from shared.http.middleware import HttpMiddleware


@dataclass
class _Spent:
    intervals: list[tuple[float, float]] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return len(self.intervals)

    @property
    def api_seconds(self) -> float:
        """Wall time with at least one call under way: calls made together count once."""
        total, reached = 0.0, float("-inf")
        for start, end in sorted(self.intervals):
            if end > reached:
                total += end - max(start, reached)
                reached = end
        return total


_spent: ContextVar[_Spent | None] = ContextVar("waymark_web_api_time", default=None)


def count_api_call(started: float, ended: float) -> None:
    spent = _spent.get()
    if spent is not None:
        spent.intervals.append((started, ended))


class ServerTiming(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        spent = _Spent()
        token = _spent.set(spent)
        started = time.perf_counter()

        async def with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                page_ms = (time.perf_counter() - started) * 1000
                value = (
                    f'api;dur={spent.api_seconds * 1000:.1f};desc="{spent.calls} calls", '
                    f"page;dur={page_ms:.1f}"
                )
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", value.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, with_timing)
        finally:
            _spent.reset(token)
