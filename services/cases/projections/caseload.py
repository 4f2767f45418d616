"""``caseload``: every journey with its status, caseworker, last contact and what is due next.

"My caseload" is this read model filtered by caseworker. "What is due" is the earliest open item
of the ``due_items`` read model, joined when read (both live in the same views store).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.cases.domain import JOURNEY_EVENTS, Journey
from services.cases.projections.tables import (
    CASELOAD_LATER_COLUMNS,
    Visibility,
    joined_tables,
)
from services.cases.values import JourneyStatus
from shared.storage.projection import Projection
from shared.storage.sql import SqlCursor, add_missing_columns, from_sql_time, to_sql_time

#: The events that move a journey to a new status, and the status they move it to.
STATUS_AFTER: dict[type[object], JourneyStatus] = {
    Journey.AssessmentStarted: JourneyStatus.ASSESSING,
    Journey.SupportStarted: JourneyStatus.ACTIVE,
    Journey.CaseClosed: JourneyStatus.CLOSED,
    Journey.CaseReopened: JourneyStatus.ACTIVE,
    Journey.MergedInto: JourneyStatus.MERGED,
}
_OPENING = (Journey.ReferralMade,)
_CLOSING = (
    Journey.ReferralDeclined,
    Journey.ReferralCompleted,
    Journey.ReferralWithdrawn,
    Journey.ReferralExpired,
)


@dataclass(frozen=True)
class CaseloadEntry:
    journey_id: UUID
    status: str
    registered: bool
    caseworker_id: str | None
    possible_minor: bool
    opened_at: datetime
    last_contact_at: datetime | None
    contact_count: int
    open_referrals: int
    next_due_at: datetime | None
    version: int


class Caseload(Projection):
    name = "caseload"
    event_classes = JOURNEY_EVENTS

    def create_statements(self) -> list[str]:
        return joined_tables(self.store)

    def prepare(self) -> None:
        add_missing_columns(self.store, self.store.table(self.name), CASELOAD_LATER_COLUMNS)

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        table, journey = self.store.table(self.name), str(event.originator_id)
        version = event.originator_version
        if isinstance(event, Journey.Opened | Journey.OpenedAtRegistration):
            cursor.execute(
                f"INSERT INTO {table} (journey_id, status, registered, caseworker_id,"
                " possible_minor, opened_at, last_contact_at, contact_count, open_referrals,"
                " version, team_id, opened_by)"
                " VALUES (%s, %s, 0, NULL, 0, %s, NULL, 0, 0, %s, NULL, %s)"
                " ON CONFLICT (journey_id) DO NOTHING",
                (
                    journey,
                    JourneyStatus.NEW.value,
                    to_sql_time(event.occurred_at),
                    version,
                    event.actor,
                ),
            )
            return
        if isinstance(event, Journey.PersonErased):
            # Her erasure: the caseload forgets her (a rebuild deletes at the same point).
            cursor.execute(f"DELETE FROM {table} WHERE journey_id = %s", (journey,))
            return
        changes: dict[str, object] = {}
        if isinstance(event, Journey.ContactRecorded):
            cursor.execute(
                f"UPDATE {table} SET contact_count = contact_count + 1,"
                " last_contact_at = CASE WHEN last_contact_at IS NULL OR last_contact_at < %s"
                " THEN %s ELSE last_contact_at END WHERE journey_id = %s",
                (to_sql_time(event.occurred_at), to_sql_time(event.occurred_at), journey),
            )
        elif isinstance(event, Journey.PersonRegistered):
            changes["registered"] = 1
        elif isinstance(event, Journey.CaseworkerAssigned):
            changes["caseworker_id"] = event.caseworker_id
            changes["team_id"] = event.team_id
        elif isinstance(event, Journey.PossibleMinorMarked | Journey.PossibleMinorCleared):
            changes["possible_minor"] = int(isinstance(event, Journey.PossibleMinorMarked))
        elif isinstance(event, Journey.ConcernNoted) and event.concern == "possible_minor":
            changes["possible_minor"] = 1
        elif type(event) in STATUS_AFTER:
            changes["status"] = STATUS_AFTER[type(event)].value
        elif isinstance(event, _OPENING + _CLOSING):
            step = 1 if isinstance(event, _OPENING) else -1
            cursor.execute(
                f"UPDATE {table} SET open_referrals = open_referrals + %s WHERE journey_id = %s",
                (step, journey),
            )
        changes["version"] = version
        assignments = ", ".join(f"{column} = %s" for column in changes)
        cursor.execute(
            f"UPDATE {table} SET {assignments} WHERE journey_id = %s",
            (*changes.values(), journey),
        )

    def list(
        self,
        *,
        status: str | None = None,
        caseworker_id: str | None = None,
        visible_to: Visibility | None = None,
        unassigned: bool = False,
        due_before: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[CaseloadEntry], int]:
        """Journeys that match, those with something due first (soonest first), then by most
        recent contact."""
        table = self.store.table(self.name)
        due = self.store.table("due_items")
        conditions: list[str] = ["1 = 1"]
        params: list[object] = []
        if status:
            conditions.append("c.status = %s")
            params.append(status)
        else:  # a merged journey lives on in the one it was merged into
            conditions.append("c.status <> %s")
            params.append(JourneyStatus.MERGED.value)
        if caseworker_id:
            conditions.append("c.caseworker_id = %s")
            params.append(caseworker_id)
        if unassigned:
            conditions.append("c.caseworker_id IS NULL")
        if visible_to is not None:
            condition, more = visible_to.condition("c")
            conditions.append(condition)
            params.extend(more)
        if due_before is not None:
            conditions.append("d.next_due_at IS NOT NULL AND d.next_due_at < %s")
            params.append(to_sql_time(due_before))
        source = (
            f"FROM {table} c LEFT JOIN (SELECT journey_id, MIN(due_at) AS next_due_at"
            f" FROM {due} WHERE state = 'open' GROUP BY journey_id) d"
            " ON d.journey_id = c.journey_id WHERE " + " AND ".join(conditions)
        )
        with self.store.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n {source}", params)
            row = cursor.fetchone()
            total = int(row["n"]) if row else 0
            cursor.execute(
                f"SELECT c.*, d.next_due_at {source}"
                " ORDER BY (d.next_due_at IS NULL), d.next_due_at,"
                " (c.last_contact_at IS NULL), c.last_contact_at DESC, c.journey_id"
                " LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = cursor.fetchall()
        return [_entry(row) for row in rows], total


def _entry(row: dict[str, object]) -> CaseloadEntry:
    journey = row["journey_id"]

    def _time(value: object) -> datetime | None:
        return None if value is None else from_sql_time(value, row=journey)

    return CaseloadEntry(
        journey_id=UUID(str(row["journey_id"])),
        status=str(row["status"]),
        registered=bool(row["registered"]),
        caseworker_id=None if row["caseworker_id"] is None else str(row["caseworker_id"]),
        possible_minor=bool(row["possible_minor"]),
        opened_at=from_sql_time(row["opened_at"], row=journey),
        last_contact_at=_time(row["last_contact_at"]),
        contact_count=int(str(row["contact_count"])),
        open_referrals=int(str(row["open_referrals"])),
        next_due_at=_time(row.get("next_due_at")),
        version=int(str(row["version"])),
    )
