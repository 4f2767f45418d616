"""The notifications application: its methods are the command handlers.

Upstream facts (from visits and cases) end in ``save_once(upstream, …)``, so a redelivered
message changes nothing; notification ids are derived from the rule and the source, so a source
event can never raise two. The dispatcher's commands (fire a reminder, escalate, begin and
finish a delivery attempt) re-read the aggregate and let it decide, so a lagging read model can
delay work but never duplicate it. Nothing here sends anything: delivery is the dispatcher's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Tracking

from services.notifications.channels import Job, Outcome
from services.notifications.domain import (
    DeliveryNotDue,
    DeliveryState,
    Notification,
    RetryPolicy,
    Rule,
)
from services.notifications.policy import Policy, Timing
from services.notifications.reminders import JourneyWatch, Reminder, ReminderState
from shared.errors import ExpectedVersions
from shared.storage.eventstore import WaymarkApplication
from shared.storage.keyring import Keyring

log = structlog.get_logger(__name__)

A = TypeVar("A", bound=Aggregate)

_REFERRAL_RULES = {"declined": Rule.REFERRAL_DECLINED, "expired": Rule.REFERRAL_EXPIRED}


class NotificationNotFound(Exception):
    """No such notification."""


class NotificationsApplication(WaymarkApplication):
    name = "notifications"

    def __init__(self, env: Any, keyring: Keyring, policy: Policy, retry: RetryPolicy) -> None:
        self.policy = policy
        self.retry = retry
        super().__init__(env=env, keyring=keyring)

    # === queries ==========================================================================

    def get_notification(self, notification_id: UUID) -> Notification:
        found = self._find(Notification, notification_id)
        if found is None:
            raise NotificationNotFound(str(notification_id))
        return found

    def history(self, notification_id: UUID) -> list[DomainEventProtocol[UUID]]:
        """Every recorded step of a notification, oldest first: its delivery history."""
        self.get_notification(notification_id)
        return list(self.repository.event_store.get(notification_id))

    def get_reminder(self, rule: Rule, source_id: str) -> Reminder | None:
        return self._find(Reminder, Reminder.create_id(rule.value, source_id))

    # === from visits and cases: tell someone now ==========================================

    def raise_urgent_concern(
        self, visit_id: UUID, source_event_id: str, raised_at: datetime, upstream: Tracking
    ) -> bool:
        """The on-call safeguarding lead at once; the deputy too if nobody acknowledges."""
        rule = Rule.URGENT_CONCERN
        if not self.policy.enabled(rule):
            return self.save_once(upstream)
        lead = self.policy.on_call(raised_at).lead
        notification = self._new(
            rule, source_event_id, lead, f"/visits/{visit_id}", self.policy.escalate_at(raised_at)
        )
        return self.save_once(upstream, notification)

    def note_journey_opened(
        self, journey_id: UUID, source_event_id: str, upstream: Tracking
    ) -> bool:
        rule = Rule.JOURNEY_OPENED
        if not self.policy.enabled(rule):
            return self.save_once(upstream)
        link = f"/journeys/{journey_id}"
        return self.save_once(upstream, self._new(rule, source_event_id, self.policy.intake, link))

    def assign_caseworker(
        self, journey_id: UUID, caseworker_id: str, source_event_id: str, upstream: Tracking
    ) -> bool:
        watch = self._watch(journey_id)
        watch.assign(caseworker_id)
        notification = None
        if self.policy.enabled(Rule.CASEWORKER_ASSIGNED):
            notification = self._new(
                Rule.CASEWORKER_ASSIGNED,
                source_event_id,
                self.policy.caseworker(caseworker_id),
                f"/journeys/{journey_id}",
            )
        return self.save_once(upstream, watch, notification)

    def note_break_glass(
        self, journey_id: UUID, grant_id: UUID, at: datetime, upstream: Tracking
    ) -> bool:
        """The on-call safeguarding lead, at once: someone opened a journey not hers."""
        if not self.policy.enabled(Rule.BREAK_GLASS_USED):
            return self.save_once(upstream)
        lead = self.policy.on_call(at).lead
        link = f"/journeys/{journey_id}"
        notification = self._new(Rule.BREAK_GLASS_USED, str(grant_id), lead, link)
        return self.save_once(upstream, notification)

    def note_referral_status(
        self, journey_id: UUID, status: str, source_event_id: str, upstream: Tracking
    ) -> bool:
        rule = _REFERRAL_RULES.get(status)
        if rule is None or not self.policy.enabled(rule):
            return self.save_once(upstream)
        recipient = self.policy.caseworker(self._caseworker_of(journey_id))
        link = f"/journeys/{journey_id}"
        return self.save_once(upstream, self._new(rule, source_event_id, recipient, link))

    def note_journey_status(self, journey_id: UUID, status: str, upstream: Tracking) -> bool:
        watch = self._watch(journey_id)
        watch.change_status("open" if status == "reopened" else status)
        return self.save_once(upstream, watch)

    def erase_journey(self, journey_id: UUID, at: datetime, upstream: Tracking) -> bool:
        """Her personal data was erased in cases. The watch is marked erased, so any reminder
        still pending for the journey is cancelled when it comes due and sends nothing; those
        whose ids follow from the journey alone (NRM dates) are cancelled now. The inbox drops
        every notification that links to the journey (``Inbox``)."""
        watch = self._watch(journey_id)
        watch.erase()
        changed: list[Aggregate | None] = [watch]
        for rule in (Rule.REASONABLE_GROUNDS_OVERDUE, Rule.RECOVERY_PERIOD_ENDING):
            changed += self._disarm(rule, str(journey_id), "person_erased", at, True)
        return self.save_once(upstream, *changed)

    # === from cases: reminders (durable timers) ===========================================

    def track_appointment(
        self,
        appointment_id: UUID,
        journey_id: UUID,
        status: str,
        at: datetime,
        recorded_at: datetime,
        upstream: Tracking,
    ) -> bool:
        rule, source = Rule.APPOINTMENT_DUE, str(appointment_id)
        if status in ("scheduled", "moved"):
            timing = self.policy.appointment_due(at)
            return self.save_once(upstream, self._arm(rule, source, journey_id, at, timing))
        # Attended: a reminder not yet sent is moot. Cancelled: any reminder is withdrawn.
        recall = status == "cancelled"
        return self.save_once(upstream, *self._disarm(rule, source, status, recorded_at, recall))

    def track_follow_up(
        self, follow_up_id: UUID, journey_id: UUID, due_at: datetime, upstream: Tracking
    ) -> bool:
        rule, timing = Rule.FOLLOW_UP_DUE, self.policy.follow_up_due(due_at)
        reminder = self._arm(rule, str(follow_up_id), journey_id, due_at, timing)
        return self.save_once(upstream, reminder)

    def track_nrm_milestone(
        self,
        journey_id: UUID,
        milestone: str,
        on: date,
        until: date | None,
        recorded_at: datetime,
        upstream: Tracking,
    ) -> bool:
        source = str(journey_id)
        changed: list[Aggregate | None] = []
        if milestone == "referral_submitted":
            due = self.policy.end_of_day(self.policy.reasonable_grounds_due_on(on))
            timing = self.policy.reasonable_grounds_overdue(on)
            changed.append(
                self._arm(Rule.REASONABLE_GROUNDS_OVERDUE, source, journey_id, due, timing)
            )
        elif milestone.startswith("reasonable_grounds_"):
            changed += self._disarm(
                Rule.REASONABLE_GROUNDS_OVERDUE, source, "decision_received", recorded_at, True
            )
        elif milestone == "recovery_period_started" and until is not None:
            timing = self.policy.recovery_period_ending(until)
            due = self.policy.end_of_day(until)
            changed.append(self._arm(Rule.RECOVERY_PERIOD_ENDING, source, journey_id, due, timing))
        return self.save_once(upstream, *changed)

    def _arm(
        self, rule: Rule, source_id: str, journey_id: UUID, due_at: datetime, timing: Timing
    ) -> Reminder | None:
        if not self.policy.enabled(rule):
            return None
        reminder = self._find(Reminder, Reminder.create_id(rule.value, source_id))
        if reminder is None:
            return Reminder(
                rule=rule.value,
                source_id=source_id,
                journey_id=journey_id,
                due_at=due_at,
                fire_at=timing.fire_at,
                stale_at=timing.stale_at,
            )
        reminder.reschedule(journey_id, due_at, timing.fire_at, timing.stale_at)
        return reminder

    def _disarm(
        self, rule: Rule, source_id: str, reason: str, at: datetime, recall: bool
    ) -> list[Aggregate | None]:
        reminder = self._find(Reminder, Reminder.create_id(rule.value, source_id))
        if reminder is None:
            return []
        if reminder.state is ReminderState.PENDING:
            reminder.cancel(reason, at)
            return [reminder]
        if reminder.state is ReminderState.FIRED and recall and reminder.notification_id:
            reminder.cancel(reason, at)
            sent = self._find(Notification, reminder.notification_id)
            if sent is not None:
                sent.cancel(reason, at)
            return [reminder, sent]
        return []

    # === the dispatcher's commands ========================================================

    def fire_reminder(self, reminder_id: UUID, now: datetime) -> UUID | None:
        """Raise the reminder's notification if it is still due and still makes sense; the
        reminder and its notification are saved together, so it fires once."""
        reminder = self._find(Reminder, reminder_id)
        if reminder is None or not reminder.is_due(now):
            return None
        rule = Rule(reminder.rule)
        watch = self._find(JourneyWatch, JourneyWatch.create_id(reminder.journey_id))
        reason = None
        if not self.policy.enabled(rule):
            reason = "rule_disabled"
        elif reminder.is_stale(now):
            reason = "too_late"
        elif watch is not None and watch.is_closed:
            reason = f"journey_{watch.status}"
        if reason is not None:
            reminder.cancel(reason, now)
            self.save(reminder)
            return None
        recipient = self.policy.caseworker(None if watch is None else watch.caseworker_id)
        notification = self._new(
            rule, reminder.notification_source, recipient, f"/journeys/{reminder.journey_id}"
        )
        notification_id = Notification.create_id(rule.value, reminder.notification_source)
        reminder.fire(notification_id, now)
        self.save(reminder, notification)
        return notification_id

    def escalate(self, notification_id: UUID, now: datetime) -> UUID | None:
        """Not acknowledged in time: tell the deputy on call now, once."""
        original = self._find(Notification, notification_id)
        if original is None or not original.escalation_due(now):
            return None
        deputy = self.policy.on_call(now).deputy
        rule = Rule.URGENT_CONCERN_ESCALATED
        escalation = self._new(rule, str(original.id), deputy, original.link)
        escalation_id = Notification.create_id(rule.value, str(original.id))
        original.escalate(deputy, escalation_id, now)
        self.save(original, escalation)
        return escalation_id

    def begin_attempt(self, notification_id: UUID, channel: str, now: datetime) -> Job | None:
        """Record that an attempt starts, before it is made; None when nothing is due. An
        attempt left without an outcome (the process stopped mid-send) is recorded as failed
        with an unknown outcome and retried like any other failure."""
        notification = self._find(Notification, notification_id)
        if notification is None or channel not in notification.deliveries:
            return None
        delivery = notification.deliveries[channel]
        if delivery.state is DeliveryState.ATTEMPTING:
            notification.record_failure(
                channel,
                delivery.attempts,
                "outcome_unknown",
                permanent=False,
                policy=self.retry,
                at=now,
            )
            self.save(notification)
            return None
        try:
            attempt = notification.begin_attempt(channel, now)
        except DeliveryNotDue:
            return None
        self.save(notification)
        return Job(
            notification_id=notification.id,
            channel=channel,
            attempt=attempt,
            rule=notification.rule,
            recipient=notification.recipient,
            link=notification.link,
            requested_at=notification.created_on,
        )

    def record_outcome(self, job: Job, outcome: Outcome, now: datetime) -> None:
        def record(notification: Notification) -> None:
            if outcome.delivered:
                notification.record_delivered(job.channel, job.attempt, now)
            else:
                notification.record_failure(
                    job.channel,
                    job.attempt,
                    outcome.reason,
                    permanent=outcome.permanent,
                    policy=self.retry,
                    at=now,
                )

        with contextlib.suppress(DeliveryNotDue):  # cancelled meanwhile: nothing to record
            self._change(job.notification_id, None, record)

    # === people ===========================================================================

    def mark_read(
        self, notification_id: UUID, actor: str, now: datetime, expected: ExpectedVersions
    ) -> Notification:
        return self._change(notification_id, expected, lambda n: n.mark_read(actor, now))

    def acknowledge(
        self, notification_id: UUID, actor: str, now: datetime, expected: ExpectedVersions
    ) -> Notification:
        """Someone takes it on. An urgent concern and its escalation are one matter: taking
        on either acknowledges both, so neither the lead nor the deputy is left wondering."""
        notification = self._change(notification_id, expected, lambda n: n.acknowledge(actor, now))
        linked = notification.escalation_id
        if notification.rule == Rule.URGENT_CONCERN_ESCALATED:
            linked = UUID(notification.source_event_id)
        if linked is not None and self._find(Notification, linked) is not None:
            self._change(linked, None, lambda n: n.acknowledge(actor, now))
        return notification

    # === helpers ==========================================================================

    def _change(
        self,
        notification_id: UUID,
        expected: ExpectedVersions,
        command: Callable[[Notification], None],
    ) -> Notification:
        """Get → command → save, again if another writer (the dispatcher) got in between.
        A stale ``expected`` version is refused unless the command changes nothing."""
        notification, _ = self.change(
            lambda: self.get_notification(notification_id), command, expected=expected
        )
        return notification

    def _new(
        self,
        rule: Rule,
        source_event_id: str,
        recipient: str,
        link: str,
        escalate_at: datetime | None = None,
    ) -> Notification | None:
        """A new notification, or None when this rule already notified about this source."""
        notification_id = Notification.create_id(rule.value, source_event_id)
        if self._find(Notification, notification_id) is not None:
            return None
        return Notification(
            rule=rule.value,
            source_event_id=source_event_id,
            recipient=recipient,
            link=link,
            channels=self.policy.channels_for(recipient, rule),
            escalate_at=escalate_at,
        )

    def _watch(self, journey_id: UUID) -> JourneyWatch:
        found = self._find(JourneyWatch, JourneyWatch.create_id(journey_id))
        return found if found is not None else JourneyWatch(journey_id=journey_id)

    def _caseworker_of(self, journey_id: UUID) -> str | None:
        watch = self._find(JourneyWatch, JourneyWatch.create_id(journey_id))
        return None if watch is None else watch.caseworker_id

    def _find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, kind):
            raise TypeError(f"{aggregate_id} is not a {kind.__name__}")
        return found
