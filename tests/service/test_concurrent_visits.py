"""A visit written from several phones at once: volunteers adding contacts to the same open
visits, phones sending a step again that already landed, one ending the visit, while others
read the lists and an admin rebuilds them.

Every answer must be one a phone is told to expect (never a 5xx); each contact that was
answered 200 is on its visit exactly once, and none that was refused is; once the read models
catch up, the visit list agrees with each visit.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from services.visits.main import create_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import at_once, bearer, read_models_caught_up, served, visit_body

PHONES = 8
STEPS = 30
VISITS = 3
TEAM = bearer(roles=(Role.OUTREACH, Role.ADMIN), subject="v-1", team="west")
STARTED = datetime.now(UTC) - timedelta(hours=1)


class Sent:
    """What the phones were told, shared between them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: Counter[tuple[str, int]] = Counter()
        #: Per visit, the contact steps answered 200 (by contact id): the body each was sent with.
        self.recorded: dict[str, dict[str, dict[str, Any]]] = {}
        self.refused: set[str] = set()

    def note(self, kind: str, status: int) -> None:
        with self.lock:
            self.answers[(kind, status)] += 1


def a_contact(rnd: random.Random) -> dict[str, Any]:
    return {
        "contact_id": str(uuid4()),
        "alias": rnd.choice(["Ana", "Bea", "Cora"]),
        "language": rnd.choice(["ro", "en", "bg"]),
        "occurred_at": (STARTED + timedelta(minutes=rnd.randint(1, 50))).isoformat(),
    }


def phone(client: TestClient, visits: list[str], seed: int, sent: Sent) -> None:
    rnd = random.Random(seed)
    for step in range(STEPS):
        visit = rnd.choice(visits)
        roll = rnd.random()
        if roll < 0.55:
            with sent.lock:
                landed = list(sent.recorded[visit].values())
            # A phone that lost the answer sends the same step again.
            again = landed and rnd.random() < 0.3
            contact = rnd.choice(landed) if again else a_contact(rnd)
            headers = {}
            if rnd.random() < 0.3:
                headers["If-Match"] = client.get(f"/visits/{visit}").headers["etag"]
            answer = client.post(f"/visits/{visit}/contacts", json=contact, headers=headers)
            sent.note("contact", answer.status_code)
            with sent.lock:
                if answer.status_code == 200:
                    sent.recorded[visit][contact["contact_id"]] = contact
                elif not again:
                    sent.refused.add(contact["contact_id"])
        elif roll < 0.6 and step > STEPS * 0.8:  # late: an ended visit takes no contacts
            ended = (STARTED + timedelta(minutes=55)).isoformat()
            answer = client.post(f"/visits/{visit}/completion", json={"completed_at": ended})
            sent.note("completion", answer.status_code)
        elif roll < 0.95:
            read = rnd.choice([f"/visits/{visit}", f"/visits/{visit}/events", "/visits"])
            sent.note("read", client.get(read).status_code)
        else:
            name = rnd.choice(["visit_list", "subject_contacts"])
            sent.note("rebuild", client.post(f"/admin/projections/{name}/rebuild").status_code)


def test_given_phones_writing_the_same_visits_then_every_contact_that_landed_is_there_once(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> None:
    with served(create_app, ServiceName.VISITS, tmp_path, TEAM, database=database) as client:
        sent = Sent()
        visits = []
        for _ in range(VISITS):
            body = visit_body(at=STARTED, completed_at=None, contacts=[])
            assert client.post("/visits", json=body).status_code == 201
            visits.append(body["visit_id"])
            sent.recorded[body["visit_id"]] = {}
        at_once(*(partial(phone, client, visits, seed, sent) for seed in range(PHONES)))

        expected = {
            ("contact", 200),
            ("contact", 409),  # the visit was ended meanwhile
            ("contact", 412),  # her If-Match was stale
            ("completion", 200),
            ("completion", 409),
            ("read", 200),
            ("rebuild", 202),
            ("rebuild", 409),  # one already running
        }
        assert set(sent.answers) <= expected, sent.answers
        assert sent.answers[("contact", 200)] > 0, sent.answers

        read_models_caught_up(client)
        listed = {row["visit_id"]: row for row in client.get("/visits").json()["items"]}
        for visit in visits:
            detail = client.get(f"/visits/{visit}").json()
            on_it = [contact["contact_id"] for contact in detail["contacts"]]
            assert sorted(on_it) == sorted(sent.recorded[visit])
            assert not sent.refused & set(on_it)
            events = client.get(f"/visits/{visit}/events").json()["items"]
            assert len(events) == detail["version"]
            row = listed[visit]
            assert (row["contact_count"], row["completed_at"]) == (
                len(on_it),
                detail["completed_at"],
            )
