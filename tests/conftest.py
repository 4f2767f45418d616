"""Fixtures shared by every test layer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.nats_server import NatsServer, free_port
from tests.support import drop_schemas, postgres_dsn, unique_schema_prefix


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL variants run whenever a DSN is given (CI always gives one); without one they
    # are reported as skipped, never as passed.
    if postgres_dsn():
        return
    skip = pytest.mark.skip(reason="set WAYMARK_TEST_POSTGRES_DSN to run PostgreSQL variants")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(backend: str) -> Iterator[tuple[str | None, str | None]]:
    """(database URL or None for SQLite, schema prefix); PostgreSQL schemas dropped after."""
    if backend == "sqlite":
        yield None, None
        return
    dsn = postgres_dsn()
    assert dsn is not None
    prefix = unique_schema_prefix()
    yield dsn, prefix
    drop_schemas(dsn, prefix)


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A real nats-server with JetStream from the wheel, on a free port, for the session."""
    store = tmp_path_factory.mktemp("nats")
    server = NatsServer(store, free_port(), log_file=store / "nats.log").start()
    yield server
    server.stop()


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"
