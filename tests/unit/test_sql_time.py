"""Times in read models: one UTC text format whose text order is time order, read back whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from shared.storage.sql import from_sql_time, to_sql_time

offsets = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware = st.datetimes(timezones=st.one_of(st.just(UTC), offsets))


@given(aware)
def test_a_time_is_written_as_fixed_width_utc_text_and_read_back(value: datetime) -> None:
    text = to_sql_time(value)
    assert len(text) == len("2026-11-30T09:00:00.000000Z") and text.endswith("Z")
    try:
        expected = value.astimezone(UTC)
    except OverflowError:  # pushed past year 1 or 9999 by its offset: the nearest end
        return
    assert text == f"{expected.year:04d}-{expected:%m-%dT%H:%M:%S.%f}Z"
    assert from_sql_time(text) == value


@given(aware, aware)
def test_text_order_is_time_order(a: datetime, b: datetime) -> None:
    try:
        a.astimezone(UTC), b.astimezone(UTC)
    except OverflowError:
        return
    assert (to_sql_time(a) < to_sql_time(b)) == (a < b)


def test_the_ends_of_time_are_written_at_their_ends() -> None:
    assert to_sql_time(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=2)))) == (
        "0001-01-01T00:00:00.000000Z"
    )
    assert to_sql_time(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))) == (
        "9999-12-31T23:59:59.999999Z"
    )
    assert to_sql_time(datetime(999, 12, 31, 20, tzinfo=UTC)) == "0999-12-31T20:00:00.000000Z"
