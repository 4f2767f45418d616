"""What ``GET /journeys/{journey_id}/timeline`` answers with."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from shared.http.public import Public


class TimelineEntryPublic(Public):
    version: int
    event: str
    source: str = Field(description="outreach (from a visit) or casework")
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    details: dict[str, Any] = Field(description="Codes, ids and dates only; no personal text")


class TimelinePage(BaseModel):
    journey_id: UUID
    items: list[TimelineEntryPublic]
    total: int
    limit: int
    offset: int
