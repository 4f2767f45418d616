"""Each rule from an upstream fact to a notification for the right person, exactly once;
reminders as durable timers; escalation; the dispatcher's retry schedule — on a real store
(SQLite, and PostgreSQL for [postgres]) with a fake clock and fake channels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.notifications.application import NotificationNotFound, NotificationsApplication
from services.notifications.channels import DELIVERED, Job, Outcome
from services.notifications.config import NotificationsConfig
from services.notifications.dispatch_queue import DispatchQueue
from services.notifications.dispatcher import Dispatcher
from services.notifications.domain import DeliveryState, Notification, RetryPolicy, Rule
from services.notifications.integration import from_visits
from services.notifications.policy import Policy
from services.notifications.queries.inbox.projection import Inbox
from services.notifications.reminders import ReminderState
from shared.contracts import UrgentConcernRaisedV1
from shared.contracts.envelope import message_id
from shared.messaging.consumer import Upstream
from shared.runtime import open_stores
from shared.settings import ServiceName
from tests.support import make_settings
from tests.unit.conftest import StoresFactory
from tests.unit.test_notifications_rules import config

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday; sg-1 on call, sg-2 deputy


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeChannels:
    """Answers each attempt from a script (then delivers), and records every attempt."""

    def __init__(self) -> None:
        self.script: list[Outcome] = []
        self.sent: list[Job] = []

    async def send(self, job: Job, client: Any) -> Outcome:
        self.sent.append(job)
        return self.script.pop(0) if self.script else DELIVERED


class Rig:
    def __init__(self, stores_for: StoresFactory, **config_changes: Any) -> None:
        stores = stores_for(ServiceName.NOTIFICATIONS)
        self.clock = Clock(T0)
        self.channels = FakeChannels()
        policy = Policy(NotificationsConfig.model_validate(config(**config_changes)))
        self.app = NotificationsApplication(
            env=stores.event_store_env,
            keyring=stores.keyring,
            policy=policy,
            retry=RetryPolicy(base_s=60, max_s=600, max_attempts=3),
        )
        self.inbox = Inbox(self.app, stores.views, stores.positions)
        self.queue = DispatchQueue(self.app, stores.views, stores.positions)
        self.dispatcher = Dispatcher(
            self.app,
            self.queue,
            self.channels,
            self.clock,
            timeout_s=2,  # type: ignore[arg-type]
        )
        self.position = 0

    def upstream(self, service: str = "cases") -> Tracking:
        self.position += 1
        return Tracking(service, self.position)

    def source(self, upstream: Tracking) -> str:
        return f"{upstream.application_name}:{upstream.notification_id}"

    def tick(self) -> int:
        self.queue.catch_up()
        sent = self.dispatcher.run_once()
        self.queue.catch_up()
        self.inbox.catch_up()
        return sent

    def inbox_of(self, recipient: str) -> list[tuple[str, str]]:
        self.inbox.catch_up()
        entries, _ = self.inbox.for_recipient(recipient, limit=100, offset=0)
        return [(e.rule, e.state) for e in entries]

    def notification(self, rule: Rule, source: str) -> Notification:
        return self.app.get_notification(Notification.create_id(rule.value, source))

    def close(self) -> None:
        self.app.close()


@pytest.fixture
def rig(stores_for: StoresFactory) -> Iterator[Rig]:
    made = Rig(stores_for)
    yield made
    made.close()


def raise_concern(rig: Rig, raised_at: datetime = T0) -> tuple[UUID, str]:
    visit_id, upstream = uuid4(), rig.upstream("visits")
    rig.app.raise_urgent_concern(visit_id, rig.source(upstream), raised_at, upstream)
    return visit_id, rig.source(upstream)


# --- telling someone now -------------------------------------------------------------------


def test_an_urgent_concern_goes_to_the_lead_on_call_with_a_link_and_nothing_else(rig: Rig) -> None:
    visit_id, source = raise_concern(rig)
    notification = rig.notification(Rule.URGENT_CONCERN, source)
    assert notification.recipient == "user:sg-1"
    assert notification.link == f"/visits/{visit_id}"
    assert notification.channels == ["email"]
    assert notification.escalate_at == T0 + timedelta(minutes=15)
    assert rig.inbox_of("user:sg-1") == [("urgent_concern", "unread")]


def test_break_glass_access_is_told_to_the_lead_on_call_once(rig: Rig) -> None:
    journey_id, grant_id = uuid4(), uuid4()
    rig.app.note_break_glass(journey_id, grant_id, T0, rig.upstream())
    rig.app.note_break_glass(journey_id, grant_id, T0, rig.upstream())  # redelivered as a copy
    notification = rig.notification(Rule.BREAK_GLASS_USED, str(grant_id))
    assert notification.recipient == "user:sg-1"
    assert notification.link == f"/journeys/{journey_id}"
    assert rig.inbox_of("user:sg-1") == [("break_glass_used", "unread")]


def test_a_redelivered_source_event_raises_one_notification(rig: Rig) -> None:
    visit_id, upstream = uuid4(), rig.upstream("visits")
    source = rig.source(upstream)
    assert rig.app.raise_urgent_concern(visit_id, source, T0, upstream)
    written = rig.app.max_notification_id()
    assert not rig.app.raise_urgent_concern(visit_id, source, T0, upstream)
    # Even a copy recorded under another position: the rule and source decide the id.
    assert rig.app.raise_urgent_concern(visit_id, source, T0, rig.upstream("visits"))
    assert rig.app.max_notification_id() == written
    assert rig.inbox_of("user:sg-1") == [("urgent_concern", "unread")]


def test_journey_notifications_follow_her_caseworker(rig: Rig) -> None:
    journey_id = uuid4()
    declined = rig.upstream()
    rig.app.note_referral_status(journey_id, "declined", rig.source(declined), declined)
    assigned = rig.upstream()
    rig.app.assign_caseworker(journey_id, "cw-1", rig.source(assigned), assigned)
    expired = rig.upstream()
    rig.app.note_referral_status(journey_id, "expired", rig.source(expired), expired)
    accepted = rig.upstream()
    rig.app.note_referral_status(journey_id, "accepted", rig.source(accepted), accepted)
    assert rig.inbox_of("role:caseworker") == [("referral_declined", "unread")]
    assert sorted(rig.inbox_of("user:cw-1")) == [
        ("caseworker_assigned", "unread"),
        ("referral_expired", "unread"),
    ]
    assert rig.notification(Rule.REFERRAL_EXPIRED, rig.source(expired)).link == (
        f"/journeys/{journey_id}"
    )


def test_a_rule_switched_off_notifies_nobody_but_the_message_is_still_applied(
    stores_for: StoresFactory,
) -> None:
    rig = Rig(stores_for, rules={"journey_opened": {"enabled": False}})
    try:
        upstream = rig.upstream()
        assert rig.app.note_journey_opened(uuid4(), rig.source(upstream), upstream)
        assert rig.app.has_applied(upstream)
        assert rig.inbox_of("role:caseworker") == []
    finally:
        rig.close()


# --- reminders -----------------------------------------------------------------------------


def schedule(rig: Rig, journey_id: UUID, appointment_id: UUID, at: datetime, status: str) -> None:
    rig.app.track_appointment(appointment_id, journey_id, status, at, rig.clock(), rig.upstream())


def test_an_appointment_reminder_fires_once_the_day_before(rig: Rig) -> None:
    journey_id, appointment_id = uuid4(), uuid4()
    assigned = rig.upstream()
    rig.app.assign_caseworker(journey_id, "cw-1", rig.source(assigned), assigned)
    schedule(rig, journey_id, appointment_id, datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "scheduled")
    reminder = rig.app.get_reminder(Rule.APPOINTMENT_DUE, str(appointment_id))
    assert reminder is not None and reminder.fire_at == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    rig.clock.now = datetime(2026, 12, 2, 8, 59, tzinfo=UTC)
    rig.tick()
    assert ("appointment_due", "unread") not in rig.inbox_of("user:cw-1")
    rig.clock.advance(minutes=1)
    rig.tick()
    rig.tick()
    assert rig.inbox_of("user:cw-1").count(("appointment_due", "unread")) == 1


def test_moving_an_appointment_moves_its_reminder_and_cancelling_cancels_it(rig: Rig) -> None:
    journey_id, appointment_id = uuid4(), uuid4()
    schedule(rig, journey_id, appointment_id, datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "scheduled")
    schedule(rig, journey_id, appointment_id, datetime(2026, 12, 10, 14, 0, tzinfo=UTC), "moved")
    reminder = rig.app.get_reminder(Rule.APPOINTMENT_DUE, str(appointment_id))
    assert reminder is not None and reminder.fire_at == datetime(2026, 12, 9, 9, tzinfo=UTC)
    rig.clock.now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    rig.tick()
    assert rig.inbox_of("role:caseworker") == []  # not at the old time
    schedule(
        rig, journey_id, appointment_id, datetime(2026, 12, 10, 14, 0, tzinfo=UTC), "cancelled"
    )
    rig.clock.now = datetime(2026, 12, 9, 12, tzinfo=UTC)
    rig.tick()
    assert rig.inbox_of("role:caseworker") == []
    reminder = rig.app.get_reminder(Rule.APPOINTMENT_DUE, str(appointment_id))
    assert reminder is not None and reminder.state is ReminderState.CANCELLED


def test_an_appointment_cancelled_after_its_reminder_withdraws_the_reminder(rig: Rig) -> None:
    journey_id, appointment_id = uuid4(), uuid4()
    at = T0 + timedelta(hours=5)  # tomorrow's reminder time has passed: it fires at once
    schedule(rig, journey_id, appointment_id, at, "scheduled")
    rig.channels.script = [Outcome(False, "smtp_451")]
    rig.tick()
    assert rig.inbox_of("role:caseworker") == [("appointment_due", "unread")]
    schedule(rig, journey_id, appointment_id, at, "cancelled")
    assert rig.inbox_of("role:caseworker") == [("appointment_due", "cancelled")]


def test_a_follow_up_reminder_and_an_attended_appointment(rig: Rig) -> None:
    journey_id = uuid4()
    rig.app.track_follow_up(uuid4(), journey_id, T0 + timedelta(days=3), rig.upstream())
    appointment_id = uuid4()
    schedule(rig, journey_id, appointment_id, T0 + timedelta(days=4), "scheduled")
    schedule(rig, journey_id, appointment_id, T0 + timedelta(days=4), "attended")
    rig.clock.advance(days=5)
    rig.tick()
    assert rig.inbox_of("role:caseworker") == []  # the follow-up's own time has passed
    rig.clock.now = T0
    rig.app.track_follow_up(uuid4(), journey_id, T0 + timedelta(days=3), rig.upstream())
    rig.clock.now = T0 + timedelta(days=2)
    rig.tick()
    assert rig.inbox_of("role:caseworker") == [("follow_up_due", "unread")]


def test_a_reasonable_grounds_reminder_is_cancelled_by_a_decision(rig: Rig) -> None:
    decided, waiting = uuid4(), uuid4()
    for journey_id in (decided, waiting):
        rig.app.track_nrm_milestone(
            journey_id, "referral_submitted", date(2026, 11, 23), None, T0, rig.upstream()
        )
    rig.app.track_nrm_milestone(
        decided, "reasonable_grounds_positive", date(2026, 11, 26), None, T0, rig.upstream()
    )
    rig.clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    rig.tick()
    entries, _ = rig.inbox.for_recipient("role:caseworker", limit=10, offset=0)
    assert [(e.rule, e.link) for e in entries] == [
        ("reasonable_grounds_overdue", f"/journeys/{waiting}")
    ]


def test_a_recovery_period_ending_is_reminded_and_closed_journeys_are_not(rig: Rig) -> None:
    open_journey, closed_journey = uuid4(), uuid4()
    for journey_id in (open_journey, closed_journey):
        rig.app.track_nrm_milestone(
            journey_id,
            "recovery_period_started",
            date(2026, 11, 1),
            date(2026, 12, 20),
            T0,
            rig.upstream(),
        )
    rig.app.note_journey_status(closed_journey, "closed", rig.upstream())
    rig.clock.now = datetime(2026, 12, 13, 9, 0, tzinfo=UTC)
    rig.tick()
    entries, _ = rig.inbox.for_recipient("role:caseworker", limit=10, offset=0)
    assert [e.link for e in entries] == [f"/journeys/{open_journey}"]
    closed = rig.app.get_reminder(Rule.RECOVERY_PERIOD_ENDING, str(closed_journey))
    assert closed is not None and closed.cancelled_reason == "journey_closed"


# --- escalation ----------------------------------------------------------------------------


def test_an_unacknowledged_urgent_concern_escalates_to_the_deputy_once(rig: Rig) -> None:
    _, source = raise_concern(rig)
    rig.clock.advance(minutes=14)
    rig.tick()
    assert rig.inbox_of("user:sg-2") == []
    rig.clock.advance(minutes=1)
    rig.tick()
    rig.clock.advance(minutes=30)
    rig.tick()
    assert rig.inbox_of("user:sg-2") == [("urgent_concern_escalated", "unread")]
    assert rig.notification(Rule.URGENT_CONCERN, source).escalated_to == "user:sg-2"


def test_acknowledging_stops_the_escalation(rig: Rig) -> None:
    _, source = raise_concern(rig)
    notification_id = Notification.create_id(Rule.URGENT_CONCERN.value, source)
    rig.app.acknowledge(notification_id, "sg-1", T0 + timedelta(minutes=2), None)
    rig.clock.advance(minutes=20)
    rig.tick()
    assert rig.inbox_of("user:sg-2") == []
    assert rig.inbox_of("user:sg-1") == [("urgent_concern", "acknowledged")]


# --- delivery ------------------------------------------------------------------------------


def test_a_failed_delivery_is_retried_with_backoff_and_delivered_once(rig: Rig) -> None:
    rig.channels.script = [Outcome(False, "smtp_451"), Outcome(False, "http_unreachable")]
    _, source = raise_concern(rig)
    assert rig.tick() == 1
    rig.clock.advance(seconds=59)
    assert rig.tick() == 0  # backoff: not before 60 s
    rig.clock.advance(seconds=1)
    assert rig.tick() == 1
    rig.clock.advance(seconds=120)
    assert rig.tick() == 1
    rig.clock.advance(hours=1)
    assert rig.tick() == 0
    delivery = rig.notification(Rule.URGENT_CONCERN, source).deliveries["email"]
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 3)
    assert [job.attempt for job in rig.channels.sent] == [1, 2, 3]
    assert len({job.delivery_id for job in rig.channels.sent}) == 1


def test_after_its_attempts_a_channel_gives_up_and_the_inbox_entry_stays(rig: Rig) -> None:
    rig.channels.script = [Outcome(False, "smtp_unreachable")] * 5
    _, source = raise_concern(rig)
    for _ in range(6):
        rig.tick()
        rig.clock.advance(minutes=10)
    delivery = rig.notification(Rule.URGENT_CONCERN, source).deliveries["email"]
    assert (delivery.state, delivery.attempts) == (DeliveryState.GAVE_UP, 3)
    assert ("urgent_concern", "unread") in rig.inbox_of("user:sg-1")


def test_an_attempt_cut_short_by_a_crash_is_retried_as_an_unknown_outcome(rig: Rig) -> None:
    _, source = raise_concern(rig)
    notification_id = Notification.create_id(Rule.URGENT_CONCERN.value, source)
    job = rig.app.begin_attempt(notification_id, "email", T0)  # ...and the process died
    assert job is not None
    rig.tick()  # a new dispatcher finds it in flight
    delivery = rig.notification(Rule.URGENT_CONCERN, source).deliveries["email"]
    assert (delivery.state, delivery.last_reason) == (
        DeliveryState.RETRY_SCHEDULED,
        "outcome_unknown",
    )
    rig.clock.advance(minutes=1)
    rig.tick()
    assert rig.notification(Rule.URGENT_CONCERN, source).deliveries["email"].state is (
        DeliveryState.DELIVERED
    )
    assert [j.delivery_id for j in rig.channels.sent] == [job.delivery_id]


def test_rebuilding_the_read_models_sends_nothing_again(rig: Rig) -> None:
    raise_concern(rig)
    rig.app.track_follow_up(uuid4(), uuid4(), T0 + timedelta(hours=3), rig.upstream())
    rig.tick()
    rig.tick()
    sent, events = len(rig.channels.sent), rig.app.max_notification_id()
    assert sent == 1  # the lead's email (the intake has no channel besides the inbox)
    before = rig.inbox_of("role:caseworker") + rig.inbox_of("user:sg-1")
    for view in (rig.inbox, rig.queue):
        view.positions.reset(view.name)
        with view.store.transaction() as cursor:
            cursor.execute(f"DELETE FROM {view.store.table(view.name)}")
        view.catch_up()
    rig.dispatcher.run_once()
    assert len(rig.channels.sent) == sent
    assert rig.app.max_notification_id() == events
    assert rig.inbox_of("role:caseworker") + rig.inbox_of("user:sg-1") == before


def test_taking_on_the_escalation_acknowledges_the_original_too(rig: Rig) -> None:
    _, source = raise_concern(rig)
    rig.clock.advance(minutes=16)
    rig.tick()
    original = rig.notification(Rule.URGENT_CONCERN, source)
    assert original.escalation_id is not None
    rig.app.acknowledge(original.escalation_id, "sg-2", rig.clock(), None)
    assert rig.notification(Rule.URGENT_CONCERN, source).acknowledged_by == "sg-2"
    assert rig.inbox_of("user:sg-1") == [("urgent_concern", "acknowledged")]
    assert rig.inbox_of("user:sg-2") == [("urgent_concern_escalated", "acknowledged")]


# --- which source event a notification is about ----------------------------------------------


def a_concern_at(position: int, visit_id: UUID) -> tuple[UrgentConcernRaisedV1, Upstream]:
    """An urgent concern as the consumer hands it over: its log position, and its own identity
    (the CloudEvents id, from the visit and the visit's version)."""
    message = UrgentConcernRaisedV1(
        concern_id=uuid4(),
        visit_id=visit_id,
        concern="possible_minor",
        occurred_at=T0,
        recorded_at=T0,
    )
    return message, Upstream("visits", position, message_id("visits", visit_id, 4))


def test_a_redelivered_message_finds_the_notification_its_first_delivery_raised(
    rig: Rig,
) -> None:
    handle = from_visits(rig.app).handlers[UrgentConcernRaisedV1]
    message, upstream = a_concern_at(1, uuid4())
    handle(message, upstream)
    handle(message, upstream)
    notification = rig.notification(Rule.URGENT_CONCERN, upstream.event_id)
    assert notification.id == Notification.create_id("urgent_concern", upstream.event_id)
    assert rig.inbox_of("user:sg-1") == [("urgent_concern", "unread")]


def test_events_at_the_same_position_in_two_installs_raise_notifications_with_different_ids(
    rig: Rig, tmp_path
) -> None:
    other_install = open_stores(make_settings(ServiceName.NOTIFICATIONS, tmp_path / "other"))
    other = NotificationsApplication(
        env=other_install.event_store_env,
        keyring=other_install.keyring,
        policy=rig.app.policy,
        retry=rig.app.retry,
    )
    try:
        here, there = a_concern_at(1, uuid4()), a_concern_at(1, uuid4())
        from_visits(rig.app).handlers[UrgentConcernRaisedV1](*here)
        from_visits(other).handlers[UrgentConcernRaisedV1](*there)
        ours = rig.notification(Rule.URGENT_CONCERN, here[1].event_id)
        theirs = other.get_notification(Notification.create_id("urgent_concern", there[1].event_id))
        assert ours.id != theirs.id
        # Nothing is derived from the position they share.
        with pytest.raises(NotificationNotFound):
            rig.notification(Rule.URGENT_CONCERN, "visits:1")
    finally:
        other.close()
        other_install.close()
