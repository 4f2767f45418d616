"""``erasure_requests``: the erasure requests an admin decides on (``GET /erasure-requests``).

Ids, codes and staff ids only, so the row of an erased journey may stay as the record that
the erasure was asked for and approved (by whom and when) — never anything about her.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.cases.domain import Journey
from shared.storage.projection import Projection, handler
from shared.storage.sql import SqlCursor, Where, from_sql_time, to_sql_time, write_row

PENDING, ERASED = "pending", "erased"


@dataclass(frozen=True)
class ErasureRequestEntry:
    journey_id: UUID
    request_id: UUID
    reason: str
    requested_by: str
    requested_at: datetime
    state: str
    approved_by: str | None
    erased_at: datetime | None


class ErasureRequests(Projection):
    name = "erasure_requests"

    columns = (
        "journey_id TEXT PRIMARY KEY, request_id TEXT NOT NULL, reason TEXT NOT NULL,"
        " requested_by TEXT NOT NULL, requested_at TEXT NOT NULL, state TEXT NOT NULL,"
        " approved_by TEXT, erased_at TEXT"
    )
    indexes = {"erasure_requests_by_state": "state, requested_at"}

    @handler
    def _requested(self, event: Journey.ErasureRequested, cursor: SqlCursor) -> None:
        row = {
            "journey_id": str(event.originator_id),
            "request_id": str(event.request_id),
            "reason": event.reason,
            "requested_by": event.requested_by,
            "requested_at": to_sql_time(event.occurred_at),
            "state": PENDING,
        }
        write_row(cursor, self.table, row, key="journey_id", update=True)

    @handler
    def _erased(self, event: Journey.PersonErased, cursor: SqlCursor) -> None:
        cursor.execute(
            f"UPDATE {self.table} SET state = %s, approved_by = %s,"
            " erased_at = %s WHERE journey_id = %s",
            (ERASED, event.approved_by, to_sql_time(event.occurred_at), str(event.originator_id)),
        )

    def list(
        self, *, state: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[ErasureRequestEntry], int]:
        where = Where()
        if state:
            where.add("state = %s", state)
        rows, total = self.numbered_page(
            where, order="requested_at, journey_id", limit=limit, offset=offset
        )
        return [_entry(r) for r in rows], total


def _entry(r: dict[str, object]) -> ErasureRequestEntry:
    erased_at, request = r["erased_at"], r["request_id"]
    return ErasureRequestEntry(
        journey_id=UUID(str(r["journey_id"])),
        request_id=UUID(str(r["request_id"])),
        reason=str(r["reason"]),
        requested_by=str(r["requested_by"]),
        requested_at=from_sql_time(r["requested_at"], row=request),
        state=str(r["state"]),
        approved_by=None if r["approved_by"] is None else str(r["approved_by"]),
        erased_at=None if erased_at is None else from_sql_time(erased_at, row=request),
    )
