"""Working days for UK targets: weekends, the nation's bank holidays and the charity's own
closures are skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.notifications.config import BankHolidays, NotificationsConfig
from services.notifications.workdays import Nation, WorkingCalendar, local_day, local_moment
from shared.settings import ServiceName
from tests.support import make_settings

LONDON = ZoneInfo("Europe/London")


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
    calendar = WorkingCalendar(Nation.ENGLAND_AND_WALES)
    assert calendar.add_working_days(start, count) == expected


def test_the_next_working_day_after_a_friday_before_a_bank_holiday_is_tuesday() -> None:
    calendar = WorkingCalendar(Nation.ENGLAND_AND_WALES)
    assert calendar.next_working_day(date(2027, 3, 25)) == date(2027, 3, 30)
    assert not calendar.is_working_day(date(2027, 3, 29))
    assert calendar.is_working_day(date(2027, 3, 30))


@pytest.mark.parametrize(
    ("day", "england_and_wales", "scotland", "northern_ireland"),
    [
        (date(2026, 8, 31), False, True, False),  # Summer bank holiday: not Scotland's
        (date(2026, 8, 3), True, False, True),  # Scotland's summer bank holiday
        (date(2026, 11, 30), True, False, True),  # St Andrew's Day
        (date(2027, 3, 17), True, True, False),  # St Patrick's Day
        (date(2027, 7, 12), True, True, False),  # Battle of the Boyne
        (date(2028, 1, 3), False, False, False),  # New Year's Day's substitute day
    ],
)
def test_each_nation_has_its_own_bank_holidays(
    day: date, england_and_wales: bool, scotland: bool, northern_ireland: bool
) -> None:
    assert WorkingCalendar(Nation.ENGLAND_AND_WALES).is_working_day(day) is england_and_wales
    assert WorkingCalendar(Nation.SCOTLAND).is_working_day(day) is scotland
    assert WorkingCalendar(Nation.NORTHERN_IRELAND).is_working_day(day) is northern_ireland


def test_bank_holidays_are_known_for_years_no_list_was_written_for() -> None:
    calendar = WorkingCalendar(Nation.ENGLAND_AND_WALES)
    assert not calendar.is_working_day(date(2040, 12, 25))
    assert not calendar.is_working_day(date(2040, 3, 30))  # Good Friday
    assert not calendar.is_working_day(date(2040, 4, 2))  # Easter Monday
    assert calendar.is_working_day(date(2040, 4, 3))


def test_configured_closures_are_skipped_and_worked_bank_holidays_are_counted() -> None:
    christmas_closure = [date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)]
    calendar = BankHolidays(closed_on=christmas_closure, open_on=[date(2027, 5, 3)]).calendar()
    assert calendar.next_working_day(date(2026, 12, 24)) == date(2027, 1, 4)
    assert calendar.is_working_day(date(2027, 5, 3))  # the early May bank holiday, worked
    assert not calendar.is_working_day(date(2027, 5, 31))  # the spring bank holiday, not


def test_local_times_follow_british_summer_time() -> None:
    assert local_moment(date(2026, 12, 2), time(9), LONDON) == datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert local_moment(date(2026, 7, 14), time(9), LONDON) == datetime(2026, 7, 14, 8, tzinfo=UTC)
    assert local_day(datetime(2026, 7, 14, 23, 30, tzinfo=UTC), LONDON) == date(2026, 7, 15)


def test_the_packaged_configuration_counts_england_and_wales_bank_holidays(tmp_path) -> None:
    from services.notifications.config import load_config

    loaded = load_config(make_settings(ServiceName.NOTIFICATIONS, tmp_path))
    assert isinstance(loaded.config, NotificationsConfig)
    calendar = loaded.config.bank_holidays.calendar()
    assert not calendar.is_working_day(date(2026, 8, 31))  # Summer bank holiday
    assert not calendar.is_working_day(date(2028, 1, 3))  # New Year substitute day


def test_an_unknown_nation_is_refused_naming_the_field() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="nation"):
        BankHolidays.model_validate({"nation": "wessex"})
