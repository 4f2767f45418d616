"""Fixtures for tests against a real nats-server (and PostgreSQL for [postgres] variants)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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


_ASSEMBLE = {ServiceName.VISITS: assemble_visits, ServiceName.CASES: assemble_cases}
StartService = Callable[[ServiceName], Awaitable[Runtime]]


@pytest_asyncio.fixture
async def start_service(
    nats_server: NatsServer, tmp_path: Path, database: tuple[str | None, str | None]
) -> AsyncIterator[StartService]:
    """Starts a service against this test's nats-server; each is stopped after, the last
    started first."""
    started: list[Runtime] = []

    async def start(service: ServiceName) -> Runtime:
        runtime = await start_runtime(
            service, _ASSEMBLE[service], tmp_path / service.value, nats_server.url, database
        )
        started.append(runtime)
        return runtime

    yield start
    for runtime in reversed(started):
        await runtime.stop()


@pytest_asyncio.fixture
async def visits_runtime(start_service: StartService) -> Runtime:
    return await start_service(ServiceName.VISITS)


@pytest_asyncio.fixture
async def cases_runtime(start_service: StartService) -> Runtime:
    return await start_service(ServiceName.CASES)


@pytest.fixture
def visits(visits_runtime: Runtime) -> VisitsApplication:
    app = visits_runtime.app
    assert isinstance(app, VisitsApplication)
    return app


@pytest.fixture
def cases(cases_runtime: Runtime) -> CasesApplication:
    app = cases_runtime.app
    assert isinstance(app, CasesApplication)
    return app
