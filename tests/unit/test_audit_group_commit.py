"""Audit entries of concurrent requests share one commit, and no request is answered before
its own entry is durable (``AuditWriter`` behind ``AccessControl``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.http.access import AccessControl
from shared.security.audit import AuditEntry, AuditLog, AuditRecord, AuditWriter
from shared.security.roles import Role
from shared.security.tokens import TokenVerifier
from shared.settings import ServiceName
from shared.storage.sql import SqlStore
from tests.support import bearer, make_settings

READER = bearer(Role.SAFEGUARDING_LEAD, subject="lead-1")
CONCURRENT = 6


class GatedLog:
    """An audit log whose next commit can be held at a gate: requests arriving meanwhile queue."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.gate = threading.Event()
        self.held = threading.Event()
        self.hold_next = True
        self.failures = 0  # how many of the next commits fail
        self.commits: list[list[str | None]] = []
        self.committed: set[str | None] = set()
        self._lock = threading.Lock()

    def append_many(self, entries: Sequence[AuditEntry]) -> list[AuditRecord]:
        if self.hold_next:
            self.hold_next = False
            self.held.set()
            self.gate.wait(timeout=30)
        with self._lock:
            self.commits.append([entry.record_id for entry in entries])
            if self.failures:
                self.failures -= 1
                raise OSError("disk full")
        records = self.log.append_many(entries)
        with self._lock:
            self.committed.update(entry.record_id for entry in entries)
        return records

    def hold(self) -> None:
        self.gate.clear()
        self.held.clear()
        self.hold_next = True


def build(tmp_path: Path, gated: GatedLog) -> AccessControl:
    settings = make_settings(ServiceName.CASES, tmp_path / "var")
    app = FastAPI()

    @app.get("/journeys/{journey_id}")
    async def read(journey_id: str) -> dict[str, str]:
        return {"journey_id": journey_id, "secret": "R-17"}

    control = AccessControl(
        app,
        service="cases",
        rules={"GET /journeys/{journey_id}": frozenset({Role.SAFEGUARDING_LEAD})},
        verifier=TokenVerifier(settings),
        audit_log=lambda: gated,  # type: ignore[arg-type,return-value]
    )
    return control


@pytest.fixture
def gated(tmp_path: Path) -> GatedLog:
    return GatedLog(AuditLog(SqlStore.sqlite(tmp_path / "audit.sqlite")))


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a condition (not a timer): a commit held at the gate, entries queued behind it."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the condition never held")


async def one_held_then_queued(
    control: AccessControl,
    gated: GatedLog,
    get: Callable[[str], Awaitable[httpx.Response]],
    journeys: Sequence[str],
) -> list[httpx.Response]:
    """The first request's commit is held while the others' entries queue behind it."""
    first = asyncio.create_task(get(journeys[0]))
    await until(gated.held.is_set)
    others = [asyncio.create_task(get(journey)) for journey in journeys[1:]]
    await until(lambda: len(control.audit._waiting) >= len(journeys) - 1)
    gated.gate.set()
    return list(await asyncio.gather(first, *others))


async def test_concurrent_requests_share_a_commit_and_each_waits_for_her_own_entry(
    tmp_path: Path, gated: GatedLog
) -> None:
    control = build(tmp_path, gated)
    answered_before_commit: list[str] = []

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=control), base_url="http://test"
    ) as client:

        async def get(journey: str) -> httpx.Response:
            response = await client.get(f"/journeys/{journey}", headers=READER)
            if journey not in gated.committed:
                answered_before_commit.append(journey)
            return response

        journeys = [f"j-{n}" for n in range(CONCURRENT)]
        responses = await one_held_then_queued(control, gated, get, journeys)

    assert [r.status_code for r in responses] == [200] * CONCURRENT
    assert answered_before_commit == []
    # The first entry alone, then every request that arrived during its commit, together.
    assert gated.commits == [["j-0"], journeys[1:]]
    records, total = gated.log.query(limit=50)
    assert total == CONCURRENT and gated.log.verify().intact
    assert [r.entry.record_id for r in records] == journeys


async def test_a_failed_group_commit_fails_every_request_in_it_and_the_next_is_served(
    tmp_path: Path, gated: GatedLog
) -> None:
    control = build(tmp_path, gated)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=control), base_url="http://test"
    ) as client:

        async def get(journey: str) -> httpx.Response:
            return await client.get(f"/journeys/{journey}", headers=READER)

        gated.failures = 1  # the first commit fails; the one the others share succeeds
        responses = await one_held_then_queued(control, gated, get, ["j-0", "j-1", "j-2"])
        assert [r.status_code for r in responses] == [503, 200, 200]
        assert "R-17" not in responses[0].text and "j-0" not in responses[0].text

        gated.hold()
        gated.failures = 2  # now the shared commit fails too: every request in it is refused
        refused = await one_held_then_queued(control, gated, get, [f"k-{n}" for n in range(4)])
        assert [r.status_code for r in refused] == [503] * 4
        assert all("R-17" not in r.text for r in refused)
        assert gated.commits[-1] == ["k-1", "k-2", "k-3"]

        assert (await get("j-9")).status_code == 200

    records, _ = gated.log.query(limit=50)
    assert [r.entry.record_id for r in records] == ["j-1", "j-2", "j-9"]
    assert gated.log.verify().intact


async def test_an_invalid_entry_fails_only_its_own_caller(tmp_path: Path) -> None:
    log = AuditLog(SqlStore.sqlite(tmp_path / "audit.sqlite"))
    writer = AuditWriter(lambda: log)
    good = AuditEntry("cases", "u-1", ("caseworker",), "GET /x", None, None, 200)
    bad = AuditEntry("cases", "a name with spaces", ("caseworker",), "GET /x", None, None, 200)
    results: list[Any] = await asyncio.gather(
        writer.append(good), writer.append(bad), writer.append(good), return_exceptions=True
    )
    assert isinstance(results[1], ValueError)
    assert [r.seq for r in (results[0], results[2])] == [1, 2]
    assert log.verify().intact
