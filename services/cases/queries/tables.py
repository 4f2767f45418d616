"""The tables of the cases read models that are read together (the caseload shows what is
due; the due list leaves out closed journeys), so each read model can create both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from shared.storage.sql import SqlCursor, SqlStore, add_missing_columns, from_sql_time

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def caseload_tables(store: SqlStore) -> list[str]:
    table, contacts = store.table("caseload"), store.table("caseload_contacts")
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " journey_id TEXT PRIMARY KEY, status TEXT NOT NULL, registered INTEGER NOT NULL,"
        " caseworker_id TEXT, possible_minor INTEGER NOT NULL, opened_at TEXT NOT NULL,"
        " last_contact_at TEXT, contact_count INTEGER NOT NULL,"
        " open_referrals INTEGER NOT NULL, version INTEGER NOT NULL,"
        " team_id TEXT, opened_by TEXT, languages TEXT, preferred_languages TEXT,"
        " interpreter_needed INTEGER, urgent_concerns INTEGER,"
        " next_due_at TEXT, due_order TEXT, contact_order BIGINT)",
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
#: caseload is rebuilt: ``waymark rebuild cases caseload``; the list order is filled in at
#: start-up by ``fill_caseload_order``).
CASELOAD_LATER_COLUMNS = {
    "team_id": "TEXT",
    "opened_by": "TEXT",
    "languages": "TEXT",
    "preferred_languages": "TEXT",
    "interpreter_needed": "INTEGER",
    "urgent_concerns": "INTEGER",
    **{"next_due_at": "TEXT", "due_order": "TEXT", "contact_order": "BIGINT"},
}

# The caseload's list order — something due first, soonest first; then the most recent contact
# first; then the journey id — as three ascending columns, so that a page starts where the
# last one ended by seeking an index (keyset pagination), whatever the number of journeys.
# Each column has one writer once a row exists, so two read models never race on a row:
# ``due_order`` (and the ``next_due_at`` it is made of) is the ``due_items`` read model's,
# ``contact_order`` the caseload's own (which sets both as it makes a row or goes live after a
# rebuild).
#: The due order of a journey with nothing open due: after every due time.
NOTHING_DUE = "1"
#: Sorts after every contact time (they are negated microseconds since 1970).
NO_CONTACT = 2**62


def caseload_order_indexes(store: SqlStore) -> list[str]:
    table = store.table("caseload")
    return [
        f"CREATE INDEX IF NOT EXISTS caseload_list_order"
        f" ON {table} (due_order, contact_order, journey_id)",
        f"CREATE INDEX IF NOT EXISTS caseload_list_order_by_caseworker"
        f" ON {table} (caseworker_id, due_order, contact_order, journey_id)",
    ]


def contact_order(last_contact_at: datetime | None) -> int:
    """Most recent contact first as an ascending number; no contact at all last."""
    if last_contact_at is None:
        return NO_CONTACT
    return -((last_contact_at - _EPOCH) // timedelta(microseconds=1))


def refresh_due_order(store: SqlStore, cursor: SqlCursor, journey_id: str | None = None) -> None:
    """Set a journey's next due time and its place in the list from its open due items (every
    journey's when ``journey_id`` is None: at once, as a rebuild goes live)."""
    due = store.table("due_items")
    next_due = (
        f"(SELECT MIN(d.due_at) FROM {due} d WHERE d.journey_id = c.journey_id"
        " AND d.state = 'open')"
    )
    one = " WHERE c.journey_id = %s" if journey_id is not None else ""
    cursor.execute(
        f"UPDATE {store.table('caseload')} AS c SET next_due_at = {next_due},"
        f" due_order = COALESCE('0' || {next_due}, '{NOTHING_DUE}'){one}",
        (journey_id,) if journey_id is not None else (),
    )


def fill_caseload_order(store: SqlStore) -> None:
    """Give rows made before the list-order columns existed their place (once, at start-up)."""
    table = store.table("caseload")
    with store.transaction() as cursor:
        cursor.execute(
            f"SELECT journey_id, last_contact_at FROM {table}"
            " WHERE due_order IS NULL OR contact_order IS NULL"
        )
        rows = cursor.fetchall()
        for row in rows:
            journey = str(row["journey_id"])
            contact = row["last_contact_at"]
            moment = None if contact is None else from_sql_time(contact, row=journey)
            refresh_due_order(store, cursor, journey)
            cursor.execute(
                f"UPDATE {table} SET contact_order = %s WHERE journey_id = %s",
                (contact_order(moment), journey),
            )


def due_items_tables(store: SqlStore) -> list[str]:
    table = store.table("due_items")
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " item_id TEXT PRIMARY KEY, journey_id TEXT NOT NULL, kind TEXT NOT NULL,"
        " code TEXT, due_at TEXT NOT NULL, state TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS due_items_by_time ON {table} (state, due_at)",
        f"CREATE INDEX IF NOT EXISTS due_items_by_journey ON {table} (journey_id, state)",
        # The due list's order, so a page starts where the last one ended (keyset pagination).
        f"CREATE INDEX IF NOT EXISTS due_items_list_order ON {table} (state, due_at, item_id)",
    ]


def joined_tables(store: SqlStore) -> list[str]:
    return caseload_tables(store) + due_items_tables(store) + caseload_order_indexes(store)


def add_later_columns(store: SqlStore) -> None:
    """Bring a caseload made by an older version up to date, before the DDL of
    ``joined_tables`` runs: its list-order indexes name the later columns."""
    store.execute_script(caseload_tables(store) + due_items_tables(store))
    add_missing_columns(store, store.table("caseload"), CASELOAD_LATER_COLUMNS)


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


def forget_journey(store: SqlStore, cursor: SqlCursor, table: str, journey_id: UUID) -> None:
    """Her erasure: a read model's rows about her journey go (a rebuild deletes them at the
    same point of the log); her history stays in the event store, sealed."""
    cursor.execute(f"DELETE FROM {store.table(table)} WHERE journey_id = %s", (str(journey_id),))
