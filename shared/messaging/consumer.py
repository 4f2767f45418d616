"""Durable pull consumers that turn upstream integration events into local commands.

A fetched batch is decoded and validated first; a message that breaks its contract or cannot be
decoded is copied to the dead-letter subject with the reason and ``term``-ed. The rest are
applied in ONE worker thread and ONE store transaction (``WaymarkApplication.applying_together``):
each handler ends in ``save_once(upstream, …)``, which joins the batch, and the batch commits
every event with every message's upstream position (``Tracking``), so a redelivered message
changes nothing. Only after that commit is each message of the batch acknowledged.

Every failure is classified (``is_transient``). A handler that is refused for good, or fails in a
way no retry can cure, has its message dead-lettered and the batch is applied again without it
(nothing of the failed attempt was stored). A transient failure (the store briefly away, a
concurrent writer) is retried in place with a capped exponential delay, the whole batch waiting,
for as long as it takes: order is never given up to make progress. While a batch is in hand the
consumer renews its claim (``in_progress``) every third of ``consumer_ack_wait_s``, so a slow
handler keeps its messages while a dead process loses them within that ack wait.

Order: a durable consumer applies its messages in stream order. When it starts (or binds again
after losing NATS) and finds messages still claimed by a process that died with them, it waits
until that claim has run out (one ack wait and a half) before its first fetch; JetStream serves
those redeliveries before anything newer, so a crash delays messages but does not reorder them.
That holds while one process at a time pulls a durable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
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
from shared.contracts.envelope import MAX_ENVELOPE_BYTES, ContractViolation, decode
from shared.contracts.streams import DEAD_LETTER_STREAM, StreamSpec, dead_letter_subject
from shared.messaging.connection import NatsConnection
from shared.messaging.streams import ensure_streams
from shared.observability import metrics, tracing
from shared.settings import Settings
from shared.stopping import raise_if_stopping
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
    #: Called with a batch's events inside its transaction, before the handlers: to read what
    #: the whole batch needs at once (``WaymarkApplication.expect_in_batch``).
    prepare: Callable[[Sequence[IntegrationEvent]], None] | None = None


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
        self._deliveries = metrics.Deliveries(subscription.durable)

    @property
    def name(self) -> str:
        return self._subscription.durable

    async def run(self) -> None:
        self.running = True
        try:
            while True:
                raise_if_stopping()
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
        try:
            await js.add_consumer(sub.stream.name, self._config())
        except BadRequestError as error:  # a setting the server will not change in place
            log.warning("consumer.config_kept", consumer=sub.durable, error=error.description)
        await self._outwait_a_dead_holder(js)
        return await js.pull_subscribe_bind(durable=sub.durable, stream=sub.stream.name)

    async def _outwait_a_dead_holder(self, js: JetStreamContext) -> None:
        """Messages delivered and never acknowledged belong to a process that died (one process
        pulls a durable at a time). Fetching now would get newer messages ahead of them; once
        their claim has run out JetStream redelivers them before anything else."""
        sub = self._subscription
        info = await js.consumer_info(sub.stream.name, sub.durable)
        if info.num_ack_pending:
            wait = self._settings.consumer_ack_wait_s * 1.5
            log.info("consumer.awaiting_redelivery", consumer=self.name, wait_s=wait)
            await asyncio.sleep(wait)

    def _config(self) -> ConsumerConfig:
        sub = self._subscription
        return ConsumerConfig(
            durable_name=sub.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._settings.consumer_ack_wait_s,
            max_deliver=-1,  # a transient failure is retried until it heals, never dropped
            max_ack_pending=self._settings.consumer_batch_size,  # one batch in hand at a time
            filter_subjects=sorted({contract.subject for contract in sub.handlers}),
        )

    async def _consume(
        self, js: JetStreamContext, subscription: JetStreamContext.PullSubscription
    ) -> None:
        while True:
            raise_if_stopping()
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
                settled = await self._apply(js, messages)
            for message in settled:  # after the commit
                await message.ack()

    @contextlib.asynccontextmanager
    async def _claim(self, messages: list[Msg]) -> AsyncIterator[None]:
        """Renew the claim on a batch while it is being applied, however long that takes."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self._settings.consumer_ack_wait_s / 3)
                try:
                    for message in messages:
                        await message.in_progress()
                except Exception as error:  # noqa: BLE001 - try again at the next turn
                    log.warning(
                        "consumer.renew_failed", consumer=self.name, error=type(error).__name__
                    )

        renewing = asyncio.create_task(renew(), name=f"{self.name}:in-progress")
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await renewing

    async def _apply(self, js: JetStreamContext, messages: list[Msg]) -> list[Msg]:
        """Apply a batch; return the messages to acknowledge (all but the dead letters)."""
        work: list[_Work] = []
        for message in messages:
            item = self._decode(message)
            if isinstance(item, str):
                await self._dead_letter(js, message, item)
            else:
                work.append(item)
        attempt, together = 0, True
        done: list[Msg] = []  # committed one by one before a failure
        while work:
            try:
                await self._apply_work(work, together)
            except _HandlerFailed as failed:
                done += [item.message for item in work[: failed.applied]]
                self.applied += failed.applied
                metrics.CONSUMER_APPLIED.labels(consumer=self.name).inc(failed.applied)
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
            metrics.CONSUMER_APPLIED.labels(consumer=self.name).inc(len(work))
            return done + [item.message for item in work]
        return done

    def _decode(self, message: Msg) -> _Work | str:
        """The message's event, position and handler; or why it can never be applied."""
        sub = self._subscription
        self._deliveries.observe(message.metadata)
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
        traced = tracing.consumed(self.name, message.headers, handler)
        return _Work(message, envelope.event, upstream, traced)

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
            if self._subscription.prepare is not None:
                self._subscription.prepare([item.event for item in work])
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
        """Copy the message to the dead-letter stream (retried until it is stored), then tell
        JetStream never to deliver it again."""
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
        data = message.data
        if len(data) > MAX_ENVELOPE_BYTES:
            # Larger than any envelope, so it is no event; near the server's max_payload, a copy
            # with these headers would never be stored and the consumer would try for ever.
            # The message itself stays in its stream, at the sequence these headers name.
            headers["Waymark-Original-Bytes"] = str(len(data))
            data = b""
        attempt = 0
        while True:
            try:
                await js.publish(
                    dead_letter_subject(self.name),
                    data,
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
        await message.term()
        self.dead_lettered += 1
        metrics.DEAD_LETTERS.labels(consumer=self.name).inc()
        log.warning(
            "consumer.dead_lettered",
            consumer=self.name,
            sequence=metadata.sequence.stream,
            reason=reason,
        )

    def _backoff(self, attempt: int) -> float:
        delay = self._settings.retry_base_delay_s * 2 ** (attempt - 1)
        return float(min(delay, self._settings.retry_max_delay_s))
