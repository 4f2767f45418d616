"""The notification, reminder and journey-watch aggregates, Given/When/Then: every delivery
step, retry and acknowledgement is an event, and the aggregate decides what is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.notifications.domain import (
    DeliveryNotDue,
    DeliveryState,
    EscalationNotDue,
    InboxState,
    Notification,
    RetryPolicy,
)
from services.notifications.reminders import JourneyWatch, Reminder, ReminderNotDue, ReminderState

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
POLICY = RetryPolicy(base_s=30, max_s=300, max_attempts=4)


def requested(channels: tuple[str, ...] = ("email",), escalate: bool = False) -> Notification:
    return Notification(
        rule="urgent_concern",
        source_event_id="visits:7",
        recipient="user:sg-1",
        link=f"/visits/{uuid4()}",
        channels=list(channels),
        escalate_at=T0 + timedelta(minutes=15) if escalate else None,
    )


def fail_attempt(
    notification: Notification,
    channel: str,
    reason: str,
    at: datetime,
    *,
    permanent: bool = False,
) -> None:
    """An attempt on ``channel`` begun and failed at ``at``."""
    attempt = notification.begin_attempt(channel, at)
    notification.record_failure(channel, attempt, reason, permanent=permanent, policy=POLICY, at=at)


def names(notification: Notification) -> list[str]:
    return [type(e).__name__ for e in notification.collect_events()]


def test_given_the_same_rule_and_source_then_the_id_is_the_same() -> None:
    assert Notification.create_id("urgent_concern", "visits:7") == requested().id
    assert Notification.create_id("urgent_concern", "visits:8") != requested().id
    assert Notification.create_id("journey_opened", "visits:7") != requested().id


def test_given_a_request_then_each_channel_is_pending_and_the_inbox_unread() -> None:
    notification = requested(("email", "webhook"))
    assert notification.inbox_state is InboxState.UNREAD
    assert {c: d.state for c, d in notification.deliveries.items()} == {
        "email": DeliveryState.PENDING,
        "webhook": DeliveryState.PENDING,
    }


def test_given_a_pending_channel_when_an_attempt_succeeds_then_it_is_delivered() -> None:
    notification = requested()
    attempt = notification.begin_attempt("email", T0)
    notification.record_delivered("email", attempt, T0)
    assert attempt == 1
    assert notification.deliveries["email"].state is DeliveryState.DELIVERED
    assert names(notification) == ["Requested", "DeliveryAttempted", "Delivered"]
    with pytest.raises(DeliveryNotDue):
        notification.begin_attempt("email", T0 + timedelta(hours=1))


def test_given_a_failure_then_a_retry_is_scheduled_with_exponential_backoff() -> None:
    notification = requested()
    fail_attempt(notification, "email", "smtp_451", T0)
    first = notification.deliveries["email"]
    assert first.state is DeliveryState.RETRY_SCHEDULED
    assert first.next_attempt_at == T0 + timedelta(seconds=30)
    with pytest.raises(DeliveryNotDue):  # not before its time
        notification.begin_attempt("email", T0 + timedelta(seconds=29))
    at = T0 + timedelta(seconds=30)
    fail_attempt(notification, "email", "smtp_451", at)
    assert notification.deliveries["email"].next_attempt_at == at + timedelta(seconds=60)
    assert names(notification)[-3:] == ["DeliveryAttempted", "DeliveryFailed", "RetryScheduled"]


def test_backoff_doubles_up_to_its_cap() -> None:
    delays = [POLICY.delay_after(n).total_seconds() for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]


def test_given_attempts_spent_then_it_gives_up_on_that_channel_only() -> None:
    notification = requested(("email", "webhook"))
    at = T0
    for _ in range(POLICY.max_attempts):
        fail_attempt(notification, "email", "smtp_unreachable", at)
        at += timedelta(hours=1)
    assert notification.deliveries["email"].state is DeliveryState.GAVE_UP
    assert notification.deliveries["email"].attempts == POLICY.max_attempts
    assert notification.deliveries["webhook"].state is DeliveryState.PENDING
    assert names(notification)[-1] == "GaveUp"


def test_given_a_permanent_refusal_then_it_gives_up_at_once() -> None:
    notification = requested(("webhook",))
    fail_attempt(notification, "webhook", "http_410", T0, permanent=True)
    assert notification.deliveries["webhook"].state is DeliveryState.GAVE_UP
    assert notification.deliveries["webhook"].last_reason == "http_410"


def test_an_outcome_for_an_attempt_that_is_not_running_is_refused() -> None:
    notification = requested()
    with pytest.raises(DeliveryNotDue):
        notification.record_delivered("email", 1, T0)
    notification.begin_attempt("email", T0)
    with pytest.raises(DeliveryNotDue):
        notification.record_delivered("email", 2, T0)


def test_given_an_urgent_notification_when_acknowledged_then_escalation_is_not_due() -> None:
    notification = requested(escalate=True)
    later = T0 + timedelta(minutes=16)
    assert notification.escalation_due(later)
    notification.acknowledge("sg-1", T0 + timedelta(minutes=3))
    assert not notification.escalation_due(later)
    assert notification.inbox_state is InboxState.ACKNOWLEDGED
    with pytest.raises(EscalationNotDue):
        notification.escalate("user:sg-2", uuid4(), later)


def test_given_an_unacknowledged_notification_then_it_escalates_once_and_not_early() -> None:
    notification = requested(escalate=True)
    with pytest.raises(EscalationNotDue):
        notification.escalate("user:sg-2", uuid4(), T0 + timedelta(minutes=14))
    escalation = uuid4()
    notification.escalate("user:sg-2", escalation, T0 + timedelta(minutes=15))
    assert (notification.escalated_to, notification.escalation_id) == ("user:sg-2", escalation)
    with pytest.raises(EscalationNotDue):
        notification.escalate("user:sg-2", uuid4(), T0 + timedelta(minutes=30))


def test_reading_and_acknowledging_again_records_nothing() -> None:
    notification = requested()
    notification.mark_read("sg-1", T0)
    notification.mark_read("sg-1", T0 + timedelta(minutes=1))
    notification.acknowledge("sg-1", T0 + timedelta(minutes=2))
    notification.acknowledge("sg-2", T0 + timedelta(minutes=3))
    notification.mark_read("sg-1", T0 + timedelta(minutes=4))
    assert names(notification) == ["Requested", "Read", "Acknowledged"]
    assert notification.acknowledged_by == "sg-1"


def test_given_a_cancellation_then_pending_deliveries_and_escalation_stop() -> None:
    notification = requested(("email", "webhook"), escalate=True)
    notification.record_delivered("email", notification.begin_attempt("email", T0), T0)
    notification.cancel("cancelled", T0)
    assert notification.deliveries["email"].state is DeliveryState.DELIVERED
    assert notification.deliveries["webhook"].state is DeliveryState.CANCELLED
    assert not notification.escalation_due(T0 + timedelta(hours=1))
    assert notification.inbox_state is InboxState.CANCELLED
    with pytest.raises(DeliveryNotDue):
        notification.begin_attempt("webhook", T0)


def test_a_first_slice_request_still_reads_as_an_inbox_only_notification() -> None:
    state = {"rule": "journey_opened", "source_event_id": "cases:1", "recipient": "role:x"}
    Notification.Requested.upcast_v1_v2(state)
    assert state["channels"] == [] and state["escalate_at"] is None


# --- reminders -----------------------------------------------------------------------------


def reminder(fire_in: timedelta = timedelta(hours=1)) -> Reminder:
    return Reminder(
        rule="appointment_due",
        source_id=str(uuid4()),
        journey_id=uuid4(),
        due_at=T0 + timedelta(days=1),
        fire_at=T0 + fire_in,
        stale_at=T0 + timedelta(days=1),
    )


def test_given_a_reminder_then_it_fires_once_when_due() -> None:
    timer = reminder()
    assert not timer.is_due(T0)
    with pytest.raises(ReminderNotDue):
        timer.fire(uuid4(), T0)
    fired_as = uuid4()
    timer.fire(fired_as, T0 + timedelta(hours=1))
    assert timer.state is ReminderState.FIRED and timer.notification_id == fired_as
    with pytest.raises(ReminderNotDue):
        timer.fire(uuid4(), T0 + timedelta(hours=2))


def test_given_a_pending_reminder_when_its_source_moves_then_it_moves() -> None:
    timer = reminder()
    source_key = timer.notification_source
    new_due = T0 + timedelta(days=5)
    timer.reschedule(timer.journey_id, new_due, new_due - timedelta(days=1), new_due)
    assert timer.fire_at == new_due - timedelta(days=1) and timer.state is ReminderState.PENDING
    assert timer.notification_source != source_key
    timer.reschedule(timer.journey_id, new_due, new_due - timedelta(days=1), new_due)
    assert [type(e).__name__ for e in timer.collect_events()] == ["Scheduled", "Rescheduled"]


def test_given_a_fired_reminder_when_moved_then_it_is_armed_again_for_the_new_time() -> None:
    timer = reminder()
    timer.fire(uuid4(), T0 + timedelta(hours=1))
    timer.reschedule(timer.journey_id, timer.due_at, timer.fire_at, timer.stale_at)
    assert timer.state is ReminderState.FIRED  # the same time again: already reminded
    new_due = T0 + timedelta(days=3)
    timer.reschedule(timer.journey_id, new_due, new_due - timedelta(days=1), new_due)
    assert timer.state is ReminderState.PENDING


def test_given_a_cancelled_reminder_then_it_never_fires_and_knows_why() -> None:
    timer = reminder()
    timer.cancel("cancelled", T0)
    timer.cancel("cancelled", T0)
    assert timer.state is ReminderState.CANCELLED and timer.cancelled_reason == "cancelled"
    assert not timer.is_due(T0 + timedelta(days=2))
    assert [type(e).__name__ for e in timer.collect_events()] == ["Scheduled", "Cancelled"]


def test_a_reminder_is_stale_from_its_stale_time() -> None:
    timer = reminder()
    assert not timer.is_stale(T0)
    assert timer.is_stale(T0 + timedelta(days=1))


def test_a_journey_watch_records_only_changes() -> None:
    watch = JourneyWatch(journey_id=uuid4())
    watch.assign("cw-1")
    watch.assign("cw-1")
    watch.change_status("active")
    watch.change_status("closed")
    assert watch.is_closed and watch.caseworker_id == "cw-1"
    watch.change_status("open")
    assert not watch.is_closed
    assert [type(e).__name__ for e in watch.collect_events()] == [
        "Started",
        "CaseworkerAssigned",
        "StatusChanged",
        "StatusChanged",
        "StatusChanged",
    ]
