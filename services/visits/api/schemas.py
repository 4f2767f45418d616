"""What the outreach app sends and receives: kept apart from the domain on purpose.

Codes (materials, indicators, concerns, kinds, outcomes) are checked for their shape here and
against the reference data by the application. Sub-entity ids (observations, follow-ups,
concerns) may be left out of a visit posted in one go: they are then derived from the visit id
and their place in the body, so a retry of the same body derives the same ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Protocol, Self, TypeVar
from uuid import UUID, uuid5

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.visits.commands import (
    CompletedVisit,
    ContactInput,
    FollowUpInput,
    IndicatorObservation,
    PersonIndicatorInput,
    PremisesIndicatorInput,
    UrgentConcernInput,
)
from services.visits.visit.limits import (
    MAX_CONTACTS,
    MAX_INDICATORS_PER_CONTACT,
    MAX_LANGUAGES,
    MAX_MATERIALS,
    MAX_PERSON_INDICATORS,
    MAX_PREMISES_INDICATORS,
    MAX_URGENT_CONCERNS,
    MAX_VOLUNTEERS,
)
from shared.contracts.base import Code, Identifier, IndicatorSource, LanguageTag, StaffId
from shared.http.public import Public
from shared.http.times import HappenedAt, PlannedAt

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# Who was on a visit is named by sign-in subject and team id, never by a typed name: the
# visit's access check compares them with the caller's token, and the lists filter by them.
# Stripped first, as the free text they replace was.
VolunteerId = Annotated[StaffId, StringConstraints(strip_whitespace=True)]
TeamId = Annotated[Identifier, StringConstraints(strip_whitespace=True)]
#: Free text about a woman's situation: personal data, encrypted at rest, never published.
Details = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


Observation = TypeVar("Observation", bound=IndicatorObservation)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def now() -> datetime:
    return datetime.now(UTC)


#: When a body that sets a value (a correction, a link, a resolution) happened: a retry finds
#: the value already set, so the device's time may be left out for the server's.
SetAt = Annotated[
    HappenedAt | None,
    Field(description="Device time; the server's time of receipt when left out"),
]


class _Set(Protocol):
    @property
    def occurred_at(self) -> datetime | None: ...


class SetsAValue:
    """A body with an ``occurred_at: SetAt``: ``at()`` is its time, the server's when left out."""

    def at(self: _Set) -> datetime:
        return utc(self.occurred_at or now())


def derived_id(visit_id: UUID, path: str) -> UUID:
    """A stable id for a sub-entity the app did not name: the same body gives the same id."""
    return uuid5(visit_id, path)


class IndicatorCreate(BaseModel):
    """An indicator observed, in a visit posted in one go; each kind says in its fields'
    descriptions which codes it takes and which time it defaults to."""

    model_config = ConfigDict(extra="forbid")

    observation_id: UUID | None = Field(default=None, description="Derived when left out")
    indicator: Code
    source: IndicatorSource
    occurred_at: HappenedAt | None = None

    def observed(
        self, kind: type[Observation], observation_id: UUID, default_at: datetime
    ) -> Observation:
        """The observation of that kind, with the derived id and time where they were left out."""
        return kind(
            observation_id=self.observation_id or observation_id,
            indicator=self.indicator,
            source=self.source,
            occurred_at=utc(self.occurred_at or default_at),
        )


class PersonIndicatorCreate(IndicatorCreate):
    indicator: Code = Field(description="A person_indicators code (GET /reference)")
    occurred_at: HappenedAt | None = Field(default=None, description="Defaults to the contact's")

    def to_input(self, observation_id: UUID, default_at: datetime) -> PersonIndicatorInput:
        return self.observed(PersonIndicatorInput, observation_id, default_at)


class FollowUpCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    follow_up_id: UUID | None = Field(default=None, description="Derived when left out")
    kind: Code = Field(description="A follow_up_kinds code, e.g. coffee")
    due_at: PlannedAt = Field(description="When the follow-up is to happen")
    occurred_at: HappenedAt | None = Field(default=None, description="Defaults to the contact's")

    def to_input(self, follow_up_id: UUID, default_at: datetime) -> FollowUpInput:
        return FollowUpInput(
            follow_up_id=self.follow_up_id or follow_up_id,
            kind=self.kind,
            due_at=utc(self.due_at),
            occurred_at=utc(self.occurred_at or default_at),
        )


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: UUID = Field(description="Generated by the app, so a retry cannot duplicate it")
    alias: ShortText = Field(description="The name she gave; personal data, encrypted at rest")
    language: LanguageTag = Field(description="BCP 47 tag of the language spoken, e.g. ro, pt-BR")
    other_languages: list[LanguageTag] = Field(default_factory=list, max_length=MAX_LANGUAGES)
    bridging_volunteer: VolunteerId | None = Field(
        default=None,
        description="Staff id of the volunteer who bridged the language (one on the visit)",
    )
    materials: list[Code] = Field(
        default_factory=list, max_length=MAX_MATERIALS, description="materials codes given to her"
    )
    indicators: list[PersonIndicatorCreate] = Field(
        default_factory=list, max_length=MAX_INDICATORS_PER_CONTACT
    )
    follow_up: FollowUpCreate | None = None
    linked_person_id: UUID | None = Field(
        default=None, description="Her journey id in cases, if she is already registered"
    )
    occurred_at: HappenedAt | None = Field(
        default=None, description="Device time of the contact; defaults to the visit's end"
    )

    def to_input(self, visit_id: UUID, default_at: datetime) -> ContactInput:
        at = utc(self.occurred_at or default_at)
        path = f"contacts/{self.contact_id}"
        return ContactInput(
            contact_id=self.contact_id,
            alias=self.alias,
            language=self.language,
            occurred_at=at,
            other_languages=tuple(self.other_languages),
            bridging_volunteer=self.bridging_volunteer,
            materials=tuple(self.materials),
            indicators=tuple(
                indicator.to_input(derived_id(visit_id, f"{path}/indicators/{index}"), at)
                for index, indicator in enumerate(self.indicators)
            ),
            follow_ups=(
                ()
                if self.follow_up is None
                else (self.follow_up.to_input(derived_id(visit_id, f"{path}/follow_up"), at),)
            ),
            linked_person_id=self.linked_person_id,
        )

    def sub_ids(self) -> list[UUID]:
        ids = [i.observation_id for i in self.indicators if i.observation_id]
        if self.follow_up is not None and self.follow_up.follow_up_id is not None:
            ids.append(self.follow_up.follow_up_id)
        return ids


class PremisesIndicatorCreate(IndicatorCreate):
    indicator: Code = Field(description="A premises_indicators code (GET /reference)")
    occurred_at: HappenedAt | None = Field(default=None, description="Defaults to the visit's end")

    def to_input(self, observation_id: UUID, default_at: datetime) -> PremisesIndicatorInput:
        return self.observed(PremisesIndicatorInput, observation_id, default_at)


class UrgentConcernCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    concern_id: UUID | None = Field(default=None, description="Derived when left out")
    concern: Code = Field(description="A concerns code, e.g. possible_minor")
    contact_id: UUID | None = Field(default=None, description="The woman it is about, if any")
    details: Details | None = Field(
        default=None, description="What was seen or said; personal data, encrypted at rest"
    )
    occurred_at: HappenedAt | None = Field(default=None, description="Defaults to the visit's end")

    def to_input(self, concern_id: UUID, default_at: datetime) -> UrgentConcernInput:
        return UrgentConcernInput(
            concern_id=self.concern_id or concern_id,
            concern=self.concern,
            contact_id=self.contact_id,
            details=self.details,
            occurred_at=utc(self.occurred_at or default_at),
        )


