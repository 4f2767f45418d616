"""What the visits application is asked to do: plain, immutable inputs.

Each input checks its codes against the reference data (``check``), naming the offending field
by its path in the request body (``body.contacts.0.materials.1``), since the inputs mirror the
bodies the outreach app sends. The application runs these checks before anything is recorded.

An input or step recorded by one ``Visit`` method whose parameters are its own fields, by the
same names, then what ``apply_to`` is given besides the visit (the contact it is about, the
actor), names that method as ``records`` and its fields are written once
(``tests/unit/test_visits_commands.py`` holds each one to its method's signature). One that
needs more (several facts, another name for its time) says how in its own ``apply_to``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar
from uuid import UUID

from services.visits.domain import Visit, default_outcome
from services.visits.not_found import ConcernNotFound, ContactNotFound
from services.visits.values import UrgentConcern
from shared.reference import Kind, ReferenceData


class RecordedByVisit:
    """A frozen dataclass recorded by the ``Visit`` method it names: its fields, by name, are
    that method's arguments, with what the caller adds (the contact, the actor)."""

    #: The ``Visit`` method that records it.
    records: ClassVar[Callable[..., None]]

    def _record(self, visit: Visit, **added: Any) -> None:
        own = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        type(self).records(visit, **own, **added)


class OnTheVisit(RecordedByVisit):
    """Recorded by its method with the actor alone added."""

    def apply_to(self, visit: Visit, actor: str) -> None:
        """Record it on the visit (its rules may refuse it)."""
        self._record(visit, actor=actor)


class AboutAContact(RecordedByVisit):
    """Recorded by its method with the contact it is about added (the one it came with in the
    body, or the one the step names), then the actor."""

    def apply_to(self, visit: Visit, contact_id: UUID, actor: str) -> None:
        self._record(visit, contact_id=contact_id, actor=actor)


@dataclass(frozen=True)
class IndicatorObservation:
    """An indicator observed (about a woman or about a premises): the code, of the reference
    list its kind names, and how it was known."""

    observation_id: UUID
    indicator: str
    source: str
    occurred_at: datetime

    #: The reference list its ``indicator`` is a code of.
    codes: ClassVar[Kind]

    def check(self, reference: ReferenceData, at: str) -> None:
        reference.require(self.codes, self.indicator, f"{at}.indicator")


@dataclass(frozen=True)
class PersonIndicatorInput(IndicatorObservation, AboutAContact):
    records = Visit.observe_person_indicator
    codes = "person_indicators"


@dataclass(frozen=True)
class FollowUpInput(AboutAContact):
    follow_up_id: UUID
    kind: str
    due_at: datetime
    occurred_at: datetime

    records = Visit.offer_follow_up

    def check(self, reference: ReferenceData, at: str) -> None:
        reference.require("follow_up_kinds", self.kind, f"{at}.kind")


@dataclass(frozen=True)
class ContactInput:
    contact_id: UUID
    alias: str
    language: str
    occurred_at: datetime
    other_languages: tuple[str, ...] = ()
    bridging_volunteer: str | None = None
    materials: tuple[str, ...] = ()
    indicators: tuple[PersonIndicatorInput, ...] = ()
    follow_ups: tuple[FollowUpInput, ...] = ()
    linked_person_id: UUID | None = None

    def check(self, reference: ReferenceData, at: str) -> None:
        reference.require("languages", self.language, f"{at}.language")
        reference.require_all("languages", self.other_languages, f"{at}.other_languages")
        reference.require_all("materials", self.materials, f"{at}.materials")
        for index, indicator in enumerate(self.indicators):
            indicator.check(reference, f"{at}.indicators.{index}")
        for follow_up in self.follow_ups:
            follow_up.check(reference, f"{at}.follow_up")

    def event_count(self) -> int:
        return 1 + len(self.indicators) + len(self.follow_ups) + (self.linked_person_id is not None)

    def apply_to(self, visit: Visit, actor: str) -> None:
        """The contact, then what was learnt about her, in the order the events are recorded."""
        visit.make_contact(
            self.contact_id,
            self.alias,
            self.language,
            self.occurred_at,
            actor,
            other_languages=self.other_languages,
            bridging_volunteer=self.bridging_volunteer,
            materials=self.materials,
        )
        for observation in self.indicators:
            observation.apply_to(visit, self.contact_id, actor)
        for follow_up in self.follow_ups:
            follow_up.apply_to(visit, self.contact_id, actor)
        if self.linked_person_id is not None:
            visit.link_contact_to_person(
                self.contact_id, self.linked_person_id, self.occurred_at, actor
            )


@dataclass(frozen=True)
class PremisesIndicatorInput(IndicatorObservation, OnTheVisit):
    records = Visit.observe_premises_indicator
    codes = "premises_indicators"


