"""``statistics``: anonymised counts for managers, by calendar month (UTC, by ``occurred_at``).

Only a measure, a month (``YYYY-MM``), a code and a count are published. Two helper tables keep
what correct counting needs and are never returned: ``statistics_seen`` (a journey counted once
per need per month) and ``statistics_referrals`` (the need a referral was made for, so its
outcome is counted under that need).

Measures and their codes:

| measure | code |
|---|---|
| ``journeys_opened`` | ``all`` |
| ``needs_assessed`` | the need (a journey once per need per month) |
| ``referrals_made`` | the need referred for (whatever the partner) |
| ``referral_outcomes`` | ``<need>:<outcome>`` (accepted, declined, completed, withdrawn, expired) |
| ``exits`` | ``exited_sex_industry`` (each ``ExitedSexIndustry``; reversals not netted) |
| ``closures`` | the closure reason |

Disclosure control (CTDC practice, ``K_ANONYMITY = 11``) is applied when read, in ``publish``:

1. primary suppression: every count below ``K_ANONYMITY`` is published as ``null``;
2. complementary suppression: cells are grouped by (measure, month); a group with exactly one
   suppressed cell also has its smallest published cell suppressed, so the small cell cannot be
   recovered by subtracting the others from a total known elsewhere;
3. no totals are published.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import singledispatchmethod
from typing import TypeAlias, get_args
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.cases.domain import Journey
from shared.storage.projection import Projection
from shared.storage.sql import SqlCursor, to_sql_time

#: No published cell may be smaller than this (CTDC practice).
K_ANONYMITY = 11

JOURNEYS_OPENED = "journeys_opened"
NEEDS_ASSESSED = "needs_assessed"
REFERRALS_MADE = "referrals_made"
REFERRAL_OUTCOMES = "referral_outcomes"
EXITS = "exits"
CLOSURES = "closures"

#: A referral's outcomes (every step it takes but an acknowledgement), each by what it reaches.
ReferralOutcome: TypeAlias = (
    Journey.ReferralAccepted
    | Journey.ReferralDeclined
    | Journey.ReferralCompleted
    | Journey.ReferralWithdrawn
    | Journey.ReferralExpired
)
_SEEN, _REFERRALS = "statistics_seen", "statistics_referrals"


@dataclass(frozen=True)
class StatisticsCell:
    measure: str
    month: str
    code: str
    count: int | None
    suppressed: bool


def month_of(moment: datetime) -> str:
    """The calendar month of a moment, in UTC: ``YYYY-MM``."""
    return to_sql_time(moment)[:7]


def publish(counts: list[tuple[str, str, str, int]], k: int = K_ANONYMITY) -> list[StatisticsCell]:
    """Cells of (measure, month, code, count) with primary and complementary suppression."""
    cells = [StatisticsCell(m, mo, c, n, n < k) for m, mo, c, n in counts]
    groups: dict[tuple[str, str], list[int]] = {}
    for index, cell in enumerate(cells):
        groups.setdefault((cell.measure, cell.month), []).append(index)
    for members in groups.values():
        suppressed = [i for i in members if cells[i].suppressed]
        shown = [i for i in members if not cells[i].suppressed]
        if len(suppressed) == 1 and shown:
            smallest = min(shown, key=lambda i: (cells[i].count or 0, cells[i].code))
            cells[smallest] = replace(cells[smallest], suppressed=True)
    return [replace(c, count=None) if c.suppressed else c for c in cells]


class Statistics(Projection):
    name = "statistics"
    tables = ("statistics", _SEEN, _REFERRALS)
    event_classes = (
        Journey.Opened,
        Journey.OpenedAtRegistration,
        Journey.NeedsAssessed,
        Journey.ReferralMade,
        *get_args(ReferralOutcome),
        Journey.ExitedSexIndustry,
        Journey.CaseClosed,
        Journey.PersonErased,
    )

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            " measure TEXT NOT NULL, month TEXT NOT NULL, code TEXT NOT NULL,"
            " n INTEGER NOT NULL, PRIMARY KEY (measure, month, code))",
            f"CREATE TABLE IF NOT EXISTS {self.store.table(_SEEN)} (seen TEXT PRIMARY KEY)",
            f"CREATE TABLE IF NOT EXISTS {self.store.table(_REFERRALS)} ("
            " referral_id TEXT PRIMARY KEY, need TEXT NOT NULL)",
        ]

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        occurred_at = getattr(event, "occurred_at", None)
        if isinstance(occurred_at, datetime):
            self.count(event, cursor, month_of(occurred_at))

    @singledispatchmethod
    def count(self, event: DomainEventProtocol[UUID], cursor: SqlCursor, month: str) -> None:
        """An event no statistic counts."""

    @count.register
    def _opened(
        self, event: Journey.Opened | Journey.OpenedAtRegistration, cursor: SqlCursor, month: str
    ) -> None:
        self._count(cursor, JOURNEYS_OPENED, month, "all")

    @count.register
    def _needs(self, event: Journey.NeedsAssessed, cursor: SqlCursor, month: str) -> None:
        for need in sorted(set(event.needs)):
            if self._first(cursor, f"{event.originator_id}|{month}|{need}"):
                self._count(cursor, NEEDS_ASSESSED, month, need)

    @count.register
    def _referral_made(self, event: Journey.ReferralMade, cursor: SqlCursor, month: str) -> None:
        cursor.execute(
            f"INSERT INTO {self.store.table(_REFERRALS)} VALUES (%s, %s)"
            " ON CONFLICT (referral_id) DO NOTHING",
            (str(event.referral_id), event.need),
        )
        self._count(cursor, REFERRALS_MADE, month, event.need)

    @count.register
    def _referral_outcome(self, event: ReferralOutcome, cursor: SqlCursor, month: str) -> None:
        cursor.execute(
            f"SELECT need FROM {self.store.table(_REFERRALS)} WHERE referral_id = %s",
            (str(event.referral_id),),
        )
        row = cursor.fetchone()
        need = str(row["need"]) if row else "unknown"
        self._count(cursor, REFERRAL_OUTCOMES, month, f"{need}:{event.reaches.value}")

    @count.register
    def _exit(self, event: Journey.ExitedSexIndustry, cursor: SqlCursor, month: str) -> None:
        self._count(cursor, EXITS, month, "exited_sex_industry")

    @count.register
    def _closed(self, event: Journey.CaseClosed, cursor: SqlCursor, month: str) -> None:
        self._count(cursor, CLOSURES, month, event.reason)

    @count.register
    def _erased(self, event: Journey.PersonErased, cursor: SqlCursor, month: str) -> None:
        # The counts stay (anonymised, small cells suppressed); what tied a count to her
        # journey goes.
        cursor.execute(
            f"DELETE FROM {self.store.table(_SEEN)} WHERE seen LIKE %s",
            (f"{event.originator_id}|%",),
        )

    def _first(self, cursor: SqlCursor, key: str) -> bool:
        """Whether this key is seen for the first time (and remember it)."""
        table = self.store.table(_SEEN)
        cursor.execute(f"SELECT seen FROM {table} WHERE seen = %s", (key,))
        if cursor.fetchone() is not None:
            return False
        cursor.execute(f"INSERT INTO {table} VALUES (%s)", (key,))
        return True

    def _count(self, cursor: SqlCursor, measure: str, month: str, code: str) -> None:
        cursor.execute(
            f"INSERT INTO {self.table} VALUES (%s, %s, %s, 0)"
            " ON CONFLICT (measure, month, code) DO NOTHING",
            (measure, month, code),
        )
        cursor.execute(
            f"UPDATE {self.table} SET n = n + 1 WHERE measure = %s AND month = %s AND code = %s",
            (measure, month, code),
        )

    def counts(self, first: str, last: str) -> list[tuple[str, str, str, int]]:
        """Raw counts for months ``first``..``last`` (``YYYY-MM``, inclusive). Not for
        publishing as they are: ``publish`` suppresses small cells."""
        rows = self.store.rows(
            f"SELECT measure, month, code, n FROM {self.table}"
            " WHERE month >= %s AND month <= %s ORDER BY measure, month, code",
            (first, last),
        )
        return [
            (str(r["measure"]), str(r["month"]), str(r["code"]), int(str(r["n"]))) for r in rows
        ]

    def published(self, first: str, last: str) -> list[StatisticsCell]:
        return publish(self.counts(first, last))
