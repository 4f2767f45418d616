"""Read models for the lists the outreach and caseworker apps show, one per query.

``premises_directory`` answers ``GET /premises``: every premises by its pseudonymous label (the
outreach app caches it whole for offline use), searchable by part of the label.

``visit_list`` answers ``GET /visits``: visits newest first by when they happened, each with
its premises, team, times, outcome, number of contacts and urgent concerns; the label is
joined from the directory when read, so a corrected label shows on every visit at once. Who
was on a visit (who started it, its volunteers) is kept so that a list shows a caller only
the visits she may open (``api/visit_list_routes.py``).

No alias or concern details: ids, codes, labels and times only. Rows are written by value or
counted from their own rows, never incremented, so applying an event twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Unpack
from uuid import UUID

from services.visits import visit_contacts
from services.visits.domain import Visit
from services.visits.premises import Premises
from services.visits.visit_contacts import VisitReadModel, text_or_none
from shared.storage.pages import Condition, PageWindow
from shared.storage.projection import Projection, handler
from shared.storage.sql import Row, SqlCursor, Where, from_sql_time, to_sql_time, write_row


@dataclass(frozen=True)
class PremisesEntry:
    premises_id: UUID
    label: str
    area: str
    premises_type: str
    registered_at: datetime
    version: int


@dataclass(frozen=True)
class VisitEntry:
    visit_id: UUID
    premises_id: UUID | None
    premises_label: str | None
    team: str
    started_at: datetime
    completed_at: datetime | None
    outcome: str | None
    contact_count: int
    urgent_concerns: int
    open_urgent_concerns: int
    recorded_at: datetime
    #: Its place in the list (start as stored, visit id), for the cursor of a page ending with it.
    list_key: tuple[str, str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class VisitFilter:
    """What a caller asked for and what she may see (``None`` team and person: everything)."""

    premises_id: UUID | None = None
    team: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    visible_team: str | None = None
    visible_person: str | None = None


def _escaped(text: str) -> str:
    """``text`` as a LIKE pattern that matches only itself (``%`` and ``_`` are literal)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PremisesDirectory(Projection):
    name = "premises_directory"

    columns = (
        "premises_id TEXT PRIMARY KEY, label TEXT NOT NULL, search TEXT NOT NULL,"
        " area TEXT NOT NULL, premises_type TEXT NOT NULL, registered_at TEXT NOT NULL,"
        " version INTEGER NOT NULL"
    )
    indexes = {"premises_directory_by_label": "search, premises_id"}

    @handler
    def _registered(self, event: Premises.Registered, cursor: SqlCursor) -> None:
        row = {
            "premises_id": str(event.originator_id),
            "label": event.label,
            "search": event.label.casefold(),
            "area": event.area,
            "premises_type": event.premises_type,
            "registered_at": to_sql_time(event.occurred_at),
            "version": event.originator_version,
        }
        write_row(cursor, self.table, row, key="premises_id")

    @handler
    def _label_corrected(self, event: Premises.LabelCorrected, cursor: SqlCursor) -> None:
        cursor.execute(
            f"UPDATE {self.table} SET label = %s, search = %s, version = %s WHERE premises_id = %s",
            (
                event.label,
                event.label.casefold(),
                event.originator_version,
                str(event.originator_id),
            ),
        )

    def search(
        self,
        *,
        label: str | None = None,
        limit: int = 100,
        offset: int = 0,
        after_premises: UUID | None = None,
        with_total: bool = True,
    ) -> tuple[list[PremisesEntry], int | None]:
        """Premises by label (those containing ``label``, any case), in label order; from just
        after ``after_premises`` when given (the label it has now: no label in a cursor)."""
        where, params = "1 = 1", []
        if label:
            where, params = "search LIKE %s ESCAPE '\\'", [f"%{_escaped(label.casefold())}%"]

        def after(key: Sequence[Any]) -> Condition:
            here = f"(SELECT search FROM {self.table} WHERE premises_id = %s)"
            return f"(search, premises_id) > ({here}, %s)", [key[0], key[0]]

        window = PageWindow(
            limit=limit,
            offset=offset,
            after_key=None if after_premises is None else (str(after_premises),),
            with_total=with_total,
        )
        rows, total = self.keyset_page(
            window,
            select="SELECT *",
            source=f"FROM {self.table} WHERE {where}",
            params=params,
            order="search, premises_id",
            after=after,
        )
        return [_premises(row) for row in rows], total


