"""Read models of the cases service, one per query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.cases.domain import JOURNEY_EVENTS, Journey
from services.cases.values import JourneyStatus, ReferralStatus
from shared.storage.projection import Projection
from shared.storage.sql import SqlCursor, from_sql_time, to_sql_time

#: The events that move a journey to a new status, and the status they move it to.
_STATUS_AFTER: dict[type[object], JourneyStatus] = {
    Journey.AssessmentStarted: JourneyStatus.ASSESSING,
    Journey.SupportStarted: JourneyStatus.ACTIVE,
    Journey.CaseClosed: JourneyStatus.CLOSED,
    Journey.CaseReopened: JourneyStatus.ACTIVE,
    Journey.MergedInto: JourneyStatus.MERGED,
}


@dataclass(frozen=True)
class JourneySummary:
    journey_id: UUID
    status: str
    opened_at: datetime
    last_contact_at: datetime | None
    contact_count: int
    version: int


class JourneyList(Projection):
    """``GET /journeys``: every journey with its status and last contact, newest contact first.

    It reads every journey event so that ``version`` is the journey's (its ETag); only ids,
    codes and times are stored — nothing personal, so erasure has nothing to purge here."""

    name = "journey_list"
    event_classes = JOURNEY_EVENTS

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
        if isinstance(event, Journey.Opened | Journey.OpenedAtRegistration):
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
        elif type(event) in _STATUS_AFTER:
            cursor.execute(
                f"UPDATE {table} SET status = %s, version = %s WHERE journey_id = %s",
                (
                    _STATUS_AFTER[type(event)].value,
                    event.originator_version,
                    str(event.originator_id),
                ),
            )
        else:
            cursor.execute(
                f"UPDATE {table} SET version = %s WHERE journey_id = %s AND version < %s",
                (event.originator_version, str(event.originator_id), event.originator_version),
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


class OpenReferrals(Projection):
    """Referrals still open, with their response date: what ``expire_overdue_referrals`` scans.

    A referral leaves the table when it is declined, completed, withdrawn or expired, and all of
    a journey's leave when it is merged into another (that journey no longer takes commands)."""

    name = "open_referrals"
    event_classes = (
        Journey.ReferralMade,
        Journey.ReferralAcknowledged,
        Journey.ReferralAccepted,
        Journey.ReferralDeclined,
        Journey.ReferralCompleted,
        Journey.ReferralWithdrawn,
        Journey.ReferralExpired,
        Journey.MergedInto,
    )

    def create_statements(self) -> list[str]:
        table = self.store.table(self.name)
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ("
            " referral_id TEXT PRIMARY KEY,"
            " journey_id TEXT NOT NULL,"
            " partner TEXT NOT NULL,"
            " status TEXT NOT NULL,"
            " respond_by TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS open_referrals_by_respond_by"
            f" ON {table} (respond_by, referral_id)",
        ]

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        table = self.store.table(self.name)
        if isinstance(event, Journey.ReferralMade):
            cursor.execute(
                f"INSERT INTO {table} (referral_id, journey_id, partner, status, respond_by)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (referral_id) DO NOTHING",
                (
                    str(event.referral_id),
                    str(event.originator_id),
                    event.partner,
                    ReferralStatus.MADE.value,
                    to_sql_time(event.respond_by),
                ),
            )
        elif isinstance(event, Journey.ReferralAcknowledged | Journey.ReferralAccepted):
            status = (
                ReferralStatus.ACKNOWLEDGED
                if isinstance(event, Journey.ReferralAcknowledged)
                else ReferralStatus.ACCEPTED
            )
            cursor.execute(
                f"UPDATE {table} SET status = %s WHERE referral_id = %s",
                (status.value, str(event.referral_id)),
            )
        elif isinstance(event, Journey.MergedInto):
            cursor.execute(
                f"DELETE FROM {table} WHERE journey_id = %s", (str(event.originator_id),)
            )
        elif isinstance(
            event,
            Journey.ReferralDeclined
            | Journey.ReferralCompleted
            | Journey.ReferralWithdrawn
            | Journey.ReferralExpired,
        ):
            cursor.execute(f"DELETE FROM {table} WHERE referral_id = %s", (str(event.referral_id),))

    def overdue(self, now: datetime, limit: int) -> list[tuple[UUID, UUID]]:
        """(journey id, referral id) of referrals awaiting a response whose date has passed."""
        with self.store.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT journey_id, referral_id FROM {self.store.table(self.name)}"
                " WHERE status IN (%s, %s) AND respond_by < %s"
                " ORDER BY respond_by, referral_id LIMIT %s",
                (
                    ReferralStatus.MADE.value,
                    ReferralStatus.ACKNOWLEDGED.value,
                    to_sql_time(now),
                    limit,
                ),
            )
            rows = cursor.fetchall()
        return [(UUID(str(r["journey_id"])), UUID(str(r["referral_id"]))) for r in rows]
