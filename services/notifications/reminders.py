"""Durable timers and what notifications knows of a journey, each an aggregate: a reminder
survives restarts because it lives in the event store, moves with its source and fires once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.notifications.domain import NotificationError

_REMINDER_NAMESPACE = UUID("5f0c7f0e-8a57-4d0b-a1d3-2c1f7e0b9a61")
_JOURNEY_NAMESPACE = UUID("a2d0c6e4-61a4-4f53-9a0e-7c3b8d1e5f20")


class ReminderState(StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


class ReminderNotDue(NotificationError):
    """The reminder is not pending, or not yet due."""


class Reminder(Aggregate):
    """A durable timer: remind about a source (an appointment, a follow-up, an NRM decision
    awaited, a recovery period) at ``fire_at``. Moved with its source, cancelled with it, and
    fired once per due time: moving it after it fired arms it again for the new time."""

    @staticmethod
    def create_id(rule: str, source_id: str) -> UUID:
        return uuid5(_REMINDER_NAMESPACE, f"{rule}\x00{source_id}")

    class Scheduled(Aggregate.Created):
        """A reminder was set: for which journey, what is due when, when to remind, and after
        when reminding would be pointless (``stale_at``)."""

        rule: str
        source_id: str
        journey_id: UUID
        due_at: datetime
        fire_at: datetime
        stale_at: datetime | None

    class Rescheduled(Aggregate.Event):
        """Its source moved (or came back): the reminder is armed for the new time."""

        journey_id: UUID
        due_at: datetime
        fire_at: datetime
        stale_at: datetime | None

    class Fired(Aggregate.Event):
        """The reminder raised its notification."""

        notification_id: UUID
        at: datetime

    class Cancelled(Aggregate.Event):
        """Not needed any more (source cancelled, decision received, journey closed, too late)."""

        reason: str
        at: datetime

    @event(Scheduled)
    def __init__(
        self,
        rule: str,
        source_id: str,
        journey_id: UUID,
        due_at: datetime,
        fire_at: datetime,
        stale_at: datetime | None,
    ) -> None:
        self.rule = rule
        self.source_id = source_id
        self.journey_id = journey_id
        self.due_at = due_at
        self.fire_at = fire_at
        self.stale_at = stale_at
        self.state = ReminderState.PENDING
        self.notification_id: UUID | None = None
        self.cancelled_reason: str | None = None

    @property
    def notification_source(self) -> str:
        """The source of the notification it raises: one per source and due time."""
        return f"{self.source_id}@{self.due_at.isoformat()}"

    def reschedule(
        self, journey_id: UUID, due_at: datetime, fire_at: datetime, stale_at: datetime | None
    ) -> None:
        if self.state is ReminderState.FIRED and due_at == self.due_at:
            return  # already reminded for this time
        unchanged = (journey_id, due_at, fire_at, stale_at) == (
            self.journey_id,
            self.due_at,
            self.fire_at,
            self.stale_at,
        )
        if self.state is ReminderState.PENDING and unchanged:
            return
        self._rescheduled(journey_id, due_at, fire_at, stale_at)

    @event(Rescheduled)
    def _rescheduled(
        self, journey_id: UUID, due_at: datetime, fire_at: datetime, stale_at: datetime | None
    ) -> None:
        self.journey_id = journey_id
        self.due_at = due_at
        self.fire_at = fire_at
        self.stale_at = stale_at
        self.state = ReminderState.PENDING
        self.cancelled_reason = None

    def is_due(self, at: datetime) -> bool:
        return self.state is ReminderState.PENDING and self.fire_at <= at

    def is_stale(self, at: datetime) -> bool:
        return self.stale_at is not None and self.stale_at <= at

    def fire(self, notification_id: UUID, at: datetime) -> None:
        if not self.is_due(at):
            raise ReminderNotDue(f"reminder {self.id} is {self.state.value}")
        self._fired(notification_id, at)

    @event(Fired)
    def _fired(self, notification_id: UUID, at: datetime) -> None:
        self.state = ReminderState.FIRED
        self.notification_id = notification_id

    def cancel(self, reason: str, at: datetime) -> None:
        if self.state is not ReminderState.CANCELLED:
            self._cancelled(reason, at)

    @event(Cancelled)
    def _cancelled(self, reason: str, at: datetime) -> None:
        self.state = ReminderState.CANCELLED
        self.cancelled_reason = reason


class JourneyWatch(Aggregate):
    """What notifications knows of a support journey: who her caseworker is and whether the
    journey is still open — enough to address a reminder when it fires. Ids only."""

    @staticmethod
    def create_id(journey_id: UUID) -> UUID:
        return uuid5(_JOURNEY_NAMESPACE, str(journey_id))

    class Started(Aggregate.Created):
        """Notifications first heard of the journey."""

        journey_id: UUID

    class CaseworkerAssigned(Aggregate.Event):
        """Her caseworker, by opaque staff id."""

        caseworker_id: str

    class StatusChanged(Aggregate.Event):
        """The journey's status as cases published it (closed, reopened, merged…)."""

        status: str

    class Erased(Aggregate.Event):
        """Her personal data was erased in cases: nothing more is sent about the journey, and
        the inbox forgets every notification that links to it."""

        journey_id: UUID

    @event(Started)
    def __init__(self, journey_id: UUID) -> None:
        self.journey_id = journey_id
        self.caseworker_id: str | None = None
        self.status = "open"

    @property
    def is_closed(self) -> bool:
        return self.status in ("closed", "merged", "erased")

    def erase(self) -> None:
        if self.status != "erased":
            self._erased(self.journey_id)

    @event(Erased)
    def _erased(self, journey_id: UUID) -> None:
        self.status = "erased"

    def assign(self, caseworker_id: str) -> None:
        if caseworker_id != self.caseworker_id:
            self._caseworker_assigned(caseworker_id)

    @event(CaseworkerAssigned)
    def _caseworker_assigned(self, caseworker_id: str) -> None:
        self.caseworker_id = caseworker_id

    def change_status(self, status: str) -> None:
        # Erasure is final: a late status message from before it must not reopen the watch.
        if status != self.status and self.status != "erased":
            self._status_changed(status)

    @event(StatusChanged)
    def _status_changed(self, status: str) -> None:
        self.status = status
