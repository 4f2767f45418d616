"""The premises history read model: the visits to each premises, with its summary.

``premises_history`` answers ``GET /premises/{id}/history``: the visits to one premises, newest
first by when they happened (the device's clock, so a visit an offline app sent hours later
still sorts where it belongs), each with its outcome, number of contacts and urgent concerns;
and the premises' summary (visit count, last visit, open concerns), computed from the same rows.

Every row is written by value (insert-if-absent, set), never incremented, so applying an event
twice leaves the same rows. No alias, label or concern details are copied here: ids, codes and
times only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.visits import visit_contacts
from services.visits.domain import Visit
from services.visits.visit_contacts import VisitReadModel, count_of, text_or_none
from shared.storage.projection import handler
from shared.storage.sql import Row, SqlCursor, from_sql_time, rows_by, to_sql_time, write_row


@dataclass(frozen=True)
class ConcernAtPremises:
    concern_id: UUID
    concern: str
    occurred_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class VisitAtPremises:
    visit_id: UUID
    started_at: datetime
    completed_at: datetime | None
    outcome: str | None
    contact_count: int
    recorded_at: datetime
    concerns: tuple[ConcernAtPremises, ...]


@dataclass(frozen=True)
class PremisesHistoryPage:
    premises_id: UUID
    visit_count: int
    last_visit_id: UUID | None
    last_visit_at: datetime | None
    open_concern_count: int
    items: tuple[VisitAtPremises, ...]
    limit: int
    offset: int

    @property
    def total(self) -> int:
        """Rows in all pages together: every visit to the premises is one."""
        return self.visit_count


class PremisesHistory(VisitReadModel):
    """A contact made, her contacts erased and a visit completed: ``VisitReadModel``'s handlers."""

    name = "premises_history"
    tables = (
        "premises_history_visits",
        "premises_history_contacts",
        "premises_history_concerns",
    )
    visits_table, contacts_table = "premises_history_visits", "premises_history_contacts"
    event_classes = visit_contacts.FOLLOWED

    @property
    def _concerns(self) -> str:
        return self.store.table("premises_history_concerns")

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self._visits} ("
            " visit_id TEXT PRIMARY KEY,"
            " premises_id TEXT,"  # NULL: a visit to an unregistered place (a label only)
            " started_at TEXT NOT NULL,"
            " completed_at TEXT,"
            " outcome TEXT,"
            " recorded_at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS premises_history_by_premises"
            f" ON {self._visits} (premises_id, started_at DESC, visit_id)",
            visit_contacts.table(self._contacts),
            f"CREATE TABLE IF NOT EXISTS {self._concerns} ("
            " visit_id TEXT NOT NULL,"
            " concern_id TEXT NOT NULL,"
            " concern TEXT NOT NULL,"
            " occurred_at TEXT NOT NULL,"
            " version INTEGER NOT NULL,"  # the raising event's: ties keep the recorded order
            " resolved_at TEXT,"
            " PRIMARY KEY (visit_id, concern_id))",
        ]

    @handler
    def _started(self, event: Visit.Started, cursor: SqlCursor) -> None:
        row = {
            "visit_id": str(event.originator_id),
            "premises_id": text_or_none(event.premises_id),
            "started_at": to_sql_time(event.occurred_at),
            "recorded_at": to_sql_time(event.timestamp),
        }
        write_row(cursor, self._visits, row, key="visit_id")

    @handler
    def _concern_raised(self, event: Visit.UrgentConcernRaised, cursor: SqlCursor) -> None:
        row = {
            "visit_id": str(event.originator_id),
            "concern_id": str(event.concern_id),
            "concern": event.concern,
            "occurred_at": to_sql_time(event.occurred_at),
            "version": event.originator_version,
        }
        write_row(cursor, self._concerns, row, key="visit_id, concern_id")

    @handler
    def _concern_resolved(self, event: Visit.UrgentConcernResolved, cursor: SqlCursor) -> None:
        cursor.execute(
            f"UPDATE {self._concerns} SET resolved_at = %s WHERE visit_id = %s AND concern_id = %s",
            (to_sql_time(event.occurred_at), str(event.originator_id), str(event.concern_id)),
        )

    @handler
    def _premises_corrected(self, event: Visit.PremisesCorrected, cursor: SqlCursor) -> None:
        cursor.execute(
            f"UPDATE {self._visits} SET premises_id = %s WHERE visit_id = %s",
            (text_or_none(event.premises_id), str(event.originator_id)),
        )

    def history(self, premises_id: UUID, *, limit: int, offset: int) -> PremisesHistoryPage:
        key = str(premises_id)
        with self.store.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT COUNT(*) AS n FROM {self._visits} WHERE premises_id = %s", (key,)
            )
            visit_count = count_of(cursor.fetchone())
            cursor.execute(
                f"SELECT COUNT(*) AS n FROM {self._concerns} c"
                f" JOIN {self._visits} v ON v.visit_id = c.visit_id"
                " WHERE v.premises_id = %s AND c.resolved_at IS NULL",
                (key,),
            )
            open_concerns = count_of(cursor.fetchone())
            cursor.execute(
                f"SELECT v.visit_id, v.started_at, v.completed_at, v.outcome, v.recorded_at,"
                f" (SELECT COUNT(*) FROM {self._contacts} k WHERE k.visit_id = v.visit_id)"
                f" AS contact_count FROM {self._visits} v WHERE v.premises_id = %s"
                " ORDER BY v.started_at DESC, v.visit_id LIMIT %s OFFSET %s",
                (key, limit, offset),
            )
            rows = cursor.fetchall()
            cursor.execute(
                f"SELECT visit_id, started_at FROM {self._visits} WHERE premises_id = %s"
                " ORDER BY started_at DESC, visit_id LIMIT 1",
                (key,),
            )
            last = cursor.fetchone()
            concerns = self._concerns_of(cursor, [str(row["visit_id"]) for row in rows])
        return PremisesHistoryPage(
            premises_id=premises_id,
            visit_count=visit_count,
            last_visit_id=None if last is None else UUID(str(last["visit_id"])),
            last_visit_at=None
            if last is None
            else from_sql_time(last["started_at"], row=last["visit_id"]),
            open_concern_count=open_concerns,
            items=tuple(_visit(row, concerns.get(str(row["visit_id"]), ())) for row in rows),
            limit=limit,
            offset=offset,
        )

    def _concerns_of(
        self, cursor: SqlCursor, visit_ids: list[str]
    ) -> dict[str, tuple[ConcernAtPremises, ...]]:
        found = rows_by(cursor, self._concerns, "visit_id", visit_ids, order="occurred_at, version")
        return {visit_id: tuple(map(_concern, rows)) for visit_id, rows in found.items()}


def _concern(row: Row) -> ConcernAtPremises:
    resolved = row["resolved_at"]
    return ConcernAtPremises(
        concern_id=UUID(str(row["concern_id"])),
        concern=str(row["concern"]),
        occurred_at=from_sql_time(row["occurred_at"], row=row["concern_id"]),
        resolved_at=None if resolved is None else from_sql_time(resolved, row=row["concern_id"]),
    )


def _visit(row: Row, concerns: tuple[ConcernAtPremises, ...]) -> VisitAtPremises:
    completed, outcome, visit = row["completed_at"], row["outcome"], row["visit_id"]
    return VisitAtPremises(
        visit_id=UUID(str(row["visit_id"])),
        started_at=from_sql_time(row["started_at"], row=visit),
        completed_at=None if completed is None else from_sql_time(completed, row=visit),
        outcome=None if outcome is None else str(outcome),
        contact_count=int(row["contact_count"]),
        recorded_at=from_sql_time(row["recorded_at"], row=visit),
        concerns=concerns,
    )
