"""Durable pull consumers that turn upstream integration events into local commands.

A fetched batch is decoded and validated first; a message that breaks its contract or cannot be
decoded is copied to the dead-letter subject with the reason. The rest are applied in ONE worker
thread and ONE store transaction (``WaymarkApplication.applying_together``): each handler ends in
``save_once(upstream, …)``, which joins the batch, and the batch commits every event with every
message's upstream position (``Tracking``), so a redelivered message changes nothing. Only after
that commit is the batch acknowledged — with one ack of its last message (``AckPolicy.ALL``), so
a batch is acknowledged whole or not at all.

Every failure is classified (``is_transient``). A handler that is refused for good, or fails in a
way no retry can cure, has its message dead-lettered and the batch is applied again without it
(nothing of the failed attempt was stored). A transient failure (the store briefly away, a
concurrent writer) is retried in place with a capped exponential delay, the whole batch waiting,
for as long as it takes: order is never given up to make progress. While a batch is in hand the
consumer renews its claim (``in_progress``) every third of ``consumer_ack_wait_s``, so a slow
handler keeps its messages while a dead process loses them within that ack wait.

Order: one durable consumer applies its stream's messages in stream order. At most one batch is
unacknowledged (``max_ack_pending`` = ``consumer_batch_size``), so when a process dies mid-batch
the server can deliver nothing newer until that whole batch comes back, first, after the ack
wait; order holds across crashes too, as long as one process at a time pulls a durable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    Tracking,
    WaitInterruptedError,
)
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError

from shared.contracts.base import IntegrationEvent
from shared.contracts.envelope import ContractViolation, decode
from shared.contracts.streams import DEAD_LETTER_STREAM, StreamSpec, dead_letter_subject
from shared.messaging.connection import NatsConnection
from shared.messaging.streams import ensure_streams
from shared.settings import Settings
from shared.storage.eventstore import WaymarkApplication
from shared.threads import in_thread

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Upstream(Tracking):
    """Where a message stands in its publisher's log (what is tracked), and the identity of the
    event it carries (the CloudEvents ``id``): unique to that event in every install, where the
    position recurs in each and after a restore."""

    event_id: str


Handler = Callable[[Any, Upstream], None]

#: Failures that may heal if the same message is tried again later.
_TRANSIENT: tuple[type[BaseException], ...] = (
    # The store is unreachable, locked, busy, or its connection broke (eventsourcing wraps the
    # drivers' errors, a pool wait included); IntegrityError is a concurrent writer of the same
    # aggregate, whose retry reads the new version. NATS and socket timeouts, lost connections.
    OperationalError,
    InterfaceError,
    IntegrityError,
    WaitInterruptedError,
    TimeoutError,
    ConnectionError,
)


def is_transient(error: BaseException) -> bool:
    """True when retrying the same message later may succeed: the store or the network was
    briefly unavailable, or another writer got there first.

    Everything else is permanent and the message is dead-lettered: a contract violation, a
    value out of range (``OverflowError``, ``ValueError`` and pydantic's errors, which subclass
    it), input that nests too deeply (``RecursionError``), a rule of the domain that refuses it,
    a stored value the store cannot hold (``DataError``) — and any error nobody foresaw. The
    message is the same on every delivery, so those failures are too; retrying one forever
    would hold every message behind it. A dead letter keeps the message for an operator, and
    the rest of the stream flows on.
    """
    return isinstance(error, _TRANSIENT)


@dataclass(frozen=True)
class Subscription:
    durable: str
    stream: StreamSpec
    handlers: Mapping[type[IntegrationEvent], Handler]
    #: Refusals by the domain to name in a dead letter's reason (any non-transient error is
    #: dead-lettered; these are reported as "rejected", the rest as "failed").
    permanent_errors: tuple[type[Exception], ...] = field(default=())
    #: The application every handler saves into with ``save_once``: given, a batch is applied
    #: in one transaction; without it, one transaction per message.
    application: WaymarkApplication | None = None


@dataclass
class _Work:
    message: Msg
    event: IntegrationEvent
    upstream: Upstream
    handler: Handler


class _HandlerFailed(Exception):
    """A handler raised: which item, with what; ``applied`` items before it are stored."""

    def __init__(self, index: int, error: Exception, applied: int) -> None:
        super().__init__(type(error).__name__)
        self.index = index
        self.error = error
        self.applied = applied


class DurableConsumer:
    def __init__(
        self, connection: NatsConnection, subscription: Subscription, settings: Settings
    ) -> None:
        self._connection = connection
        self._subscription = subscription
        self._settings = settings
        self.running = False
        self.applied = 0
        self.dead_lettered = 0

    @property
    def name(self) -> str:
        return self._subscription.durable

    async def run(self) -> None:
        self.running = True
        try:
            while True:
                subscription = None
                try:
                    js = await self._connection.jetstream()
                    subscription = await self._bind(js)
                    await self._consume(js, subscription)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - reconnect and go on
                    log.warning("consumer.restart", consumer=self.name, error=type(error).__name__)
                    await asyncio.sleep(1.0)
                finally:
                    if subscription is not None:
                        # Otherwise draining the connection waits on the pending pull request.
                        with contextlib.suppress(Exception):
                            await subscription.unsubscribe()
        finally:
            self.running = False

    async def _bind(self, js: JetStreamContext) -> JetStreamContext.PullSubscription:
        sub = self._subscription
        await ensure_streams(js, (sub.stream, DEAD_LETTER_STREAM), self._settings)
        config = self._config()
        try:
            await js.add_consumer(sub.stream.name, config)
        except BadRequestError:
            await self._recreate(js, config)
        return await js.pull_subscribe_bind(durable=sub.durable, stream=sub.stream.name)

    def _config(self, start_after: int | None = None) -> ConsumerConfig:
        sub = self._subscription
        config = ConsumerConfig(
            durable_name=sub.durable,
            # One ack of a batch's last message acknowledges the whole batch, or nothing is.
            ack_policy=AckPolicy.ALL,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._settings.consumer_ack_wait_s,
            max_deliver=-1,  # a transient failure is retried until it heals, never dropped
            # One batch in hand at a time: nothing newer is delivered before it is acknowledged,
            # so after a crash its messages come back first (the order guarantee).
            max_ack_pending=self._settings.consumer_batch_size,
            filter_subjects=sorted({contract.subject for contract in self._subscription.handlers}),
        )
        if start_after is not None:
            config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = start_after + 1
        return config

    async def _recreate(self, js: JetStreamContext, config: ConsumerConfig) -> None:
        """A durable made with a setting that cannot be changed in place (an older Waymark's
        per-message ``AckPolicy.EXPLICIT``) is replaced by one that starts after its ack floor;
        a message acknowledged beyond the floor comes again and is recognised as applied."""
        sub = self._subscription
        info = await js.consumer_info(sub.stream.name, sub.durable)
        if info.config.ack_policy == AckPolicy.ALL:
            raise RuntimeError(f"consumer {sub.durable}: its configuration could not be updated")
        floor = info.ack_floor.stream_seq if info.ack_floor is not None else 0
        log.warning("consumer.recreated", consumer=sub.durable, after_sequence=floor)
        await js.delete_consumer(sub.stream.name, sub.durable)
        await js.add_consumer(sub.stream.name, self._config(start_after=floor))

    async def _consume(
        self, js: JetStreamContext, subscription: JetStreamContext.PullSubscription
    ) -> None:
        while True:
            try:
                messages = await subscription.fetch(
                    self._settings.consumer_batch_size,
                    timeout=self._settings.log_poll_interval_s * 4,
                )
            except TimeoutError:  # also nats' own timeout errors, which subclass it
                continue
            if not messages:
                continue
            async with self._claim(messages):
                await self._apply(js, messages)
            # After the commit; AckPolicy.ALL: this acknowledges every message of the batch.
            await messages[-1].ack()

    @contextlib.asynccontextmanager
    async def _claim(self, messages: list[Msg]) -> AsyncIterator[None]:
        """Renew the claim on a batch while it is being applied, however long that takes."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self._settings.consumer_ack_wait_s / 3)
                for message in messages:
                    await message.in_progress()

        renewing = asyncio.create_task(renew(), name=f"{self.name}:in-progress")
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await renewing

    async def _apply(self, js: JetStreamContext, messages: list[Msg]) -> None:
        work: list[_Work] = []
        for message in messages:
            item = self._decode(message)
            if isinstance(item, str):
                await self._dead_letter(js, message, item)
            else:
                work.append(item)
        attempt, together = 0, True
        while work:
            try:
                await self._apply_work(work, together)
            except _HandlerFailed as failed:
                del work[: failed.applied]
                index = failed.index - failed.applied
                error = failed.error
                if not is_transient(error):
                    refused = isinstance(error, self._subscription.permanent_errors)
                    reason = f"{'rejected' if refused else 'failed'}: {type(error).__name__}"
                    await self._dead_letter(js, work.pop(index).message, reason)
                    continue
                attempt += 1
                log.warning(
                    "consumer.retry",
                    consumer=self.name,
                    message_id=work[index].upstream.event_id,
                    attempt=attempt,
                    error=type(error).__name__,
                )
                await asyncio.sleep(self._backoff(attempt))
                continue
            except Exception as error:  # noqa: BLE001 - the commit itself failed
                attempt += 1
                log.warning(
                    "consumer.commit_failed",
                    consumer=self.name,
                    attempt=attempt,
                    error=type(error).__name__,
                )
                if not is_transient(error):
                    # Which message the store refused is unknown: one transaction each finds it.
                    together = False
                    continue
                await asyncio.sleep(self._backoff(attempt))
                continue
            self.applied += len(work)
            return

    def _decode(self, message: Msg) -> _Work | str:
        """The message's event, position and handler; or why it can never be applied."""
        sub = self._subscription
        try:
            envelope = decode(message.data)
            if envelope.source_service != sub.stream.owner:
                raise ContractViolation("source: does not own this stream")
            handler = sub.handlers.get(type(envelope.event))
            if handler is None:
                raise ContractViolation(f"type: {envelope.type} is not consumed here")
        except ContractViolation as violation:
            return str(violation)
        except Exception as error:  # noqa: BLE001 - the same bytes fail the same way every time
            return f"undecodable: {type(error).__name__}"
        upstream = Upstream(envelope.source_service, envelope.position, envelope.id)
        return _Work(message, envelope.event, upstream, handler)

    async def _apply_work(self, work: list[_Work], together: bool) -> None:
        app = self._subscription.application
        if together and app is not None and app.applies_batches_together:
            await in_thread(self._apply_together, app, work)
        else:
            await in_thread(self._apply_one_by_one, work)

    def _apply_together(self, app: WaymarkApplication, work: list[_Work]) -> None:
        """In a worker thread: every handler, then one commit; nothing stored if one fails."""
        upstream = self._subscription.stream.owner
        with app.applying_together(upstream, [item.upstream.notification_id for item in work]):
            for index, item in enumerate(work):
                try:
                    item.handler(item.event, item.upstream)
                except Exception as error:
                    raise _HandlerFailed(index, error, applied=0) from error

    def _apply_one_by_one(self, work: list[_Work]) -> None:
        """In a worker thread: each handler commits its own message."""
        for index, item in enumerate(work):
            try:
                item.handler(item.event, item.upstream)
            except Exception as error:
                raise _HandlerFailed(index, error, applied=index) from error

    async def _dead_letter(self, js: JetStreamContext, message: Msg, reason: str) -> None:
        """Copy the message to the dead-letter stream (retried until it is stored). The batch's
        ack then acknowledges it with the rest."""
        metadata = message.metadata
        headers = {
            # De-duplicated like any other publish, should the batch be delivered again.
            "Nats-Msg-Id": f"dlq:{self.name}:{metadata.stream}:{metadata.sequence.stream}",
            "Waymark-Dead-Letter-Reason": reason,
            "Waymark-Consumer": self.name,
            "Waymark-Original-Subject": message.subject,
            "Waymark-Original-Stream": str(metadata.stream),
            "Waymark-Original-Sequence": str(metadata.sequence.stream),
        }
        attempt = 0
        while True:
            try:
                await js.publish(
                    dead_letter_subject(self.name),
                    message.data,
                    stream=DEAD_LETTER_STREAM.name,
                    headers=headers,
                )
                break
            except Exception as error:  # noqa: BLE001 - keep the message until it is copied
                attempt += 1
                log.warning(
                    "consumer.dead_letter_failed", consumer=self.name, error=type(error).__name__
                )
                await asyncio.sleep(self._backoff(attempt))
        self.dead_lettered += 1
        log.warning(
            "consumer.dead_lettered",
            consumer=self.name,
            sequence=metadata.sequence.stream,
            reason=reason,
        )

    def _backoff(self, attempt: int) -> float:
        delay = self._settings.retry_base_delay_s * 2 ** (attempt - 1)
        return float(min(delay, self._settings.retry_max_delay_s))
