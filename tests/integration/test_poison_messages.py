"""Poison messages the consumers had not been given before (tests/integration/test_consumer.py
has the first ones, for cases): each is dead-lettered with a reason that names no person, the
consumer goes on, every good message around it is applied once, and no log line repeats what a
message carried."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from services.notifications.application import NotificationsApplication
from services.notifications.domain import Notification, Rule
from services.notifications.main import assemble as assemble_notifications
from shared.contracts import UrgentConcernRaisedV1
from shared.contracts.envelope import encode, message_id
from shared.nats_server import NatsServer
from shared.settings import ServiceName
from tests.integration.harness import consuming_visits, eventually, journey_exists, stream_messages
from tests.integration.test_consumer import contact_made, publish, running_cases, wire

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
NAME = "Maria"  # what a poison message carries that must go no further
#: nats-server's default max_payload: a message this large leaves no room for more headers.
MAX_PAYLOAD = 1024 * 1024


def _document(payload: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(payload)
    return document


def changed(payload: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    document = _document(payload)
    change(document)
    return json.dumps(document).encode()


def _drop_data_field(name: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        del document["data"][name]
        document["data"]["alias"] = NAME  # a field no contract has, with a name in it

    return change


#: For any stream: (a good message at ``position`` → its poisoned bytes, the reason expected).
Poison = tuple[Callable[[bytes], bytes], str]
POISON: dict[str, Poison] = {
    "empty": (lambda good: b"", "not a CloudEvents"),
    "not UTF-8": (lambda good: NAME.encode() + b"\xff\xfe", "not a CloudEvents"),
    "a JSON array": (lambda good: json.dumps([NAME]).encode(), "not an object"),
    "unknown type": (
        lambda good: changed(good, lambda d: d.update(type=f"org.waymark.{NAME}.v9")),
        "type: not a known event type",
    ),
    "unknown version": (
        lambda good: changed(good, lambda d: d.update(type=d["type"][:-1] + "99")),
        "type: not a known event type",
    ),
    "a known type this consumer does not take": (
        lambda good: changed(
            good, lambda d: d.update(type="org.waymark.visits.visit_completed.v1")
        ),
        "",  # any reason: the data may break that contract first
    ),
    "data of the wrong shape": (
        lambda good: changed(good, lambda d: d.update(data={"visit_id": NAME, "concern": [NAME]})),
        "data.",
    ),
    "a lone surrogate in the data": (
        lambda good: changed(good, lambda d: d["data"].update(visit_id="\ud800" + NAME)),
        "data.visit_id",
    ),
    "as large as NATS allows": (
        lambda good: b'{"x": "' + f"{NAME} ".encode() * ((MAX_PAYLOAD - 300) // 6) + b'"}',
        "envelope: larger than",
    ),
}


async def _caught_up(nc: Client, stream: str, durable: str) -> bool:
    js = nc.jetstream()
    last = (await js.stream_info(stream)).state.last_seq
    try:
        info = await js.consumer_info(stream, durable)
    except NotFoundError:  # not made yet
        return False
    return info.ack_floor.stream_seq == last and info.num_ack_pending == 0


async def _each_poison_dead_lettered(nc: Client, durable: str) -> None:
    """Once ``durable`` has acknowledged everything: one dead letter for each kind of poison, in
    the order sent, with a reason that names the fault and nothing of the woman's."""
    await eventually(lambda: _caught_up(nc, "VISITS", durable), message="the ack floor at the end")
    dead = await eventually(lambda: stream_messages(nc, "DEADLETTER"), message="dead letters")
    assert len(dead) == len(POISON)
    for letter, (name, (_, expected)) in zip(dead, POISON.items(), strict=True):
        assert letter.subject == f"deadletter.{durable}"
        reason = letter.headers["Waymark-Dead-Letter-Reason"]
        assert expected in reason, name
        assert NAME not in reason and NAME not in str(letter.headers)


def _no_name_logged(capfd: pytest.CaptureFixture[str]) -> None:
    out, err = capfd.readouterr()
    assert NAME not in out + err


