"""The outbox relay: committed domain events → integration events on JetStream.

The event store is the outbox. The relay reads the committed notification log from its durable
position, publishes each translatable event with ``Nats-Msg-Id`` set to the domain event's
identity (``"<service>:<aggregate id>:<version>"``, the CloudEvents ``id``).

Publishing is pipelined: each batch is sent with ``publish_async`` and the next one is read
without waiting for its acknowledgements, up to ``relay_window`` messages in flight. A
background task awaits them oldest first and moves the durable position to the end of the
longest run of batches JetStream has acknowledged in full, so it never passes an
unacknowledged message, and a quiet log's position catches up as soon as the acks arrive.

Any failure — an error ack, or no ack within ``publish_timeout`` — drops everything in flight
and starts again from the durable position: every message after it is published again with the
same ``Nats-Msg-Id``, which JetStream de-duplicates (within ``stream_duplicate_window_s``), so
NATS being down delays events but never loses or doubles one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from pydantic import ValidationError

from shared.contracts.base import IntegrationEvent
from shared.contracts.envelope import envelope, message_id, rfc3339
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

#: What the relay sends for a contract: its ``Nats-Msg-Id``, the contract, the envelope's bytes.
Message = tuple[str, IntegrationEvent, bytes]
#: One contract, several (a new version published beside the old one), or none.
Translated = IntegrationEvent | Sequence[IntegrationEvent] | None
Translator = Callable[[DomainEventProtocol[UUID]], Translated]


@dataclass(frozen=True)
class Outbound:
    """Which domain events a service publishes, and as which contracts."""

    stream: StreamSpec
    translate: Translator
    event_classes: Sequence[type[object]]


def as_contracts(translated: Translated) -> list[IntegrationEvent]:
    if translated is None:
        return []
    if isinstance(translated, IntegrationEvent):
        return [translated]
    return list(translated)


class Untranslatable(Exception):
    """A committed event that cannot be made into its contracts: a value the domain took and
    the contract refuses, which is a bug to fix. The relay stays at it, in order, and tries
    again until a fixed release can translate it: nothing after it is published first and
    nothing is lost. Names the event's log position, its class and the contract's fields that
    refused it, never a value."""

    def __init__(
        self, position: int, topic: str, error: ValidationError, before: list[Message]
    ) -> None:
        self.position = position
        self.topic = topic
        self.fields = tuple(".".join(str(part) for part in item["loc"]) for item in error.errors())
        #: The batch's messages from the events before it, which may go out meanwhile.
        self.before = before
        super().__init__(f"position {position} ({topic}): refused in {', '.join(self.fields)}")


@dataclass
class _InFlight:
    """One handled batch whose acknowledgements are still to come."""

    last_id: int
    acks: list[asyncio.Future[Any]]


class Relay(LogFollower):
    name = "relay"
    #: Contracts carry no personal data, so the relay never needs a person's key: reading the
    #: log itself, it leaves every sealed field sealed (no key read, no decryption).
    reads_personal_fields = False

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
        self._window = settings.relay_window
        self._provisioned = False
        self._in_flight: deque[_InFlight] = deque()
        self._sent_up_to: int | None = None
        self._generation = 0
        self._failure: BaseException | None = None
        self._settler: asyncio.Task[None] | None = None
        self._progress = asyncio.Event()
        #: A batch translated by ``prepare_batch``: its first and last ids, and its messages.
        self._prepared: tuple[int, int, list[Message]] | None = None
        self._recorded: int | None = None
        #: The position of the event it last could not translate (logged once).
        self._refused_at: int | None = None
        self.published = 0

    def position(self) -> int:
        """Where the next batch starts: after the last batch handed to JetStream while any is
        in flight; the stored position otherwise. The durable position
        (``acknowledged_position``) may be behind it."""
        if self._sent_up_to is not None:
            return self._sent_up_to
        stored = self._positions.get(self.name)
        if self._recorded is not None and stored < self._recorded:
            self._recorded = stored  # set back from outside: what it recorded is history
        return stored

    def recorded_position(self) -> int | None:
        """The position this relay last stored (None before its first): the stored position
        trails where it stands while acknowledgements are in flight."""
        return self._recorded

    def acknowledged_position(self) -> int:
        """The durable position: every message up to it is acknowledged by JetStream."""
        return self._positions.get(self.name)

    @property
    def in_flight(self) -> int:
        """Messages published and not yet acknowledged."""
        return sum(len(batch.acks) for batch in self._in_flight)

    def _translate_batch(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]]
    ) -> list[Message]:
        messages: list[Message] = []
        service = self.app.name
        for notification, event in batch:
            try:
                contracts = as_contracts(self._translate(event))
            except ValidationError as error:  # the contract refuses what the domain took
                refused = Untranslatable(notification.id, notification.topic, error, messages)
                if self._refused_at != refused.position:  # once, not at every retry
                    self._refused_at = refused.position
                    log.error(
                        "relay.untranslatable",
                        position=refused.position,
                        topic=refused.topic,
                        fields=list(refused.fields),
                    )
                raise refused from None
            if not contracts:
                continue
            # Once per domain event, however many contracts carry it (a message costs ~30 µs).
            origin = str(event.originator_id)
            time = rfc3339(event.timestamp)  # type: ignore[attr-defined]
            for index, contract in enumerate(contracts):
                variant = None if index == 0 else contract.subject
                msg_id = message_id(service, origin, event.originator_version, variant)
                payload = envelope(
                    contract, id=msg_id, service=service, position=notification.id, time=time
                )
                messages.append((msg_id, contract, payload))
        return messages

    def prepare_batch(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]]
    ) -> None:
        """Translate a batch in the log reader's thread, as it is read: ``handle`` then only
        publishes it (one hop to a thread fewer between a commit and its publish)."""
        self._prepared = (batch[0][0].id, batch[-1][0].id, self._translate_batch(batch))

    async def handle(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]], last_id: int
    ) -> None:
        """Send the batch and return; its acknowledgements are awaited in the background, which
        records the position as they come. Waits only while more than ``relay_window``
        messages are in flight. Raises if anything in flight failed since the last call, so
        the caller reads again from the durable position.

        An event it cannot translate (``Untranslatable``) is not skipped: what came before it
        is sent, and once everything in flight is acknowledged and recorded it raises, so the
        caller tries again from that event itself, sending nothing again while it waits."""
        generation = self._generation
        self._raise_failure()
        refused: Untranslatable | None = None
        try:
            messages = await self._messages(batch)
        except Untranslatable as error:
            refused, messages, last_id = error, error.before, error.position - 1
        except BaseException:
            self._abandon()
            raise
        if refused is not None and not messages and self._recorded == last_id:
            raise refused  # still waiting at it: nothing to send, nothing new to record
        try:
            acks = await self._publish_messages(messages)
        except BaseException:
            self._abandon()
            raise
        if generation != self._generation:  # abandoned while this batch was being sent
            for ack in acks:
                ack.cancel()
            self._raise_failure()
            raise RuntimeError("relay: publishing restarted from the durable position")
        self._in_flight.append(_InFlight(last_id, acks))
        self._sent_up_to = last_id
        if self._settler is None or self._settler.done():
            self._settler = asyncio.create_task(self._settle(), name=f"{self.name}:acks")
        while self.in_flight > self._window and generation == self._generation:
            self._progress.clear()
            await self._progress.wait()
        self._raise_failure()
        if refused is not None:
            await self.flush()
            self._raise_failure()
            raise refused

    async def flush(self) -> None:
        """Wait until nothing is in flight: every message sent is acknowledged and its position
        recorded (or the relay has started again from the durable position)."""
        while self._settler is not None and not self._settler.done():
            await asyncio.wait([self._settler])

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            self._abandon()

    async def _settle(self) -> None:
        """Await acknowledgements oldest batch first; after each wait, record the position at
        the end of every batch acknowledged in full (one write however many)."""
        while self._in_flight:
            oldest = self._in_flight[0]
            try:
                # publish_async futures have no timeout of their own (research §2).
                async with asyncio.timeout(self._publish_timeout):
                    await asyncio.gather(*oldest.acks)
                acknowledged, count = 0, 0
                while self._in_flight and all(ack.done() for ack in self._in_flight[0].acks):
                    done = self._in_flight.popleft()
                    for ack in done.acks:
                        ack.result()  # an error ack raises here
                    acknowledged = done.last_id
                    count += len(done.acks)
                if acknowledged:
                    await in_thread(self._positions.set, self.name, acknowledged)
                    self._recorded = acknowledged
                    self.published += count
                    metrics.observe_relayed(self.app.name, acknowledged, count)
                if not self._in_flight:  # caught up: the stored position is the truth again
                    self._sent_up_to = None
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - start again from the durable position
                log.warning("relay.unacknowledged", error=type(error).__name__)
                self._abandon(error)
                self.app.log_signal.notify()  # the follower reads again from the position
                return
            finally:
                self._progress.set()
            log.debug("relay.acknowledged", position=acknowledged, in_flight=self.in_flight)

    def _abandon(self, error: BaseException | None = None) -> None:
        """Forget everything in flight: the next batch is read from the durable position and
        republished with the same message ids (JetStream drops those it already has)."""
        for batch in self._in_flight:
            for ack in batch.acks:
                ack.cancel()
        self._in_flight.clear()
        self._sent_up_to = None
        self._generation += 1
        self._failure = error
        if self._settler is not None and self._settler is not asyncio.current_task():
            self._settler.cancel()
        self._progress.set()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            error, self._failure = self._failure, None
            raise error

    async def publish(self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]]) -> int:
        """Publish a batch and wait for JetStream's acks; return how many were published.
        The position is the caller's business (``waymark republish`` leaves it alone)."""
        acks = await self._send(batch)
        try:
            async with asyncio.timeout(self._publish_timeout):
                await asyncio.gather(*acks)
        except BaseException:
            for ack in acks:
                ack.cancel()
            raise
        return len(acks)

    async def _send(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]]
    ) -> list[asyncio.Future[Any]]:
        """Publish a batch without waiting for its acknowledgements; their futures, in order."""
        return await self._publish_messages(await self._messages(batch))

    async def _messages(
        self, batch: Sequence[tuple[Notification, DomainEventProtocol[UUID]]]
    ) -> list[Message]:
        prepared, self._prepared = self._prepared, None
        if prepared is not None and batch and prepared[:2] == (batch[0][0].id, batch[-1][0].id):
            return prepared[2]
        # Translating may read the store (a visit as it was when completed): off the loop.
        return await in_thread(self._translate_batch, batch)

    async def _publish_messages(self, messages: list[Message]) -> list[asyncio.Future[Any]]:
        js = await self._connection.jetstream()
        if not self._provisioned:
            await ensure_streams(js, (self._stream,), self._settings)
            self._provisioned = True
        acks: list[asyncio.Future[Any]] = []
        try:
            for msg_id, contract, payload in messages:
                # No wait_stall: the window stays below nats-py's cap of pending publishes, so
                # there is never a stall to bound (and bounding one costs a task per message).
                acks.append(
                    await js.publish_async(
                        contract.subject,
                        payload,
                        stream=self._stream.name,
                        headers={
                            "Nats-Msg-Id": msg_id,
                            **tracing.publish_headers(msg_id, contract.subject),
                        },
                    )
                )
        except BaseException:
            for ack in acks:
                ack.cancel()
            raise
        return acks
