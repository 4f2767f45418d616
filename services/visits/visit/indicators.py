"""Indicators: coded signs about the premises or about a woman met, each with how it became
known (observed, disclosed, or told by a third party)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from uuid import UUID

from services.visits.errors import DuplicateObservation, UnknownSource
from services.visits.values import PersonObservation, PremisesObservation
from services.visits.visit.base import VisitFact, VisitPart
from services.visits.visit.limits import (
    MAX_INDICATORS_PER_CONTACT,
    MAX_PERSON_INDICATORS,
    MAX_PREMISES_INDICATORS,
)

#: How an indicator became known.
SOURCES = ("observed", "disclosed", "third_party")


class Indicators(VisitPart):
    class PremisesIndicatorObserved(VisitFact):
        """A coded sign about the premises (e.g. locks facing inward), with how it became known."""

        observation_id: UUID
        indicator: str
        source: str

        def apply(self, visit: VisitPart) -> None:
            visit.premises_indicators.append(
                PremisesObservation(
                    self.observation_id, self.indicator, self.source, self.occurred_at
                )
            )

    class PersonIndicatorObserved(VisitFact):
        """A coded sign about a woman met (e.g. debt owed), with how it became known."""

        observation_id: UUID
        contact_id: UUID
        indicator: str
        source: str

        def apply(self, visit: VisitPart) -> None:
            visit.person_indicators.append(
                PersonObservation(
                    self.observation_id,
                    self.contact_id,
                    self.indicator,
                    self.source,
                    self.occurred_at,
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
        self.trigger_event(self.PremisesIndicatorObserved, actor=actor, **asdict(observation))

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
        self.trigger_event(self.PersonIndicatorObserved, actor=actor, **asdict(observation))

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


def _require_source(source: str) -> None:
    if source not in SOURCES:
        raise UnknownSource(f"an indicator's source is one of {', '.join(SOURCES)}")
