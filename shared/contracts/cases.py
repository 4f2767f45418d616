"""Contracts published by the cases service on the CASES stream."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from shared.contracts.base import AwareDatetime, IntegrationEvent


class JourneyOpenedV1(IntegrationEvent):
    """A support journey was opened (for a contact met on a visit, or a registration)."""

    event_type: ClassVar[str] = "org.waymark.cases.journey_opened.v1"
    subject: ClassVar[str] = "cases.journey_opened.v1"
    aggregate_field: ClassVar[str] = "journey_id"

    journey_id: UUID
    contact_id: UUID | None = None
    opened_at: AwareDatetime
    recorded_at: AwareDatetime
