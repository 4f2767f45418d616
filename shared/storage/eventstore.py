"""The base ``Application`` every service's application extends.

It adds what the library leaves to us: an explicit environment (no ambient ``os.environ``),
the per-person encrypting mapper, a process recorder so the effects of an upstream message are
stored in one transaction with that message's position, and a wake-up signal for followers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent, Repository, project_aggregate
from eventsourcing.domain import MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, Mapper, ProcessRecorder, Recording, Tracking
from eventsourcing.utils import Environment, EnvType, strtobool

from shared.observability.outbox import observe_recorded
from shared.storage.keyring import Keyring, SubjectErasedError
from shared.storage.log_signal import LogSignal
from shared.storage.personal_data import PersonalDataMapper, personal_fields_of, subject_of
from shared.storage.snapshots import TolerantRepository


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
        return Environment(name, {**type(self).env, **flags, **(env or {})})

    def construct_repository(self) -> Repository[UUID]:
        # As the library builds it, but folding from events when a snapshot's key was erased.
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return TolerantRepository(
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
        # A snapshot is only a shortcut: none is taken of someone whose key was erased (it could
        # not be sealed), and the events already stored stand.
        with contextlib.suppress(SubjectErasedError):
            super().take_snapshot(aggregate_id, version, projector_func)

    def construct_mapper(self) -> Mapper[UUID]:
        return PersonalDataMapper(transcoder=self.construct_transcoder(), keyring=self.keyring)

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        # Keys for every person in this save are made together, committed before the events.
        subjects = {
            subject_of(event)
            for event in processing_event.events
            if personal_fields_of(type(event))
        }
        if subjects:
            self.keyring.ensure(subjects)
        return super()._record(processing_event)

    def _notify(self, recordings: Sequence[Any]) -> None:
        observe_recorded(self.name, recordings)
        self.log_signal.notify()

    @property
    def process_recorder(self) -> ProcessRecorder:
        assert isinstance(self.recorder, ProcessRecorder)
        return self.recorder

    def save_once(
        self, tracking: Tracking, *aggregates: MutableOrImmutableAggregate[UUID] | None
    ) -> bool:
        """Store the aggregates' new events together with the upstream position.

        Returns False, storing nothing, when that position was already applied: a redelivered
        message changes nothing. Any other conflict propagates so the caller can retry.
        """
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
