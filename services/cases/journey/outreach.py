"""Facts from outreach: the contacts made with her on visits, what was observed, raised and
offered there, contacts found to be her, and a contact's journey merged into hers.

They are recorded whatever the journey's status — a closed case still hears that she was seen —
except on a journey merged into another, whose facts go to the journey it was merged into.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.cases.journey.base import (
    JourneyError,
    JourneyFact,
    JourneyInputError,
    JourneyPart,
    NotRegistered,
)
from services.cases.values import Concern, FollowUp, Indicator, IndicatorSource, JourneyStatus


class ContactAlreadyRecorded(JourneyError):
    """This contact is already recorded on the journey."""


class AlreadyMerged(JourneyError):
    """This journey was already merged into a different journey."""


class CannotMergeIntoItself(JourneyInputError):
    """A journey cannot be merged into itself."""


#: Reference-data codes with a rule attached: either means she may be a child.
POSSIBLE_MINOR_CONCERN = "possible_minor"
POSSIBLE_MINOR_INDICATOR = "possible_under_18"


class Outreach(JourneyPart):
    class ContactRecorded(JourneyFact):
        """A contact made on a visit, recorded on her journey."""

        contact_id: UUID
        visit_id: UUID
        language: str

        def apply(self, journey: JourneyPart) -> None:
            key = (self.visit_id, self.contact_id)
            journey.contacts.append(key)
            journey.contact_details[key] = (self.language, self.occurred_at)
            journey._heard_from_outreach(self.occurred_at)
            journey.contact_lost_at = None

    class IndicatorNoted(JourneyFact):
        """A coded indicator about her, observed on a visit."""

        observation_id: UUID
        indicator: str
        source: str
        visit_id: UUID

        def apply(self, journey: JourneyPart) -> None:
            journey.indicators[self.observation_id] = Indicator(
                self.observation_id,
                self.indicator,
                IndicatorSource(self.source),
                self.visit_id,
                self.occurred_at,
            )
            if self.indicator == POSSIBLE_MINOR_INDICATOR:
                journey.possible_minor = True
            journey._heard_from_outreach(self.occurred_at)

    class ConcernNoted(JourneyFact):
        """An urgent concern about her, raised on a visit."""

        concern_id: UUID
        concern: str
        visit_id: UUID

        def apply(self, journey: JourneyPart) -> None:
            journey.concerns[self.concern_id] = Concern(
                self.concern_id, self.concern, self.visit_id, self.occurred_at
            )
            if self.concern == POSSIBLE_MINOR_CONCERN:
                journey.possible_minor = True
            journey._heard_from_outreach(self.occurred_at)

    class FollowUpNoted(JourneyFact):
        """A follow-up offered to her on a visit."""

        follow_up_id: UUID
        kind: str
        due_at: datetime
        visit_id: UUID

        def apply(self, journey: JourneyPart) -> None:
            journey.follow_ups[self.follow_up_id] = FollowUp(
                self.follow_up_id, self.kind, self.due_at, self.visit_id, self.occurred_at
            )
            journey._heard_from_outreach(self.occurred_at)

    class ContactLinked(JourneyFact):
        """A contact met on a visit was found to be her."""

        contact_id: UUID
        visit_id: UUID

        def apply(self, journey: JourneyPart) -> None:
            journey.linked_contacts.append((self.visit_id, self.contact_id))

    class MergedInto(JourneyFact):
        """This contact's journey is an already-registered woman's: hers carries on."""

        person_id: UUID

        def apply(self, journey: JourneyPart) -> None:
            journey.status = JourneyStatus.MERGED
            journey.merged_into = self.person_id

    def record_contact(
        self, contact_id: UUID, visit_id: UUID, language: str, occurred_at: datetime, actor: str
    ) -> None:
        self._require_not_merged()
        if (visit_id, contact_id) in self.contacts:
            raise ContactAlreadyRecorded(f"contact on visit {visit_id} is already recorded")
        self._record(
            self.ContactRecorded,
            occurred_at,
            actor,
            contact_id=contact_id,
            visit_id=visit_id,
            language=language,
        )

    def note_indicator(
        self,
        observation_id: UUID,
        indicator: str,
        source: IndicatorSource,
        visit_id: UUID,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._require_not_merged()
        if observation_id not in self.indicators:
            self._record(
                self.IndicatorNoted,
                occurred_at,
                actor,
                observation_id=observation_id,
                indicator=indicator,
                source=source.value,
                visit_id=visit_id,
            )

    def note_concern(
        self, concern_id: UUID, concern: str, visit_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self._require_not_merged()
        if concern_id not in self.concerns:
            self._record(
                self.ConcernNoted,
                occurred_at,
                actor,
                concern_id=concern_id,
                concern=concern,
                visit_id=visit_id,
            )

    def note_follow_up(
        self,
        follow_up_id: UUID,
        kind: str,
        due_at: datetime,
        visit_id: UUID,
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self._require_not_merged()
        if follow_up_id not in self.follow_ups:
            self._record(
                self.FollowUpNoted,
                occurred_at,
                actor,
                follow_up_id=follow_up_id,
                kind=kind,
                due_at=due_at,
                visit_id=visit_id,
            )

    def link_contact(
        self, contact_id: UUID, visit_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        self._require_not_merged()
        if not self.registered:
            raise NotRegistered(f"journey {self.id} has no registered person to link to")
        if (visit_id, contact_id) not in self.linked_contacts:
            self._record(
                self.ContactLinked, occurred_at, actor, contact_id=contact_id, visit_id=visit_id
            )

    def take_over_outreach_facts(self, other: JourneyPart, actor: str) -> None:
        """On a merge, what outreach learned about her under another contact becomes part of
        her journey: contacts, indicators, concerns (a possible minor!) and follow-ups. Casework
        on the other journey (consents, referrals…) does not move: that needs a caseworker."""
        for (visit_id, contact_id), (language, at) in other.contact_details.items():
            if (visit_id, contact_id) not in self.contacts:
                self.record_contact(contact_id, visit_id, language, at, actor)
        for i in other.indicators.values():
            self.note_indicator(
                i.observation_id, i.indicator, i.source, i.visit_id, i.observed_at, actor
            )
        for c in other.concerns.values():
            self.note_concern(c.concern_id, c.concern, c.visit_id, c.raised_at, actor)
        for f in other.follow_ups.values():
            self.note_follow_up(f.follow_up_id, f.kind, f.due_at, f.visit_id, f.offered_at, actor)

    def merge_into(self, person_id: UUID, occurred_at: datetime, actor: str) -> None:
        if person_id == self.id:
            raise CannotMergeIntoItself(f"journey {self.id}")
        if self.merged_into is not None:
            if self.merged_into == person_id:
                return
            raise AlreadyMerged(f"journey {self.id} was merged into {self.merged_into}")
        self._record(self.MergedInto, occurred_at, actor, person_id=person_id)
