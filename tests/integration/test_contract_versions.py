"""A contract's v2 is published beside v1: a v1 consumer keeps working, and a consumer that
reads both versions applies each event once (both carry the same upstream position)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import Tracking
from nats.aio.client import Client

from services.cases.application import CasesApplication
from services.cases.domain import Journey
from services.visits.application import VisitsApplication
from shared.contracts import ContactMadeV1, ContactMadeV2
from shared.contracts.streams import VISITS_STREAM
from shared.messaging.consumer import DurableConsumer, Subscription
from shared.nats_server import NatsServer
from shared.runtime import Runtime, open_stores
from shared.settings import ServiceName
from tests.integration.harness import eventually, journey_exists, stream_messages
from tests.support import hour_visit, make_settings

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


async def test_v1_consumers_keep_working_and_a_reader_of_both_applies_each_event_once(
    visits_runtime: Runtime,
    cases_runtime: Runtime,
    visits: VisitsApplication,
    cases: CasesApplication,
    nats_server: NatsServer,
    nc: Client,
    tmp_path: Path,
) -> None:
    # A second cases store whose consumer reads v1 and v2 of contact_made.
    settings = make_settings(ServiceName.CASES, tmp_path / "both", nats_servers=[nats_server.url])
    stores = open_stores(settings)
    both = CasesApplication(
        env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
    )
    seen: list[tuple[str, int]] = []

    def on_v1(message: ContactMadeV1, upstream: Tracking) -> None:
        seen.append(("v1", upstream.notification_id))
        both.record_contact_from_visit(
            message.contact_id, message.visit_id, message.language, message.occurred_at, upstream
        )

    def on_v2(message: ContactMadeV2, upstream: Tracking) -> None:
        seen.append(("v2", upstream.notification_id))
        both.record_contact_from_visit(
            message.contact_id,
            message.visit_id,
            message.languages[0],
            message.occurred_at,
            upstream,
        )

    reader = DurableConsumer(
        visits_runtime.connection,
        Subscription("both-versions", VISITS_STREAM, {ContactMadeV1: on_v1, ContactMadeV2: on_v2}),
        settings,
    )
    task = asyncio.create_task(reader.run())
    try:
        contacts = [uuid4(), uuid4()]
        visits.record_visit(hour_visit("Secret", "Secret", contact_ids=contacts), actor="v-1")
        wanted = {"visits.contact_made.v1", "visits.contact_made.v2"}

        async def both_published() -> bool:
            # Waited for, not read once: the relay may be part-way through the batch.
            return wanted <= {m.subject for m in await stream_messages(nc, "VISITS")}

        await eventually(both_published, message="v1 and v2 published")
        # The v1 consumer (the cases service as it is) opened both journeys, once each.
        await eventually(
            lambda: all(journey_exists(cases, c) for c in contacts), message="v1 applied"
        )
        # The reader of both versions got every message, and applied each event once.
        await eventually(lambda: len(seen) == 4, message="both versions delivered")
        assert sorted(p for _, p in seen if _ == "v1") == sorted(p for _, p in seen if _ == "v2")
        for contact in contacts:
            assert (
                both.get_journey(Journey.create_id(contact)).contacts
                == cases.get_journey(Journey.create_id(contact)).contacts
            )
        assert both.max_notification_id() == 4  # opened + contact recorded, for two contacts
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        both.close()
        stores.close()
