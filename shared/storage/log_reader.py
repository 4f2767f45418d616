"""One reader of a service's notification log that feeds all its followers.

Each batch is read and decoded once, for the union of the followers' topics, and handed to
every follower that has *joined*: the projections fold their share of it in one transaction
(with their positions), while the relay publishes its share through its own ``handle`` at the
same time (it translated its share in the reader's thread, as the batch was decoded: no hop of
its own). Every joined follower's position moves to the end of the batch, even when none of
its events were in it.

Each follower keeps its own durable position, and the reader keeps a *cursor*: how far it has
read. A follower whose position is behind the cursor (a new projection, one a rebuild set back,
one whose last batch failed) catches up on its own, reading only its own topics and never
beyond the cursor as it stands; when it has reached the cursor, the reader takes it back at the
start of its next batch (nothing moves the cursor in between, both run on one event loop), so
a slow or failing follower never holds the others up. A projection that finds its position
ahead of the cursor (a rebuild swapped in) applies only what lies beyond it; one that finds a
gap (its position set back) applies nothing and catches up on its own — see ``Projection.fold``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from typing import TypeVar

import structlog

from shared.observability import tracing
from shared.storage.eventstore import WaymarkApplication
from shared.storage.log_follower import (
    Batch,
    LogFollower,
    decode_batch,
    notifications_after,
    position_after,
    require_ordered_commits,
)
from shared.storage.log_signal import poll_until_cancelled
from shared.storage.positions import LogPositions
from shared.storage.projection import Projection
from shared.storage.sql import SqlStore
from shared.tasks import cancel_until_done
from shared.threads import in_thread

log = structlog.get_logger(__name__)

T = TypeVar("T")


async def _outcome(work: Awaitable[T]) -> T | Exception:
    try:
        return await work
    except Exception as error:  # noqa: BLE001 - the caller decides what a failure means
        return error


class LogReader:
    def __init__(
        self,
        app: WaymarkApplication,
        positions: LogPositions,
        followers: Sequence[LogFollower],
        *,
        batch_size: int = 256,
        poll_interval: float = 0.5,
    ) -> None:
        require_ordered_commits(app)
        self.app = app
        self.positions = positions
        self.followers = list(followers)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        #: Everything up to here has been read and handed to the joined followers.
        self.cursor = 0
        self.joined: dict[str, LogFollower] = {}
        #: Where each joined follower stands (at or beyond the cursor).
        self._at: dict[str, int] = {}
        #: The highest stored position seen for each joined follower (see ``_floor``).
        self._stored: dict[str, int] = {}
        self._catching_up: dict[str, asyncio.Task[int]] = {}
        self._topics = sorted({topic for f in self.followers for topic in f.topics})
        self.running = False
        self._wake: asyncio.Event | None = None

    async def run(self) -> None:
        wake = self._wake = self.app.log_signal.subscribe()
        self._set_running(True)
        try:
            await self._start()
            await poll_until_cancelled(
                self.step,
                wake,
                batch_size=self.batch_size,
                poll_interval=self.poll_interval,
                on_error=lambda error: log.warning("log_reader.retry", error=type(error).__name__),
            )
        finally:
            await cancel_until_done(self._catching_up.values())
            self._set_running(False)
            self.app.log_signal.unsubscribe(wake)

    async def _start(self) -> None:
        """Start at the furthest position: the rest catch up to it on their own."""
        while True:
            try:
                positions = await in_thread(self._positions)
                break
            except Exception as error:  # noqa: BLE001 - the store is not there yet: ask again
                log.warning("log_reader.retry", error=type(error).__name__)
                await asyncio.sleep(self.poll_interval * 4)
        self.cursor = max(positions.values(), default=0)
        for follower in self.followers:
            if positions[follower.position_key] >= self.cursor:
                self._join(follower, positions[follower.position_key])
                self._stored[follower.name] = positions[follower.position_key]
            else:
                self._catch_up(follower)

    def _positions(self) -> dict[str, int]:
        with self.positions.store.transaction(commit=False) as cursor:
            return self.positions.get_many([f.position_key for f in self.followers], cursor)

    async def step(self) -> int:
        """Read and hand out one batch; return how many notifications it held."""
        self._take_back_those_caught_up()
        if not self.joined:  # only stragglers: let them reach the cursor first
            return 0
        after = self.cursor
        others = [f for f in self.joined.values() if not isinstance(f, Projection)]
        floors = {name: self._floor(follower) for name, follower in self.joined.items()}
        positions, (batch, last) = await in_thread(self._look, after, others)
        for name, follower in list(self.joined.items()):
            stored = positions[follower.position_key]
            if stored < floors[name]:
                # Set back from outside (a relay told to publish again): it reads again alone.
                self._leave(follower)
                self._catch_up(follower)
            else:
                self._stored[name] = max(self._stored.get(name, stored), stored)
        if last <= after or not self.joined:
            return 0
        followers = list(self.joined.values())
        projections = [f for f in followers if isinstance(f, Projection)]
        others = [f for f in followers if not isinstance(f, Projection)]
        shares = {f.name: self._share(f, batch) for f in others}
        # Followers with nothing in this batch only move their position: with the projections.
        idle = [f for f in others if not shares[f.name] and self._at[f.name] < last]
        busy = [f for f in others if shares[f.name]]
        handling = {
            f.name: asyncio.ensure_future(_outcome(f.handle(shares[f.name], last))) for f in busy
        }
        try:
            folded = await _outcome(in_thread(self._fold, projections, idle, batch, after, last))
            if handling:
                # The relay publishes while the projections fold; one still waiting for NATS
                # after that (and a poll interval) carries on alone: it never holds them up.
                await asyncio.wait(handling.values(), timeout=self.poll_interval)
        except asyncio.CancelledError:  # stopping: no publish may outlive the stores
            for handled in handling.values():
                handled.cancel()
            if handling:
                await asyncio.wait(handling.values())
            raise
        if isinstance(folded, Exception):
            self._failed([*projections, *idle], folded)
        else:
            for follower in [*projections, *idle]:
                if follower in folded:
                    self._at[follower.name] = max(self._at[follower.name], last)
                else:
                    self._leave(follower)
                    self._catch_up(follower)
        for follower in busy:
            handled = handling[follower.name]
            if not handled.done():
                self._leave(follower)
                self._catch_up(follower, after=handled)
                continue
            outcome = handled.result()
            if isinstance(outcome, Exception):
                self._failed([follower], outcome)
            else:
                self._at[follower.name] = last
        self.cursor = last
        return len(batch)

    def _floor(self, follower: LogFollower) -> int:
        """Below this, a joined follower's stored position was set back. A projection's is
        where it stands (its position commits with its fold). A relay's trails where it stands
        while acknowledgements are in flight, and it is not set back for that: its floor is the
        highest of what it last recorded itself and what this reader saw stored since it
        joined. Taken before the positions are read, so a record made meanwhile only raises
        the stored position above it."""
        if isinstance(follower, Projection):
            return self._at[follower.name]
        known = [follower.recorded_position(), self._stored.get(follower.name)]
        floors = [floor for floor in known if floor is not None]
        return max(floors) if floors else self._at[follower.name]

    def _look(
        self, after: int, others: Sequence[LogFollower]
    ) -> tuple[dict[str, int], tuple[Batch, int]]:
        positions, (batch, last) = self._positions(), self._read(after)
        for follower in others:  # in this thread: no hop of their own before they publish
            if share := self._share(follower, batch):
                # A failure here is the follower's alone: its handle meets it again.
                with contextlib.suppress(Exception):
                    follower.prepare_batch(share)
        return positions, (batch, last)

    def _read(self, after: int) -> tuple[Batch, int]:
        head = self.app.max_notification_id()
        if head <= after:
            return [], after
        notifications = notifications_after(
            self.app, after, limit=self.batch_size, stop=head, topics=self._topics
        )
        opening = any(f.reads_personal_fields for f in self.followers)
        batch = decode_batch(self.app, notifications, open_personal=opening)
        return batch, position_after(batch, self.batch_size, head)

    def _share(self, follower: LogFollower, batch: Batch) -> Batch:
        at, topics = self._at[follower.name], set(follower.topics)
        return [(n, e) for n, e in batch if n.id > at and n.topic in topics]

    def _fold(
        self,
        projections: Sequence[Projection],
        idle: Sequence[LogFollower],
        batch: Batch,
        after: int,
        last: int,
    ) -> list[LogFollower]:
        """Fold the batch into the projections, a transaction per store (one in practice: a
        service's read models share its views store); return those that took it."""
        took: list[LogFollower] = []
        by_store: dict[int, tuple[SqlStore, list[LogFollower]]] = {}
        for projection in projections:
            by_store.setdefault(id(projection.store), (projection.store, []))[1].append(projection)
        if idle:
            store = self.positions.store
            by_store.setdefault(id(store), (store, []))[1].extend(idle)
        for store, members in by_store.values():
            with store.transaction() as cursor:
                keys = [m.position_key for m in members]
                positions = self.positions.get_many(keys, cursor, lock=True)
                for member in members:
                    position = positions[member.position_key]
                    if isinstance(member, Projection):
                        fold = tracing.projected(member.name, member.app.name, batch, member.fold)
                        if fold(cursor, batch, position, last, after):
                            took.append(member)
                    elif position >= after:  # nothing of its own here: only its position moves
                        if position < last:
                            self.positions.set(member.position_key, last, cursor)
                        took.append(member)
        return took

    def _join(self, follower: LogFollower, position: int) -> None:
        self.joined[follower.name] = follower
        self._at[follower.name] = position

    def _leave(self, follower: LogFollower) -> None:
        self.joined.pop(follower.name, None)
        self._at.pop(follower.name, None)
        self._stored.pop(follower.name, None)

    def _failed(self, followers: Sequence[LogFollower], error: Exception) -> None:
        for follower in followers:
            log.warning(
                "log_reader.follower_failed", follower=follower.name, error=type(error).__name__
            )
            self._leave(follower)
            self._catch_up(follower)

    def _catch_up(self, follower: LogFollower, after: Awaitable[object] | None = None) -> None:
        task = asyncio.create_task(
            self._catch_up_alone(follower, after), name=f"catch-up:{follower.name}"
        )
        task.add_done_callback(self._wake_up)
        self._catching_up[follower.name] = task

    def _wake_up(self, _: object) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _catch_up_alone(
        self, follower: LogFollower, after: Awaitable[object] | None = None
    ) -> int:
        if after is not None:  # a batch it is still handling comes first
            outcome = await after
            if isinstance(outcome, Exception):
                log.warning(
                    "log_follower.retry", follower=follower.name, error=type(outcome).__name__
                )
        while True:
            try:
                return await follower.catch_up_to(lambda: self.cursor)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - try again, as a lone follower would
                log.warning(
                    "log_follower.retry", follower=follower.name, error=type(error).__name__
                )
                await asyncio.sleep(self.poll_interval * 4)

    def _take_back_those_caught_up(self) -> None:
        for name, task in list(self._catching_up.items()):
            if not task.done():
                continue
            del self._catching_up[name]
            follower = next(f for f in self.followers if f.name == name)
            position = task.result()
            if position >= self.cursor:
                self._join(follower, position)
            else:
                self._catch_up(follower)

    def _set_running(self, running: bool) -> None:
        self.running = running
        for follower in self.followers:
            follower.running = running
