"""Notifications: each one an aggregate, so every delivery, retry and acknowledgement is an
auditable event (reminders and journeys are in ``reminders.py``).

A notification says *that* something needs attention and links to it; it never carries her
story. Its id is derived from the rule and the source event, so a redelivered source event can
never raise a second one. Delivery is a side effect performed elsewhere (the dispatcher); the
aggregate only records what was tried and what came of it, and decides what is due next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NOTIFICATION_NAMESPACE = UUID("0b7e8a43-3f0e-4d8e-9c55-4a9d51f7e2c3")


class Rule(StrEnum):
    URGENT_CONCERN = "urgent_concern"
    URGENT_CONCERN_ESCALATED = "urgent_concern_escalated"
    JOURNEY_OPENED = "journey_opened"
    CASEWORKER_ASSIGNED = "caseworker_assigned"
    BREAK_GLASS_USED = "break_glass_used"
    REFERRAL_DECLINED = "referral_declined"
    REFERRAL_EXPIRED = "referral_expired"
    APPOINTMENT_DUE = "appointment_due"
    FOLLOW_UP_DUE = "follow_up_due"
    REASONABLE_GROUNDS_OVERDUE = "reasonable_grounds_overdue"
    RECOVERY_PERIOD_ENDING = "recovery_period_ending"


class Channel(StrEnum):
    """Channels delivered by the dispatcher. The in-app inbox is always there besides them."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class InboxState(StrEnum):
    UNREAD = "unread"
    READ = "read"
    ACKNOWLEDGED = "acknowledged"
    CANCELLED = "cancelled"


class DeliveryState(StrEnum):
    PENDING = "pending"
    ATTEMPTING = "attempting"
    RETRY_SCHEDULED = "retry_scheduled"
    DELIVERED = "delivered"
    GAVE_UP = "gave_up"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (DeliveryState.DELIVERED, DeliveryState.GAVE_UP, DeliveryState.CANCELLED)


class NotificationError(Exception):
    """A rule of notifications refuses the command."""


class DeliveryNotDue(NotificationError):
    """Nothing is due on this channel now."""


class EscalationNotDue(NotificationError):
    """The notification is not (or no longer) due for escalation."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with a cap, and a bound on attempts per channel."""

    base_s: float
    max_s: float
    max_attempts: int

    def delay_after(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.base_s * 2 ** (attempt - 1), self.max_s))


@dataclass
class Delivery:
    channel: str
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_reason: str | None = None


