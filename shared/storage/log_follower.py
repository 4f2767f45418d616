"""Follow an application's notification log, in order, from a durable position.

The relay and every projection are log followers. Each batch is handled and its position
committed before the next is read, so a crash anywhere resumes from the last committed position
(at-least-once for the relay, whose publishes are de-duplicated by JetStream; exactly-once for
projections, whose position commits with their rows).

A follower reads only its own topics, but its position moves to the log's head even when
nothing of its own was there: otherwise a follower whose events are rare would read the whole
log again after every write. That is safe because every notification id up to a head that has
been read is final: the event store serialises its writers (SQLite's write lock; on PostgreSQL
the library's ``LOCK TABLE … IN EXCLUSIVE MODE`` around each insert, so ids commit in id order),
so no transaction can still commit an id below a head that is already visible. The library's
insert function (``POSTGRES_ENABLE_DB_FUNCTIONS``) takes no such lock, so it is refused here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, cast
from uuid import UUID

import structlog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic, strtobool

from shared.storage.eventstore import WaymarkApplication
from shared.storage.log_signal import poll_until_cancelled
from shared.storage.personal_data import PersonalDataMapper
from shared.storage.topics import all_topics
from shared.threads import in_thread

log = structlog.get_logger(__name__)

Batch = Sequence[tuple[Notification, DomainEventProtocol[UUID]]]


def decode_batch(
    app: WaymarkApplication, notifications: Sequence[Notification], *, open_personal: bool = True
) -> list[tuple[Notification, DomainEventProtocol[UUID]]]:
    """Decode a batch at once: the mapper reads every person's key for it in one query (none
    at all without ``open_personal``: personal fields then read as ``NOT_OPENED``)."""
    mapper = app.mapper
    if isinstance(mapper, PersonalDataMapper):
        events = mapper.to_domain_events(notifications, open_personal=open_personal)
        return list(zip(notifications, events, strict=True))
    return [(n, mapper.to_domain_event(n)) for n in notifications]


def notifications_after(
    app: WaymarkApplication, after: int, *, limit: int, stop: int | None, topics: Sequence[str]
) -> Sequence[Notification]:
    """At most ``limit`` notifications of ``topics`` after ``after``, up to ``stop``, in order."""
    return app.recorder.select_notifications(
        start=after, limit=limit, stop=stop, topics=topics, inclusive_of_start=False
    )


def position_after(batch: Batch, batch_size: int, head: int) -> int:
    """Where reading a batch brings its reader: the last event's id when the batch is full (more
    may follow), otherwise the head read *before* the batch, since every event up to there has
    now been seen."""
    return batch[-1][0].id if len(batch) >= batch_size else head


def position_only(notification: Notification) -> DomainEventProtocol[UUID]:
    """The event as its class with only its aggregate id and version: for a follower that
    reads nothing else of it (any other attribute is missing, so a mistake fails loudly)."""
    event: Any = object.__new__(resolve_topic(notification.topic))
    event.__dict__.update(
        originator_id=notification.originator_id,
        originator_version=notification.originator_version,
    )
    return cast(DomainEventProtocol[UUID], event)


def require_ordered_commits(app: WaymarkApplication) -> None:
    """Refuse an event store whose ids may commit out of order (see the module's docstring)."""
    if strtobool(app.env.get("POSTGRES_ENABLE_DB_FUNCTIONS", "n") or "n"):
        raise ValueError(
            "POSTGRES_ENABLE_DB_FUNCTIONS inserts without the table lock: notification ids could"
            " commit out of order and a follower could pass over an event committed late"
        )


class LogFollower(ABC):
    #: A name unique within the service; it keys the durable position.
    name: str
    #: Only these event classes are read (and decrypted) from the log.
    event_classes: Sequence[type[object]]
    #: False for a follower that never reads an event's personal fields: its batches are
    #: decoded without opening them (no key read, no decryption).
    reads_personal_fields: ClassVar[bool] = True
    #: Event classes of which this follower reads nothing but the aggregate id and version:
    #: when it reads the log itself (a rebuild, a catch-up) they are not decoded at all.
    reads_only_position: ClassVar[frozenset[type[object]]] = frozenset()

    def __init__(
        self, app: WaymarkApplication, *, batch_size: int = 256, poll_interval: float = 0.5
    ) -> None:
        self.app = app
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.running = False
        # Former topics too: events stored before a class moved are still its events.
        self._topics = all_topics(self.event_classes)
        require_ordered_commits(app)

    @property
    def topics(self) -> list[str]:
        """The topics of the event classes this follower reads (their former topics too)."""
        return list(self._topics)

    @property
    def position_key(self) -> str:
        """The key of this follower's durable position."""
        return self.name

    @abstractmethod
    def position(self) -> int:
        """The last notification id this follower has fully handled."""

    @abstractmethod
    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        """Handle a batch and durably record ``last_id`` as the new position."""

    def recorded_position(self) -> int | None:
        """The position this follower last stored itself, when it records its position apart
        from handling a batch (the relay, as acknowledgements come); None when its position is
        stored as it handles each batch."""
        return None

    def prepare_batch(self, batch: Batch) -> None:
        """Called in the log reader's worker thread, right after it decoded a batch, with this
        follower's share of it, before ``handle``: work that need not wait for another hop to a
        thread (the relay translates here). Nothing by default."""
        return None

    async def handle_from(self, batch: Batch, after: int, last_id: int) -> None:
        """Handle a batch read after ``after``; a follower that can tell it was set back
        meanwhile (a projection) uses ``after`` to refuse the gap."""
        await self.handle(batch, last_id)

    def read_batch(
        self, after: int, stop: int | None = None
    ) -> list[tuple[Notification, DomainEventProtocol[UUID]]]:
        notifications = notifications_after(
            self.app, after, limit=self.batch_size, stop=stop, topics=self._topics
        )
        if self.reads_only_position:
            skipped = self._position_only_topics()
            read = [n for n in notifications if n.topic not in skipped]
            decoded = iter(decode_batch(self.app, read, open_personal=self.reads_personal_fields))
            return [
                (n, position_only(n)) if n.topic in skipped else next(decoded)
                for n in notifications
            ]
        return decode_batch(self.app, notifications, open_personal=self.reads_personal_fields)

    def _position_only_topics(self) -> frozenset[str]:
        return frozenset(all_topics(tuple(self.reads_only_position)))

    def read_upto(
        self, after: int, stop: int | None = None
    ) -> tuple[list[tuple[Notification, DomainEventProtocol[UUID]]], int]:
        """The next batch of this follower's events after ``after``, and the position it brings
        the follower to (``position_after``: the head is ``stop`` when given)."""
        head = self.app.max_notification_id() if stop is None else stop
        if head <= after:
            return [], after
        batch = self.read_batch(after, head)
        return batch, position_after(batch, self.batch_size, head)

    async def catch_up_once(self) -> int:
        """Handle one batch; return how many notifications it held."""
        after = await in_thread(self.position)
        batch, last = await in_thread(self.read_upto, after)
        if last > after:
            await self.handle_from(batch, after, last)
        return len(batch)

    async def catch_up_to(self, stop: Callable[[], int]) -> int:
        """Handle batches until the position reaches ``stop()`` (read before each batch, never
        beyond it); return the position reached."""
        while True:
            after = await in_thread(self.position)
            target = stop()
            if after >= target:
                return after
            batch, last = await in_thread(self.read_upto, after, target)
            await self.handle_from(batch, after, last)

    async def run(self) -> None:
        wake = self.app.log_signal.subscribe()
        self.running = True
        try:
            await poll_until_cancelled(
                self.catch_up_once,
                wake,
                batch_size=self.batch_size,
                poll_interval=self.poll_interval,
                on_error=lambda error: log.warning(
                    "log_follower.retry", follower=self.name, error=type(error).__name__
                ),
            )
        finally:
            self.running = False
            self.app.log_signal.unsubscribe(wake)
