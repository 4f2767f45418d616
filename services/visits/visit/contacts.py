"""The women met on a visit: first contact, known only by the alias she gave, a mistyped alias
corrected, and the link to her journey once she is known to be registered.

Aliases are personal data: ``ContactMade`` and ``AliasCorrected`` name ``alias`` as a personal
field, sealed under that contact's own key, so erasing one woman never touches another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from services.visits.errors import ContactAlreadyLinked, DuplicateContact, VolunteerNotOnVisit
from services.visits.values import Contact
from services.visits.visit.base import VisitFact, VisitPart
from services.visits.visit.limits import MAX_CONTACTS


class Contacts(VisitPart):
    class ContactMade(VisitFact):
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

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(other_languages=[], bridging_volunteer=None, materials=[])

        def apply(self, visit: VisitPart) -> None:
            visit.contacts.append(
                Contact(
                    contact_id=self.contact_id,
                    alias=self.alias,
                    language=self.language,
                    occurred_at=self.occurred_at,
                    other_languages=tuple(self.other_languages),
                    bridging_volunteer=self.bridging_volunteer,
                    materials=tuple(self.materials),
                    alias_as_made=self.alias,
                )
            )

    class AliasCorrected(VisitFact):
        """A mistyped alias, corrected by a new event."""

        personal_fields: ClassVar[tuple[str, ...]] = ("alias",)
        personal_subject: ClassVar[str] = "contact_id"

        contact_id: UUID
        alias: str

        def apply(self, visit: VisitPart) -> None:
            visit._replace_contact(self.contact_id, alias=self.alias)

    class ContactLinkedToPerson(VisitFact):
        """The woman met is already registered: her journey's id."""

        contact_id: UUID
        person_id: UUID

        def apply(self, visit: VisitPart) -> None:
            visit._replace_contact(self.contact_id, person_id=self.person_id)

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
        made = Contact(
            contact_id,
            alias,
            language,
            occurred_at,
            tuple(other_languages),
            bridging_volunteer,
            tuple(materials),
            alias_as_made=alias,
        )
        existing = self.contact(contact_id)
        if existing is not None:
            if existing.made_as() == made.made_as():
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
        self._record(
            self.ContactMade,
            occurred_at,
            actor,
            contact_id=contact_id,
            alias=alias,
            language=language,
            other_languages=list(other_languages),
            bridging_volunteer=bridging_volunteer,
            materials=list(materials),
        )

    def correct_alias(
        self, contact_id: UUID, alias: str, occurred_at: datetime, actor: str
    ) -> None:
        contact = self._require_contact(contact_id)
        if contact.alias == alias:
            return
        self._require_after_start(occurred_at)
        self._record(self.AliasCorrected, occurred_at, actor, contact_id=contact_id, alias=alias)

    def link_contact_to_person(
        self, contact_id: UUID, person_id: UUID, occurred_at: datetime, actor: str
    ) -> None:
        contact = self._require_contact(contact_id)
        if contact.person_id == person_id:
            return
        if contact.person_id is not None:
            raise ContactAlreadyLinked(f"contact {contact_id} is already linked to a person")
        self._require_after_start(occurred_at)
        self._record(
            self.ContactLinkedToPerson,
            occurred_at,
            actor,
            contact_id=contact_id,
            person_id=person_id,
        )
