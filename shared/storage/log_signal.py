"""Wakes the log followers (relay, projections) as soon as a ``save()`` commits.

Followers poll the notification log; this signal cuts the wait to almost nothing. In one
process, ``save()`` sets it after each commit. On PostgreSQL a trigger on the events table also
NOTIFYs on commit and every replica LISTENs, so a follower in another process wakes within
milliseconds too. SQLite is single-process: there the poll interval is all another process gets.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable

import structlog

from shared.stopping import raise_if_stopping

log = structlog.get_logger(__name__)


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


async def poll_until_cancelled(
    step: Callable[[], Awaitable[int]],
    wake: asyncio.Event,
    *,
    batch_size: int,
    poll_interval: float,
    on_error: Callable[[Exception], None],
) -> None:
    """Run ``step`` (one batch read from the log; how many notifications it held) until
    cancelled: again at once after a full batch, else when ``wake`` is set or ``poll_interval``
    has passed. A failure is reported to ``on_error`` and retried after four intervals, so
    that whoever follows the log outlives any one failure."""
    while True:
        raise_if_stopping()
        wake.clear()
        try:
            read = await step()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - see the docstring
            on_error(error)
            await asyncio.sleep(poll_interval * 4)
            continue
        if read < batch_size:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_interval):
                    await wake.wait()


def commit_channel(schema: str) -> str:
    """The NOTIFY channel of one service's event log (PostgreSQL names stop at 63 bytes)."""
    return f"{schema}_log"[:63]


def install_commit_notify(dsn: str, schema: str, events_table: str) -> str:
    """Make every commit that adds events to ``events_table`` NOTIFY the service's channel.

    A statement-level trigger: PostgreSQL delivers a NOTIFY only when its transaction commits,
    and folds repeats within one transaction, so followers wake once per commit, never before
    the rows are visible. Idempotent; serialised so that replicas starting together agree.
    """
    import psycopg
    from psycopg.sql import SQL, Identifier, Literal

    channel = commit_channel(schema)
    function = Identifier(schema, "waymark_notify_log")
    statements = [
        SQL("SELECT pg_advisory_xact_lock(hashtext({}))").format(Literal(channel)),
        SQL(
            "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$"
        ).format(function),
        SQL(
            "CREATE OR REPLACE TRIGGER waymark_notify_log AFTER INSERT ON {} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {}({})"
        ).format(Identifier(schema, events_table), function, Literal(channel)),
    ]
    with psycopg.connect(dsn) as conn, conn.transaction():
        for statement in statements:
            conn.execute(statement)
    return channel


async def listen_for_commits(signal: LogSignal, dsn: str, channel: str) -> None:
    """Forever: wake ``signal`` on each NOTIFY on ``channel``, from any replica's commit.

    One connection per process, outside the pool (LISTEN holds it). After a reconnect the
    followers are woken once, since a commit may have happened while nobody listened; their
    poll interval remains the backstop.
    """
    import psycopg
    from psycopg.sql import SQL, Identifier

    while True:
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                await conn.execute(SQL("LISTEN {}").format(Identifier(channel)))
                signal.notify()
                async for _ in conn.notifies():
                    signal.notify()
        except asyncio.CancelledError:
            raise
        except psycopg.Error as error:
            log.warning("log_signal.listen_failed", error=type(error).__name__)
            await asyncio.sleep(1.0)
