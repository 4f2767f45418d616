"""Working days and local times: when a reminder is due.

UK targets such as "a Reasonable Grounds decision within 5 working days" skip weekends and
bank holidays. The bank holidays of the charity's nation come from the ``holidays`` package
(its rules cover every year, substitute days included, and each release adds the one-off days
proclaimed since); the configuration adds the days the charity is closed besides and removes
the bank holidays it works through.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays

_ONE_DAY = timedelta(days=1)


class Nation(StrEnum):
    """Whose bank holidays apply; Wales keeps England's."""

    ENGLAND_AND_WALES = "england-and-wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"

    @property
    def subdivision(self) -> str:
        """The ``holidays`` package's code for the nation's part of the United Kingdom."""
        return {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}[
            self.value
        ]


class WorkingCalendar:
    def __init__(
        self,
        nation: Nation = Nation.ENGLAND_AND_WALES,
        *,
        closed_on: Iterable[date] = (),
        open_on: Iterable[date] = (),
    ) -> None:
        self.nation = nation
        self.closed_on = frozenset(closed_on)
        self.open_on = frozenset(open_on)
        self._by_year: dict[int, frozenset[date]] = {}

    def bank_holidays(self, year: int) -> frozenset[date]:
        """The nation's bank holidays in ``year``, as the package knows them."""
        known = self._by_year.get(year)
        if known is None:
            # Built once per year and never changed after: safe to share between threads.
            known = frozenset(
                holidays.country_holidays("GB", subdiv=self.nation.subdivision, years=year)
            )
            self._by_year[year] = known
        return known

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.closed_on:
            return False
        return day in self.open_on or day not in self.bank_holidays(day.year)

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


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at the local wall-clock time ``at``, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
