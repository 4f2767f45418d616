"""The tables of the cases read models that are read together (the caseload shows what is
due; the due list leaves out closed journeys), so each read model can create both."""

from __future__ import annotations

from shared.storage.sql import SqlStore


def caseload_tables(store: SqlStore) -> list[str]:
    table = store.table("caseload")
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        " journey_id TEXT PRIMARY KEY, status TEXT NOT NULL, registered INTEGER NOT NULL,"
        " caseworker_id TEXT, possible_minor INTEGER NOT NULL, opened_at TEXT NOT NULL,"
        " last_contact_at TEXT, contact_count INTEGER NOT NULL,"
        " open_referrals INTEGER NOT NULL, version INTEGER NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS caseload_by_caseworker ON {table} (caseworker_id, status)",
        f"CREATE INDEX IF NOT EXISTS caseload_by_last_contact"
        f" ON {table} (last_contact_at DESC, journey_id)",
    ]


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
