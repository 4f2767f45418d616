"""What ``GET /visits`` and ``GET /premises`` answer with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from shared.http.paging import KeysetPage
from shared.http.public import Public


class VisitSummaryPublic(Public):
    visit_id: UUID
    premises_id: UUID | None = Field(description="Null for a visit to an unregistered place")
    premises_label: str | None = Field(description="The team's pseudonymous label for the place")
    team: str
    started_at: datetime
    completed_at: datetime | None = Field(description="Null while the visit is open")
    outcome: str | None
    contact_count: int
    urgent_concerns: int
    open_urgent_concerns: int
    recorded_at: datetime


class VisitListPage(KeysetPage[VisitSummaryPublic]):
    pass


class PremisesSummaryPublic(Public):
    premises_id: UUID
    label: str = Field(description="The team's pseudonymous label, never an address of record")
    area: str
    premises_type: str
    registered_at: datetime
    version: int


class PremisesPage(KeysetPage[PremisesSummaryPublic]):
    pass
