"""Durable pull consumers that turn upstream integration events into local commands.

Per message: decode and validate the envelope and contract; run the handler in a worker thread
(the event store is synchronous); the handler stores its effects together with the upstream
position (``Tracking``), so a redelivered message changes nothing; ack only after that commit.
Every failure is classified (``is_transient``): a message that can never be applied — it breaks
its contract, cannot be decoded, or is refused for good — is copied to the dead-letter subject
with the reason and ``term``-ed. A transient failure is retried in place with an exponential
delay (the rest of the batch waits, so order is kept); one that outlasts those attempts is
``nak``-ed, with the rest of its batch, for JetStream to redeliver later. The loop outlives
every single failure.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
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

from shared.contracts.base import IntegrationEvent
from shared.contracts.envelope import ContractViolation, decode
from shared.contracts.streams import DEAD_LETTER_STREAM, StreamSpec, dead_letter_subject
from shared.messaging.connection import NatsConnection
from shared.messaging.streams import ensure_streams
from shared.observability import metrics, tracing
from shared.settings import Settings
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


class _Outcome(Enum):
    DONE = "done"
    RETRY = "retry"


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
        config = ConsumerConfig(
            durable_name=sub.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._settings.consumer_ack_wait_s,
            max_deliver=-1,  # a transient failure is retried until it heals, never dropped
            max_ack_pending=self._settings.consumer_batch_size * 4,
            filter_subjects=sorted({contract.subject for contract in sub.handlers}),
        )
        await js.add_consumer(sub.stream.name, config)
        return await js.pull_subscribe_bind(durable=sub.durable, stream=sub.stream.name)

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
            for index, message in enumerate(messages):
                if await self._process(js, message) is _Outcome.RETRY:
                    for later in messages[index:]:
                        await later.nak(delay=self._retry_delay(later))
                    break

    async def _process(self, js: JetStreamContext, message: Msg) -> _Outcome:
        sub = self._subscription
        metrics.observe_delivery(self.name, message.metadata)
        try:
            envelope = decode(message.data)
            if envelope.source_service != sub.stream.owner:
                raise ContractViolation("source: does not own this stream")
            handler = sub.handlers.get(type(envelope.event))
            if handler is None:
                raise ContractViolation(f"type: {envelope.type} is not consumed here")
        except ContractViolation as violation:
            return await self._dead_letter(js, message, str(violation))
        except Exception as error:  # noqa: BLE001 - the same bytes fail the same way every time
            return await self._dead_letter(js, message, f"undecodable: {type(error).__name__}")
        upstream = Upstream(envelope.source_service, envelope.position, envelope.id)
        # Retry in place first: the batch behind this message waits, so order is kept. Only a
        # failure that outlasts these attempts is handed back to JetStream with a delay.
        for attempt in range(self._settings.consumer_inline_attempts):
            try:
                traced = tracing.consumed(self.name, message.headers, handler)
                await in_thread(traced, envelope.event, upstream)
                break
            except Exception as error:  # noqa: BLE001 - classified: dead letter or retry
                if not is_transient(error):
                    refused = isinstance(error, sub.permanent_errors)
                    reason = f"{'rejected' if refused else 'failed'}: {type(error).__name__}"
                    return await self._dead_letter(js, message, reason)
                log.warning(
                    "consumer.retry",
                    consumer=self.name,
                    message_id=envelope.id,
                    attempt=attempt + 1,
                    error=type(error).__name__,
                )
                if attempt + 1 == self._settings.consumer_inline_attempts:
                    return _Outcome.RETRY
                await message.in_progress()  # keep our claim on it while we wait
                await asyncio.sleep(self._backoff(attempt + 1))
        await message.ack()
        self.applied += 1
        metrics.CONSUMER_APPLIED.labels(consumer=self.name).inc()
        return _Outcome.DONE

    async def _dead_letter(self, js: JetStreamContext, message: Msg, reason: str) -> _Outcome:
        metadata = message.metadata
        headers = {
            # De-duplicated like any other publish, should the term below be lost.
            "Nats-Msg-Id": f"dlq:{self.name}:{metadata.stream}:{metadata.sequence.stream}",
            "Waymark-Dead-Letter-Reason": reason,
            "Waymark-Consumer": self.name,
            "Waymark-Original-Subject": message.subject,
            "Waymark-Original-Stream": str(metadata.stream),
            "Waymark-Original-Sequence": str(metadata.sequence.stream),
        }
        try:
            await js.publish(
                dead_letter_subject(self.name),
                message.data,
                stream=DEAD_LETTER_STREAM.name,
                headers=headers,
            )
        except Exception as error:  # noqa: BLE001 - keep the message until it is safely copied
            log.warning(
                "consumer.dead_letter_failed", consumer=self.name, error=type(error).__name__
            )
            return _Outcome.RETRY
        await message.term()
        self.dead_lettered += 1
        metrics.DEAD_LETTERS.labels(consumer=self.name).inc()
        log.warning(
            "consumer.dead_lettered",
            consumer=self.name,
            sequence=metadata.sequence.stream,
            reason=reason,
        )
        return _Outcome.DONE

    def _retry_delay(self, message: Msg) -> float:
        return self._backoff(max(1, message.metadata.num_delivered or 1))

    def _backoff(self, attempt: int) -> float:
        delay = self._settings.retry_base_delay_s * 2 ** (attempt - 1)
        return float(min(delay, self._settings.retry_max_delay_s))
