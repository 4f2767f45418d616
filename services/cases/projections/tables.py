"""The tables of the cases read models that are read together (the caseload shows what is
due; the due list leaves out closed journeys), so each read model can create both."""

from __future__ import annotations

from dataclasses import dataclass

from shared.storage.sql import SqlStore


def caseload_tables(store: SqlStore) -> list[str]:
    table, contacts = store.table("caseload"), store.table("caseload_contacts")
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " journey_id TEXT PRIMARY KEY, status TEXT NOT NULL, registered INTEGER NOT NULL,"
        " caseworker_id TEXT, possible_minor INTEGER NOT NULL, opened_at TEXT NOT NULL,"
        " last_contact_at TEXT, contact_count INTEGER NOT NULL,"
        " open_referrals INTEGER NOT NULL, version INTEGER NOT NULL,"
        " team_id TEXT, opened_by TEXT, languages TEXT, preferred_languages TEXT,"
        " interpreter_needed INTEGER, urgent_concerns INTEGER)",
        f"CREATE INDEX IF NOT EXISTS caseload_by_caseworker ON {table} (caseworker_id, status)",
        f"CREATE INDEX IF NOT EXISTS caseload_by_last_contact"
        f" ON {table} (last_contact_at DESC, journey_id)",
        f"CREATE INDEX IF NOT EXISTS caseload_intake ON {table} (caseworker_id, opened_at)",
        # Every contact outreach knew her by (the opening one, those recorded, those linked):
        # how a caseworker finds her journey from a visit.
        f"CREATE TABLE IF NOT EXISTS {contacts} ("
        " contact_id TEXT NOT NULL, journey_id TEXT NOT NULL,"
        " PRIMARY KEY (contact_id, journey_id))",
        f"CREATE INDEX IF NOT EXISTS caseload_contacts_by_journey ON {contacts} (journey_id)",
    ]


#: Columns added after the first release, for tables made before them (NULL until the
#: caseload is rebuilt: ``waymark rebuild cases caseload``).
CASELOAD_LATER_COLUMNS = {
    "team_id": "TEXT",
    "opened_by": "TEXT",
    "languages": "TEXT",
    "preferred_languages": "TEXT",
    "interpreter_needed": "INTEGER",
    "urgent_concerns": "INTEGER",
}


def due_items_tables(store: SqlStore) -> list[str]:
    table = store.table("due_items")
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " item_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " code TEXT, due_at TEXT NOT NULL, state TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS due_items_by_time ON {table} (state, due_at)",
        f"CREATE INDEX IF NOT EXISTS due_items_by_journey ON {table} (journey_id, state)",
    ]


def joined_tables(store: SqlStore) -> list[str]:
    return caseload_tables(store) + due_items_tables(store)


@dataclass(frozen=True)
class Visibility:
    """What a caseworker's lists show: journeys assigned to her or to her team, and those she
    registered that nobody has been assigned to yet (``Journey.is_visible_to``, in SQL)."""

    caseworker_id: str
    team_id: str | None

    def condition(self, alias: str = "c") -> tuple[str, list[object]]:
        """A condition on the ``caseload`` table under ``alias``, and its parameters."""
        sql = (
            f"({alias}.caseworker_id = %s"
            f" OR ({alias}.caseworker_id IS NULL AND {alias}.opened_by = %s)"
        )
        params: list[object] = [self.caseworker_id, self.caseworker_id]
        if self.team_id is not None:
            sql += f" OR {alias}.team_id = %s"
            params.append(self.team_id)
        return sql + ")", params

    def journeys(self, caseload_table: str) -> tuple[str, list[object]]:
        """``journey_id IN (…)``: for read models that do not join the caseload."""
        condition, params = self.condition("v")
        return (
            f"journey_id IN (SELECT v.journey_id FROM {caseload_table} v WHERE {condition})",
            params,
        )
