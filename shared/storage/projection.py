"""Read models: one table (or a few) per query, rebuilt from the service's own log.

A projection applies events to its tables and moves its position in the same transaction, so a
crash never leaves a row applied twice or skipped. Projections never notify or publish anything:
rebuilding one from zero is always safe.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from shared.storage.eventstore import WaymarkApplication
from shared.storage.log_follower import LogFollower
from shared.storage.positions import LogPositions
from shared.storage.sql import SqlCursor, SqlStore
from shared.threads import in_thread


class Projection(LogFollower):
    def __init__(
        self,
        app: WaymarkApplication,
        store: SqlStore,
        positions: LogPositions,
        *,
        batch_size: int = 256,
        poll_interval: float = 0.5,
    ) -> None:
        super().__init__(app, batch_size=batch_size, poll_interval=poll_interval)
        self.store = store
        self.positions = positions
        store.execute_script(self.create_statements())

    @abstractmethod
    def create_statements(self) -> list[str]:
        """Idempotent DDL for this read model's tables."""

    @abstractmethod
    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        """Fold one event into the read model."""

    def position(self) -> int:
        return self.positions.get(self.name)

    def apply_batch(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        with self.store.transaction() as cursor:
            for _, event in batch:
                self.apply(cursor, event)
            self.positions.set(self.name, last_id, cursor)

    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        await in_thread(self.apply_batch, batch, last_id)

    def catch_up(self) -> None:
        """Synchronously apply everything recorded so far (tests, CLI)."""
        while True:
            after = self.position()
            batch = self.read_batch(after)
            if not batch:
                return
            self.apply_batch(batch, batch[-1][0].id)
