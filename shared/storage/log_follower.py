"""Follow an application's notification log, in order, from a durable position.

The relay and every projection are log followers. Each batch is handled and its position
committed before the next is read, so a crash anywhere resumes from the last committed position
(at-least-once for the relay, whose publishes are de-duplicated by JetStream; exactly-once for
projections, whose position commits with their rows).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from uuid import UUID

import structlog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from shared.storage.eventstore import WaymarkApplication
from shared.storage.topics import all_topics
from shared.threads import in_thread

log = structlog.get_logger(__name__)


class LogFollower(ABC):
    #: A name unique within the service; it keys the durable position.
    name: str
    #: Only these event classes are read (and decrypted) from the log.
    event_classes: Sequence[type[object]]

    def __init__(
        self, app: WaymarkApplication, *, batch_size: int = 256, poll_interval: float = 0.5
    ) -> None:
        self.app = app
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.running = False
        # Former topics too: events stored before a class moved are still its events.
        self._topics = all_topics(self.event_classes)

    @property
    def topics(self) -> list[str]:
        """The topics of the event classes this follower reads (their former topics too)."""
        return list(self._topics)

    @abstractmethod
    def position(self) -> int:
        """The last notification id this follower has fully handled."""

    @abstractmethod
    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        """Handle a batch and durably record ``last_id`` as the new position."""

    def read_batch(self, after: int) -> list[tuple[Notification, DomainEventProtocol[UUID]]]:
        notifications = self.app.recorder.select_notifications(
            start=after, limit=self.batch_size, topics=self._topics, inclusive_of_start=False
        )
        return [(n, self.app.mapper.to_domain_event(n)) for n in notifications]

    async def catch_up_once(self) -> int:
        """Handle one batch; return how many notifications it held."""
        after = await in_thread(self.position)
        batch = await in_thread(self.read_batch, after)
        if batch:
            await self.handle(batch, batch[-1][0].id)
        return len(batch)

    async def run(self) -> None:
        wake = self.app.log_signal.subscribe()
        self.running = True
        try:
            while True:
                wake.clear()
                try:
                    handled = await self.catch_up_once()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - a follower must outlive any one failure
                    log.warning(
                        "log_follower.retry", follower=self.name, error=type(error).__name__
                    )
                    await asyncio.sleep(self.poll_interval * 4)
                    continue
                if handled < self.batch_size:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll_interval):
                            await wake.wait()
        finally:
            self.running = False
            self.app.log_signal.unsubscribe(wake)
