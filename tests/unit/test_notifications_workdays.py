"""Working days for UK targets: weekends and bank holidays are skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.notifications.config import NotificationsConfig
from services.notifications.workdays import WorkingCalendar, local_day, local_moment
from shared.settings import ServiceName
from tests.support import make_settings

LONDON = ZoneInfo("Europe/London")
CHRISTMAS_2026 = [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)]
EASTER_2027 = [date(2027, 3, 26), date(2027, 3, 29)]


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 11, 23), 5, date(2026, 11, 30)),  # Monday + 5 = next Monday
        (date(2026, 11, 27), 5, date(2026, 12, 4)),  # Friday + 5 = next Friday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # from a Saturday, Monday is day 1
        (date(2026, 12, 21), 5, date(2026, 12, 30)),  # over Christmas and the substitute day
        (date(2027, 3, 24), 5, date(2027, 4, 2)),  # over Good Friday and Easter Monday
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day, then a weekend
    ],
)
def test_adding_working_days_skips_weekends_and_bank_holidays(
    start: date, count: int, expected: date
) -> None:
    calendar = WorkingCalendar(CHRISTMAS_2026 + EASTER_2027)
    assert calendar.add_working_days(start, count) == expected


def test_the_next_working_day_after_a_friday_before_a_bank_holiday_is_tuesday() -> None:
    calendar = WorkingCalendar(EASTER_2027)
    assert calendar.next_working_day(date(2027, 3, 25)) == date(2027, 3, 30)
    assert not calendar.is_working_day(date(2027, 3, 29))
    assert calendar.is_working_day(date(2027, 3, 30))


def test_local_times_follow_british_summer_time() -> None:
    assert local_moment(date(2026, 12, 2), time(9), LONDON) == datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert local_moment(date(2026, 7, 14), time(9), LONDON) == datetime(2026, 7, 14, 8, tzinfo=UTC)
    assert local_day(datetime(2026, 7, 14, 23, 30, tzinfo=UTC), LONDON) == date(2026, 7, 15)


def test_the_packaged_bank_holidays_are_england_and_wales_for_years_ahead(tmp_path) -> None:
    from services.notifications.config import load_config

    loaded = load_config(make_settings(ServiceName.NOTIFICATIONS, tmp_path))
    calendar = WorkingCalendar(loaded.config.bank_holidays.dates)
    assert all(calendar.covers(year) for year in range(2026, 2031))
    assert not calendar.is_working_day(date(2026, 8, 31))  # Summer bank holiday
    assert not calendar.is_working_day(date(2028, 1, 3))  # New Year substitute day
    assert isinstance(loaded.config, NotificationsConfig)
