"""E2E: three real service processes and a real nats-server, driven over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.system import System


@pytest.fixture
def system(tmp_path: Path, database: tuple[str | None, str | None]) -> Iterator[System]:
    url, prefix = database
    running = System(tmp_path, database_url=url, schema_prefix=prefix).start()
    yield running
    running.stop()
