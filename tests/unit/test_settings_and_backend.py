"""Settings turned into storage: what is accepted, what is refused, and why."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.sql import SQL, Identifier
from pydantic import ValidationError

from shared.runtime import open_stores
from shared.settings import ServiceName, Settings
from shared.storage.backend import ensure_postgres_schema, event_store_env
from tests.support import make_settings, postgres_dsn


def test_defaults_give_each_service_its_port_and_schema() -> None:
    for service, port in [
        (ServiceName.VISITS, 8001),
        (ServiceName.CASES, 8002),
        (ServiceName.NOTIFICATIONS, 8003),
    ]:
        settings = Settings(service=service)
        assert settings.port == port and settings.postgres_schema == service.value
        assert settings.nats_servers == ["nats://127.0.0.1:4322"]  # clear of a system NATS


def test_nats_servers_come_comma_separated_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("WAYMARK_SERVICE", "cases")
    monkeypatch.setenv("WAYMARK_NATS_SERVERS", "nats://a:4222, nats://b:4222")
    assert Settings().nats_servers == ["nats://a:4222", "nats://b:4222"]  # type: ignore[call-arg]


@pytest.mark.parametrize("key", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_a_missing_or_weak_master_key_is_refused(key: str, tmp_path: Path) -> None:
    settings = make_settings(ServiceName.VISITS, tmp_path, master_key=key or None)
    if not key:
        settings = settings.model_copy(update={"master_key": None})
    with pytest.raises(ValueError, match=r"master key|MASTER_KEY"):
        settings.master_key_bytes()


def test_the_dedup_window_cannot_be_shorter_than_ten_minutes() -> None:
    with pytest.raises(ValidationError):
        Settings(service=ServiceName.VISITS, stream_duplicate_window_s=60)


def test_sqlite_is_the_default_with_one_file_per_service(tmp_path: Path) -> None:
    env = event_store_env(make_settings(ServiceName.CASES, tmp_path))
    assert env["PERSISTENCE_MODULE"] == "shared.storage.secure_sqlite:SecureSQLiteFactory"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "cases" / "events.sqlite")
    assert env["SINGLE_ROW_TRACKING"] == "n"


def test_a_database_url_selects_postgres_in_the_service_schema(tmp_path: Path) -> None:
    settings = make_settings(
        ServiceName.CASES, tmp_path, database_url="postgresql://u:pw@db.example:6543/waymark"
    )
    env = event_store_env(settings)
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example",
        "6543",
        "waymark",
    )
    assert env["POSTGRES_SCHEMA"] == "test_cases"
    assert env["POSTGRES_ENABLE_DB_FUNCTIONS"] == "n"  # drops tracking in 9.5.6


def test_database_url_options_that_would_be_dropped_are_refused(tmp_path: Path) -> None:
    settings = make_settings(
        ServiceName.CASES, tmp_path, database_url="postgresql://u@db/w?sslmode=verify-full"
    )
    with pytest.raises(ValueError, match="sslmode"):
        event_store_env(settings)


@pytest.mark.postgres
def test_a_role_without_create_on_the_database_starts_in_its_existing_schema(
    tmp_path: Path,
) -> None:
    dsn = postgres_dsn()
    assert dsn is not None
    role, schema = f"r{uuid.uuid4().hex[:10]}", f"s{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(SQL("CREATE ROLE {} LOGIN").format(Identifier(role)))
        admin.execute(
            SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(Identifier(schema), Identifier(role))
        )
        database = admin.info.dbname
        host, port = admin.info.host, admin.info.port
    try:
        url = f"postgresql://{role}@{host}:{port}/{database}"
        settings = make_settings(
            ServiceName.CASES, tmp_path, database_url=url, postgres_schema=schema
        )
        ensure_postgres_schema(settings)  # must not need CREATE on the database
        with psycopg.connect(url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema + "x")))
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)))
            admin.execute(SQL("DROP ROLE {}").format(Identifier(role)))


def test_every_setting_is_documented_in_operations() -> None:
    operations = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    missing = [
        name for name in Settings.model_fields if f"WAYMARK_{name.upper()}" not in operations
    ]
    assert missing == []


def test_production_settings_refuse_to_fall_back_to_a_new_sqlite_store(tmp_path: Path) -> None:
    production = make_settings(
        ServiceName.CASES, tmp_path, auth_dev_key=None, auth_jwks_url="https://idp/jwks.json"
    )
    with pytest.raises(ValueError, match="WAYMARK_DATABASE_URL") as refusal:
        open_stores(production)
    assert "WAYMARK_SQLITE_IN_PRODUCTION" in str(refusal.value)
    assert not (tmp_path / "cases").exists()  # no empty store was made on the way


@pytest.mark.parametrize(
    "changes",
    [
        {
            "auth_jwks_url": "https://idp/jwks.json",
            "auth_dev_key": None,
            "sqlite_in_production": True,
        },
        {},  # the development key: the embedded run keeps SQLite under var/
    ],
    ids=["production, SQLite on purpose", "development"],
)
def test_sqlite_is_opened_when_it_is_chosen_or_in_development(
    tmp_path: Path, changes: dict[str, object]
) -> None:
    stores = open_stores(make_settings(ServiceName.CASES, tmp_path, **changes))
    stores.close()
    assert (tmp_path / "cases" / "views.sqlite").exists()