async def test_given_poison_of_every_kind_then_cases_dead_letters_each_and_the_rest_flow_once(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, capfd
) -> None:
    assert nc.max_payload == MAX_PAYLOAD
    async with running_cases(nats_server, nc, tmp_path, database) as (runtime, app):
        good = []
        position = 0
        for name, (make, _) in POISON.items():
            position += 1
            event = contact_made()
            good.append(event)
            await publish(nc, wire(event, position), f"good-{position}")
            position += 1
            await publish(nc, make(wire(contact_made(), position)), f"poison-{name}")
        # And a good message with no headers at all: nothing the consumer needs is in them
        position += 1
        bare = contact_made()
        good.append(bare)
        await nc.jetstream().publish("visits.contact_made.v1", wire(bare, position))

        await _each_poison_dead_lettered(nc, "cases-from-visits")
        assert all(journey_exists(app, event.contact_id) for event in good)
        assert app.max_notification_id() == 2 * len(good)  # opened + contact, once each
        assert runtime.consumers[0].running
    _no_name_logged(capfd)


async def test_given_one_position_twice_with_different_bodies_then_the_first_is_applied_once(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database
) -> None:
    async with running_cases(nats_server, nc, tmp_path, database) as (runtime, app):
        first, second, after = contact_made(), contact_made(), contact_made()
        # Given two bodies under one id and position (a forged or broken publisher: each id
        # names one event), with different Nats-Msg-Ids so JetStream keeps both
        await publish(nc, wire(first, 1), "one")
        forged = changed(wire(second, 1), lambda d: d.update(id=_document(wire(first, 1))["id"]))
        await publish(nc, forged, "two")
        await publish(nc, wire(after, 2), "three")
        await eventually(
            lambda: _caught_up(nc, "VISITS", "cases-from-visits"),
            message="the ack floor at the end",
        )
        # Then what that position stands for was applied once, the other changed nothing
        assert journey_exists(app, first.contact_id) and journey_exists(app, after.contact_id)
        assert not journey_exists(app, second.contact_id)
        assert app.max_notification_id() == 4
        assert runtime.consumers[0].running


# --- the notifications service's consumers ---------------------------------------------------


def concern(position: int) -> tuple[bytes, str]:
    """An urgent concern as the visits relay publishes it, and its CloudEvents id."""
    event = UrgentConcernRaisedV1(
        concern_id=uuid4(),
        visit_id=uuid4(),
        concern="possible_minor",
        occurred_at=T0,
        recorded_at=T0,
    )
    origin = UUID(event.aggregate_id())
    payload = encode(
        event, service="visits", origin=origin, version=position, position=position, time=T0
    )
    return payload, message_id("visits", origin, position)


def notified(app: NotificationsApplication, event_id: str) -> bool:
    try:
        app.get_notification(Notification.create_id(Rule.URGENT_CONCERN.value, event_id))
    except Exception:  # noqa: BLE001 - not there (yet)
        return False
    return True


async def test_given_poison_of_every_kind_then_notifications_dead_letters_each_and_goes_on(
    nats_server: NatsServer, nc: Client, tmp_path: Path, database, capfd
) -> None:
    subject = UrgentConcernRaisedV1.subject
    async with consuming_visits(
        ServiceName.NOTIFICATIONS,
        assemble_notifications,
        NotificationsApplication,
        nats_server,
        nc,
        tmp_path,
        database,
    ) as (runtime, app):
        raised = []
        position = 0
        for name, (make, _) in POISON.items():
            position += 1
            payload, event_id = concern(position)
            raised.append(event_id)
            await publish(nc, payload, f"good-{position}", subject=subject)
            position += 1
            await publish(nc, make(concern(position)[0]), f"poison-{name}", subject=subject)

        await _each_poison_dead_lettered(nc, "notifications-from-visits")
        assert all(notified(app, event_id) for event_id in raised)
        assert all(consumer.running for consumer in runtime.consumers)
    _no_name_logged(capfd)
