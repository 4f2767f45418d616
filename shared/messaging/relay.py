"""The outbox relay: committed domain events → integration events on JetStream.

The event store is the outbox. The relay reads the committed notification log from its durable
position, publishes each translatable event with ``Nats-Msg-Id`` set to the domain event's
identity (``"<service>:<aggregate id>:<version>"``, the CloudEvents ``id``) and moves its
position only after JetStream has acknowledged the whole batch. A failed or timed-out batch is
published again with the same ids, which JetStream de-duplicates, so NATS being down delays
events but never loses or doubles one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification

from shared.contracts.base import IntegrationEvent
from shared.contracts.envelope import encode, message_id
from shared.contracts.streams import StreamSpec
from shared.messaging.connection import NatsConnection
from shared.messaging.streams import ensure_streams
from shared.observability import metrics, tracing
from shared.settings import Settings
from shared.storage.eventstore import WaymarkApplication
from shared.storage.log_follower import LogFollower
from shared.storage.positions import LogPositions
from shared.threads import in_thread

log = structlog.get_logger(__name__)

#: One contract, several (a new version published beside the old one), or none.
Translated = IntegrationEvent | Sequence[IntegrationEvent] | None
Translator = Callable[[DomainEventProtocol[UUID]], Translated]


def as_contracts(translated: Translated) -> list[IntegrationEvent]:
    if translated is None:
        return []
    if isinstance(translated, IntegrationEvent):
        return [translated]
    return list(translated)


class Relay(LogFollower):
    name = "relay"

    def __init__(
        self,
        app: WaymarkApplication,
        *,
        positions: LogPositions,
        connection: NatsConnection,
        stream: StreamSpec,
        translate: Translator,
        event_classes: Sequence[type[object]],
        settings: Settings,
        publish_timeout: float = 10.0,
    ) -> None:
        self.event_classes = event_classes
        super().__init__(
            app, batch_size=settings.relay_batch_size, poll_interval=settings.log_poll_interval_s
        )
        self._positions = positions
        self._connection = connection
        self._stream = stream
        self._translate = translate
        self._settings = settings
        self._publish_timeout = publish_timeout
        self._provisioned = False
        self.published = 0

    def position(self) -> int:
        return self._positions.get(self.name)

    def _translate_batch(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]]
    ) -> list[tuple[str, IntegrationEvent, bytes]]:
        messages = []
        for notification, event in batch:
            for index, contract in enumerate(as_contracts(self._translate(event))):
                variant = None if index == 0 else contract.subject
                origin, version = event.originator_id, event.originator_version
                payload = encode(
                    contract,
                    service=self.app.name,
                    origin=origin,
                    version=version,
                    position=notification.id,
                    time=event.timestamp,  # type: ignore[attr-defined]
                    variant=variant,
                )
                msg_id = message_id(self.app.name, origin, version, variant)
                messages.append((msg_id, contract, payload))
        return messages

    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        published = await self.publish(batch)
        await in_thread(self._positions.set, self.name, last_id)
        self.published += published
        metrics.observe_relayed(self.app.name, last_id, published)
        log.debug("relay.published", count=published, position=last_id)

    async def publish(self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]]) -> int:
        """Publish a batch and wait for JetStream's acks; return how many were published.
        The position is the caller's business (``waymark republish`` leaves it alone)."""
        js = await self._connection.jetstream()
        if not self._provisioned:
            await ensure_streams(js, (self._stream,), self._settings)
            self._provisioned = True
        # Translating may read the store (a visit as it was when completed): off the loop.
        messages = await in_thread(self._translate_batch, batch)
        acks: list[asyncio.Future[Any]] = []
        try:
            for msg_id, contract, payload in messages:
                acks.append(
                    await js.publish_async(
                        contract.subject,
                        payload,
                        stream=self._stream.name,
                        headers={
                            "Nats-Msg-Id": msg_id,
                            **tracing.publish_headers(msg_id, contract.subject),
                        },
                        wait_stall=self._publish_timeout,
                    )
                )
            # publish_async futures have no timeout of their own (research §2).
            async with asyncio.timeout(self._publish_timeout):
                await asyncio.gather(*acks)
        except BaseException:
            for ack in acks:
                ack.cancel()
            raise
        return len(acks)
