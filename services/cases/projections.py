"""Read models of the cases service, one per query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.cases.domain import Journey, JourneyStatus
from shared.storage.projection import Projection
from shared.storage.sql import SqlCursor, from_sql_time, to_sql_time


@dataclass(frozen=True)
class JourneySummary:
    journey_id: UUID
    status: str
    opened_at: datetime
    last_contact_at: datetime | None
    contact_count: int
    version: int


class JourneyList(Projection):
    """``GET /journeys``: every journey with its status and last contact, newest contact first."""

    name = "journey_list"
    event_classes = (Journey.Opened, Journey.ContactRecorded)

    def create_statements(self) -> list[str]:
        table = self.store.table(self.name)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            " journey_id TEXT PRIMARY KEY,"
            " status TEXT NOT NULL,"
            " opened_at TEXT NOT NULL,"
            " last_contact_at TEXT,"
            " contact_count INTEGER NOT NULL,"
            " version INTEGER NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS journey_list_by_last_contact"
            f" ON {table} (last_contact_at DESC, journey_id)",
        ]

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        table = self.store.table(self.name)
        if isinstance(event, Journey.Opened):
            cursor.execute(
                f"INSERT INTO {table} (journey_id, status, opened_at, last_contact_at,"
                " contact_count, version) VALUES (%s, %s, %s, NULL, 0, %s)"
                " ON CONFLICT (journey_id) DO NOTHING",
                (
                    str(event.originator_id),
                    JourneyStatus.NEW.value,
                    to_sql_time(event.occurred_at),
                    event.originator_version,
                ),
            )
        elif isinstance(event, Journey.ContactRecorded):
            cursor.execute(
                f"UPDATE {table} SET contact_count = contact_count + 1, version = %s,"
                " last_contact_at = CASE WHEN last_contact_at IS NULL OR last_contact_at < %s"
                " THEN %s ELSE last_contact_at END"
                " WHERE journey_id = %s",
                (
                    event.originator_version,
                    to_sql_time(event.occurred_at),
                    to_sql_time(event.occurred_at),
                    str(event.originator_id),
                ),
            )

    def list(
        self, *, status: str | None, limit: int, offset: int
    ) -> tuple[list[JourneySummary], int]:
        table = self.store.table(self.name)
        where, params = ("WHERE status = %s", [status]) if status else ("", [])
        with self.store.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {table} {where}", params)
            row = cursor.fetchone()
            total = int(row["n"]) if row else 0
            cursor.execute(
                f"SELECT * FROM {table} {where}"
                " ORDER BY (last_contact_at IS NULL), last_contact_at DESC, journey_id"
                " LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = cursor.fetchall()
        return [_summary(row) for row in rows], total

    def get(self, journey_id: UUID) -> JourneySummary | None:
        with self.store.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT * FROM {self.store.table(self.name)} WHERE journey_id = %s",
                (str(journey_id),),
            )
            row = cursor.fetchone()
        return None if row is None else _summary(row)


def _summary(row: dict[str, object]) -> JourneySummary:
    last = row["last_contact_at"]
    return JourneySummary(
        journey_id=UUID(str(row["journey_id"])),
        status=str(row["status"]),
        opened_at=from_sql_time(str(row["opened_at"])),
        last_contact_at=None if last is None else from_sql_time(str(last)),
        contact_count=int(str(row["contact_count"])),
        version=int(str(row["version"])),
    )
