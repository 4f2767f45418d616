"""What one service process runs, started and stopped in order by its lifespan.

The composition root of each service (``services/<name>/main.py``) says *what* its parts are;
this module owns *how* they live: stores opened, the NATS connection, one log reader feeding the
projections and the relay, the consumers and periodic jobs as tasks, and a clean shutdown in
reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog

from shared.admin.verify import Verifier
from shared.lease import Lease, LeaseBucket, LeaseTimes, Work, replica_id
from shared.messaging.connection import NatsConnection
from shared.messaging.consumer import DurableConsumer, Subscription
from shared.messaging.progress_guard import StoreBehindConsumer, check_store_matches_consumer
from shared.messaging.relay import Outbound, Relay
from shared.reference import ReferenceData, load_reference_data
from shared.security.audit import AuditLog
from shared.settings import Settings
from shared.storage.backend import ensure_postgres_schema, event_store_env, open_sql_store
from shared.storage.eventstore import WaymarkApplication
from shared.storage.keyring import Keyring
from shared.storage.log_follower import LogFollower
from shared.storage.log_reader import LogReader
from shared.storage.log_signal import install_commit_notify, listen_for_commits
from shared.storage.positions import LogPositions
from shared.storage.projection import Projection
from shared.storage.sql import SqlStore
from shared.tasks import cancel_until_done
from shared.threads import in_thread, limit_store_threads

log = structlog.get_logger(__name__)

# How long start-up waits for NATS to answer (or refuse) before checking consumers later.
FIRST_CONNECT_WAIT_S = 3.0


@dataclass(frozen=True)
class Stores:
    """What a service's parts are built on."""

    settings: Settings
    event_store_env: dict[str, str]
    views: SqlStore
    keyring: Keyring
    positions: LogPositions
    reference: ReferenceData
    audit: AuditLog

    def close(self) -> None:
        self.views.close()
        self.keyring.close()
        self.audit.close()


@dataclass(frozen=True)
class PeriodicTask:
    """A synchronous job run every ``interval_s`` in a worker thread (timers, expiries)."""

    name: str
    interval_s: float
    run: Callable[[], object]


#: The service's Application (``CasesApplication``…), so its routes need no cast.
AppT = TypeVar("AppT", bound=WaymarkApplication)
#: Each service's own frozen dataclass of the read models and query objects its routes use.
QueriesT = TypeVar("QueriesT")


@dataclass
class ServiceParts(Generic[AppT, QueriesT]):
    application: AppT
    #: What the routes read, typed by the service (``CasesReadModels``, ``VisitsReadModels``…).
    queries: QueriesT
    projections: Sequence[Projection] = ()
    outbound: Outbound | None = None
    subscriptions: Sequence[Subscription] = ()
    periodic: Sequence[PeriodicTask] = ()
    #: How ``waymark verify`` compares the read models with the events (None: nothing to verify).
    verify: Verifier | None = None


Assemble = Callable[[Stores], ServiceParts[AppT, QueriesT]]


def open_stores(settings: Settings) -> Stores:
    settings.require_explicit_store()
    ensure_postgres_schema(settings)
    views = open_sql_store(settings, "views")
    keys = open_sql_store(settings, "keys")
    return Stores(
        settings=settings,
        event_store_env=event_store_env(settings),
        views=views,
        keyring=Keyring(keys, settings.master_key_bytes(), settings.previous_master_key_bytes()),
        positions=LogPositions(views),
        reference=load_reference_data(settings.reference_data_file),
        # Its own store: an append per request must not queue behind projection writes.
        audit=AuditLog(open_sql_store(settings, "audit")),
    )


