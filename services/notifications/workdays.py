"""Working days and local times: when a reminder is due.

UK targets such as "a Reasonable Grounds decision within 5 working days" skip weekends and
bank holidays. The bank holidays are configuration (GOV.UK publishes them; one-off holidays are
proclaimed a few months ahead), so the calendar is given them rather than computing its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_ONE_DAY = timedelta(days=1)


class WorkingCalendar:
    def __init__(self, bank_holidays: Iterable[date]) -> None:
        self.bank_holidays = frozenset(bank_holidays)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.bank_holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself is day 0)."""
        day, counted = start, 0
        while counted < count:
            day += _ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self.add_working_days(day, 1)

    def covers(self, year: int) -> bool:
        """Whether any bank holiday of ``year`` is known (a list that stops short is a risk)."""
        return any(day.year == year for day in self.bank_holidays)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at the local wall-clock time ``at``, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
