"""Contracts published by the visits service on the VISITS stream."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from shared.contracts.base import (
    MAX_INTEGER,
    AwareDatetime,
    Code,
    IndicatorSource,
    IntegrationEvent,
    LanguageTag,
)


class VisitContract(IntegrationEvent):
    """Every contract the visits service publishes is about one visit."""

    aggregate_field: ClassVar[str] = "visit_id"


class VisitCompletedV1(VisitContract, subject="visits.visit_completed.v1"):
    """An outreach visit to a premises has been completed."""

    visit_id: UUID
    languages_offered: list[LanguageTag] = Field(max_length=50)
    contact_count: int = Field(ge=0, le=MAX_INTEGER)
    started_at: AwareDatetime
    completed_at: AwareDatetime
    recorded_at: AwareDatetime


class ContactMadeV1(VisitContract, subject="visits.contact_made.v1"):
    """A volunteer made contact with a woman on a visit. The alias stays in the visits store."""

    contact_id: UUID
    visit_id: UUID
    language: LanguageTag
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class ContactMadeV2(VisitContract, subject="visits.contact_made.v2"):
    """A volunteer made contact with a woman on a visit — version 2: every language she speaks
    (main first) instead of one, and the materials she was given. Published beside v1, which
    keeps its meaning for the consumers that still read it."""

    contact_id: UUID
    visit_id: UUID
    languages: list[LanguageTag] = Field(min_length=1, max_length=11)
    materials: list[Code] = Field(default_factory=list, max_length=20)
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class PersonIndicatorObservedV1(VisitContract, subject="visits.person_indicator_observed.v1"):
    """A coded indicator about a woman met on a visit, with how it became known."""

    observation_id: UUID
    visit_id: UUID
    contact_id: UUID
    indicator: Code
    source: IndicatorSource
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class UrgentConcernRaisedV1(VisitContract, subject="visits.urgent_concern_raised.v1"):
    """An urgent concern (a possible minor, violence, held against her will, a medical emergency).
    Published as soon as it is stored; the details stay in the visits store."""

    concern_id: UUID
    visit_id: UUID
    contact_id: UUID | None = None
    premises_id: UUID | None = None
    concern: Code
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class FollowUpOfferedV1(VisitContract, subject="visits.follow_up_offered.v1"):
    """A follow-up (e.g. coffee away from the premises) was offered to a woman for a date."""

    follow_up_id: UUID
    visit_id: UUID
    contact_id: UUID
    kind: Code
    due_at: AwareDatetime
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime


class ContactLinkedToPersonV1(VisitContract, subject="visits.contact_linked_to_person.v1"):
    """A contact met on a visit is a woman already registered (her journey's id)."""

    visit_id: UUID
    contact_id: UUID
    person_id: UUID
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
