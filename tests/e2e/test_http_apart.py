"""Each service as two processes on one store: one answers HTTP only (WAYMARK_BACKGROUND
false), the other runs the relay, consumers, projections and timers. A visit posted to the
HTTP-only visits process becomes a journey listed by the HTTP-only cases process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.settings import ServiceName
from tests.e2e.system import System
from tests.e2e.test_first_slice import expected_journeys, visit_body, wait_for_exactly

pytestmark = pytest.mark.e2e


@pytest.fixture
def apart(tmp_path: Path, database: tuple[str | None, str | None]) -> Iterator[System]:
    url, prefix = database
    running = System(tmp_path, database_url=url, schema_prefix=prefix, http_apart=True)
    # Six processes' pools must fit in PostgreSQL's connections beside other tests.
    running.extra_env = {"WAYMARK_POSTGRES_POOL_SIZE": "2", "WAYMARK_POSTGRES_MAX_OVERFLOW": "2"}
    running.start()
    yield running
    running.stop()


def test_a_visit_posted_to_an_http_only_process_is_listed_by_another(apart: System) -> None:
    # Given HTTP-only processes, ready without running any background work
    for service in (ServiceName.VISITS, ServiceName.CASES, ServiceName.NOTIFICATIONS):
        checks = httpx.get(apart.url(service) + "/readyz", timeout=5).json()["checks"]
        assert checks["store"] and checks["nats"]
        assert not [name for name in checks if name.startswith(("relay", "consumer", "projection"))]
    body = visit_body(contacts=2)
    # When the visit goes to the visits process that runs no background work
    response = apart.post_visit(body)
    assert response.status_code == 201, response.text
    # Then the other visits process relays it, and the cases and notifications processes that
    # run the background work apply it, where the HTTP-only ones list it
    wait_for_exactly(apart, expected_journeys([body]))
