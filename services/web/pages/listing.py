"""What the caseworker's lists share: pages of a service's list, and filters read safely.

A query parameter that cannot be right (a page that is not a number, a staff id with spaces)
is dropped with a plain sentence beside its filter, never echoed, never sent on to a service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from shared.contracts.base import IDENTIFIER, STAFF_ID

PAGE_SIZE = 25
_STAFF_ID = re.compile(STAFF_ID)
_TEAM_ID = re.compile(IDENTIFIER)
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_MOST_PAGES = 40_000  # the services page no further than offset 1,000,000


@dataclass(frozen=True)
class Paging:
    page: int
    total: int
    size: int
    path: str
    filters: dict[str, str]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return page_count(self.total, self.size)

    def href(self, page: int) -> str:
        query = {**{k: v for k, v in self.filters.items() if v}, "page": str(page)}
        return f"{self.path}?{urlencode(query)}"

    @property
    def previous(self) -> str | None:
        return self.href(self.page - 1) if self.page > 1 else None

    @property
    def next(self) -> str | None:
        return self.href(self.page + 1) if self.page < self.pages else None


def page_count(total: int, size: int) -> int:
    """How many pages of ``size`` hold ``total`` items: one, even when there are none."""
    return max(1, -(-total // size))


def page_number(raw: str | None) -> int:
    """The page asked for, or the first when it is not a plain number in range."""
    # isascii too: isdigit also holds for superscripts, which int cannot read.
    if raw and raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6:
        return max(1, min(int(raw), _MOST_PAGES))
    return 1


#: Each id's shape and what to say beside a field that does not have it.
_STAFF_ID_WORDS = "Enter a staff id of letters, digits, dots, dashes, underscores, colons, @ or |."
_TEAM_ID_WORDS = "Enter a team id of letters, digits, dots, dashes, underscores, colons or @."


def staff_id(raw: str | None, errors: dict[str, str], field: str) -> str:
    return _shaped(raw, _STAFF_ID, _STAFF_ID_WORDS, errors, field)


def team_identifier(raw: str | None, errors: dict[str, str], field: str) -> str:
    return _shaped(raw, _TEAM_ID, _TEAM_ID_WORDS, errors, field)


def _shaped(
    raw: str | None, shape: re.Pattern[str], message: str, errors: dict[str, str], field: str
) -> str:
    """The value, or "" with ``message`` beside its field when it has not that shape."""
    value = (raw or "").strip()
    if value and not shape.fullmatch(value):
        errors[field] = message
        return ""
    return value


def code(raw: str | None, allowed: set[str] | None, errors: dict[str, str], field: str) -> str:
    value = (raw or "").strip()
    if value and (not _CODE.fullmatch(value) or (allowed is not None and value not in allowed)):
        errors[field] = "Choose one from the list."
        return ""
    return value


def overdue(value: Any, now: datetime | None = None) -> bool:
    if not value:
        return False
    moment = value if isinstance(value, datetime) else _moment(str(value))
    if moment is None:
        return False
    return moment < (now or datetime.now(UTC))


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
