"""One NATS connection per service process, which never gives up.

The first connect is retried in the background so a service starts (and keeps accepting
writes) while NATS is down; after that the client reconnects forever. Callbacks only log —
with ids and states, never message content.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext

from shared.settings import Settings
from shared.tasks import cancel_until_done

log = structlog.get_logger(__name__)


class NatsConnection:
    def __init__(self, settings: Settings, client_name: str) -> None:
        self._settings = settings
        self._client_name = client_name
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._connected = asyncio.Event()
        self._first_attempt_done = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect_until_up(), name="nats-connect")

    async def first_attempt(self) -> None:
        """Wait until the first connection attempt has succeeded or failed."""
        await self._first_attempt_done.wait()

    async def jetstream(self) -> JetStreamContext:
        """The JetStream context, waiting for the connection to be up."""
        while not self.is_connected:
            self._connected.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._connected.wait()
        assert self._js is not None
        return self._js

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            await cancel_until_done([self._task])
        if self._client is not None and not self._client.is_closed:
            try:
                async with asyncio.timeout(5.0):
                    await self._client.drain()
            except Exception:  # noqa: BLE001 - shutting down: closing is all that is left
                with contextlib.suppress(Exception):
                    await self._client.close()

    async def _connect_until_up(self) -> None:
        delay = 0.2
        while True:
            try:
                self._client = await nats.connect(**self._options())
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - retried until NATS is reachable
                log.info("nats.unreachable", error=type(error).__name__, retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._js = self._client.jetstream(timeout=5)
            self._connected.set()
            self._first_attempt_done.set()
            log.info("nats.connected", servers=len(self._settings.nats_servers))
            return

    def _options(self) -> dict[str, Any]:
        settings = self._settings

        async def on_error(error: Exception) -> None:
            # The client retries its first connect internally; the first error ends the attempt.
            self._first_attempt_done.set()
            log.warning("nats.error", error=type(error).__name__)

        async def on_disconnected() -> None:
            if self._closing:
                log.info("nats.closed")
            else:
                log.warning("nats.disconnected")

        async def on_reconnected() -> None:
            self._connected.set()
            log.info("nats.reconnected")

        options: dict[str, Any] = {
            "servers": settings.nats_servers,
            "name": self._client_name,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 1,
            "connect_timeout": 2,
            "error_cb": on_error,
            "disconnected_cb": on_disconnected,
            "reconnected_cb": on_reconnected,
        }
        if settings.nats_user:
            options["user"] = settings.nats_user
        if settings.nats_password:
            options["password"] = settings.nats_password.get_secret_value()
        if settings.nats_token:
            options["token"] = settings.nats_token.get_secret_value()
        return options