class VisitList(VisitReadModel):
    """A contact made, her contacts erased and a visit completed: ``VisitReadModel``'s handlers."""

    name = "visit_list"
    tables = ("visit_list", "visit_list_people", "visit_list_contacts", "visit_list_concerns")
    visits_table, contacts_table = "visit_list", "visit_list_contacts"
    event_classes = visit_contacts.FOLLOWED

    def _t(self, name: str) -> str:
        return self.store.table(name)

    def create_statements(self) -> list[str]:
        visits, people = self._t("visit_list"), self._t("visit_list_people")
        contacts, concerns = self._t("visit_list_contacts"), self._t("visit_list_concerns")
        return [
            *PremisesDirectory.table_statements(self.store),  # joined when read, for the labels
            f"CREATE TABLE IF NOT EXISTS {visits} ("
            " visit_id TEXT PRIMARY KEY, premises_id TEXT, premises_label TEXT,"
            " team TEXT NOT NULL, started_at TEXT NOT NULL, completed_at TEXT, outcome TEXT,"
            " recorded_at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS visit_list_by_time"
            f" ON {visits} (started_at DESC, visit_id)",
            f"CREATE INDEX IF NOT EXISTS visit_list_by_premises"
            f" ON {visits} (premises_id, started_at DESC)",
            f"CREATE INDEX IF NOT EXISTS visit_list_by_team ON {visits} (team, started_at DESC)",
            # Who was on it (who started it and its volunteers): a list shows her own visits.
            f"CREATE TABLE IF NOT EXISTS {people} ("
            " visit_id TEXT NOT NULL, person TEXT NOT NULL, PRIMARY KEY (visit_id, person))",
            f"CREATE INDEX IF NOT EXISTS visit_list_people_by_person ON {people} (person)",
            visit_contacts.table(contacts),
            f"CREATE TABLE IF NOT EXISTS {concerns} ("
            " visit_id TEXT NOT NULL, concern_id TEXT NOT NULL, resolved INTEGER NOT NULL,"
            " PRIMARY KEY (visit_id, concern_id))",
        ]

    @handler
    def _started(self, event: Visit.Started, cursor: SqlCursor) -> None:
        visit_id = str(event.originator_id)
        row = {
            "visit_id": visit_id,
            "premises_id": text_or_none(event.premises_id),
            "premises_label": event.premises_label,
            "team": event.team,
            "started_at": to_sql_time(event.occurred_at),
            "recorded_at": to_sql_time(event.timestamp),
        }
        write_row(cursor, self._t("visit_list"), row, key="visit_id")
        for person in {event.actor, *event.volunteers}:
            person_row = {"visit_id": visit_id, "person": person}
            write_row(cursor, self._t("visit_list_people"), person_row, key="visit_id, person")

    @handler
    def _concern_raised(self, event: Visit.UrgentConcernRaised, cursor: SqlCursor) -> None:
        row = {
            "visit_id": str(event.originator_id),
            "concern_id": str(event.concern_id),
            "resolved": 0,
        }
        write_row(cursor, self._t("visit_list_concerns"), row, key="visit_id, concern_id")

    @handler
    def _concern_resolved(self, event: Visit.UrgentConcernResolved, cursor: SqlCursor) -> None:
        cursor.execute(
            f"UPDATE {self._t('visit_list_concerns')} SET resolved = 1"
            " WHERE visit_id = %s AND concern_id = %s",
            (str(event.originator_id), str(event.concern_id)),
        )

    @handler
    def _premises_corrected(self, event: Visit.PremisesCorrected, cursor: SqlCursor) -> None:
        cursor.execute(
            f"UPDATE {self._t('visit_list')} SET premises_id = %s, premises_label = %s"
            " WHERE visit_id = %s",
            (text_or_none(event.premises_id), event.premises_label, str(event.originator_id)),
        )

    def newest_first(
        self, which: VisitFilter, **window: Unpack[PageWindow]
    ) -> tuple[list[VisitEntry], int | None]:
        """Visits that match, newest first; from just after ``after_key`` (an entry's
        ``list_key``) when given."""
        where = Where()
        if which.premises_id is not None:
            where.add("v.premises_id = %s", str(which.premises_id))
        if which.team is not None:
            where.add("v.team = %s", which.team)
        if which.started_from is not None:
            where.add("v.started_at >= %s", to_sql_time(which.started_from))
        if which.started_to is not None:
            where.add("v.started_at < %s", to_sql_time(which.started_to))
        if which.visible_person is not None:
            mine = (
                f"v.visit_id IN (SELECT p.visit_id FROM {self._t('visit_list_people')} p"
                " WHERE p.person = %s)"
            )
            if which.visible_team is not None:
                where.add(f"(v.team = %s OR {mine})", which.visible_team, which.visible_person)
            else:
                where.add(mine, which.visible_person)
        contacts, concerns = self._t("visit_list_contacts"), self._t("visit_list_concerns")
        rows, total = self.keyset_page(
            window,
            select="SELECT v.*,"
            f" (SELECT d.label FROM {self._t('premises_directory')} d"
            " WHERE d.premises_id = v.premises_id) AS registered_label,"
            f" (SELECT COUNT(*) FROM {contacts} k WHERE k.visit_id = v.visit_id)"
            " AS contact_count,"
            f" (SELECT COUNT(*) FROM {concerns} c WHERE c.visit_id = v.visit_id)"
            " AS urgent_concerns,"
            f" (SELECT COUNT(*) FROM {concerns} c WHERE c.visit_id = v.visit_id"
            " AND c.resolved = 0) AS open_urgent_concerns",
            source=f"FROM {self._t('visit_list')} v WHERE {where}",
            params=where.params,
            order="v.started_at DESC, v.visit_id",
            after=_after_visit,
        )
        return [_visit(row) for row in rows], total


