"""The caseload as it is read: ``GET /journeys`` (every journey, those with something due
first, a keyset page at a time) and the intake queue (``GET /journeys/intake``: the open journeys
nobody holds, oldest first, by page number). Its tables are made here too; what each journey
event writes into them is ``Caseload``'s (``projection.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Unpack
from uuid import UUID

from services.cases.queries.tables import (
    Visibility,
    add_later_columns,
    fill_caseload_order,
    joined_tables,
)
from services.cases.values import JourneyStatus
from shared.storage.pages import PageWindow, later_than, read_page
from shared.storage.projection import Projection
from shared.storage.sql import SqlCursor, SqlStore, Where, from_sql_time, rows_by, to_sql_time

#: A journey's place in the caseload's list: (due order, contact order, journey id).
ListKey = tuple[str, int, str]
_LIST_ORDER = "c.due_order, c.contact_order, c.journey_id"


@dataclass(frozen=True)
class CaseloadEntry:
    journey_id: UUID
    status: str
    registered: bool
    caseworker_id: str | None
    possible_minor: bool
    opened_at: datetime
    last_contact_at: datetime | None
    contact_count: int
    open_referrals: int
    next_due_at: datetime | None
    version: int
    contact_ids: tuple[UUID, ...] = ()
    #: Its place in the list, for the cursor of a page that ends with it (not shown).
    list_key: ListKey | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class IntakeEntry:
    """What a caseworker needs to decide whether to take a journey: codes, counts and times,
    never her pseudonym or any free text."""

    journey_id: UUID
    status: str
    registered: bool
    opened_at: datetime
    languages: tuple[str, ...]
    preferred_languages: tuple[str, ...]
    interpreter_needed: bool
    possible_minor: bool
    urgent_concerns: int
    contact_count: int
    last_contact_at: datetime | None
    version: int


#: Journeys that no longer take casework: left out of the intake queue.
_SETTLED = (JourneyStatus.CLOSED.value, JourneyStatus.MERGED.value)


class CaseloadLists(Projection):
    """The caseload's tables (made with the due items', which it joins) and its two lists;
    ``Caseload`` folds the journey events into them."""

    name = "caseload"
    tables = ("caseload", "caseload_contacts")

    def __init__(self, app: Any, store: SqlStore, *args: Any, **kwargs: Any) -> None:
        add_later_columns(store)
        super().__init__(app, store, *args, **kwargs)

    def create_statements(self) -> list[str]:
        return joined_tables(self.store)

    def prepare(self) -> None:
        fill_caseload_order(self.store)

    def intake(
        self, *, limit: int = 50, offset: int = 0, journey_id: UUID | None = None
    ) -> tuple[list[IntakeEntry], int]:
        """The open journeys nobody holds yet, oldest first: whoever takes one next (only
        ``journey_id``, if she is still waiting, when given)."""
        nobodys = Where("caseworker_id IS NULL", "status NOT IN (%s, %s)", params=_SETTLED)
        if journey_id is not None:
            nobodys.add("journey_id = %s", str(journey_id))
        rows, total = self.numbered_page(
            nobodys, order="opened_at, journey_id", limit=limit, offset=offset
        )
        return [_intake_entry(r) for r in rows], total

    def list(
        self,
        *,
        status: str | None = None,
        caseworker_id: str | None = None,
        visible_to: Visibility | None = None,
        unassigned: bool = False,
        contact_id: UUID | None = None,
        due_before: datetime | None = None,
        **window: Unpack[PageWindow],
    ) -> tuple[list[CaseloadEntry], int | None]:
        """Journeys that match, those with something due first (soonest first), then by most
        recent contact; from just after ``after_key`` (an entry's ``list_key``) when given."""
        table = self.table
        contacts = self.store.table("caseload_contacts")
        where = Where()
        if status:
            where.add("c.status = %s", status)
        else:  # a merged journey lives on in the one it was merged into
            where.add("c.status <> %s", JourneyStatus.MERGED.value)
        if caseworker_id:
            where.add("c.caseworker_id = %s", caseworker_id)
        if unassigned:
            where.add("c.caseworker_id IS NULL")
        if contact_id is not None:
            where.add(
                f"c.journey_id IN (SELECT k.journey_id FROM {contacts} k WHERE k.contact_id = %s)",
                str(contact_id),
            )
        if visible_to is not None:
            condition, more = visible_to.condition("c")
            where.add(condition, *more)
        if due_before is not None:
            where.add("c.next_due_at IS NOT NULL AND c.next_due_at < %s", to_sql_time(due_before))
        with self.store.transaction(commit=False) as cursor:
            rows, total = read_page(
                cursor,
                window,
                select="SELECT c.*",
                source=f"FROM {table} c WHERE {where}",
                params=where.params,
                order=_LIST_ORDER,
                after=later_than(_LIST_ORDER),
            )
            known_by = self._contacts_of(cursor, [str(row["journey_id"]) for row in rows])
        return [_entry(row, known_by.get(str(row["journey_id"]), ())) for row in rows], total

    def _contacts_of(
        self, cursor: SqlCursor, journey_ids: Sequence[str]
    ) -> dict[str, tuple[UUID, ...]]:
        table = self.store.table("caseload_contacts")
        found = rows_by(cursor, table, "journey_id", journey_ids, order="journey_id, contact_id")
        return {
            journey: tuple(UUID(str(row["contact_id"])) for row in rows)
            for journey, rows in found.items()
        }


def stored_time(value: object, row: object) -> datetime | None:
    """A time of ``row`` as ``to_sql_time`` stored it, or None where none is."""
    return None if value is None else from_sql_time(value, row=row)


def codes(value: object) -> list[str]:
    """A JSON list of codes, or none in a row made before the column existed."""
    return [] if value is None else [str(code) for code in json.loads(str(value))]


def _intake_entry(row: dict[str, object]) -> IntakeEntry:
    journey = row["journey_id"]
    return IntakeEntry(
        journey_id=UUID(str(journey)),
        status=str(row["status"]),
        registered=bool(row["registered"]),
        opened_at=from_sql_time(row["opened_at"], row=journey),
        languages=tuple(codes(row["languages"])),
        preferred_languages=tuple(codes(row["preferred_languages"])),
        interpreter_needed=bool(row["interpreter_needed"]),
        possible_minor=bool(row["possible_minor"]),
        urgent_concerns=int(str(row["urgent_concerns"] or 0)),
        contact_count=int(str(row["contact_count"])),
        last_contact_at=stored_time(row["last_contact_at"], journey),
        version=int(str(row["version"])),
    )


def _entry(row: dict[str, object], contact_ids: tuple[UUID, ...] = ()) -> CaseloadEntry:
    journey = row["journey_id"]
    return CaseloadEntry(
        journey_id=UUID(str(row["journey_id"])),
        status=str(row["status"]),
        registered=bool(row["registered"]),
        caseworker_id=None if row["caseworker_id"] is None else str(row["caseworker_id"]),
        possible_minor=bool(row["possible_minor"]),
        opened_at=from_sql_time(row["opened_at"], row=journey),
        last_contact_at=stored_time(row["last_contact_at"], journey),
        contact_count=int(str(row["contact_count"])),
        open_referrals=int(str(row["open_referrals"])),
        next_due_at=stored_time(row.get("next_due_at"), journey),
        version=int(str(row["version"])),
        contact_ids=contact_ids,
        list_key=(str(row["due_order"]), int(str(row["contact_order"])), str(journey)),
    )
