"""What ``GET /journeys`` and the intake queue answer with."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from shared.http.paging import KeysetPage
from shared.http.public import Public


class CaseloadEntryPublic(Public):
    journey_id: UUID
    status: str = Field(
        description="new, assessing, active, closed or merged (an erased journey leaves the "
        "caseload and every list)"
    )
    registered: bool
    caseworker_id: str | None
    possible_minor: bool
    opened_at: datetime
    last_contact_at: datetime | None
    contact_count: int
    open_referrals: int
    next_due_at: datetime | None
    version: int
    contact_ids: list[UUID] = Field(
        description="Every contact outreach knew her by: the one that opened the journey, "
        "those recorded on it and those linked to her"
    )


class IntakeEntryPublic(Public):
    """An open journey nobody holds: enough to decide whether to take her, nothing more."""

    journey_id: UUID
    status: str
    registered: bool = Field(description="Whether she has chosen to be registered")
    opened_at: datetime = Field(description="When she was first met (or registered)")
    languages: list[str] = Field(description="Languages spoken at her contacts with outreach")
    preferred_languages: list[str] = Field(description="Her preferred languages, if registered")
    interpreter_needed: bool
    possible_minor: bool
    urgent_concerns: int = Field(description="Urgent concerns raised about her on visits")
    contact_count: int = Field(description="Contacts with outreach so far")
    last_contact_at: datetime | None
    version: int = Field(description="The journey's version: send it as If-Match to claim her")


class IntakePage(BaseModel):
    items: list[IntakeEntryPublic]
    total: int
    limit: int
    offset: int


class JourneyPage(KeysetPage[CaseloadEntryPublic]):
    pass
