"""Read models: one table (or a few) per query, rebuilt from the service's own log.

A projection applies events to its tables and moves its position in the same transaction, so a
crash never leaves a row applied twice or skipped. Projections never notify or publish anything:
rebuilding one from zero is always safe.

A projection built with ``shadow_suffix`` writes to tables beside the live ones (``caseload`` →
``caseload__rebuild``) under its own position, so it can be rebuilt from zero while the live one
keeps serving; ``shared.admin.rebuild`` swaps them when it has caught up.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from shared.observability import tracing
from shared.storage.eventstore import WaymarkApplication
from shared.storage.log_follower import LogFollower
from shared.storage.positions import LogPositions
from shared.storage.sql import SqlCursor, SqlStore
from shared.threads import in_thread


class ShadowStore(SqlStore):
    """The same store, with a projection's own tables renamed to shadow tables beside them.

    Indexes are not created on shadow tables (building is faster without them); the swap
    creates them under their usual names once the shadow tables have become the live ones.
    """

    def __init__(self, live: SqlStore, suffix: str, tables: Iterable[str]) -> None:
        super().__init__(live._datastore, live.dialect, live._schema)
        self.live = live
        self.suffix = suffix
        self.shadowed = frozenset(tables)

    def table(self, name: str) -> str:
        return super().table(name + self.suffix if name in self.shadowed else name)

    def execute_script(self, statements: Sequence[str]) -> None:
        super().execute_script(
            [s for s in statements if not s.lstrip().upper().startswith("CREATE INDEX")]
        )

    def close(self) -> None:
        pass  # the live store owns the connections


class Projection(LogFollower):
    #: The tables this projection writes (default: one named after it); a rebuild swaps these.
    tables: ClassVar[Sequence[str]] = ()

    def __init__(
        self,
        app: WaymarkApplication,
        store: SqlStore,
        positions: LogPositions,
        *,
        batch_size: int = 256,
        poll_interval: float = 0.5,
        shadow_suffix: str | None = None,
    ) -> None:
        super().__init__(app, batch_size=batch_size, poll_interval=poll_interval)
        if shadow_suffix is not None:
            store = ShadowStore(store, shadow_suffix, self.owned_tables())
        self.store = store
        self.positions = positions
        #: The key of this projection's durable position (its own for a shadow).
        self.position_key = self.name + (shadow_suffix or "")
        store.execute_script(self.create_statements())
        self.prepare()

    def prepare(self) -> None:
        """Bring tables made by an older version up to date (after the idempotent DDL)."""

    @classmethod
    def owned_tables(cls) -> tuple[str, ...]:
        return tuple(cls.tables) or (cls.name,)

    @abstractmethod
    def create_statements(self) -> list[str]:
        """Idempotent DDL for this read model's tables."""

    @abstractmethod
    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        """Fold one event into the read model."""

    def position(self) -> int:
        return self.positions.get(self.position_key)

    def apply_batch(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        with self.store.transaction() as cursor:
            if batch and self.positions.get_locked(self.position_key, cursor) >= batch[0][0].id:
                # The position moved past this batch since it was read (a rebuilt read model
                # was swapped in): applying it again would count it twice. Read on from there.
                return
            for _, event in batch:
                self.apply(cursor, event)
            self.positions.set(self.position_key, last_id, cursor)

    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        apply = tracing.projected(self.name, self.app.name, batch, self.apply_batch)
        await in_thread(apply, batch, last_id)

    def catch_up(self) -> None:
        """Synchronously apply everything recorded so far (tests, CLI)."""
        while True:
            after = self.position()
            batch = self.read_batch(after)
            if not batch:
                return
            self.apply_batch(batch, batch[-1][0].id)
