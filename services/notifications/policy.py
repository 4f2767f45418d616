"""The rules as configured: who is told, on which channels, and when each reminder is due.

Pure functions of the configuration and the facts given (no store, no clock), so each rule is
unit-tested on its own and the same facts always give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from services.notifications.config import NotificationsConfig
from services.notifications.domain import Rule
from services.notifications.workdays import local_day, local_moment


@dataclass(frozen=True)
class OnCall:
    lead: str
    deputy: str


@dataclass(frozen=True)
class Timing:
    """When a reminder fires, and after when firing it would be pointless (None: never)."""

    fire_at: datetime
    stale_at: datetime | None


class Policy:
    def __init__(self, config: NotificationsConfig) -> None:
        self.config = config
        self.zone = config.zone
        self.calendar = config.bank_holidays.calendar()

    def enabled(self, rule: Rule) -> bool:
        return self.config.rules.enabled(rule)

    # --- who ------------------------------------------------------------------------------

    def on_call(self, at: datetime) -> OnCall:
        """The safeguarding lead and deputy on call at ``at`` (local date); the safeguarding
        role stands in for whoever the rota does not name."""
        fallback = self.config.roles.safeguarding
        shift = self.config.on_call.shift_on(local_day(at, self.zone))
        if shift is None:
            return OnCall(fallback, fallback)
        deputy = f"user:{shift.deputy}" if shift.deputy else fallback
        return OnCall(f"user:{shift.lead}", deputy)

    def caseworker(self, caseworker_id: str | None) -> str:
        """Her caseworker, or the intake inbox while she has none."""
        return f"user:{caseworker_id}" if caseworker_id else self.config.roles.intake

    @property
    def intake(self) -> str:
        return self.config.roles.intake

    def channels_for(self, recipient: str, rule: Rule) -> list[str]:
        """Channels besides the inbox that this recipient chose for this rule."""
        chosen = self.config.recipients.get(recipient)
        return [] if chosen is None else [c.value for c in chosen.channels_for(rule)]

    # --- when -----------------------------------------------------------------------------

    def escalate_at(self, raised_at: datetime) -> datetime:
        minutes = self.config.rules.urgent_concern.escalate_after_minutes
        return raised_at + timedelta(minutes=minutes)

    def _at_reminder_time(self, day: date) -> datetime:
        return local_moment(day, self.config.reminder_time, self.zone)

    def _before(self, due_at: datetime, days: int) -> Timing:
        day = local_day(due_at, self.zone) - timedelta(days=days)
        return Timing(fire_at=self._at_reminder_time(day), stale_at=due_at)

    def appointment_due(self, at: datetime) -> Timing:
        """The day before (configurable) at the reminder time; pointless once it has begun."""
        return self._before(at, self.config.rules.appointment_due.days_before)

    def follow_up_due(self, due_at: datetime) -> Timing:
        return self._before(due_at, self.config.rules.follow_up_due.days_before)

    def reasonable_grounds_overdue(self, submitted_on: date) -> Timing:
        """The decision is due within N working days of the referral (weekends and bank
        holidays skipped); the reminder fires on the working day after that, and stays
        relevant until a decision arrives (it is cancelled then)."""
        due = self.calendar.add_working_days(
            submitted_on, self.config.rules.reasonable_grounds_overdue.working_days
        )
        return Timing(
            fire_at=self._at_reminder_time(self.calendar.next_working_day(due)), stale_at=None
        )

    def reasonable_grounds_due_on(self, submitted_on: date) -> date:
        return self.calendar.add_working_days(
            submitted_on, self.config.rules.reasonable_grounds_overdue.working_days
        )

    def recovery_period_ending(self, until: date) -> Timing:
        """A week (configurable) before its last day; pointless after that day has ended."""
        days = self.config.rules.recovery_period_ending.days_before
        return Timing(
            fire_at=self._at_reminder_time(until - timedelta(days=days)),
            stale_at=local_moment(until + timedelta(days=1), time(0, 0), self.zone),
        )

    def end_of_day(self, day: date) -> datetime:
        return local_moment(day + timedelta(days=1), time(0, 0), self.zone)
