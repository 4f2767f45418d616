"""The service runtime: periodic jobs keep ticking through failures and stop with the service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.visits.application import VisitsApplication
from shared.runtime import PeriodicTask, Runtime, ServiceParts, Stores
from shared.settings import ServiceName
from tests.support import make_settings, wait_until


async def test_a_periodic_job_runs_again_after_failing_and_stops_with_the_service(
    tmp_path: Path,
) -> None:
    ticks: list[int] = []

    def job() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 1:
            raise RuntimeError("first tick fails")

    def assemble(stores: Stores) -> ServiceParts[VisitsApplication, None]:
        app = VisitsApplication(env=stores.event_store_env, keyring=stores.keyring)
        return ServiceParts(
            application=app, queries=None, periodic=[PeriodicTask("tick", 0.05, job)]
        )

    runtime = Runtime(make_settings(ServiceName.VISITS, tmp_path), assemble)
    await runtime.start()
    try:
        await asyncio.to_thread(wait_until, lambda: len(ticks) >= 3, 30, 0.02, "three ticks")
        assert runtime.readiness()["periodic:tick"] is True
    finally:
        await runtime.stop()
    # False only once its loop has ended: no tick can follow.
    assert runtime.readiness()["periodic:tick"] is False
