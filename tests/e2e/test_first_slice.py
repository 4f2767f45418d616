"""A posted visit flows through real NATS into a journey and an inbox entry — and survives
duplicates, poison messages, a NATS outage and a SIGKILL, with nothing lost or doubled."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import nats
import pytest

from services.cases.domain import Journey
from shared.settings import ServiceName
from tests.e2e.system import System
from tests.integration.harness import stream_messages
from tests.support import wait_until

pytestmark = pytest.mark.e2e

T0 = datetime.now(UTC) - timedelta(hours=2)


def visit_body(contacts: int = 1) -> dict[str, Any]:
    return {
        "visit_id": str(uuid4()),
        "premises_label": "P-12",
        "team": "west",
        "languages_offered": ["ro"],
        "started_at": T0.isoformat(),
        "completed_at": (T0 + timedelta(hours=1)).isoformat(),
        "contacts": [
            {"contact_id": str(uuid4()), "alias": "Marker-e2e-alias", "language": "ro"}
            for _ in range(contacts)
        ],
    }


def contact_ids(bodies: list[dict[str, Any]]) -> set[str]:
    return {c["contact_id"] for body in bodies for c in body["contacts"]}


def expected_journeys(bodies: list[dict[str, Any]]) -> set[str]:
    from uuid import UUID

    return {str(Journey.create_id(UUID(c))) for c in contact_ids(bodies)}


def wait_for_exactly(system: System, journeys: set[str], timeout: float = 30) -> None:
    """Every expected journey and inbox entry appears — and never one more."""

    def complete() -> bool:
        listed = system.journeys()
        inbox = system.inbox()
        ids = {item["journey_id"] for item in listed["items"]}
        assert listed["total"] <= len(journeys), "more journeys than contacts"
        assert inbox["total"] <= len(journeys), "more inbox entries than journeys"
        return ids == journeys and inbox["total"] == len(journeys)

    wait_until(complete, timeout=timeout, interval=0.2, message="journeys and inbox entries")
    links = {item["link"] for item in system.inbox()["items"]}
    assert links == {f"/journeys/{j}" for j in journeys}


async def _stream(system: System, stream: str) -> list[Any]:
    nc = await nats.connect(system.nats.url)
    try:
        return await stream_messages(nc, stream)
    finally:
        await nc.close()


async def _publish(system: System, subject: str, payload: bytes, msg_id: str) -> int:
    """Publish to JetStream; the stream sequence the message was stored at."""
    nc = await nats.connect(system.nats.url)
    try:
        ack = await nc.jetstream().publish(subject, payload, headers={"Nats-Msg-Id": msg_id})
        return int(ack.seq)
    finally:
        await nc.close()


def test_a_posted_visit_shows_up_as_a_journey_and_an_inbox_entry(system: System) -> None:
    body = visit_body(contacts=2)
    response = system.post_visit(body)
    assert response.status_code == 201, response.text
    wait_for_exactly(system, expected_journeys([body]))
    journey_id = next(iter(expected_journeys([body])))
    detail = system.journeys()["items"][0]
    assert detail["contact_count"] == 1 and detail["status"] == "new"
    inbox_text = str(system.inbox())
    assert "Marker-e2e-alias" not in inbox_text and journey_id in inbox_text


def test_the_same_message_delivered_twice_has_one_effect(system: System) -> None:
    bodies = [visit_body()]
    system.post_visit(bodies[0])
    journeys = expected_journeys(bodies)
    wait_for_exactly(system, journeys)
    (journey_id,) = journeys
    system.wait_until_consumed("VISITS", {"cases-from-visits": 0})
    stored = system.history(ServiceName.CASES, journey_id)
    original = next(
        m for m in asyncio.run(_stream(system, "VISITS")) if m.subject == "visits.contact_made.v1"
    )
    # A new message id: JetStream stores it, and the consumer must recognise it by its event.
    copy = asyncio.run(_publish(system, original.subject, original.data, "a-redelivered-copy"))
    system.wait_until_consumed("VISITS", {"cases-from-visits": copy})
    assert system.history(ServiceName.CASES, journey_id) == stored
    wait_for_exactly(system, journeys)
    assert system.journeys()["items"][0]["contact_count"] == 1


def test_a_malformed_message_lands_in_the_dead_letter_subject_and_the_consumer_goes_on(
    system: System,
) -> None:
    asyncio.run(_publish(system, "visits.contact_made.v1", b'{"specversion": "1.0"}', "bad"))
    body = visit_body()
    system.post_visit(body)
    wait_for_exactly(system, expected_journeys([body]))
    dead = asyncio.run(_stream(system, "DEADLETTER"))
    assert len(dead) == 1 and dead[0].subject == "deadletter.cases-from-visits"
    assert dead[0].headers["Waymark-Dead-Letter-Reason"]


def test_with_nats_stopped_visits_are_accepted_and_all_flow_once_after_it_restarts(
    system: System,
) -> None:
    warm = [visit_body()]
    system.post_visit(warm[0])
    wait_for_exactly(system, expected_journeys(warm))
    system.nats.stop()
    offline = [visit_body(contacts=2) for _ in range(8)]
    for body in offline:
        response = system.post_visit(body)
        assert response.status_code == 201, response.text
    system.nats.start()  # same port, same store directory
    wait_for_exactly(system, expected_journeys(warm + offline), timeout=60)
    published = asyncio.run(_stream(system, "VISITS"))
    assert len({m.headers["Nats-Msg-Id"] for m in published}) == len(published)
    # Each contact as contact_made v1 and v2, and each visit's completion.
    assert len(published) == 2 * len(contact_ids(warm + offline)) + len(warm + offline)


@pytest.mark.parametrize("victim", [ServiceName.CASES, ServiceName.VISITS])
def test_a_service_killed_mid_stream_resumes_with_nothing_lost_or_doubled(
    system: System, victim: ServiceName
) -> None:
    bodies: list[dict[str, Any]] = []
    unanswered: list[dict[str, Any]] = []

    def post_many() -> None:
        for _ in range(40):
            body = visit_body(contacts=2)
            try:
                response = system.post_visit(body)
            except Exception:  # noqa: BLE001 - the visits process may be down right now
                unanswered.append(body)  # as a phone would: keep it and retry later
                continue
            assert response.status_code == 201, response.text
            bodies.append(body)

    poster = threading.Thread(target=post_many)
    poster.start()
    wait_until(lambda: len(bodies) >= 10, timeout=30, message="traffic flowing")
    system.kill(victim)
    time.sleep(0.5)
    system.start_service(victim)
    poster.join(60)
    system.wait_ready(victim)
    for body in unanswered:  # the same body again: stored once whether or not it got through
        response = system.post_visit(body)
        assert response.status_code == 201, response.text
        bodies.append(body)
    assert len(bodies) == 40
    wait_for_exactly(system, expected_journeys(bodies), timeout=60)
