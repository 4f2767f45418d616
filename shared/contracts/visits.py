"""Contracts published by the visits service on the VISITS stream."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.contracts.base import AwareDatetime, IntegrationEvent, LanguageTag


class VisitCompletedV1(IntegrationEvent):
    """An outreach visit to a premises has been completed."""

    event_type: ClassVar[str] = "org.waymark.visits.visit_completed.v1"
    subject: ClassVar[str] = "visits.visit_completed.v1"
    aggregate_field: ClassVar[str] = "visit_id"

    visit_id: UUID
    languages_offered: list[LanguageTag] = Field(max_length=50)
    contact_count: int = Field(ge=0)
    started_at: AwareDatetime
    completed_at: AwareDatetime
    recorded_at: AwareDatetime


class ContactMadeV1(IntegrationEvent):
    """A volunteer made contact with a woman on a visit. The alias stays in the visits store."""

    event_type: ClassVar[str] = "org.waymark.visits.contact_made.v1"
    subject: ClassVar[str] = "visits.contact_made.v1"
    aggregate_field: ClassVar[str] = "visit_id"

    contact_id: UUID
    visit_id: UUID
    language: LanguageTag
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
