"""What the caseworker UI reads about journeys."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from services.cases.domain import Journey
from services.cases.projections import JourneySummary


class JourneyContact(BaseModel):
    visit_id: UUID
    contact_id: UUID


class JourneyPublic(BaseModel):
    journey_id: UUID
    version: int
    status: str
    contact_id: UUID
    opened_at: datetime
    last_contact_at: datetime | None
    languages: list[str]
    contacts: list[JourneyContact]

    @classmethod
    def of(cls, journey: Journey) -> JourneyPublic:
        return cls(
            journey_id=journey.id,
            version=journey.version,
            status=journey.status.value,
            contact_id=journey.contact_id,
            opened_at=journey.opened_at,
            last_contact_at=journey.last_contact_at,
            languages=journey.languages,
            contacts=[JourneyContact(visit_id=v, contact_id=c) for v, c in journey.contacts],
        )


class JourneySummaryPublic(BaseModel):
    journey_id: UUID
    status: str
    opened_at: datetime
    last_contact_at: datetime | None
    contact_count: int
    version: int

    @classmethod
    def of(cls, summary: JourneySummary) -> JourneySummaryPublic:
        return cls(**summary.__dict__)


class JourneyPage(BaseModel):
    items: list[JourneySummaryPublic]
    total: int
    limit: int
    offset: int
