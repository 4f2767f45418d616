"""Visits: what an outreach team did and whom they met, as past-tense facts.

First contact is anonymous: a woman is known here only by the alias she gave and a contact id
the app generated. Aliases are personal data: each ``ContactMade`` names ``alias`` as a personal
field, sealed under that contact's own key, so erasing one woman never touches another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class VisitError(Exception):
    """A rule of the visits domain was broken."""


class VisitAlreadyCompleted(VisitError):
    pass


class DuplicateContact(VisitError):
    pass


class CompletedBeforeStarted(VisitError):
    pass


@dataclass(frozen=True)
class Contact:
    contact_id: UUID
    alias: str
    language: str
    occurred_at: datetime


class Visit(Aggregate):
    class Started(Aggregate.Created):
        premises_label: str
        team: str
        volunteers: list[str]
        languages_offered: list[str]
        occurred_at: datetime
        actor: str

    class ContactMade(Aggregate.Event):
        personal_fields: ClassVar[tuple[str, ...]] = ("alias",)
        personal_subject: ClassVar[str] = "contact_id"

        contact_id: UUID
        alias: str
        language: str
        occurred_at: datetime
        actor: str

    class Completed(Aggregate.Event):
        occurred_at: datetime
        actor: str

    @event(Started)
    def __init__(
        self,
        id: UUID,
        premises_label: str,
        team: str,
        volunteers: list[str],
        languages_offered: list[str],
        occurred_at: datetime,
        actor: str,
    ) -> None:
        self.premises_label = premises_label
        self.team = team
        self.volunteers = list(volunteers)
        self.languages_offered = list(languages_offered)
        self.started_at = occurred_at
        self.completed_at: datetime | None = None
        self.contacts: list[Contact] = []
        self.started_by = actor

    def make_contact(
        self, contact_id: UUID, alias: str, language: str, occurred_at: datetime, actor: str
    ) -> None:
        if self.completed_at is not None:
            raise VisitAlreadyCompleted(f"visit {self.id} is already completed")
        if any(contact.contact_id == contact_id for contact in self.contacts):
            raise DuplicateContact(f"contact {contact_id} is already recorded on visit {self.id}")
        self._contact_made(contact_id, alias, language, occurred_at, actor)

    @event(ContactMade)
    def _contact_made(
        self, contact_id: UUID, alias: str, language: str, occurred_at: datetime, actor: str
    ) -> None:
        self.contacts.append(Contact(contact_id, alias, language, occurred_at))

    def complete(self, occurred_at: datetime, actor: str) -> None:
        if self.completed_at is not None:
            raise VisitAlreadyCompleted(f"visit {self.id} is already completed")
        if occurred_at < self.started_at:
            raise CompletedBeforeStarted("a visit cannot be completed before it started")
        self._completed(occurred_at, actor)

    @event(Completed)
    def _completed(self, occurred_at: datetime, actor: str) -> None:
        self.completed_at = occurred_at
