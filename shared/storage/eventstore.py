"""The base ``Application`` every service's application extends.

It adds what the library leaves to us: an explicit environment (no ambient ``os.environ``),
the per-person encrypting mapper, a process recorder so the effects of an upstream message are
stored in one transaction with that message's position, and a wake-up signal for followers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, Mapper, ProcessRecorder, Recording, Tracking
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import Environment, EnvType, get_topic, strtobool

from shared.errors import ExpectedVersions, VersionMismatch, is_stale
from shared.observability.outbox import observe_recorded, observe_staged
from shared.storage.batch_tracking import (
    PostgresBatchTrackingRecorder,
    SQLiteBatchTrackingRecorder,
)
from shared.storage.keyring import Keyring, SubjectErasedError
from shared.storage.log_signal import LogSignal
from shared.storage.personal_data import PersonalDataMapper, personal_fields_of, subject_of
from shared.storage.snapshots import SealedSnapshot, TolerantRepository
from shared.storage.stored_json import StoredJSONTranscoder

A = TypeVar("A", bound=MutableOrImmutableAggregate[UUID])

#: How often a command is tried on a record that other writers keep changing under it.
RACE_ATTEMPTS = 5


@dataclass
class _Batch:
    """What the handlers of one batch of upstream messages have saved so far: committed
    together when the batch ends, or not at all."""

    upstream: str | None = None
    #: Positions of this batch already applied (found by one query before the handlers run).
    applied: set[int] = field(default_factory=set)
    checked: set[int] = field(default_factory=set)
    trackings: list[Tracking] = field(default_factory=list)
    #: (application name, position) of every tracking above: a lookup, not a scan per message.
    tracked: set[tuple[str, int]] = field(default_factory=set)
    events: list[Any] = field(default_factory=list)
    #: The aggregates saved in this batch, as saved: a later handler reads them from here, so
    #: two messages about one journey build on each other instead of conflicting.
    aggregates: dict[UUID, Any] = field(default_factory=dict)
    #: Aggregates found by ``expect_in_batch`` to have no events: read without a query.
    absent: set[UUID] = field(default_factory=set)


#: The batch being applied in this thread (each worker thread has its own context).
_batch: ContextVar[_Batch | None] = ContextVar("waymark_batch", default=None)


def _project(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's ``project_aggregate`` without its per-event ``isinstance`` check against a
    runtime-checkable protocol, which cost more than the mutation itself (every stored event
    of this system's aggregates has ``mutate``)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _BatchAwareRepository(TolerantRepository):
    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        batch = _batch.get()
        if batch is not None and version is None:
            if aggregate_id in batch.aggregates:
                return batch.aggregates[aggregate_id]
            if aggregate_id in batch.absent:
                raise AggregateNotFoundError(aggregate_id)
        kwargs.setdefault("projector_func", _project)
        return super().get(aggregate_id, version=version, **kwargs)


class WaymarkApplication(Application[UUID]):
    def __init__(self, env: EnvType, keyring: Keyring) -> None:
        self.keyring = keyring
        self.log_signal = LogSignal()
        super().__init__(env=env)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what the composition root passed: a stray POSTGRES_* in the process
        # environment must never redirect a service's event store.
        snapshotting = type(self).is_snapshotting_enabled or type(self).snapshotting_intervals
        flags = {"IS_SNAPSHOTTING_ENABLED": "y"} if snapshotting else {}
        values = {**type(self).env, **flags, **(env or {})}
        # The library's JSON, byte for byte, written faster (shared/storage/stored_json.py).
        values.setdefault("TRANSCODER_TOPIC", get_topic(StoredJSONTranscoder))
        # A recorder that commits a whole batch's upstream positions with its events.
        module = str(values.get("PERSISTENCE_MODULE", ""))
        if "postgres" in module:
            values.setdefault("PROCESS_RECORDER_TOPIC", get_topic(PostgresBatchTrackingRecorder))
        elif "sqlite" in module.lower():
            values.setdefault("PROCESS_RECORDER_TOPIC", get_topic(SQLiteBatchTrackingRecorder))
        return Environment(name, values)

    def construct_repository(self) -> Repository[UUID]:
        # As the library builds it, but folding from events when a snapshot's key was erased.
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return _BatchAwareRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(self.env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(
                self.env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")
            ),
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: Any = project_aggregate,
    ) -> None:
        snapshots = self.snapshots
        if snapshots is None:  # snapshotting is off: the library says how to turn it on
            super().take_snapshot(aggregate_id, version, projector_func)
            return
        # Every snapshot seals the aggregate's whole state with its subject's key, so the domain
        # need not know about sealing. A snapshot is only a shortcut: none is taken of someone
        # whose key was erased (it could not be sealed), and the events already stored stand.
        with contextlib.suppress(SubjectErasedError):
            aggregate = self.repository.get(
                aggregate_id, version=version, projector_func=projector_func
            )
            snapshots.put([SealedSnapshot.take(aggregate)])

    def construct_mapper(self) -> Mapper[UUID]:
        return PersonalDataMapper(transcoder=self.construct_transcoder(), keyring=self.keyring)

    def construct_recorder(self) -> ProcessRecorder:
        recorder = self.factory.process_recorder()
        datastore = getattr(recorder, "datastore", None)
        self._keys_with_events = isinstance(
            datastore, PostgresDatastore
        ) and self.keyring.shares_database(datastore)
        if self._keys_with_events:
            _store_new_keys_with_events(recorder, self.keyring.insert_statement)
        return recorder

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        subjects = {
            subject_of(event)
            for event in processing_event.events
            if personal_fields_of(type(event))
        }
        if not subjects:
            return super()._record(processing_event)
        if not self._keys_with_events:
            # Keys for every person in this save made together, committed before the events.
            self.keyring.ensure(subjects)
            return super()._record(processing_event)
        try:
            return self._record_with_new_keys(processing_event, subjects)
        except IntegrityError:
            # Another writer may have stored a first key for one of these people since they
            # were read: then this save stored nothing; once more, under the stored keys.
            return self._record_with_new_keys(processing_event, subjects)

    def _record_with_new_keys(
        self, processing_event: ProcessingEvent[UUID], subjects: set[UUID]
    ) -> list[Recording[UUID]]:
        """The save, with the keys it makes inserted in the same transaction as its events."""
        processing_event.saved_kwargs[NEW_KEYS] = self.keyring.new_keys(subjects)
        try:
            recordings = super()._record(processing_event)
        except BaseException:
            self.keyring.drop_new_keys()
            raise
        finally:
            processing_event.saved_kwargs.pop(NEW_KEYS, None)
        self.keyring.keep_new_keys()
        return recordings

    def _notify(self, recordings: Sequence[Any]) -> None:
        observe_recorded(self.name, recordings)
        self.log_signal.notify()

    @property
    def process_recorder(self) -> ProcessRecorder:
        assert isinstance(self.recorder, ProcessRecorder)
        return self.recorder

    def change(
        self,
        load: Callable[[], A],
        change: Callable[[A], None],
        *,
        expected: ExpectedVersions = None,
        rule_error: type[Exception] | tuple[type[Exception], ...] = (),
    ) -> tuple[A, bool]:
        """Load a record, apply a command's change, save it. Returns the record as it now
        stands, and whether anything was recorded (False: the change was already there).

        When another writer saves first, the command runs again on the record as that writer
        left it, just as if its request had come a moment later. A client that named the
        version it read (``If-Match``) then holds a stale one and hears so (412), unless the
        winner recorded this very change (a racing retry of the same request). A client that
        named none asked for the change whatever the version: it gets it, checked against the
        rules on the fresh record, instead of a 409 that every client would have to retry."""
        for _ in range(RACE_ATTEMPTS):
            aggregate = load()
            if not _applied(aggregate, expected, change, rule_error):
                return aggregate, False
            try:
                self.save(aggregate)
            except IntegrityError:
                continue
            return aggregate, True
        raise IntegrityError(f"{type(aggregate).__name__} kept changing under the command")

    def save_once(
        self, tracking: Tracking, *aggregates: MutableOrImmutableAggregate[UUID] | None
    ) -> bool:
        """Store the aggregates' new events together with the upstream position.

        Returns False, storing nothing, when that position was already applied: a redelivered
        message changes nothing. Any other conflict propagates so the caller can retry.

        Inside ``applying_together`` nothing is stored yet: the events and the position join
        the batch, which commits as a whole when it ends.
        """
        batch = _batch.get()
        if batch is not None:
            return self._join_batch(batch, tracking, aggregates)
        if self.has_applied(tracking):
            return False
        processing = ProcessingEvent[UUID](tracking)
        processing.collect_events(*aggregates)
        try:
            if processing.events:
                recordings = self._record(processing)
                self._take_snapshots(processing)
                self._notify(recordings)
            else:
                self.process_recorder.insert_tracking(tracking)
        except IntegrityError:
            if self.has_applied(tracking):
                return False
            raise
        return True

    @property
    def applies_batches_together(self) -> bool:
        """Whether the recorder can commit a batch's several upstream positions at once."""
        return bool(getattr(self.recorder, "records_several_trackings", False))

    @contextlib.contextmanager
    def applying_together(self, upstream: str, positions: Sequence[int]) -> Iterator[None]:
        """Every ``save_once`` in this block (in this thread) is committed in ONE transaction
        when the block ends without an error — all the events with every position — and none
        of it if it raises. ``positions`` (of ``upstream``) are checked for earlier application
        with one query instead of one each."""
        if not self.applies_batches_together:
            raise RuntimeError("this recorder stores one upstream position per transaction")
        if _batch.get() is not None:
            raise RuntimeError("a batch is already being applied")
        batch = _Batch(upstream=upstream)
        batch.checked = set(positions)
        batch.applied = self._applied_among(upstream, positions)
        token = _batch.set(batch)
        try:
            yield
        finally:
            _batch.reset(token)
        self._commit_batch(batch)

    def _join_batch(
        self,
        batch: _Batch,
        tracking: Tracking,
        aggregates: Sequence[MutableOrImmutableAggregate[UUID] | None],
    ) -> bool:
        position = tracking.notification_id
        if (tracking.application_name, position) in batch.tracked:
            return False
        if tracking.application_name == batch.upstream and position in batch.checked:
            if position in batch.applied:
                return False
        elif self.has_applied(tracking):
            return False
        batch.trackings.append(tracking)
        batch.tracked.add((tracking.application_name, position))
        for aggregate in aggregates:
            if aggregate is not None:
                mutable: Any = aggregate  # every aggregate here collects its pending events
                staged = mutable.collect_events()
                batch.events.extend(staged)
                batch.aggregates[aggregate.id] = aggregate
                # Noted now, inside this message's consumer span: the batch commits later.
                observe_staged(self.name, staged)
        return True

    def _commit_batch(self, batch: _Batch) -> None:
        if not batch.trackings:
            return
        first, *rest = batch.trackings
        processing = ProcessingEvent[UUID](first)
        processing.events = batch.events
        processing.aggregates = batch.aggregates
        processing.saved_kwargs = {"more_tracking": rest}
        if processing.events:
            recordings = self._record(processing)
            self._take_snapshots(processing)
            self._notify(recordings)
            return
        recorder: Any = self.recorder
        with recorder.datastore.transaction(commit=True) as cursor:
            recorder.insert_more_tracking(cursor, batch.trackings)

    def expect_in_batch(self, aggregate_ids: Iterable[UUID]) -> None:
        """Inside ``applying_together``: which of these aggregates have no events yet, found
        with one query for the batch, so a handler that opens one reads nothing. (One stored by
        another writer meanwhile makes the batch's commit conflict, as a read just before it
        would.) Outside a batch it does nothing."""
        batch = _batch.get()
        if batch is None:
            return
        wanted = {i for i in aggregate_ids if i not in batch.aggregates}
        if wanted:
            batch.absent |= wanted - self._stored_among(wanted)

    def absent_in_batch(self, aggregate_id: UUID) -> bool:
        """Inside ``applying_together``: ``expect_in_batch`` found this aggregate without events
        and no handler of the batch has saved it since: a read would find nothing."""
        batch = _batch.get()
        return (
            batch is not None
            and aggregate_id in batch.absent
            and aggregate_id not in batch.aggregates
        )

    def _stored_among(self, aggregate_ids: set[UUID]) -> set[UUID]:
        recorder: Any = self.recorder
        datastore = recorder.datastore
        if hasattr(recorder, "tracking_table_name"):  # PostgreSQL
            table = f'"{datastore.schema}"."{recorder.events_table_name}"'
            sql = f"SELECT DISTINCT originator_id FROM {table} WHERE originator_id = ANY(%s)"
            params: tuple[Any, ...] = (list(aggregate_ids),)
        else:  # SQLite keeps ids as hex text
            marks = ", ".join("?" * len(aggregate_ids))
            sql = (
                f"SELECT DISTINCT originator_id FROM {recorder.events_table_name} "
                f"WHERE originator_id IN ({marks})"
            )
            params = tuple(i.hex for i in aggregate_ids)
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        found = [row["originator_id"] if isinstance(row, dict) else row[0] for row in rows]
        return {i if isinstance(i, UUID) else UUID(str(i)) for i in found}

    def _applied_among(self, upstream: str, positions: Sequence[int]) -> set[int]:
        if not positions:
            return set()
        recorder: Any = self.recorder
        datastore = recorder.datastore
        wanted = sorted(set(positions))
        if hasattr(recorder, "tracking_table_name"):  # PostgreSQL
            table = f'"{datastore.schema}"."{recorder.tracking_table_name}"'
            sql = (
                f"SELECT notification_id FROM {table} "
                "WHERE application_name = %s AND notification_id = ANY(%s)"
            )
            params: tuple[Any, ...] = (upstream, wanted)
        else:  # SQLite
            marks = ", ".join("?" * len(wanted))
            sql = (
                "SELECT notification_id FROM tracking "
                f"WHERE application_name = ? AND notification_id IN ({marks})"
            )
            params = (upstream, *wanted)
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, params)
            return {
                int(row["notification_id"] if isinstance(row, dict) else row[0])
                for row in cursor.fetchall()
            }

    def has_applied(self, tracking: Tracking) -> bool:
        """Exactly this upstream position (not merely a later one) has been applied."""
        recorder: Any = self.recorder
        datastore = recorder.datastore
        if hasattr(recorder, "tracking_table_name"):  # PostgreSQL
            table = f'"{datastore.schema}"."{recorder.tracking_table_name}"'
            sql = f"SELECT 1 FROM {table} WHERE application_name = %s AND notification_id = %s"
        else:  # SQLite
            sql = "SELECT 1 FROM tracking WHERE application_name = ? AND notification_id = ?"
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(sql, (tracking.application_name, tracking.notification_id))
            return cursor.fetchone() is not None

    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0


