"""Stopping tasks that do not hear the first cancel: the NATS connect loop, any task."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nats
import pytest

from shared.messaging.connection import NatsConnection
from shared.settings import ServiceName
from shared.tasks import cancel_until_done
from tests.support import make_settings


async def test_given_a_connect_loop_that_misses_one_cancel_when_closing_then_close_still_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What nats-py's connect does on Python 3.11 when the cancel meets a refused connection in
    # asyncio.wait_for: the cancellation is dropped and the retry loop goes on.
    cancels_heard: list[int] = []

    async def connect_dropping_the_first_cancel(**_options: Any) -> Any:
        while True:
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                cancels_heard.append(1)
                if len(cancels_heard) == 1:
                    continue
                raise

    monkeypatch.setattr(nats, "connect", connect_dropping_the_first_cancel)
    connection = NatsConnection(make_settings(ServiceName.CASES, tmp_path), client_name="t")
    await connection.start()
    await asyncio.sleep(0.05)

    closing = asyncio.ensure_future(connection.close())
    # Waited on, not cancelled: a cancel from a timeout would be the second cancel it needs.
    done, _ = await asyncio.wait([closing], timeout=10)

    assert closing in done
    assert len(cancels_heard) == 2
    assert not connection.is_connected


async def test_given_nats_unreachable_when_closing_then_close_returns(tmp_path: Path) -> None:
    connection = NatsConnection(make_settings(ServiceName.CASES, tmp_path), client_name="t")
    await connection.start()
    async with asyncio.timeout(5):
        await connection.first_attempt()

    async with asyncio.timeout(10):
        await connection.close()

    assert not connection.is_connected


async def test_given_a_task_deaf_to_every_cancel_then_stopping_gives_up_at_its_bound() -> None:
    release = asyncio.Event()

    async def deaf() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    task = asyncio.ensure_future(deaf())
    await asyncio.sleep(0)

    stuck = await cancel_until_done([task], within_s=0.3)

    assert stuck == {task}
    release.set()
    await task


async def test_given_tasks_that_stop_then_none_is_left() -> None:
    tasks = [asyncio.ensure_future(asyncio.sleep(60)) for _ in range(3)]
    assert await cancel_until_done(tasks, within_s=5) == set()
    assert all(task.cancelled() for task in tasks)
