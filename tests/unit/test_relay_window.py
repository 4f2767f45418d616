"""The relay's window of unacknowledged publishes: its durable position never passes a message
JetStream has not acknowledged, and what is not acknowledged in time goes out again with the
same message id. JetStream is replaced by a stand-in whose acks the test hands out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.visits.application import VisitsApplication
from services.visits.integration import outbound
from shared.messaging.relay import Relay
from shared.runtime import open_stores
from shared.settings import ServiceName
from shared.storage.log_follower import decode_batch
from shared.storage.log_reader import LogReader
from shared.storage.personal_data import NOT_OPENED
from tests.integration.harness import eventually
from tests.support import hour_visit, make_settings

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


class StandInJetStream:
    """Records each publish and returns a future the test resolves (or never does)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, asyncio.Future[Any]]] = []

    async def add_stream(self, config: Any) -> None:
        return None

    async def publish_async(self, subject: str, payload: bytes, **kwargs: Any) -> Any:
        ack: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.published.append((kwargs["headers"]["Nats-Msg-Id"], ack))
        return ack

    def ack(self, first: int, last: int) -> None:
        for _, future in self.published[first:last]:
            if not future.done():
                future.set_result(None)


class StandInConnection:
    def __init__(self, js: StandInJetStream) -> None:
        self.js = js

    async def jetstream(self) -> StandInJetStream:
        return self.js


def relay_over(tmp_path: Path, visits: int, publish_timeout: float = 10.0):
    settings = make_settings(ServiceName.VISITS, tmp_path, relay_batch_size=2)
    stores = open_stores(settings)
    app = VisitsApplication(env=stores.event_store_env, keyring=stores.keyring)
    for _ in range(visits):
        app.record_visit(hour_visit("alias"), actor="v-1")
    js = StandInJetStream()
    out = outbound(app)
    relay = Relay(
        app,
        positions=stores.positions,
        connection=StandInConnection(js),  # type: ignore[arg-type]
        stream=out.stream,
        translate=out.translate,
        event_classes=out.event_classes,
        settings=settings,
        publish_timeout=publish_timeout,
    )
    return relay, js, app


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_the_position_moves_only_over_batches_acknowledged_in_full(tmp_path: Path) -> None:
    relay, js, app = relay_over(tmp_path, visits=3)
    # Given every batch of the log sent, none acknowledged
    while await relay.catch_up_once():
        pass
    sent = len(js.published)
    assert sent > 4
    assert relay.position() == app.max_notification_id()  # where the next read starts
    assert relay.acknowledged_position() == 0
    # When every message but the first two (both of the first batch) is acknowledged
    js.ack(2, sent)
    await settle()
    # Then the position has not moved past the unacknowledged messages
    assert relay.acknowledged_position() == 0
    # When the first batch is acknowledged too
    js.ack(0, 2)
    await settle()
    # Then it moves to the end in one step
    assert relay.acknowledged_position() == app.max_notification_id()
    assert relay.in_flight == 0
    assert relay.published == sent


async def test_a_message_not_acknowledged_in_time_is_sent_again_with_the_same_id(
    tmp_path: Path,
) -> None:
    relay, js, app = relay_over(tmp_path, visits=2, publish_timeout=0.2)
    while await relay.catch_up_once():
        pass
    first_round = [msg_id for msg_id, _ in js.published]
    # When no ack comes within the publish timeout
    await asyncio.sleep(0.5)
    # Then the next batch is refused with the reason (the follower backs off and reads again)
    with pytest.raises(TimeoutError):
        await relay.catch_up_once()
    # And the relay starts again from its durable position with the same message ids
    assert relay.acknowledged_position() == 0
    assert relay.position() == 0
    while await relay.catch_up_once():
        pass
    second_round = [msg_id for msg_id, _ in js.published[len(first_round) :]]
    assert second_round == first_round
    js.ack(len(first_round), len(js.published))
    await relay.flush()
    assert relay.acknowledged_position() == app.max_notification_id()


def test_the_relay_reads_the_log_without_opening_anyone_s_personal_data(tmp_path: Path) -> None:
    relay, _, app = relay_over(tmp_path, visits=2)
    # When the relay reads the log itself (a catch-up after a restart)
    sealed = relay.read_batch(0)
    # Then no alias was decrypted, and what it publishes is what the opened events give
    aliases = [e.alias for _, e in sealed if hasattr(e, "alias")]
    assert aliases and set(aliases) == {NOT_OPENED}
    opened = decode_batch(app, [n for n, _ in sealed])
    assert [p for _, p, _ in relay._translate_batch(sealed)] == [
        p for _, p, _ in relay._translate_batch(opened)
    ]


async def test_a_batch_prepared_by_the_log_reader_is_published_without_translating_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay, js, _ = relay_over(tmp_path, visits=2)
    first, second = relay.read_batch(0), relay.read_batch(2)
    expected = [msg_id for msg_id, _, _ in relay._translate_batch([*first, *second])]
    translated: list[int] = []
    translate = relay._translate_batch

    def counted(batch: Any) -> Any:
        translated.extend(n.id for n, _ in batch)
        return translate(batch)

    monkeypatch.setattr(relay, "_translate_batch", counted)
    # Given the first batch translated as the reader decoded it
    relay.prepare_batch(first)
    # When it and then a batch nobody prepared are handed to the relay
    await relay.handle(first, first[-1][0].id)
    await relay.handle(second, second[-1][0].id)
    # Then each was translated once, and everything went out in order
    assert translated == [n.id for n, _ in [*first, *second]]
    assert [msg_id for msg_id, _ in js.published] == expected


class LateAcks(StandInJetStream):
    """Acknowledges each publish a little later, as NATS does under load."""

    async def publish_async(self, subject: str, payload: bytes, **kwargs: Any) -> Any:
        ack = await super().publish_async(subject, payload, **kwargs)
        asyncio.get_running_loop().call_later(0.005, lambda: ack.done() or ack.set_result(None))
        return ack


async def test_a_relay_with_acks_in_flight_stays_with_the_log_reader_until_set_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay, js, app = relay_over(tmp_path, visits=1)
    js.__class__ = LateAcks
    reader = LogReader(app, relay._positions, [relay], poll_interval=0.05)
    left: list[str] = []
    leave = reader._leave
    monkeypatch.setattr(reader, "_leave", lambda f: (left.append(f.name), leave(f)))
    task = asyncio.create_task(reader.run())
    try:
        # Given visits recorded faster than JetStream acknowledges their messages
        for _ in range(20):
            await asyncio.to_thread(app.record_visit, hour_visit("alias"), "v-1")
            await asyncio.sleep(0.002)
        await eventually(
            lambda: relay.acknowledged_position() == app.max_notification_id(),
            message="every message acknowledged",
        )
        # Then the relay was never taken for set back: it published each message once, in order
        assert left == []
        expected, after = [], 0
        while batch := relay.read_batch(after):
            expected += [msg_id for msg_id, _, _ in relay._translate_batch(batch)]
            after = batch[-1][0].id
        assert [msg_id for msg_id, _ in js.published] == expected
        # When it is told to publish again from the start
        relay._positions.set(relay.name, 0)
        await asyncio.to_thread(app.record_visit, hour_visit("alias"), "v-1")
        # Then it leaves the reader and reads the log again alone
        await eventually(lambda: left == ["relay"], message="the set back seen")
        await eventually(
            lambda: len(js.published) == 2 * len(expected) + 3, message="published again"
        )
    finally:
        task.cancel()
        await asyncio.wait([task])
