"""LISTEN/NOTIFY: a commit in one replica wakes the log followers of another (PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from services.visits.main import assemble
from shared.runtime import Runtime
from shared.storage.log_signal import commit_channel
from tests.cluster.conftest import one_deployment
from tests.support import wait_until
from tests.unit.test_visits_application import premises_command

pytestmark = pytest.mark.postgres


@pytest_asyncio.fixture
async def two_runtimes(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> AsyncIterator[tuple[Runtime, Runtime]]:
    # Polling alone would take minutes: only a NOTIFY can wake a follower in time.
    settings = one_deployment(tmp_path, database, log_poll_interval_s=600)
    runtimes = [Runtime(replica, assemble) for replica in settings]
    for runtime in runtimes:
        await runtime.start()
    yield runtimes[0], runtimes[1]
    for runtime in runtimes:
        await runtime.stop()


async def test_given_two_replicas_when_one_commits_then_the_others_followers_are_woken(
    two_runtimes: tuple[Runtime, Runtime],
) -> None:
    a, b = two_runtimes
    woken = b.app.log_signal.subscribe()
    # Each replica wakes its followers once when its LISTEN starts: only a wake after that
    # can be the other replica's commit.
    await asyncio.to_thread(
        wait_until, lambda: _listening(a) >= 2, 30, 0.05, "both replicas listening"
    )
    await asyncio.sleep(0.2)
    woken.clear()
    outcome = await asyncio.to_thread(
        a.app.register_premises,  # type: ignore[attr-defined]
        premises_command(),
        actor="v-1",
    )
    assert outcome is not None
    async with asyncio.timeout(30):
        await woken.wait()


def _listening(runtime: Runtime) -> int:
    """How many connections have run LISTEN on the replicas' commit channel."""
    import psycopg

    assert runtime.settings.database_url is not None
    dsn = runtime.settings.database_url.get_secret_value()
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE %s AND state = 'idle'",
            (f"LISTEN %{commit_channel(runtime.app.recorder.datastore.schema)}%",),  # type: ignore[attr-defined]
        ).fetchone()
    return int(row[0]) if row else 0
