"""Leases: background work runs in exactly one replica of a service at a time.

A lease is one key in a NATS KV bucket per service (``waymark_leases_<service>``), written only
with revision-checked operations: ``create`` succeeds only where the key is absent,
``update(last=revision)`` only for the replica whose write was the last one. The bucket's
``ttl`` (the stream's ``max_age``) makes the server drop a key that its holder stopped renewing,
so the server's clock, not the replicas', decides when a lease has expired.

The holder renews every ``lease_renew_s`` and, if it could not renew, stops the work on its own
clock at ``lease_ttl_s - lease_margin_s`` after sending its last successful write. The server
cannot drop the key earlier than ``lease_ttl_s`` after *storing* that write, which was later
than it was sent, so the old holder has stopped before anyone else can create the key.
docs/architecture.md ("Replicas and leases") says what this fences and what it does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog
from nats.js.api import KeyValueConfig
from nats.js.errors import KeyDeletedError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from shared.messaging.connection import NatsConnection
from shared.observability.metrics import LEASE_FAILOVERS, LEASE_HELD
from shared.settings import Settings
from shared.stopping import raise_if_stopping
from shared.tasks import cancel_until_done

log = structlog.get_logger(__name__)

BUCKET_PREFIX = "waymark_leases_"

Work = Callable[[], Coroutine[Any, Any, None]]


def replica_id() -> str:
    """Names this process in lease values and ``/readyz``: host (a pod name), pid, a nonce."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def lease_key(work: str) -> str:
    """A KV key for one piece of work (KV keys allow ``[-/_=.a-zA-Z0-9]``)."""
    return "".join(c if c.isalnum() or c in "-_=" else "_" for c in work)


@dataclass(frozen=True)
class LeaseTimes:
    ttl_s: float
    renew_s: float
    margin_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> LeaseTimes:
        return cls(settings.lease_ttl_s, settings.lease_renew_s, settings.lease_margin_s)


class LeaseBucket:
    """The KV bucket every service's leases live in, created on first use."""

    def __init__(self, connection: NatsConnection, settings: Settings) -> None:
        self._connection = connection
        self._settings = settings
        self._kv: KeyValue | None = None
        self._lock = asyncio.Lock()

    async def kv(self) -> KeyValue:
        async with self._lock:
            if self._kv is None:
                js = await self._connection.jetstream()
                # Every replica of the service creates it with the same configuration, so
                # whichever is first makes it and the others' create is an idempotent no-op.
                self._kv = await js.create_key_value(
                    KeyValueConfig(
                        bucket=BUCKET_PREFIX + self._settings.service.value,
                        history=1,
                        ttl=self._settings.lease_ttl_s,
                        replicas=self._settings.stream_replicas,
                    )
                )
            return self._kv


