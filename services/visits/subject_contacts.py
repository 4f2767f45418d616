"""``subject_contacts``: which contacts (and on which visits) are one woman's, by journey id.

Answers the subject access export (``subject_access.py``) without scanning every visit. A row
is written for each contact as it is made — under the journey it opens in cases (the uuid5 of
the contact id, ``shared/contracts/identity.py``) — and for each link of a contact to a
registered woman, under her journey. Ids only; rebuildable from the log like every read model.
"""

from __future__ import annotations

from uuid import UUID

from services.visits.domain import Visit
from services.visits.erasure import ContactErasure
from shared.contracts.identity import journey_id_for_contact
from shared.storage.projection import Projection, handler
from shared.storage.sql import SqlCursor, placeholders, write_row

#: Links chain through merged journeys; a bound keeps a damaged log from looping for long.
_MAX_HOPS = 50


class SubjectContacts(Projection):
    name = "subject_contacts"

    columns = (
        "journey_id TEXT NOT NULL, contact_id TEXT NOT NULL, visit_id TEXT NOT NULL,"
        " PRIMARY KEY (journey_id, contact_id, visit_id)"
    )
    indexes = {"subject_contacts_by_contact": "contact_id"}

    @handler
    def _made(self, event: Visit.ContactMade, cursor: SqlCursor) -> None:
        self._file(cursor, journey_id_for_contact(event.contact_id), event)

    @handler
    def _linked(self, event: Visit.ContactLinkedToPerson, cursor: SqlCursor) -> None:
        self._file(cursor, event.person_id, event)

    @handler
    def _erased(self, event: ContactErasure.Recorded, cursor: SqlCursor) -> None:
        # Her erasure: her contacts are no longer tied to any journey here.
        for contact_id in event.contact_ids:
            cursor.execute(f"DELETE FROM {self.table} WHERE contact_id = %s", (str(contact_id),))

    def _file(
        self,
        cursor: SqlCursor,
        journey_id: UUID,
        event: Visit.ContactMade | Visit.ContactLinkedToPerson,
    ) -> None:
        """The event's contact, on its visit, is under that journey."""
        row = {
            "journey_id": str(journey_id),
            "contact_id": str(event.contact_id),
            "visit_id": str(event.originator_id),
        }
        write_row(cursor, self.table, row, key="journey_id, contact_id, visit_id")

    def contacts_of(self, journey_id: UUID) -> set[tuple[UUID, UUID]]:
        """Her (visit id, contact id) pairs. A contact linked to her brings its own journey
        with it (cases merges that journey into hers), so contacts linked to *that* journey
        are hers too: followed until nothing new turns up."""
        journeys: set[str] = set()
        frontier = {str(journey_id)}
        contacts: set[str] = set()
        with self.store.transaction(commit=False) as cursor:
            for _ in range(_MAX_HOPS):
                if not frontier:
                    break
                journeys |= frontier
                cursor.execute(
                    f"SELECT DISTINCT contact_id FROM {self.table}"
                    f" WHERE journey_id IN ({placeholders(frontier)})",
                    sorted(frontier),
                )
                found = {str(r["contact_id"]) for r in cursor.fetchall()} - contacts
                contacts |= found
                frontier = {str(journey_id_for_contact(UUID(c))) for c in found} - journeys
            if not contacts:
                return set()
            # Every visit each contact appears on, whichever journey the row was filed under.
            cursor.execute(
                f"SELECT DISTINCT visit_id, contact_id FROM {self.table}"
                f" WHERE contact_id IN ({placeholders(contacts)})",
                sorted(contacts),
            )
            rows = cursor.fetchall()
        return {(UUID(str(r["visit_id"])), UUID(str(r["contact_id"]))) for r in rows}
