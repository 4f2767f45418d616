"""The contacts each visit made, as rows of a read model's own table.

Both visit read models (``VisitList``, ``PremisesHistory``) count a visit's contacts from these
rows rather than keep a number: a replayed ``ContactMade`` adds no second row, and an erasure
takes her contacts out of every count. Ids only.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from services.visits.domain import Visit, default_outcome
from services.visits.erasure import ContactErasure
from shared.storage.projection import Projection, handler
from shared.storage.sql import Row, SqlCursor, to_sql_time, write_row

#: What both visit read models follow: a visit, its contacts and concerns, where and how it
#: ended, and an erasure that takes her contacts out.
FOLLOWED = (
    Visit.Started,
    Visit.ContactMade,
    Visit.UrgentConcernRaised,
    Visit.UrgentConcernResolved,
    Visit.PremisesCorrected,
    Visit.Completed,
    ContactErasure.Recorded,
)


def table(table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " visit_id TEXT NOT NULL, contact_id TEXT NOT NULL, PRIMARY KEY (visit_id, contact_id))"
    )


class VisitReadModel(Projection, shared_base=True):
    """A visit read model: one row a visit (``visit_id``, ``completed_at``, ``outcome``) in its
    ``visits_table``, and the contacts each made in its ``contacts_table`` (made by ``table``).
    What both do alike with a contact, an erasure and a visit's end is here; the rest, and
    every table's DDL, is each read model's own."""

    visits_table: ClassVar[str]
    contacts_table: ClassVar[str]

    @property
    def _visits(self) -> str:
        return self.store.table(self.visits_table)

    @property
    def _contacts(self) -> str:
        return self.store.table(self.contacts_table)

    @handler
    def _contact_made(self, event: Visit.ContactMade, cursor: SqlCursor) -> None:
        row = {"visit_id": str(event.originator_id), "contact_id": str(event.contact_id)}
        write_row(cursor, self._contacts, row, key="visit_id, contact_id")

    @handler
    def _contacts_erased(self, event: ContactErasure.Recorded, cursor: SqlCursor) -> None:
        # Her contacts leave the counts; the visits themselves stay, with their concern codes
        # (about the visit and the premises, not about her).
        for contact_id in event.contact_ids:
            cursor.execute(
                f"DELETE FROM {self._contacts} WHERE contact_id = %s", (str(contact_id),)
            )

    @handler
    def _completed(self, event: Visit.Completed, cursor: SqlCursor) -> None:
        visit = str(event.originator_id)
        outcome = event.outcome
        if not outcome:  # none recorded: the one its number of contacts implies
            cursor.execute(
                f"SELECT COUNT(*) AS n FROM {self._contacts} WHERE visit_id = %s", (visit,)
            )
            outcome = default_outcome(count_of(cursor.fetchone()))
        cursor.execute(
            f"UPDATE {self._visits} SET completed_at = %s, outcome = %s WHERE visit_id = %s",
            (to_sql_time(event.occurred_at), outcome, visit),
        )


def count_of(row: Row | None) -> int:
    """The ``n`` of a ``SELECT COUNT(*) AS n`` row."""
    return 0 if row is None else int(row["n"])


def text_or_none(value: UUID | None) -> str | None:
    return None if value is None else str(value)