class Notification(Aggregate):
    """One message to one recipient about one source event, and its delivery history."""

    @staticmethod
    def create_id(rule: str, source_event_id: str) -> UUID:
        return uuid5(_NOTIFICATION_NAMESPACE, f"{rule}\x00{source_event_id}")

    class Requested(Aggregate.Created):
        """A rule asked for a notification: who, which link, on which channels (besides the
        inbox), and when it escalates if nobody acknowledges it."""

        class_version: ClassVar[int] = 2

        rule: str
        source_event_id: str
        recipient: str
        link: str
        channels: list[str]
        escalate_at: datetime | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Version 1 had no channels and no escalation: inbox only, never escalated.
            state.setdefault("channels", [])
            state.setdefault("escalate_at", None)

    class DeliveryAttempted(Aggregate.Event):
        """An attempt on a channel began; an attempt with no outcome after it is unknown."""

        channel: str
        attempt: int
        at: datetime

    class Delivered(Aggregate.Event):
        """The channel accepted the message (SMTP server queued it, webhook answered 2xx)."""

        channel: str
        attempt: int
        at: datetime

    class DeliveryFailed(Aggregate.Event):
        """An attempt failed; the reason is a code (``smtp_451``, ``http_500``, ``timeout``…)."""

        channel: str
        attempt: int
        reason: str
        at: datetime

    class RetryScheduled(Aggregate.Event):
        """The next attempt on the channel is due at ``at`` (exponential backoff)."""

        channel: str
        at: datetime

    class GaveUp(Aggregate.Event):
        """No more attempts on the channel: too many, or a refusal that retrying cannot mend."""

        channel: str
        attempts: int
        reason: str
        at: datetime

    class Read(Aggregate.Event):
        """The recipient opened it."""

        actor: str
        at: datetime

    class Acknowledged(Aggregate.Event):
        """Someone took it on; escalation stops."""

        actor: str
        at: datetime

    class Escalated(Aggregate.Event):
        """Not acknowledged in time: another notification was raised for ``to``."""

        to: str
        notification_id: UUID
        at: datetime

    class Cancelled(Aggregate.Event):
        """No longer needed (e.g. the appointment was cancelled): pending deliveries stop."""

        reason: str
        at: datetime

    @event(Requested)
    def __init__(
        self,
        rule: str,
        source_event_id: str,
        recipient: str,
        link: str,
        channels: list[str],
        escalate_at: datetime | None,
    ) -> None:
        self.rule = rule
        self.source_event_id = source_event_id
        self.recipient = recipient
        self.link = link
        self.channels = list(channels)
        self.escalate_at = escalate_at
        self.deliveries = {channel: Delivery(channel) for channel in channels}
        self.read_at: datetime | None = None
        self.acknowledged_at: datetime | None = None
        self.acknowledged_by: str | None = None
        self.escalated_to: str | None = None
        self.escalation_id: UUID | None = None
        self.cancelled_reason: str | None = None

    # --- queries --------------------------------------------------------------------------

    @property
    def inbox_state(self) -> InboxState:
        if self.acknowledged_at is not None:
            return InboxState.ACKNOWLEDGED
        if self.cancelled_reason is not None:
            return InboxState.CANCELLED
        return InboxState.READ if self.read_at is not None else InboxState.UNREAD

    def escalation_due(self, at: datetime) -> bool:
        return (
            self.escalate_at is not None
            and self.escalate_at <= at
            and self.acknowledged_at is None
            and self.escalated_to is None
            and self.cancelled_reason is None
        )

    def delivery(self, channel: str) -> Delivery:
        try:
            return self.deliveries[channel]
        except KeyError:
            raise DeliveryNotDue(f"no {channel} delivery on {self.id}") from None

    # --- delivery -------------------------------------------------------------------------

    def begin_attempt(self, channel: str, at: datetime) -> int:
        """Start the next attempt on a channel that is due; its number."""
        delivery = self.delivery(channel)
        due = delivery.state is DeliveryState.PENDING or (
            delivery.state is DeliveryState.RETRY_SCHEDULED
            and delivery.next_attempt_at is not None
            and delivery.next_attempt_at <= at
        )
        if not due:
            raise DeliveryNotDue(f"{channel} on {self.id} is {delivery.state.value}")
        self._delivery_attempted(channel, delivery.attempts + 1, at)
        return delivery.attempts

    def record_delivered(self, channel: str, attempt: int, at: datetime) -> None:
        self._require_attempting(channel, attempt)
        self._delivered(channel, attempt, at)

    def record_failure(
        self,
        channel: str,
        attempt: int,
        reason: str,
        *,
        permanent: bool,
        policy: RetryPolicy,
        at: datetime,
    ) -> None:
        """A failed attempt: retried after a backoff, or given up when retrying cannot help
        or the attempts are spent."""
        self._require_attempting(channel, attempt)
        self._delivery_failed(channel, attempt, reason, at)
        if permanent or attempt >= policy.max_attempts:
            self._gave_up(channel, attempt, reason, at)
        else:
            self._retry_scheduled(channel, at + policy.delay_after(attempt))

    def _require_attempting(self, channel: str, attempt: int) -> None:
        delivery = self.delivery(channel)
        if delivery.state is not DeliveryState.ATTEMPTING or delivery.attempts != attempt:
            raise DeliveryNotDue(f"attempt {attempt} of {channel} on {self.id} is not running")

    @event(DeliveryAttempted)
    def _delivery_attempted(self, channel: str, attempt: int, at: datetime) -> None:
        delivery = self.deliveries[channel]
        delivery.state = DeliveryState.ATTEMPTING
        delivery.attempts = attempt
        delivery.next_attempt_at = None

    @event(Delivered)
    def _delivered(self, channel: str, attempt: int, at: datetime) -> None:
        self.deliveries[channel].state = DeliveryState.DELIVERED

    @event(DeliveryFailed)
    def _delivery_failed(self, channel: str, attempt: int, reason: str, at: datetime) -> None:
        self.deliveries[channel].last_reason = reason

    @event(RetryScheduled)
    def _retry_scheduled(self, channel: str, at: datetime) -> None:
        delivery = self.deliveries[channel]
        delivery.state = DeliveryState.RETRY_SCHEDULED
        delivery.next_attempt_at = at

    @event(GaveUp)
    def _gave_up(self, channel: str, attempts: int, reason: str, at: datetime) -> None:
        self.deliveries[channel].state = DeliveryState.GAVE_UP

    # --- the recipient --------------------------------------------------------------------

    def mark_read(self, actor: str, at: datetime) -> None:
        if self.read_at is None and self.acknowledged_at is None:
            self._read(actor, at)

    @event(Read)
    def _read(self, actor: str, at: datetime) -> None:
        self.read_at = at

    def acknowledge(self, actor: str, at: datetime) -> None:
        if self.acknowledged_at is None:
            self._acknowledged(actor, at)

    @event(Acknowledged)
    def _acknowledged(self, actor: str, at: datetime) -> None:
        self.acknowledged_at = at
        self.acknowledged_by = actor
        if self.read_at is None:
            self.read_at = at

    def escalate(self, to: str, notification_id: UUID, at: datetime) -> None:
        if not self.escalation_due(at):
            raise EscalationNotDue(str(self.id))
        self._escalated(to, notification_id, at)

    @event(Escalated)
    def _escalated(self, to: str, notification_id: UUID, at: datetime) -> None:
        self.escalated_to = to
        self.escalation_id = notification_id

    def cancel(self, reason: str, at: datetime) -> None:
        if self.cancelled_reason is None and self.acknowledged_at is None:
            self._cancelled(reason, at)

    @event(Cancelled)
    def _cancelled(self, reason: str, at: datetime) -> None:
        self.cancelled_reason = reason
        for delivery in self.deliveries.values():
            if not delivery.state.is_final:
                delivery.state = DeliveryState.CANCELLED
                delivery.next_attempt_at = None
