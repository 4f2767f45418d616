"""What ``GET /due`` answers with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from shared.http.paging import KeysetPage
from shared.http.public import Public


class DueItemPublic(Public):
    item_id: UUID
    journey_id: UUID
    kind: str = Field(
        description="appointment, follow_up, goal_target, safety_plan_review, recovery_period_end"
    )
    code: str | None
    due_at: datetime
    caseworker_id: str | None


class DuePage(KeysetPage[DueItemPublic]):
    pass
