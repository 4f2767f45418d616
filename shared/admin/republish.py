"""Re-publish a range of a service's log to JetStream, for a new or repaired consumer.

The same translation as the relay, the same ``Nats-Msg-Id``
(``<service>:<aggregate id>:<version>``) and the same payload bytes: inside the stream's
duplicate window JetStream drops the copies; beyond it, each consumer's tracking (the upstream
position is stored with its effects) makes a copy it has already applied change nothing. The
relay's own position is not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import structlog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from shared.messaging.connection import NatsConnection
from shared.messaging.relay import Outbound, Relay
from shared.settings import Settings
from shared.storage.eventstore import WaymarkApplication
from shared.storage.positions import LogPositions
from shared.threads import in_thread

log = structlog.get_logger(__name__)


async def republish(
    app: WaymarkApplication,
    *,
    outbound: Outbound,
    positions: LogPositions,
    connection: NatsConnection,
    settings: Settings,
    start: int,
    stop: int | None = None,
    batch_size: int = 256,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Publish the translatable events with notification ids in ``[start, stop]``; return how
    many messages were published. ``on_progress(position, stop)`` after each batch."""
    relay = Relay(
        app,
        positions=positions,
        connection=connection,
        stream=outbound.stream,
        translate=outbound.translate,
        event_classes=outbound.event_classes,
        settings=settings,
    )
    last = stop if stop is not None else await in_thread(app.max_notification_id)
    published, after = 0, start - 1

    def read(after: int) -> list[tuple[Notification, DomainEventProtocol[UUID]]]:
        notifications = app.recorder.select_notifications(
            start=after, limit=batch_size, stop=last, topics=relay.topics, inclusive_of_start=False
        )
        return [(n, app.mapper.to_domain_event(n)) for n in notifications]

    while after < last:
        batch = await in_thread(read, after)
        if not batch:
            break
        published += await relay.publish(batch)
        after = batch[-1][0].id
        if on_progress is not None:
            on_progress(after, last)
    log.info("republish.done", service=app.name, start=start, stop=last, published=published)
    return published
