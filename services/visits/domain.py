"""Visits: what an outreach team did and whom they met, as past-tense facts.

First contact is anonymous: a woman is known here only by the alias she gave and a contact id
the app generated. Aliases are personal data: each ``ContactMade`` and ``AliasCorrected`` names
``alias`` as a personal field, sealed under that contact's own key, so erasing one woman never
touches another. An urgent concern's free-text ``details`` are sealed under the contact's key
when it names one, else under the visit's own key.

Every event keeps ``occurred_at`` (the device's clock: an offline app may send it hours later)
and the ``actor``; the time it was recorded is the event's ``timestamp``. Sub-entities (contacts,
observations, follow-ups, concerns) have client-generated ids, so a retried step with the same
content changes nothing and a reused id with other content is refused. Mistakes are corrected by
new events, never by rewriting old ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.visits.errors import (
    AmbiguousPremises,
    CompletedBeforeStarted,
    ContactAlreadyLinked,
    ContradictoryOutcome,
    DuplicateConcern,
    DuplicateContact,
    DuplicateFollowUp,
    DuplicateObservation,
    FollowUpDueBeforeOffered,
    OccurredBeforeVisitStarted,
    ResolvedBeforeRaised,
    UnknownConcern,
    UnknownContact,
    UnknownSource,
    VisitAlreadyCompleted,
    VisitFull,
    VolunteerNotOnVisit,
)
from services.visits.values import (
    Contact,
    FollowUp,
    PersonObservation,
    PremisesObservation,
    UrgentConcern,
)

#: How an indicator became known.
SOURCES = ("observed", "disclosed", "third_party")
#: The outcome of a completed visit when the team gives none (visit_outcomes codes).
NO_ANSWER = "no_answer"
BRIEF_CONTACT = "brief_contact"

# What one outreach visit holds at most (the API states the same bounds in its OpenAPI). A team
# meets a handful of women on a visit; these leave room for the busiest night and keep a visit
# to a few hundred events, so that one visit cannot hold up everyone else's on the way to cases.
MAX_CONTACTS = 30
MAX_INDICATORS_PER_CONTACT = 30
MAX_PERSON_INDICATORS = 150
MAX_PREMISES_INDICATORS = 30
MAX_FOLLOW_UPS = 30
MAX_URGENT_CONCERNS = 20
MAX_LANGUAGES = 10
MAX_VOLUNTEERS = 20
MAX_MATERIALS = 20


def default_outcome(contact_count: int) -> str:
    return BRIEF_CONTACT if contact_count else NO_ANSWER


class Visit(Aggregate):
    class Started(Aggregate.Created):
        """An outreach visit began at a premises (or an unregistered place)."""

        class_version = 2

        premises_id: UUID | None
        premises_label: str | None
        team: str
        volunteers: list[str]
        languages_offered: list[str]
        occurred_at: datetime
        actor: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["premises_id"] = None

    class ContactMade(Aggregate.Event):
        """A volunteer met a woman, known by the alias she gave; first contact is anonymous."""

        class_version = 2
        personal_fields: ClassVar[tuple[str, ...]] = ("alias",)
        personal_subject: ClassVar[str] = "contact_id"

        contact_id: UUID
        alias: str
        language: str
        other_languages: list[str]
        bridging_volunteer: str | None
        materials: list[str]
        occurred_at: datetime
        actor: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(other_languages=[], bridging_volunteer=None, materials=[])

    class PremisesIndicatorObserved(Aggregate.Event):
        """A coded sign about the premises (e.g. locks facing inward), with how it became known."""

        observation_id: UUID
        indicator: str
        source: str
        occurred_at: datetime
        actor: str

    class PersonIndicatorObserved(Aggregate.Event):
        """A coded sign about a woman met (e.g. debt owed), with how it became known."""

        observation_id: UUID
        contact_id: UUID
        indicator: str
        source: str
        occurred_at: datetime
        actor: str

    class FollowUpOffered(Aggregate.Event):
        """A follow-up was offered to her for a date (e.g. coffee away from the premises)."""

        follow_up_id: UUID
        contact_id: UUID
        kind: str
        due_at: datetime
        occurred_at: datetime
        actor: str

    class UrgentConcernRaised(Aggregate.Event):
        """An urgent concern: a possible minor, violence, held against her will, medical."""

        personal_fields: ClassVar[tuple[str, ...]] = ("details",)
        personal_subject: ClassVar[str] = "details_subject"

        concern_id: UUID
        concern: str
        contact_id: UUID | None
        details: str | None
        occurred_at: datetime
        actor: str

        @property
        def details_subject(self) -> UUID:
            """Whose key seals the details: the contact's if one is named, else the visit's."""
            return self.contact_id or self.originator_id

    class UrgentConcernResolved(Aggregate.Event):
        """The urgent concern was dealt with."""

        concern_id: UUID
        occurred_at: datetime
        actor: str

    class AliasCorrected(Aggregate.Event):
        """A mistyped alias, corrected by a new event."""

        personal_fields: ClassVar[tuple[str, ...]] = ("alias",)
        personal_subject: ClassVar[str] = "contact_id"

        contact_id: UUID
        alias: str
        occurred_at: datetime
        actor: str

    class PremisesCorrected(Aggregate.Event):
        """The visit was recorded against the wrong premises; this is the right one."""

        premises_id: UUID | None
        premises_label: str | None
        occurred_at: datetime
        actor: str

    class ContactLinkedToPerson(Aggregate.Event):
        """The woman met is already registered: her journey's id."""

        contact_id: UUID
        person_id: UUID
        occurred_at: datetime
        actor: str

    class Completed(Aggregate.Event):
        """The visit ended, with its outcome (no answer, refused, brief contact, conversation)."""

        class_version = 2

        outcome: str | None  # None only in events recorded before outcomes existed
        occurred_at: datetime
        actor: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["outcome"] = None

    @event(Started)
    def __init__(
        self,
        id: UUID,
        premises_label: str | None,
        team: str,
        volunteers: list[str],
        languages_offered: list[str],
        occurred_at: datetime,
        actor: str,
        premises_id: UUID | None = None,
    ) -> None:
        _require_one_premises(premises_id, premises_label)
        self.premises_id = premises_id
        self.premises_label = premises_label
        self.team = team
        self.volunteers = list(volunteers)
        self.languages_offered = list(languages_offered)
        self.started_at = occurred_at
        self.completed_at: datetime | None = None
        self.outcome: str | None = None
        self.contacts: list[Contact] = []
        self.premises_indicators: list[PremisesObservation] = []
        self.person_indicators: list[PersonObservation] = []
        self.follow_ups: list[FollowUp] = []
        self.urgent_concerns: list[UrgentConcern] = []
        self.started_by = actor

    # -- queries -------------------------------------------------------------------------

    def contact(self, contact_id: UUID) -> Contact | None:
        return next((c for c in self.contacts if c.contact_id == contact_id), None)

    def concern(self, concern_id: UUID) -> UrgentConcern | None:
        return next((c for c in self.urgent_concerns if c.concern_id == concern_id), None)

    def is_visible_to(self, user_id: str, team: str | None) -> bool:
        """Hers: recorded by her team, started by her, or she is named as one of its volunteers."""
        return (
            (team is not None and self.team == team)
            or self.started_by == user_id
            or user_id in self.volunteers
        )

    # -- commands ------------------------------------------------------------------------
    # Each returns without an event when the same fact is already recorded (a retry), and
    # raises a named VisitError when the fact cannot be recorded.

    def make_contact(
        self,
        contact_id: UUID,
        alias: str,
        language: str,
        occurred_at: datetime,
        actor: str,
        *,
        other_languages: Sequence[str] = (),
        bridging_volunteer: str | None = None,
        materials: Sequence[str] = (),
    ) -> None:
        existing = self.contact(contact_id)
        if existing is not None:
            given = (
                alias,
                language,
                occurred_at,
                tuple(other_languages),
                bridging_volunteer,
                tuple(materials),
            )
            if existing.made_as() == given:
                return
            raise DuplicateContact(
                f"contact {contact_id} is already recorded on visit {self.id} with other content"
            )
        self._require_open()
        self._require_room(len(self.contacts), MAX_CONTACTS, "contacts")
        self._require_after_start(occurred_at)
        if bridging_volunteer is not None and bridging_volunteer not in self.volunteers:
            raise VolunteerNotOnVisit(
                f"volunteer {bridging_volunteer} is not one of the volunteers on visit {self.id}"
            )
        self._contact_made(
            contact_id,
            alias,
            language,
            list(other_languages),
            bridging_volunteer,
            list(materials),
            occurred_at,
            actor,
        )

    @event(ContactMade)
    def _contact_made(
        self,
        contact_id: UUID,
        alias: str,
        language: str,
        other_languages: list[str],
        bridging_volunteer: str | None,
        materials: list[str],
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.contacts.append(
            Contact(
                contact_id=contact_id,
                alias=alias,
                language=language,
                occurred_at=occurred_at,
                other_languages=tuple(other_languages),
                bridging_volunteer=bridging_volunteer,
                materials=tuple(materials),
                alias_as_made=alias,
            )
        )

    def observe_premises_indicator(
        self, observation_id: UUID, indicator: str, source: str, occurred_at: datetime, actor: str
    ) -> None:
        observation = PremisesObservation(observation_id, indicator, source, occurred_at)
        if self._already_observed(observation):
            return
        _require_source(source)
        self._require_room(
            len(self.premises_indicators), MAX_PREMISES_INDICATORS, "premises indicators"
        )
        self._require_after_start(occurred_at)
        self._premises_indicator_observed(observation_id, indicator, source, occurred_at, actor)

    @event(PremisesIndicatorObserved)
    def _premises_indicator_observed(
        self, observation_id: UUID, indicator: str, source: str, occurred_at: datetime, actor: str
    ) -> None:
        self.premises_indicators.append(
            PremisesObservation(observation_id, indicator, source, occurred_at)
        )

    def observe_person_indicator(
        self,
        observation_id: UUID,
        contact_id: UUID,
        indicator: str,
        source: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        observation = PersonObservation(observation_id, contact_id, indicator, source, occurred_at)
        if self._already_observed(observation):
            return
        self._require_contact(contact_id)
        _require_source(source)
        about_her = sum(1 for o in self.person_indicators if o.contact_id == contact_id)
        self._require_room(about_her, MAX_INDICATORS_PER_CONTACT, "indicators about one contact")
        self._require_room(len(self.person_indicators), MAX_PERSON_INDICATORS, "person indicators")
        self._require_after_start(occurred_at)
        self._person_indicator_observed(
            observation_id, contact_id, indicator, source, occurred_at, actor
        )

    @event(PersonIndicatorObserved)
    def _person_indicator_observed(
        self,
        observation_id: UUID,
        contact_id: UUID,
        indicator: str,
        source: str,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.person_indicators.append(
            PersonObservation(observation_id, contact_id, indicator, source, occurred_at)
        )

    def offer_follow_up(
        self,
        follow_up_id: UUID,
        contact_id: UUID,
        kind: str,
        due_at: datetime,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        offered = FollowUp(follow_up_id, contact_id, kind, due_at, occurred_at)
        existing = next((f for f in self.follow_ups if f.follow_up_id == follow_up_id), None)
        if existing is not None:
            if existing == offered:
                return
            raise DuplicateFollowUp(
                f"follow-up {follow_up_id} is already recorded on visit {self.id} "
                "with other content"
            )
        self._require_contact(contact_id)
        self._require_room(len(self.follow_ups), MAX_FOLLOW_UPS, "follow-ups")
        self._require_after_start(occurred_at)
        if due_at < occurred_at:
            raise FollowUpDueBeforeOffered("a follow-up cannot be due before it was offered")
        self._follow_up_offered(follow_up_id, contact_id, kind, due_at, occurred_at, actor)

    @event(FollowUpOffered)
    def _follow_up_offered(
        self,
        follow_up_id: UUID,
        contact_id: UUID,
        kind: str,
        due_at: datetime,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.follow_ups.append(FollowUp(follow_up_id, contact_id, kind, due_at, occurred_at))

    def raise_urgent_concern(
        self,
        concern_id: UUID,
        concern: str,
        contact_id: UUID | None,
        details: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        existing = self.concern(concern_id)
        if existing is not None:
            if existing.raised_as() == (concern, contact_id, details, occurred_at):
                return
            raise DuplicateConcern(
                f"concern {concern_id} is already recorded on visit {self.id} with other content"
            )
        if contact_id is not None:
            self._require_contact(contact_id)
        self._require_room(len(self.urgent_concerns), MAX_URGENT_CONCERNS, "urgent concerns")
        self._require_after_start(occurred_at)
        self._urgent_concern_raised(concern_id, concern, contact_id, details, occurred_at, actor)

    @event(UrgentConcernRaised)
    def _urgent_concern_raised(
        self,
        concern_id: UUID,
        concern: str,
        contact_id: UUID | None,
        details: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.urgent_concerns.append(
            UrgentConcern(concern_id, concern, contact_id, details, occurred_at)
        )

    def resolve_urgent_concern(self, concern_id: UUID, occurred_at: datetime, actor: str) -> None:
        concern = self.concern(concern_id)
        if concern is None:
            raise UnknownConcern(f"concern {concern_id} is not recorded on visit {self.id}")
        if concern.resolved_at is not None:
            return  # resolved is resolved: a retry, or a colleague who got there first
        if occurred_at < concern.occurred_at:
            raise ResolvedBeforeRaised("a concern cannot be resolved before it was raised")
        self._urgent_concern_resolved(concern_id, occurred_at, actor)

    @event(UrgentConcernResolved)
    def _urgent_concern_resolved(self, concern_id: UUID, occurred_at: datetime, actor: str) -> None:
        self.urgent_concerns = [
            replace(c, resolved_at=occurred_at) if c.concern_id == concern_id else c
            for c in self.urgent_concerns
        ]

    def correct_alias(
        self, contact_id: UUID, alias: str, occurred_at: datetime, actor: str
    ) -> None:
        contact = self._require_contact(contact_id)
        if contact.alias == alias:
            return
        self._require_after_start(occurred_at)
        self._alias_corrected(contact_id, alias, occurred_at, actor)

    @event(AliasCorrected)
    def _alias_corrected(
        self, contact_id: UUID, alias: str, occurred_at: datetime, actor: str
    ) -> None:
        self._replace_contact(contact_id, alias=alias)

    def correct_premises(
        self,
        premises_id: UUID | None,
        premises_label: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        _require_one_premises(premises_id, premises_label)
        if (self.premises_id, self.premises_label) == (premises_id, premises_label):
            return
        self._require_after_start(occurred_at)
        self._premises_corrected(premises_id, premises_label, occurred_at, actor)

    @event(PremisesCorrected)
    def _premises_corrected(
        self,
        premises_id: UUID | None,
        premises_label: str | None,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.premises_id = premises_id
        self.premises_label = premises_label

    def link_contact_to_person(
        self, contact_id: UUID, person_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        contact = self._require_contact(contact_id)
        if contact.person_id == person_id:
            return
        if contact.person_id is not None:
            raise ContactAlreadyLinked(f"contact {contact_id} is already linked to a person")
        self._require_after_start(occurred_at)
        self._contact_linked_to_person(contact_id, person_id, occurred_at, actor)

    @event(ContactLinkedToPerson)
    def _contact_linked_to_person(
        self, contact_id: UUID, person_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self._replace_contact(contact_id, person_id=person_id)

    def complete(self, occurred_at: datetime, actor: str, outcome: str | None = None) -> None:
        resolved = outcome or default_outcome(len(self.contacts))
        if self.completed_at is not None:
            if (self.completed_at, self.outcome) == (occurred_at, resolved):
                return
            raise VisitAlreadyCompleted(f"visit {self.id} is already completed")
        if occurred_at < self.started_at:
            raise CompletedBeforeStarted("a visit cannot be completed before it started")
        if resolved == NO_ANSWER and self.contacts:
            raise ContradictoryOutcome(
                f"visit {self.id} has contacts, so its outcome cannot be '{NO_ANSWER}'"
            )
        self._completed(resolved, occurred_at, actor)

    @event(Completed)
    def _completed(self, outcome: str | None, occurred_at: datetime, actor: str) -> None:
        self.completed_at = occurred_at
        self.outcome = outcome or default_outcome(len(self.contacts))

    # -- guards --------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self.completed_at is not None:
            raise VisitAlreadyCompleted(f"visit {self.id} is already completed")

    def _require_room(self, held: int, limit: int, what: str) -> None:
        if held >= limit:
            raise VisitFull(f"visit {self.id} already holds {limit} {what}, as many as a visit can")

    def _require_after_start(self, occurred_at: datetime) -> None:
        if occurred_at < self.started_at:
            raise OccurredBeforeVisitStarted(
                f"nothing can happen on visit {self.id} before it started"
            )

    def _require_contact(self, contact_id: UUID) -> Contact:
        contact = self.contact(contact_id)
        if contact is None:
            raise UnknownContact(f"contact {contact_id} is not recorded on visit {self.id}")
        return contact

    def _already_observed(self, observation: PremisesObservation | PersonObservation) -> bool:
        recorded: list[PremisesObservation | PersonObservation] = [
            *self.premises_indicators,
            *self.person_indicators,
        ]
        existing = next(
            (o for o in recorded if o.observation_id == observation.observation_id), None
        )
        if existing is None:
            return False
        if existing == observation:
            return True
        raise DuplicateObservation(
            f"observation {observation.observation_id} is already recorded on visit {self.id} "
            "with other content"
        )

    def _replace_contact(self, contact_id: UUID, **changes: Any) -> None:
        self.contacts = [
            replace(c, **changes) if c.contact_id == contact_id else c for c in self.contacts
        ]


def _require_source(source: str) -> None:
    if source not in SOURCES:
        raise UnknownSource(f"an indicator's source is one of {', '.join(SOURCES)}")


def _require_one_premises(premises_id: UUID | None, premises_label: str | None) -> None:
    if (premises_id is None) == (premises_label is None):
        raise AmbiguousPremises("a visit names either a registered premises or a label, not both")