#: The recorder's keyword for the new keys' rows of a save (``Keyring.new_keys``).
NEW_KEYS = "waymark_new_keys"


def _applied(
    aggregate: A,
    expected: ExpectedVersions,
    change: Callable[[A], None],
    rule_error: type[Exception] | tuple[type[Exception], ...],
) -> bool:
    """Whether ``change`` recorded anything on the aggregate (False: it was already there).
    A stale client hears that first, before any rule the change broke: its view of the record
    is out of date."""
    version = aggregate.version
    try:
        change(aggregate)
    except rule_error:
        if is_stale(expected, version):
            raise VersionMismatch(version) from None
        raise
    changed = aggregate.version != version
    if changed and is_stale(expected, version):
        raise VersionMismatch(version)
    return changed


def _store_new_keys_with_events(recorder: ProcessRecorder, insert: str) -> None:
    """Make the recorder insert a save's new keys in the transaction of its events.

    The PostgreSQL recorder runs its ``_insert_events`` step first in the transaction that
    inserts the events (and the tracking record): the keys go there too, so one commit
    stores them all, or none.
    """
    step = recorder._insert_events  # type: ignore[attr-defined]

    def with_new_keys(curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> None:
        for row in kwargs.get(NEW_KEYS) or ():
            curs.execute(insert, row)
        step(curs, stored_events, **kwargs)

    recorder._insert_events = with_new_keys  # type: ignore[attr-defined]