class Runtime(Generic[AppT, QueriesT]):
    parts: ServiceParts[AppT, QueriesT]
    app: AppT

    def __init__(self, settings: Settings, assemble: Assemble[AppT, QueriesT]) -> None:
        self.settings = settings
        self._assemble = assemble
        self._tasks: list[asyncio.Task[None]] = []
        self.connection = NatsConnection(settings, client_name=f"waymark-{settings.service}")
        self.relay: Relay | None = None
        self.log_reader: LogReader | None = None
        self.consumers: list[DurableConsumer] = []
        #: Consumers that will not run on this store, with the reason (``progress_guard``).
        self.refused: dict[str, str] = {}
        #: This process in lease values and ``/readyz``.
        self.replica = replica_id()
        #: Background work that runs only where its lease is held (``WAYMARK_LEASES``).
        self.leases: dict[str, Lease] = {}
        self._lease_bucket = LeaseBucket(self.connection, settings)
        self._periodic_running: dict[str, bool] = {}

    async def start(self) -> None:
        settings = self.settings
        assert settings.store_threads is not None  # filled in by Settings
        limit_store_threads(settings.store_threads)
        self.stores = await asyncio.to_thread(open_stores, settings)
        self.parts = await asyncio.to_thread(self._assemble, self.stores)
        self.app = self.parts.application
        await self._wake_on_commits_from_every_replica()
        await self.connection.start()
        if not settings.background:
            log.info("service.started", service=settings.service.value, background=False)
            return
        await self._refuse_a_store_behind_its_consumers()
        followers: list[LogFollower] = list(self.parts.projections)
        if self.parts.outbound is not None:
            outbound = self.parts.outbound
            self.relay = Relay(
                self.app,
                positions=self.stores.positions,
                connection=self.connection,
                stream=outbound.stream,
                translate=outbound.translate,
                event_classes=outbound.event_classes,
                settings=settings,
            )
            if settings.leases:
                # Leased to one replica at a time: it follows the log on its own there, while
                # every replica's reader keeps its projections current.
                self._spawn_background(self.relay.run, "relay")
            else:
                followers.append(self.relay)
        if followers:
            # One reader decodes each batch once for the projections and the relay.
            self.log_reader = LogReader(
                self.app,
                self.stores.positions,
                followers,
                batch_size=max(f.batch_size for f in followers),
                poll_interval=settings.log_poll_interval_s,
            )
            self._spawn(self.log_reader.run(), "log_reader")
        for subscription in self.parts.subscriptions:
            consumer = DurableConsumer(self.connection, subscription, settings)
            self.consumers.append(consumer)
            self._spawn_background(
                functools.partial(self._consume_once_the_store_matches, consumer, subscription),
                f"consumer:{subscription.durable}",
            )
        for job in self.parts.periodic:
            self._spawn_background(functools.partial(self._every, job), f"periodic:{job.name}")
        log.info("service.started", service=settings.service.value)

    async def _wake_on_commits_from_every_replica(self) -> None:
        """On PostgreSQL, LISTEN for the commits of every replica of this service."""
        recorder: Any = self.app.recorder
        if not self.settings.uses_postgres or not hasattr(recorder, "events_table_name"):
            return
        assert self.settings.database_url is not None
        dsn = self.settings.database_url.get_secret_value()
        channel = await asyncio.to_thread(
            install_commit_notify, dsn, recorder.datastore.schema, recorder.events_table_name
        )
        self._spawn(listen_for_commits(self.app.log_signal, dsn, channel), "listen:commits")

    def _spawn_background(self, work: Work, name: str) -> None:
        """Work that must run in one replica at a time: here, or under its lease."""
        if not self.settings.leases:
            self._spawn(work(), name)
            return
        lease = Lease(
            self._lease_bucket,
            work=name,
            holder=self.replica,
            times=LeaseTimes.from_settings(self.settings),
        )
        self.leases[name] = lease
        self._spawn(lease.run(work), f"lease:{name}")

    def lease_status(self) -> dict[str, str]:
        """Which background work this replica holds (``held``) and which it leaves to others."""
        return {name: lease.status() for name, lease in self.leases.items()}

    async def _refuse_a_store_behind_its_consumers(self) -> None:
        """Refuse to start on a store the durable consumers never fed, when NATS answers now.

        When it does not, each consumer makes the same check before it first binds.
        """
        subscriptions = self.parts.subscriptions
        if not subscriptions:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FIRST_CONNECT_WAIT_S):
                await self.connection.first_attempt()
        if not self.connection.is_connected:
            return
        js = await self.connection.jetstream()
        try:
            for subscription in subscriptions:
                await check_store_matches_consumer(js, self.app, subscription, self.settings)
        except StoreBehindConsumer as refusal:
            log.error("service.refused", service=self.settings.service.value, reason=str(refusal))
            await self.connection.close()
            self.app.close()
            self.stores.close()
            raise
        except Exception as error:  # noqa: BLE001 - each consumer checks again before it binds
            log.warning("consumer.progress_unknown", error=type(error).__name__)

    async def _consume_once_the_store_matches(
        self, consumer: DurableConsumer, subscription: Subscription
    ) -> None:
        while True:
            try:
                js = await self.connection.jetstream()
                await check_store_matches_consumer(js, self.app, subscription, self.settings)
                break
            except StoreBehindConsumer as refusal:
                # Not retried: only someone who knows which store is the real one can decide.
                self.refused[consumer.name] = str(refusal)
                log.error("consumer.refused", consumer=consumer.name, reason=str(refusal))
                return
            except Exception as error:  # noqa: BLE001 - NATS not ready yet: ask again
                log.warning(
                    "consumer.progress_unknown", consumer=consumer.name, error=type(error).__name__
                )
                await asyncio.sleep(1.0)
        await consumer.run()

    async def stop(self) -> None:
        if self._tasks:
            # Bounded: a loop that will not stop must not hold the process (or a test) forever.
            stuck = await cancel_until_done(reversed(self._tasks), within_s=10)
            for task in stuck:
                log.error("service.task_did_not_stop", task=task.get_name())
        await self.connection.close()
        self.app.close()
        self.stores.close()
        log.info("service.stopped", service=self.settings.service.value)

    async def _every(self, job: PeriodicTask) -> None:
        self._periodic_running[job.name] = True
        lease = self.leases.get(f"periodic:{job.name}")
        try:
            while True:
                if lease is not None and not lease.held:
                    return  # the fence: no tick starts once the lease is past its deadline
                try:
                    await in_thread(job.run)
                except Exception as error:  # noqa: BLE001 - the next tick tries again
                    log.warning("periodic.failed", job=job.name, error=type(error).__name__)
                await asyncio.sleep(job.interval_s)
        finally:
            self._periodic_running[job.name] = False

    def readiness(self) -> dict[str, bool]:
        checks: dict[str, bool] = {"nats": self.connection.is_connected}
        try:
            self.app.max_notification_id()
            self.stores.views.ping()
            checks["store"] = True
        except Exception:  # noqa: BLE001 - reported, not raised: this is the health check
            checks["store"] = False
        background: dict[str, bool] = {}
        if self.relay is not None:
            background["relay"] = self.relay.running
        for consumer in self.consumers:
            background[f"consumer:{consumer.name}"] = consumer.running
        for name, running in self._periodic_running.items():
            background[f"periodic:{name}"] = running
        for name, running in background.items():
            lease = self.leases.get(name)
            # Work leased to another replica is not this one's to run.
            if lease is None or lease.held:
                checks[name] = running
        if self.settings.background:  # an HTTP-only process leaves the projections to another
            for projection in self.parts.projections:
                checks[f"projection:{projection.name}"] = projection.running
        return checks

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(self._report_exit)
        self._tasks.append(task)

    @staticmethod
    def _report_exit(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "service.task_died", task=task.get_name(), error=type(task.exception()).__name__
            )