class Lease:
    """Runs one piece of work while this replica holds its lease; hands it over when not."""

    def __init__(
        self,
        bucket: LeaseBucket,
        *,
        work: str,
        holder: str,
        times: LeaseTimes,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.work = work
        self.key = lease_key(work)
        self.holder = holder
        self.times = times
        self._bucket = bucket
        self._clock = clock
        self._revision = 0
        self._deadline = 0.0
        #: This replica's last write when it stopped for want of a renewal (0: none).
        self._lapsed_revision = 0
        #: The holder another replica wrote, as last seen (None: unknown or nobody).
        self.seen_holder: str | None = None
        #: How many times this replica has acquired the lease.
        self.acquired = 0

    @property
    def held(self) -> bool:
        """Held and not yet past the local deadline: the fence each unit of work checks."""
        return self._revision > 0 and self._clock() < self._deadline

    def status(self) -> str:
        if self.held:
            return "held"
        return f"elsewhere:{self.seen_holder}" if self.seen_holder else "unheld"

    async def run(self, work: Work) -> None:
        """Forever: acquire, run ``work`` while held, stop it when the lease is lost."""
        try:
            while True:
                raise_if_stopping()
                try:
                    kv = await self._bucket.kv()
                    if not await self._acquire(kv):
                        await asyncio.sleep(self.times.renew_s)
                        continue
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 - NATS away or the bucket not ready
                    log.info("lease.unavailable", work=self.work, error=type(error).__name__)
                    await asyncio.sleep(self.times.renew_s)
                    continue
                if not await self._run_while_held(kv, work):
                    return
        finally:
            await self._release()

    async def _acquire(self, kv: KeyValue) -> bool:
        sent = self._clock()
        try:
            revision = await kv.create(self.key, self.holder.encode())
        except KeyWrongLastSequenceError:
            revision = await self._take_back_own_lapsed_lease(kv, sent)
            if not revision:
                await self._look_at_holder(kv)
                return False
        self._lapsed_revision = 0
        self._held_from(revision, sent)
        self.acquired += 1
        taken_over, self.seen_holder = self.seen_holder is not None, None
        log.info("lease.acquired", work=self.work, holder=self.holder, revision=revision)
        if taken_over:
            # Another replica held it when last looked at: this is a failover, not a start.
            LEASE_FAILOVERS.labels(work=self.work).inc()
        return True

    async def _take_back_own_lapsed_lease(self, kv: KeyValue, sent: float) -> int:
        """After this replica stopped for want of a renewal (NATS electing a leader, say), its
        key may still hold its own last write: nobody else can have held the lease since, and
        the work has stopped here, so renewing it resumes at once instead of a TTL later."""
        if not self._lapsed_revision:
            return 0
        try:
            return int(await kv.update(self.key, self.holder.encode(), last=self._lapsed_revision))
        except KeyWrongLastSequenceError:
            self._lapsed_revision = 0  # someone else wrote since: theirs now, or expired
            return 0

    async def _look_at_holder(self, kv: KeyValue) -> None:
        with contextlib.suppress(KeyNotFoundError, KeyDeletedError):
            entry = await kv.get(self.key)
            self.seen_holder = (entry.value or b"").decode() or None

    def _held_from(self, revision: int, sent: float) -> None:
        self._revision = revision
        self._deadline = sent + self.times.ttl_s - self.times.margin_s
        LEASE_HELD.labels(work=self.work).set(1)

    def _lost(self) -> None:
        self._revision = 0
        LEASE_HELD.labels(work=self.work).set(0)

    async def _run_while_held(self, kv: KeyValue, work: Work) -> bool:
        """Run the work until the lease is lost (True: try again) or the work is done (False)."""
        task = asyncio.create_task(work(), name=f"leased:{self.work}")
        try:
            reason = await self._renew_until_lost(kv, task)
        finally:
            # The work stops before the lease may expire: cancelling reaches it at its next
            # await (a store commit running in a thread finishes first: the margin covers one),
            # or the one after, if the first cancel met a nats-py call that drops it.
            await cancel_until_done([task])
        if reason != "work ended":
            log.warning("lease.lost", work=self.work, reason=reason)
            return True
        failed = not task.cancelled() and task.exception() is not None
        if failed:
            log.error("lease.work_died", work=self.work, error=type(task.exception()).__name__)
        fenced_out = not self.held  # the work stopped itself at the deadline (its fence)
        # Either way another replica may take the work over at once.
        await self._release()
        if failed or fenced_out:
            # Do not spin on work that fails at once.
            await asyncio.sleep(self.times.renew_s)
            return True
        # The work finished on its own (a consumer refusing its store): it is not retried here.
        log.info("lease.work_finished", work=self.work)
        return False

    async def _renew_until_lost(self, kv: KeyValue, task: asyncio.Task[None]) -> str:
        while True:
            raise_if_stopping()
            next_renewal = min(self._deadline, self._clock() + self.times.renew_s)
            await asyncio.wait({task}, timeout=max(0.0, next_renewal - self._clock()))
            if task.done():
                return "work ended"
            left = self._deadline - self._clock()
            if left <= 0:
                self._lapsed_revision = self._revision
                self._lost()
                return "not renewed in time"
            sent = self._clock()
            try:
                async with asyncio.timeout(left):
                    revision = await kv.update(self.key, self.holder.encode(), last=self._revision)
            except KeyWrongLastSequenceError:
                self._lost()
                return "taken over"
            except Exception as error:  # noqa: BLE001 - NATS slow or away: retried until the deadline
                log.info("lease.renew_failed", work=self.work, error=type(error).__name__)
                continue
            self._held_from(revision, sent)

    async def _release(self) -> None:
        """Hand the lease over at once (a clean shutdown): delete it if still ours."""
        revision, self._revision = self._revision, 0
        LEASE_HELD.labels(work=self.work).set(0)
        if revision <= 0:
            return
        with contextlib.suppress(Exception):
            # Bounded: a stop must never wait on NATS (the lease then expires on its TTL).
            async with asyncio.timeout(2.0):
                kv = await self._bucket.kv()
                await kv.delete(self.key, last=revision)
            log.info("lease.released", work=self.work)