class VisitCreate(BaseModel):
    """A visit in one go. Leave ``completed_at`` out to start an open visit that later steps
    (``POST /visits/{id}/contacts``… ``/completion``) add to."""

    model_config = ConfigDict(extra="forbid")

    visit_id: UUID = Field(description="Generated by the app; the same id on every retry")
    premises_id: UUID | None = Field(default=None, description="A registered premises")
    premises_label: Label | None = Field(
        default=None, description="The team's pseudonymous label for an unregistered place"
    )
    team: TeamId = Field(description="Team id, as in the team claim of a volunteer's token")
    volunteers: list[VolunteerId] = Field(
        default_factory=list,
        max_length=MAX_VOLUNTEERS,
        description="Staff ids (sign-in subjects) of the volunteers on the visit, not names",
    )
    languages_offered: list[LanguageTag] = Field(default_factory=list, max_length=MAX_LANGUAGES)
    started_at: HappenedAt
    completed_at: HappenedAt | None = None
    outcome: Code | None = Field(
        default=None,
        description="A visit_outcomes code; by default no_answer without contacts, else "
        "brief_contact",
    )
    contacts: list[ContactCreate] = Field(
        default_factory=list,
        max_length=MAX_CONTACTS,
        description=f"At most {MAX_CONTACTS}, with at most {MAX_PERSON_INDICATORS} indicators "
        "between them",
    )
    premises_indicators: list[PremisesIndicatorCreate] = Field(
        default_factory=list, max_length=MAX_PREMISES_INDICATORS
    )
    urgent_concerns: list[UrgentConcernCreate] = Field(
        default_factory=list, max_length=MAX_URGENT_CONCERNS
    )

    @field_validator("contacts")
    @classmethod
    def _indicators_within_a_visit(cls, contacts: list[ContactCreate]) -> list[ContactCreate]:
        if sum(len(contact.indicators) for contact in contacts) > MAX_PERSON_INDICATORS:
            raise ValueError(f"at most {MAX_PERSON_INDICATORS} indicators in all on one visit")
        return contacts

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.premises_id is None) == (self.premises_label is None):
            raise ValueError("give either premises_id or premises_label")
        if self.completed_at is not None and self.completed_at < self.started_at:
            raise ValueError("completed_at must not be before started_at")
        if self.completed_at is None and self.outcome is not None:
            raise ValueError("an outcome is given only with completed_at")
        ids = [contact.contact_id for contact in self.contacts]
        if len(set(ids)) != len(ids):
            raise ValueError("contacts must have distinct contact_id values")
        sub_ids = [i for contact in self.contacts for i in contact.sub_ids()]
        sub_ids += [i.observation_id for i in self.premises_indicators if i.observation_id]
        sub_ids += [c.concern_id for c in self.urgent_concerns if c.concern_id]
        if len(set(sub_ids)) != len(sub_ids):
            raise ValueError("observation, follow-up and concern ids must be distinct")
        return self

    def to_command(self) -> CompletedVisit:
        default_at = self.completed_at or self.started_at
        return CompletedVisit(
            visit_id=self.visit_id,
            premises_id=self.premises_id,
            premises_label=self.premises_label,
            team=self.team,
            volunteers=tuple(self.volunteers),
            languages_offered=tuple(self.languages_offered),
            started_at=utc(self.started_at),
            completed_at=None if self.completed_at is None else utc(self.completed_at),
            outcome=self.outcome,
            contacts=tuple(c.to_input(self.visit_id, default_at) for c in self.contacts),
            premises_indicators=tuple(
                o.to_input(derived_id(self.visit_id, f"premises_indicators/{index}"), default_at)
                for index, o in enumerate(self.premises_indicators)
            ),
            urgent_concerns=tuple(
                c.to_input(derived_id(self.visit_id, f"urgent_concerns/{index}"), default_at)
                for index, c in enumerate(self.urgent_concerns)
            ),
        )


class ContactPublic(Public):
    contact_id: UUID
    alias: str
    language: str
    other_languages: list[str]
    bridging_volunteer: str | None
    materials: list[str]
    person_id: UUID | None
    occurred_at: datetime


class PremisesIndicatorPublic(Public):
    observation_id: UUID
    indicator: str
    source: str
    occurred_at: datetime


class PersonIndicatorPublic(Public):
    observation_id: UUID
    contact_id: UUID
    indicator: str
    source: str
    occurred_at: datetime


class FollowUpPublic(Public):
    follow_up_id: UUID
    contact_id: UUID
    kind: str
    due_at: datetime
    occurred_at: datetime


class UrgentConcernPublic(Public):
    concern_id: UUID
    concern: str
    contact_id: UUID | None
    details: str | None
    occurred_at: datetime
    resolved_at: datetime | None


# Read from the aggregate: an alias names its attribute where the public name differs.
class VisitPublic(Public):
    visit_id: UUID = Field(validation_alias="id")
    version: int
    premises_id: UUID | None
    premises_label: str | None
    team: str
    volunteers: list[str]
    languages_offered: list[str]
    started_at: datetime
    completed_at: datetime | None
    outcome: str | None
    recorded_at: datetime = Field(validation_alias="created_on")
    recorded_by: str = Field(validation_alias="started_by")
    contacts: list[ContactPublic]
    premises_indicators: list[PremisesIndicatorPublic]
    person_indicators: list[PersonIndicatorPublic]
    follow_ups: list[FollowUpPublic]
    urgent_concerns: list[UrgentConcernPublic]


class HistoryEntryPublic(Public):
    """One recorded event: what happened (device clock), when it was recorded, by whom."""

    version: int
    event: str
    occurred_at: datetime
    recorded_at: datetime
    actor: str
    data: dict[str, object]


class HistoryPublic(BaseModel):
    items: list[HistoryEntryPublic]
