"""Fixtures for tests against a real nats-server (and PostgreSQL for [postgres] variants)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
import pytest_asyncio
from nats.aio.client import Client

from services.cases.application import CasesApplication
from services.cases.main import assemble as assemble_cases
from services.visits.application import VisitsApplication
from services.visits.main import assemble as assemble_visits
from shared.nats_server import NatsServer, free_port
from shared.runtime import Runtime
from shared.settings import ServiceName
from tests.integration.harness import start_runtime


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A fresh nats-server per test, so streams and consumers never leak between tests."""
    server = NatsServer(tmp_path / "nats", free_port()).start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def nc(nats_server: NatsServer) -> AsyncIterator[Client]:
    client = await nats.connect(nats_server.url)
    yield client
    await client.close()


@pytest_asyncio.fixture
async def visits_runtime(
    nats_server: NatsServer, tmp_path: Path, database: tuple[str | None, str | None]
) -> AsyncIterator[Runtime]:
    """The visits service running against this test's nats-server, stopped after."""
    runtime = await start_runtime(
        ServiceName.VISITS, assemble_visits, tmp_path / "var", nats_server.url, database
    )
    yield runtime
    await runtime.stop()


@pytest.fixture
def visits(visits_runtime: Runtime) -> VisitsApplication:
    app = visits_runtime.app
    assert isinstance(app, VisitsApplication)
    return app


@pytest_asyncio.fixture
async def cases_runtime(
    nats_server: NatsServer, tmp_path: Path, database: tuple[str | None, str | None]
) -> AsyncIterator[Runtime]:
    """The cases service running against this test's nats-server, stopped after."""
    runtime = await start_runtime(
        ServiceName.CASES, assemble_cases, tmp_path / "cases", nats_server.url, database
    )
    yield runtime
    await runtime.stop()


@pytest.fixture
def cases(cases_runtime: Runtime) -> CasesApplication:
    app = cases_runtime.app
    assert isinstance(app, CasesApplication)
    return app
