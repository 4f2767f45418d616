"""The dates and times a client may send: with a UTC offset, and within a plausible window.

One definition for every request body and query parameter. A value outside the window is a 422
naming the field (the message names the rule, never the value), so an implausible date (year
0999 typed for 1999, year 1 or 9999 pushed out of range by its offset) never reaches the event
log, where it would stay for good.

- ``HappenedAt``: something that already happened (a visit, a contact, a decision): from
  1900-01-01T00:00Z, and no later than the server's clock plus ``CLOCK_SKEW``.
- ``PlannedAt``: something scheduled (a follow-up, an appointment, a deadline): from 1900, and
  no more than ``HORIZON`` ahead. It may lie in the past (recorded late).
- ``SearchTime``: a bound of a query (``since``, ``before``, ``at``…): from 1900, and no more
  than ``SEARCH_HORIZON`` ahead.
- ``HappenedOn`` and ``PlannedOn``: the same for calendar dates (a day ahead of UTC allowed for
  ``HappenedOn``, since a client's local date may already be tomorrow's).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
#: A device clock may run a little fast; anything further ahead than this is a mistake.
CLOCK_SKEW = timedelta(minutes=10)
#: How far ahead something may be scheduled.
HORIZON = timedelta(days=3653)  # ten years
#: How far ahead a query bound may reach.
SEARCH_HORIZON = timedelta(days=36525)  # a hundred years


def _aware_within(value: datetime, ahead: timedelta, too_late: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a UTC offset")
    latest = datetime.now(UTC) + ahead
    # The wall-clock year is checked before converting to UTC: year 1 at +14:00 or year 9999
    # at -14:00 cannot be converted at all.
    if value.year < EARLIEST.year:
        raise ValueError("must not be before 1900")
    if value.year > latest.year:
        raise ValueError(too_late)
    if value.astimezone(UTC) < EARLIEST:
        raise ValueError("must not be before 1900")
    if value.astimezone(UTC) > latest:
        raise ValueError(too_late)
    return value


def _happened(value: datetime) -> datetime:
    return _aware_within(value, CLOCK_SKEW, "must not be in the future")


def _planned(value: datetime) -> datetime:
    return _aware_within(value, HORIZON, "must not be more than ten years ahead")


def _search(value: datetime) -> datetime:
    return _aware_within(value, SEARCH_HORIZON, "must not be more than a hundred years ahead")


def _within_days(value: date, ahead: timedelta, too_late: str) -> date:
    if value < EARLIEST.date():
        raise ValueError("must not be before 1900")
    if value > datetime.now(UTC).date() + ahead:
        raise ValueError(too_late)
    return value


def _happened_on(value: date) -> date:
    return _within_days(value, timedelta(days=1), "must not be in the future")


def _planned_on(value: date) -> date:
    return _within_days(value, HORIZON, "must not be more than ten years ahead")


HappenedAt = Annotated[datetime, AfterValidator(_happened)]
PlannedAt = Annotated[datetime, AfterValidator(_planned)]
SearchTime = Annotated[datetime, AfterValidator(_search)]
HappenedOn = Annotated[date, AfterValidator(_happened_on)]
PlannedOn = Annotated[date, AfterValidator(_planned_on)]
