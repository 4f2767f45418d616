"""``journey_timeline``: every fact on her journey — outreach contacts and indicators from visits
merged with casework — newest first by when it happened, each with who and both clocks.

An offline app may deliver a contact hours late: it sorts by ``occurred_at``, not by arrival.
Each row keeps the event's codes, ids and dates; its personal fields are left out entirely.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.cases.domain import JOURNEY_EVENTS, Journey
from services.cases.queries.tables import forget_journey
from shared.storage.personal_data import personal_fields_of
from shared.storage.projection import Projection
from shared.storage.sql import SqlCursor, Where, from_sql_time, to_sql_time

#: Facts that reached the journey from outreach rather than from casework.
FROM_OUTREACH = (
    Journey.ContactRecorded,
    Journey.IndicatorNoted,
    Journey.ConcernNoted,
    Journey.FollowUpNoted,
    Journey.ContactLinked,
)
_NOT_DETAIL = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "occurred_at",
    "actor",
}


@dataclass(frozen=True)
class TimelineRow:
    journey_id: UUID
    version: int
    event: str
    source: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    details: dict[str, Any]


def event_name(event: object) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def details_of(event: object) -> dict[str, Any]:
    """The event's own fields minus its personal ones, as JSON-ready values."""
    hidden = _NOT_DETAIL | set(personal_fields_of(type(event)))
    return {key: _plain(value) for key, value in vars(event).items() if key not in hidden}


def _plain(value: Any) -> Any:
    if isinstance(value, UUID | datetime | date):
        return value.isoformat() if not isinstance(value, UUID) else str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


class JourneyTimeline(Projection):
    name = "journey_timeline"
    event_classes = JOURNEY_EVENTS

    columns = (
        "journey_id TEXT NOT NULL, version INTEGER NOT NULL, event TEXT NOT NULL,"
        " source TEXT NOT NULL, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL,"
        " actor TEXT NOT NULL, details TEXT NOT NULL, PRIMARY KEY (journey_id, version)"
    )
    indexes = {"journey_timeline_by_time": "journey_id, occurred_at DESC, version DESC"}

    def apply(self, cursor: SqlCursor, event: DomainEventProtocol[UUID]) -> None:
        assert isinstance(event, Journey.Event)
        if isinstance(event, Journey.PersonErased):
            forget_journey(self.store, cursor, self.name, event.originator_id)
            return
        occurred: datetime = getattr(event, "occurred_at", event.timestamp)
        cursor.execute(
            f"INSERT INTO {self.table} VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (journey_id, version) DO NOTHING",
            (
                str(event.originator_id),
                event.originator_version,
                event_name(event),
                "outreach" if isinstance(event, FROM_OUTREACH) else "casework",
                to_sql_time(occurred),
                to_sql_time(event.timestamp),
                str(getattr(event, "actor", "system")),
                json.dumps(details_of(event), sort_keys=True),
            ),
        )

    def for_journey(
        self,
        journey_id: UUID,
        *,
        limit: int = 100,
        offset: int = 0,
        as_of: datetime | None = None,
    ) -> tuple[list[TimelineRow], int]:
        """Her timeline; with ``as_of``, only what had been recorded by then (the server's
        clock: a fact an offline app delivered later was not yet known)."""
        where = Where("journey_id = %s", params=[str(journey_id)])
        if as_of is not None:
            where.add("recorded_at <= %s", to_sql_time(as_of))
        rows, total = self.numbered_page(
            where, order="occurred_at DESC, version DESC", limit=limit, offset=offset
        )
        return [
            TimelineRow(
                journey_id=UUID(str(r["journey_id"])),
                version=int(str(r["version"])),
                event=str(r["event"]),
                source=str(r["source"]),
                occurred_at=from_sql_time(r["occurred_at"], row=_key(r)),
                recorded_at=from_sql_time(r["recorded_at"], row=_key(r)),
                actor=str(r["actor"]),
                details=json.loads(str(r["details"])),
            )
            for r in rows
        ], total


def _key(row: dict[str, object]) -> str:
    return f"{row['journey_id']}/{row['version']}"
