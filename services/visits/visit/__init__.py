"""Visits: what an outreach team did and whom they met, as past-tense facts.

First contact is anonymous: a woman is known here only by the alias she gave and a contact id
the app generated. Every event keeps ``occurred_at`` (the device's clock: an offline app may send
it hours later) and the ``actor``; the time it was recorded is the event's ``timestamp``.
Sub-entities (contacts, observations, follow-ups, concerns) have client-generated ids, so a
retried step with the same content changes nothing and a reused id with other content is
refused. Mistakes are corrected by new events, never by rewriting old ones.

Each concept is a part in its own module — contacts, indicators, follow-ups, urgent concerns,
where the visit was — holding its events and commands; ``Visit`` combines them with starting and
completing, and the library defines every part's events on it, so each is ``Visit.<Event>`` with
the topic ``services.visits.visit:Visit.<Event>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.visits.errors import (
    CompletedBeforeStarted,
    ContradictoryOutcome,
    VisitAlreadyCompleted,
)
from services.visits.visit.base import VisitFact, VisitPart
from services.visits.visit.concerns import UrgentConcerns
from services.visits.visit.contacts import Contacts
from services.visits.visit.follow_ups import FollowUps
from services.visits.visit.indicators import Indicators
from services.visits.visit.place import Place, require_one_premises

__all__ = ["BRIEF_CONTACT", "NO_ANSWER", "Visit", "default_outcome"]

#: The outcome of a completed visit when the team gives none (visit_outcomes codes).
NO_ANSWER = "no_answer"
BRIEF_CONTACT = "brief_contact"


def default_outcome(contact_count: int) -> str:
    return BRIEF_CONTACT if contact_count else NO_ANSWER


class Visit(Contacts, Indicators, FollowUps, UrgentConcerns, Place, VisitPart, Aggregate):
    class Started(VisitFact, Aggregate.Created):
        """An outreach visit began at a premises (or an unregistered place)."""

        class_version = 2

        premises_id: UUID | None
        premises_label: str | None
        team: str
        volunteers: list[str]
        languages_offered: list[str]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["premises_id"] = None

    class Completed(VisitFact):
        """The visit ended, with its outcome (no answer, refused, brief contact, conversation)."""

        class_version = 2

        outcome: str | None  # None only in events recorded before outcomes existed

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["outcome"] = None

        def apply(self, visit: VisitPart) -> None:
            visit.completed_at = self.occurred_at
            visit.outcome = self.outcome or default_outcome(len(visit.contacts))

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
        require_one_premises(premises_id, premises_label)
        self.premises_id = premises_id
        self.premises_label = premises_label
        self.team = team
        self.volunteers = list(volunteers)
        self.languages_offered = list(languages_offered)
        self.started_at = occurred_at
        self.completed_at = None
        self.outcome = None
        self.contacts = []
        self.premises_indicators = []
        self.person_indicators = []
        self.follow_ups = []
        self.urgent_concerns = []
        self.started_by = actor

    def is_visible_to(self, user_id: str, team: str | None) -> bool:
        """Hers: recorded by her team, started by her, or she is named as one of its volunteers."""
        return (
            (team is not None and self.team == team)
            or self.started_by == user_id
            or user_id in self.volunteers
        )

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
        self._record(self.Completed, occurred_at, actor, outcome=resolved)
