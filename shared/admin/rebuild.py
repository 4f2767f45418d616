"""Rebuild a projection from zero beside the live one, then swap it in.

The shadow projection (same class, ``shadow_suffix``) folds the whole log into tables beside
the live ones (read and decoded in large batches, folded in large transactions; the progress
says its rate in events per second) while the live projection keeps serving and following the
log. When the shadow has caught up, one transaction drops the live tables, renames the shadow
tables into their place, creates the indexes and moves the live position to the shadow's. The
live projection then carries on from there: a batch it read before the swap is not applied
twice (its position is re-read, locked, inside its own transaction). Rebuilding notifies no one
and publishes nothing: projections only write their own tables.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, OperationalError

from shared.storage.projection import Projection
from shared.storage.sql import SqlCursor, SqlStore

log = structlog.get_logger(__name__)

SHADOW_SUFFIX = "__rebuild"
#: How often a swap the database undid (a deadlock) is tried again before the rebuild fails.
SWAP_ATTEMPTS = 3

Chunk = list[tuple[Notification, DomainEventProtocol[UUID]]]


@dataclass
class RebuildProgress:
    projection: str
    state: str = "pending"  # pending, building, swapping, done, failed
    position: int = 0  # log position the shadow has folded up to
    target: int = 0  # the log's head when last looked at
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    #: Log positions folded per second of building (the whole log, whatever was ours in it).
    events_per_second: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "projection": self.projection,
                "state": self.state,
                "position": self.position,
                "target": self.target,
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "error": self.error,
                "events_per_second": (
                    None if self.events_per_second is None else round(self.events_per_second)
                ),
            }


class RebuildCancelled(Exception):
    """The service is stopping: the shadow is left and dropped by the next rebuild."""


class Rebuild:
    def __init__(
        self,
        live: Projection,
        *,
        batch_size: int = 5000,
        transaction_size: int = 20_000,
        on_progress: Callable[[RebuildProgress], None] | None = None,
    ) -> None:
        self.live = live
        #: Notifications read and decoded at once (every person's key in one query).
        self.batch_size = batch_size
        #: About how many of the projection's events are folded per transaction.
        self.transaction_size = transaction_size
        self.on_progress = on_progress
        self.progress = RebuildProgress(projection=live.name)
        self.shadow: Projection | None = None
        self._cancelled = threading.Event()
        self._building_s = 0.0
        self._built = 0

    def cancel(self) -> None:
        """Stop after the current batch (the live read model is untouched)."""
        self._cancelled.set()

    def run(self) -> RebuildProgress:
        """Build, catch up and swap; the progress says how it ended."""
        try:
            for attempt in range(1, SWAP_ATTEMPTS + 1):
                self.build()
                try:
                    self.swap()
                    break
                except OperationalError as error:
                    if attempt == SWAP_ATTEMPTS:
                        raise
                    # A deadlock with a live batch (swaps take turns): the database undid the
                    # whole swap, so it is caught up and tried again.
                    log.warning(
                        "rebuild.swap_retried",
                        projection=self.live.name,
                        error=type(error).__name__,
                    )
                    time.sleep(0.1 * attempt)
        except Exception as error:
            self._update(state="failed", error=type(error).__name__, finished_at=_now())
            log.error("rebuild.failed", projection=self.live.name, error=type(error).__name__)
            raise
        return self.progress

    def build(self) -> None:
        """Build the shadow from zero (the first time) or catch it up to the log's head.

        Batches are read and decoded outside the transaction (the views store stays free for
        the live projections meanwhile), then folded about a ``transaction_size`` at a time.
        """
        if self.shadow is None:
            self._update(state="building", started_at=_now())
            log.info("rebuild.started", projection=self.live.name)
            self._drop_shadow()
            self.shadow = type(self.live)(
                self.live.app,
                self.live.store,
                self.live.positions,
                batch_size=self.batch_size,
                shadow_suffix=SHADOW_SUFFIX,
            )
        shadow = self.shadow
        while True:
            target = self.live.app.max_notification_id()
            after = shadow.position()
            if after >= target:
                self._update(position=after, target=target)
                return
            self._fold_up_to(shadow, after, target)

    def _fold_up_to(self, shadow: Projection, after: int, target: int) -> None:
        while after < target:
            if self._cancelled.is_set():
                raise RebuildCancelled(self.live.name)
            started = time.perf_counter()
            chunk, last = self._read_chunk(shadow, after, target)
            if not shadow.apply_batch(chunk, last, after):
                return  # set back meanwhile (another rebuild dropped it): read it again
            self._building_s += time.perf_counter() - started
            self._built += last - after
            after = last
            self._update(
                position=last,
                target=target,
                events_per_second=self._built / self._building_s if self._building_s else None,
            )

    def _read_chunk(self, shadow: Projection, after: int, target: int) -> tuple[Chunk, int]:
        """About a ``transaction_size`` of the projection's events after ``after``, decoded a
        batch at a time, and the position they bring it to (never beyond ``target``)."""
        chunk: Chunk = []
        last = after
        while len(chunk) < self.transaction_size and last < target:
            batch, last = shadow.read_upto(last, target)
            chunk.extend(batch)
        return chunk, last

    def swap(self) -> None:
        """Put the shadow tables in place of the live ones, in one transaction."""
        assert self.shadow is not None, "build first"
        if self._cancelled.is_set():
            raise RebuildCancelled(self.live.name)
        self._update(state="swapping")
        live, shadow = self.live, self.shadow
        with live.store.transaction() as cursor:
            _one_swap_at_a_time(live.store, cursor)
            # Locks in the order a live batch takes them: its position first, then its tables.
            live.positions.get_locked(live.position_key, cursor)
            position = live.positions.get_locked(shadow.position_key, cursor)
            shadow.before_going_live(cursor)
            for table in live.owned_tables():
                cursor.execute(f"DROP TABLE IF EXISTS {live.store.table(table)}")
                cursor.execute(f"ALTER TABLE {shadow.store.table(table)} RENAME TO {table}")
            for statement in live.create_statements():
                cursor.execute(statement)
            live.positions.set(live.position_key, position, cursor)
            cursor.execute(
                f"DELETE FROM {live.store.table('log_positions')} WHERE follower = %s",
                (shadow.position_key,),
            )
        self._update(state="done", position=position, finished_at=_now())
        rate = self.progress.events_per_second
        log.info(
            "rebuild.swapped",
            projection=live.name,
            position=position,
            events_per_second=None if rate is None else round(rate),
        )

    def _drop_shadow(self) -> None:
        """Whatever a failed rebuild left behind."""
        with self.live.store.transaction() as cursor:
            for table in self.live.owned_tables():
                cursor.execute(
                    f"DROP TABLE IF EXISTS {self.live.store.table(table + SHADOW_SUFFIX)}"
                )
        self.live.positions.reset(self.live.name + SHADOW_SUFFIX)

    def _update(self, **changes: Any) -> None:
        with self.progress.lock:
            for key, value in changes.items():
                setattr(self.progress, key, value)
        if self.on_progress is not None:
            self.on_progress(self.progress)


def _one_swap_at_a_time(store: SqlStore, cursor: SqlCursor) -> None:
    """Swaps take turns, across replicas too: read models write each other's tables as they go
    live (the caseload and the due list each set the other's due order), so two swaps at once
    could each hold what the other needs. SQLite has one writer at a time already."""
    if store.dialect == "postgres":
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s)) AS held",
            (store.table("log_positions") + ":rebuild-swap",),
        )
        cursor.fetchone()


def _now() -> datetime:
    return datetime.now(UTC)