@dataclass(frozen=True)
class UrgentConcernInput(OnTheVisit):
    concern_id: UUID
    concern: str
    contact_id: UUID | None
    details: str | None
    occurred_at: datetime

    records = Visit.raise_urgent_concern

    def check(self, reference: ReferenceData, at: str) -> None:
        reference.require("concerns", self.concern, f"{at}.concern")


@dataclass(frozen=True)
class CompletedVisit:
    """A visit as an outreach app posts it in one go: started, what happened, and — when
    ``completed_at`` is given — completed. ``completed_at=None`` starts an open visit that later
    steps add to."""

    visit_id: UUID
    premises_label: str | None
    team: str
    volunteers: tuple[str, ...]
    languages_offered: tuple[str, ...]
    started_at: datetime
    completed_at: datetime | None
    contacts: tuple[ContactInput, ...]
    premises_id: UUID | None = None
    outcome: str | None = None
    premises_indicators: tuple[PremisesIndicatorInput, ...] = ()
    urgent_concerns: tuple[UrgentConcernInput, ...] = ()

    def check(self, reference: ReferenceData) -> None:
        reference.require_all("languages", self.languages_offered, "body.languages_offered")
        for index, contact in enumerate(self.contacts):
            contact.check(reference, f"body.contacts.{index}")
        for index, observation in enumerate(self.premises_indicators):
            observation.check(reference, f"body.premises_indicators.{index}")
        for index, concern in enumerate(self.urgent_concerns):
            concern.check(reference, f"body.urgent_concerns.{index}")
        if self.outcome is not None:
            reference.require("visit_outcomes", self.outcome, "body.outcome")

    def start(self, actor: str) -> Visit:
        """The visit with every fact of this command recorded (not yet saved)."""
        visit = Visit(
            id=self.visit_id,
            premises_id=self.premises_id,
            premises_label=self.premises_label,
            team=self.team,
            volunteers=list(self.volunteers),
            languages_offered=list(self.languages_offered),
            occurred_at=self.started_at,
            actor=actor,
        )
        for contact in self.contacts:
            contact.apply_to(visit, actor)
        for observation in self.premises_indicators:
            observation.apply_to(visit, actor)
        for concern in self.urgent_concerns:
            concern.apply_to(visit, actor)
        if self.completed_at is not None:
            visit.complete(self.completed_at, actor, self.outcome)
        return visit

    def event_count(self) -> int:
        """How many events recording this visit appends: its version right after."""
        return (
            1
            + sum(contact.event_count() for contact in self.contacts)
            + len(self.premises_indicators)
            + len(self.urgent_concerns)
            + (self.completed_at is not None)
        )

    def resolved(self) -> CompletedVisit:
        """The same visit with its default outcome filled in, as it would be recorded."""
        if self.completed_at is None or self.outcome is not None:
            return self
        return replace(self, outcome=default_outcome(len(self.contacts)))

    @classmethod
    def of(cls, visit: Visit) -> CompletedVisit:
        """The command that would record ``visit`` as it stands (compare at the right version)."""
        return cls(
            visit_id=visit.id,
            premises_label=visit.premises_label,
            team=visit.team,
            volunteers=tuple(visit.volunteers),
            languages_offered=tuple(visit.languages_offered),
            started_at=visit.started_at,
            completed_at=visit.completed_at,
            contacts=tuple(
                ContactInput(
                    contact_id=c.contact_id,
                    alias=c.alias,
                    language=c.language,
                    occurred_at=c.occurred_at,
                    other_languages=c.other_languages,
                    bridging_volunteer=c.bridging_volunteer,
                    materials=c.materials,
                    indicators=tuple(
                        PersonIndicatorInput(o.observation_id, o.indicator, o.source, o.occurred_at)
                        for o in visit.person_indicators
                        if o.contact_id == c.contact_id
                    ),
                    follow_ups=tuple(
                        FollowUpInput(f.follow_up_id, f.kind, f.due_at, f.occurred_at)
                        for f in visit.follow_ups
                        if f.contact_id == c.contact_id
                    ),
                    linked_person_id=c.person_id,
                )
                for c in visit.contacts
            ),
            premises_id=visit.premises_id,
            outcome=visit.outcome,
            premises_indicators=tuple(
                PremisesIndicatorInput(o.observation_id, o.indicator, o.source, o.occurred_at)
                for o in visit.premises_indicators
            ),
            urgent_concerns=tuple(_concern_input(c) for c in visit.urgent_concerns),
        )


class VisitStep(OnTheVisit):
    """One step on a recorded visit: its codes checked first, then applied to the visit."""

    def check(self, reference: ReferenceData) -> None:
        """Refuse a code the reference data does not know (most steps carry none)."""
        return None

    def premises_named(self) -> UUID | None:
        """A registered premises the step names, which must exist before it is applied."""
        return None


