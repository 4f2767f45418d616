"""The contacts each visit made, as rows of a read model's own table.

Both visit read models (``projections.py``, ``lists.py``) count a visit's contacts from these
rows rather than keep a number: a replayed ``ContactMade`` adds no second row, and an erasure
takes her contacts out of every count. Ids only.
"""

from __future__ import annotations

from uuid import UUID

from services.visits.domain import Visit, default_outcome
from services.visits.erasure import ContactErasure
from shared.storage.sql import Row, SqlCursor, write_row

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


def add(cursor: SqlCursor, table: str, event: Visit.ContactMade) -> None:
    row = {"visit_id": str(event.originator_id), "contact_id": str(event.contact_id)}
    write_row(cursor, table, row, key="visit_id, contact_id")


def erase(cursor: SqlCursor, table: str, event: ContactErasure.Recorded) -> None:
    """Her contacts leave the counts; the visits themselves stay."""
    for contact_id in event.contact_ids:
        cursor.execute(f"DELETE FROM {table} WHERE contact_id = %s", (str(contact_id),))


def completed_outcome(cursor: SqlCursor, table: str, event: Visit.Completed) -> str:
    """The outcome recorded, or else the one its number of contacts implies."""
    if event.outcome:
        return event.outcome
    cursor.execute(
        f"SELECT COUNT(*) AS n FROM {table} WHERE visit_id = %s", (str(event.originator_id),)
    )
    return default_outcome(count_of(cursor.fetchone()))


def count_of(row: Row | None) -> int:
    """The ``n`` of a ``SELECT COUNT(*) AS n`` row."""
    return 0 if row is None else int(row["n"])


def text_or_none(value: UUID | None) -> str | None:
    return None if value is None else str(value)