def _after_visit(key: Sequence[Any]) -> Condition:
    # Newest first, then by id: the first term is an index range on its own.
    return "v.started_at <= %s AND (v.started_at < %s OR v.visit_id > %s)", [key[0], *key]


def _time(value: object) -> datetime | None:
    return None if value is None else from_sql_time(str(value))


def _premises(row: Row) -> PremisesEntry:
    return PremisesEntry(
        premises_id=UUID(str(row["premises_id"])),
        label=str(row["label"]),
        area=str(row["area"]),
        premises_type=str(row["premises_type"]),
        registered_at=from_sql_time(str(row["registered_at"])),
        version=int(row["version"]),
    )


def _visit(row: Row) -> VisitEntry:
    premises_id = row["premises_id"]
    label = row["registered_label"] if premises_id is not None else row["premises_label"]
    started = _time(row["started_at"])
    recorded = _time(row["recorded_at"])
    assert started is not None and recorded is not None
    return VisitEntry(
        visit_id=UUID(str(row["visit_id"])),
        premises_id=None if premises_id is None else UUID(str(premises_id)),
        premises_label=None if label is None else str(label),
        team=str(row["team"]),
        started_at=started,
        completed_at=_time(row["completed_at"]),
        outcome=None if row["outcome"] is None else str(row["outcome"]),
        contact_count=int(row["contact_count"]),
        urgent_concerns=int(row["urgent_concerns"]),
        open_urgent_concerns=int(row["open_urgent_concerns"]),
        recorded_at=recorded,
        list_key=(str(row["started_at"]), str(row["visit_id"])),
    )
