"""Run a service's runtime in-process against real NATS, and read streams directly."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.js.errors import NotFoundError

from shared.contracts.streams import VISITS_STREAM
from shared.messaging.streams import ensure_streams
from shared.nats_server import NatsServer
from shared.runtime import Assemble, Runtime
from shared.settings import ServiceName
from tests.support import make_settings

T = TypeVar("T")
App = TypeVar("App")


async def start_runtime(
    service: ServiceName,
    assemble: Assemble,
    var_dir: Path,
    nats_url: str,
    database: tuple[str | None, str | None],
    **overrides: Any,
) -> Runtime[Any, Any]:
    url, prefix = database
    settings = make_settings(
        service, var_dir, nats_url=nats_url, database_url=url, schema_prefix=prefix, **overrides
    )
    runtime = Runtime(settings, assemble)
    await runtime.start()
    return runtime


@asynccontextmanager
async def consuming_visits(
    service: ServiceName,
    assemble: Assemble,
    app_type: type[App],
    nats_server: NatsServer,
    nc: Client,
    tmp_path: Path,
    database: tuple[str | None, str | None],
    **overrides: Any,
) -> AsyncIterator[tuple[Runtime[Any, Any], App]]:
    """``service`` consuming the visits stream (made first, as the visits service makes it),
    stopped however the test ends."""
    await ensure_streams(nc.jetstream(), (VISITS_STREAM,), make_settings(service, tmp_path))
    runtime = await start_runtime(
        service, assemble, tmp_path / "var", nats_server.url, database, **overrides
    )
    try:
        app = runtime.app
        assert isinstance(app, app_type)
        yield runtime, app
    finally:
        await runtime.stop()


def event_ids_name_their_domain_events(messages: list[Any]) -> bool:
    """Each message's ``Nats-Msg-Id`` is its CloudEvents id, ``<service>:<aggregate>:<version>``
    (the aggregate being the envelope's subject), and a v2 published beside a v1 has the v1's
    id plus its own subject."""
    ids = []
    for message in messages:
        document = json.loads(message.data)
        service = document["source"].removeprefix("/waymark/")
        variant = r"(:visits\.contact_made\.v2)?" if message.subject.endswith("v2") else ""
        pattern = rf"{service}:{re.escape(document['subject'])}:[1-9][0-9]*{variant}"
        if message.headers["Nats-Msg-Id"] != document["id"] or not re.fullmatch(
            pattern, document["id"]
        ):
            return False
        ids.append(document["id"])
    return len(set(ids)) == len(ids)


async def stream_messages(nc: Client, stream: str) -> list[Any]:
    """Every message stored in a stream, in order (an empty list if the stream is missing)."""
    js = nc.jetstream()
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        return []
    messages = []
    if info.state.messages == 0:  # just created: first_seq is 0, and there is no message 0
        return messages
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        messages.append(await js.get_msg(stream, sequence))
    return messages


async def consumers_settled(nc: Client, stream: str, durables: dict[str, int]) -> bool:
    """Whether each durable consumer of ``stream`` was delivered every message it takes up to
    its given stream sequence and acknowledged all it was delivered. The services acknowledge
    a message only once its effects and its position are committed, so a settled consumer has
    finished with a duplicate: whatever it did is in its store by then."""
    js = nc.jetstream()
    for durable, through in durables.items():
        info = await js.consumer_info(stream, durable)
        delivered = info.delivered.stream_seq if info.delivered else 0
        if delivered < through or info.num_pending or info.num_ack_pending:
            return False
    return True


async def eventually(
    probe: Callable[[], Any], within: float = 15.0, message: str = "condition"
) -> Any:
    """Await until ``probe()`` (sync or async) returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    last = None
    while asyncio.get_running_loop().time() < deadline:
        last = probe()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up after {within}s waiting for {message}; last={last!r}")


def journey_exists(cases: Any, contact_id: Any) -> bool:
    """Whether cases has opened the journey of the woman met as ``contact_id``."""
    from services.cases.domain import Journey

    try:
        cases.get_journey(Journey.create_id(contact_id))
    except Exception:  # noqa: BLE001 - not (yet) there
        return False
    return True


async def exactly(messages: Awaitable[list[Any]], count: int) -> list[Any] | None:
    """The messages once there are ``count`` of them; more fails at once (one was doubled)."""
    found = await messages
    if len(found) > count:
        raise AssertionError(f"{len(found)} messages, expected {count}")
    return found if len(found) == count else None
