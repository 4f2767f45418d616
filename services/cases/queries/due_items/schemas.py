"""What ``GET /due`` answers with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from services.cases.queries.due_items.projection import DueItem
from shared.http.paging import KeysetPage


class DueItemPublic(BaseModel):
    item_id: UUID
    journey_id: UUID
    kind: str = Field(
        description="appointment, follow_up, goal_target, safety_plan_review, recovery_period_end"
    )
    code: str | None
    due_at: datetime
    caseworker_id: str | None

    @classmethod
    def of(cls, item: DueItem) -> DueItemPublic:
        return cls(**item.__dict__)


class DuePage(KeysetPage[DueItemPublic]):
    pass
