"""One place that turns settings into storage: the eventsourcing ``env`` and the SQL stores.

SQLite (default): one file per concern under ``var/<service>/`` — ``events.sqlite`` (the event
store, which is also the outbox), ``views.sqlite`` (read models and log positions),
``keys.sqlite`` (wrapped per-person keys, kept apart so erasure and backups can treat it apart).
PostgreSQL: one schema per service holding the same tables.
"""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier

from shared.settings import Settings
from shared.storage.secure_sqlite import SECURE_SQLITE_FACTORY
from shared.storage.sql import SqlStore

EventStoreEnv = dict[str, str]


_SUPPORTED_URL_PARAMS = {"dbname", "host", "port", "user", "password"}


def _postgres_params(settings: Settings) -> dict[str, str]:
    assert settings.database_url is not None
    params = conninfo_to_dict(settings.database_url.get_secret_value())
    # The event store library connects with these five only; refusing the rest beats silently
    # dropping, say, sslmode=verify-full. libpq's PG* variables (PGSSLMODE…) still apply.
    unsupported = sorted(set(params) - _SUPPORTED_URL_PARAMS)
    if unsupported:
        raise ValueError(
            f"WAYMARK_DATABASE_URL options {unsupported} are not supported; "
            "use libpq environment variables such as PGSSLMODE instead"
        )
    return {
        "dbname": str(params.get("dbname", "postgres")),
        "host": str(params.get("host", "127.0.0.1")),
        "port": str(params.get("port", "5432")),
        "user": str(params.get("user", "postgres")),
        "password": str(params.get("password", "")),
    }


def event_store_env(settings: Settings) -> EventStoreEnv:
    """The explicit eventsourcing environment for this service's Application."""
    # Multi-row tracking: a consumer records every upstream position it has applied, so a
    # message redelivered out of order after a nak is still recognised (single-row tracking
    # would only keep the highest and reject a lower, unapplied one as a duplicate).
    common = {"SINGLE_ROW_TRACKING": "n", "CREATE_TABLE": "y"}
    if not settings.uses_postgres:
        settings.service_dir.mkdir(parents=True, exist_ok=True)
        return {
            **common,
            # eventsourcing's SQLite, with secure_delete on every connection (erasure).
            "PERSISTENCE_MODULE": SECURE_SQLITE_FACTORY,
            "SQLITE_DBNAME": str(settings.service_dir / "events.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    params = _postgres_params(settings)
    assert settings.postgres_schema is not None
    return {
        **common,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": params["dbname"],
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "POSTGRES_SCHEMA": settings.postgres_schema,
        # Store calls run on worker threads, at most Settings.store_threads at once
        # (shared/threads.py): at most pool + overflow, so no thread queues for a connection.
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.postgres_max_overflow),
        # Not "y": in eventsourcing 9.5.6 the stored-function insert path ignores the
        # ``tracking`` of a process recorder, so an upstream position would silently not be
        # recorded with its effects (found by tests/unit/test_cases_application.py).
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "POSTGRES_CONNECT_TIMEOUT": "10",
    }


def open_sql_store(settings: Settings, purpose: str) -> SqlStore:
    """A SQL store for ``purpose`` ("views" or "keys") on the configured backend."""
    if not settings.uses_postgres:
        settings.service_dir.mkdir(parents=True, exist_ok=True)
        return SqlStore.sqlite(settings.service_dir / f"{purpose}.sqlite")
    params = _postgres_params(settings)
    assert settings.postgres_schema is not None
    return SqlStore.postgres(
        schema=settings.postgres_schema,
        pool_size=2,
        max_overflow=settings.postgres_max_overflow,
        **params,
    )


def ensure_postgres_schema(settings: Settings) -> None:
    """Create the service's schema; eventsourcing creates tables but not schemas."""
    if not settings.uses_postgres:
        return
    import psycopg

    assert settings.database_url is not None and settings.postgres_schema is not None
    with psycopg.connect(settings.database_url.get_secret_value(), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
            (settings.postgres_schema,),
        ).fetchone()
        # Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the whole database even
        # when the schema is there, and a production role should not hold that right.
        if not exists:
            conn.execute(
                SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(settings.postgres_schema))
            )
