"""Re-publishing a range of the visits log against a real nats-server: the same ids and bytes
as the relay's, de-duplicated by JetStream, and the cases consumer applies nothing twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from nats.aio.client import Client

from services.cases.application import CasesApplication
from services.visits.application import VisitsApplication
from services.visits.main import assemble as assemble_visits
from shared.admin.republish import republish
from shared.nats_server import NatsServer
from shared.runtime import Runtime
from shared.settings import ServiceName
from tests.integration.harness import (
    consumers_settled,
    event_ids_name_their_domain_events,
    eventually,
    stream_messages,
)
from tests.integration.test_relay import visit


async def test_a_republished_range_changes_nothing_downstream(
    visits_runtime: Runtime,
    cases_runtime: Runtime,
    visits: VisitsApplication,
    cases: CasesApplication,
    nc: Client,
) -> None:
    for contacts in (2, 1):
        visits.record_visit(visit(contacts), actor="v-1")
    originals = await eventually(
        lambda: _count(stream_messages(nc, "VISITS"), 8), message="8 published messages"
    )
    consumer = cases_runtime.consumers[0]
    contacts = sum(m.subject == "visits.contact_made.v1" for m in originals)
    await eventually(lambda: consumer.applied >= contacts, message="cases applied them")
    applied = consumer.applied
    cases_head = cases.max_notification_id()

    seen: list[Any] = []
    subscription = await nc.subscribe("visits.>", cb=_collect(seen))
    progress: list[tuple[int, int]] = []
    published = await republish(
        visits,
        outbound=visits_runtime.parts.outbound,  # type: ignore[arg-type]
        positions=visits_runtime.stores.positions,
        connection=visits_runtime.connection,
        settings=visits_runtime.settings,
        start=1,
        on_progress=lambda at, last: progress.append((at, last)),
    )
    await eventually(lambda: len(seen) >= 8, message="the copies seen on the wire")
    await subscription.unsubscribe()
    assert published == 8
    assert progress[-1][0] <= progress[-1][1] == visits.max_notification_id()
    # The same message ids and the same bytes as the relay published.
    assert [(m.headers["Nats-Msg-Id"], m.data) for m in seen] == [
        (m.headers["Nats-Msg-Id"], m.data) for m in originals
    ]
    # JetStream dropped them as duplicates; the consumer was handed nothing new.
    assert len(await stream_messages(nc, "VISITS")) == 8
    await eventually(
        lambda: consumers_settled(nc, "VISITS", {consumer.name: 0}),
        message="the cases consumer done with the stream",
    )
    assert consumer.applied == applied
    assert cases.max_notification_id() == cases_head
    # A sub-range re-publishes only that range.
    first_contact = _position(originals[0])
    assert (
        await republish(
            visits,
            outbound=visits_runtime.parts.outbound,  # type: ignore[arg-type]
            positions=visits_runtime.stores.positions,
            connection=visits_runtime.connection,
            settings=visits_runtime.settings,
            start=first_contact,
            stop=first_contact,
        )
        == 2  # that one contact, as v1 and v2
    )
    # The relay's own position was not touched.
    assert visits_runtime.stores.positions.get("relay") == visits.max_notification_id()


def _position(message: Any) -> int:
    import json

    return int(json.loads(message.data)["position"])


def _collect(into: list[Any]) -> Any:
    async def on_message(message: Any) -> None:
        into.append(message)

    return on_message


async def _count(messages_coroutine: Any, count: int) -> Any:
    messages = await messages_coroutine
    return messages if len(messages) == count else None


def test_the_cli_republishes_a_services_log(
    nats_server: NatsServer, tmp_path: Path, monkeypatch: Any
) -> None:

    import nats
    from typer.testing import CliRunner

    from shared.runtime import open_stores
    from tests.support import make_settings, new_master_key
    from waymark.cli import cli

    key = new_master_key()
    stores = open_stores(make_settings(ServiceName.VISITS, tmp_path / "var", master_key=key))
    visits = assemble_visits(stores).application
    assert isinstance(visits, VisitsApplication)
    visits.record_visit(visit(2), actor="v-1")  # no relay ran: nothing published
    visits.close()
    stores.close()
    monkeypatch.setenv("WAYMARK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("WAYMARK_MASTER_KEY", key)
    monkeypatch.setenv("WAYMARK_NATS_SERVERS", nats_server.url)
    for _ in range(2):  # the second run is de-duplicated
        result = CliRunner().invoke(
            cli, ["republish", "visits", "--from", "1", "--connect-timeout", "10"]
        )
        assert result.exit_code == 0, result.output
        assert "Re-published 5 messages" in result.stdout  # 2 contacts as v1 and v2, and completed

    async def stored() -> list[Any]:
        client = await nats.connect(nats_server.url)
        try:
            return await stream_messages(client, "VISITS")
        finally:
            await client.close()

    messages = asyncio.run(stored())
    assert event_ids_name_their_domain_events(messages)
    assert len(messages) == 5
    result = CliRunner().invoke(cli, ["republish", "notifications"])
    assert result.exit_code == 2