class OnTheVisitInput(Protocol):
    def check(self, reference: ReferenceData, at: str) -> None: ...

    def apply_to(self, visit: Visit, actor: str) -> None: ...


class AboutAContactInput(Protocol):
    def check(self, reference: ReferenceData, at: str) -> None: ...

    def apply_to(self, visit: Visit, contact_id: UUID, actor: str) -> None: ...


Given = TypeVar("Given", bound=OnTheVisitInput)
GivenAboutAContact = TypeVar("GivenAboutAContact", bound=AboutAContactInput)


@dataclass(frozen=True)
class InputStep(VisitStep, Generic[Given]):
    """A step that is one input, as its body sends it: checked as the body, then applied as
    it would be in a whole visit."""

    given: Given

    def check(self, reference: ReferenceData) -> None:
        self.given.check(reference, "body")

    def apply_to(self, visit: Visit, actor: str) -> None:
        self.given.apply_to(visit, actor)


@dataclass(frozen=True)
class ContactInputStep(VisitStep, Generic[GivenAboutAContact]):
    """A step that is one input about the contact it names, as its body sends it."""

    contact_id: UUID
    given: GivenAboutAContact

    def check(self, reference: ReferenceData) -> None:
        self.given.check(reference, "body")

    def apply_to(self, visit: Visit, actor: str) -> None:
        self.given.apply_to(visit, self.contact_id, actor)


@dataclass(frozen=True)
class AddContact(InputStep[ContactInput]):
    """A woman met on the visit, with what was learnt about her then."""


@dataclass(frozen=True)
class ObservePremisesIndicator(InputStep[PremisesIndicatorInput]):
    """An indicator observed about the premises."""


@dataclass(frozen=True)
class ObservePersonIndicator(ContactInputStep[PersonIndicatorInput]):
    """An indicator observed about the woman of a contact."""


@dataclass(frozen=True)
class OfferFollowUp(ContactInputStep[FollowUpInput]):
    """A follow-up offered to the woman of a contact."""


@dataclass(frozen=True)
class RaiseUrgentConcern(InputStep[UrgentConcernInput]):
    """An urgent concern raised on the visit."""


@dataclass(frozen=True)
class ResolveUrgentConcern(VisitStep):
    concern_id: UUID
    occurred_at: datetime

    records = Visit.resolve_urgent_concern

    def apply_to(self, visit: Visit, actor: str) -> None:
        if visit.concern(self.concern_id) is None:
            raise ConcernNotFound(f"concern {self.concern_id} is not recorded on visit {visit.id}")
        super().apply_to(visit, actor)


@dataclass(frozen=True)
class CompleteVisit(VisitStep):
    completed_at: datetime
    outcome: str | None = None

    def check(self, reference: ReferenceData) -> None:
        if self.outcome is not None:
            reference.require("visit_outcomes", self.outcome, "body.outcome")

    def apply_to(self, visit: Visit, actor: str) -> None:
        visit.complete(self.completed_at, actor, self.outcome)


@dataclass(frozen=True)
class OnARecordedContact(VisitStep):
    """A step about a contact already on the visit: refused, before anything is recorded, when
    the visit has no such contact."""

    contact_id: UUID

    def apply_to(self, visit: Visit, actor: str) -> None:
        _require_contact(visit, self.contact_id)
        super().apply_to(visit, actor)


@dataclass(frozen=True)
class CorrectAlias(OnARecordedContact):
    alias: str
    occurred_at: datetime

    records = Visit.correct_alias


@dataclass(frozen=True)
class CorrectPremises(VisitStep):
    premises_id: UUID | None
    premises_label: str | None
    occurred_at: datetime

    records = Visit.correct_premises

    def premises_named(self) -> UUID | None:
        return self.premises_id


@dataclass(frozen=True)
class LinkContactToPerson(OnARecordedContact):
    person_id: UUID
    occurred_at: datetime

    records = Visit.link_contact_to_person


@dataclass(frozen=True)
class RegisterPremises:
    premises_id: UUID
    label: str
    area: str
    premises_type: str
    occurred_at: datetime

    def check(self, reference: ReferenceData) -> None:
        reference.require("areas", self.area, "body.area")
        reference.require("premises_types", self.premises_type, "body.premises_type")


def _concern_input(concern: UrgentConcern) -> UrgentConcernInput:
    return UrgentConcernInput(
        concern.concern_id,
        concern.concern,
        concern.contact_id,
        concern.details,
        concern.occurred_at,
    )


def _require_contact(visit: Visit, contact_id: UUID) -> None:
    if visit.contact(contact_id) is None:
        raise ContactNotFound(f"contact {contact_id} is not recorded on visit {visit.id}")
