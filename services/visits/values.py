"""What a visit holds about the people and things on it: immutable values, replaced on change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class Contact:
    contact_id: UUID
    alias: str  # as now known: corrections included
    language: str
    occurred_at: datetime
    other_languages: tuple[str, ...] = ()
    bridging_volunteer: str | None = None
    materials: tuple[str, ...] = ()
    alias_as_made: str = ""
    person_id: UUID | None = None

    def made_as(self) -> tuple[Any, ...]:
        """What the ``ContactMade`` said: a retry is compared with this, not the corrections."""
        return (
            self.alias_as_made,
            self.language,
            self.occurred_at,
            self.other_languages,
            self.bridging_volunteer,
            self.materials,
        )


@dataclass(frozen=True)
class PremisesObservation:
    observation_id: UUID
    indicator: str
    source: str
    occurred_at: datetime


@dataclass(frozen=True)
class PersonObservation:
    observation_id: UUID
    contact_id: UUID
    indicator: str
    source: str
    occurred_at: datetime


@dataclass(frozen=True)
class FollowUp:
    follow_up_id: UUID
    contact_id: UUID
    kind: str
    due_at: datetime
    occurred_at: datetime


@dataclass(frozen=True)
class UrgentConcern:
    concern_id: UUID
    concern: str
    contact_id: UUID | None
    details: str | None
    occurred_at: datetime
    resolved_at: datetime | None = None

    def raised_as(self) -> tuple[Any, ...]:
        return (self.concern, self.contact_id, self.details, self.occurred_at)
