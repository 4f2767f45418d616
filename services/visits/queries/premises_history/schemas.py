"""What ``GET /premises/{premises_id}/history`` answers with: ids, codes and times."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.http.public import Public


class ConcernAtPremisesPublic(Public):
    concern_id: UUID
    concern: str
    occurred_at: datetime
    resolved_at: datetime | None


class VisitAtPremisesPublic(Public):
    visit_id: UUID
    started_at: datetime
    completed_at: datetime | None
    outcome: str | None
    contact_count: int
    recorded_at: datetime
    concerns: list[ConcernAtPremisesPublic]


class PremisesHistoryPublic(Public):
    """Visits to one premises, newest first by when they happened (device clock)."""

    premises_id: UUID
    visit_count: int
    last_visit_id: UUID | None
    last_visit_at: datetime | None
    open_concern_count: int
    items: list[VisitAtPremisesPublic]
    total: int
    limit: int
    offset: int
