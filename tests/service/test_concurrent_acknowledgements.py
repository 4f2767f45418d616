"""Urgent concerns taken by several leads at once: each opens the same notifications, marks them
read and acknowledges them (some with the ETag she read, some without) while the inbox is read
and rebuilt.

Every answer must be one a lead is told to expect (never a 5xx); each notification ends
acknowledged exactly once, by one lead, and the inbox agrees with it.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from services.notifications.application import NotificationsApplication
from services.notifications.domain import Notification, Rule
from services.notifications.main import create_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import app_in, at_once, bearer, read_models_caught_up, served

LEADS = 6
STEPS = 25
CONCERNS = 4
INBOX = {"recipient": "role:safeguarding_lead", "limit": 50}
ADMIN = bearer(roles=(Role.SAFEGUARDING_LEAD, Role.ADMIN), subject="admin-1")


def lead(client: TestClient, concerns: list[str], seed: int, answers: Counter[str]) -> None:
    rnd = random.Random(seed)
    me = bearer(Role.SAFEGUARDING_LEAD, subject=f"sg-{seed}")
    for _ in range(STEPS):
        concern = rnd.choice(concerns)
        roll = rnd.random()
        if roll < 0.6:
            headers = dict(me)
            if rnd.random() < 0.5:  # as the page does: the ETag of what she opened
                headers["If-Match"] = client.get(f"/notifications/{concern}", headers=me).headers[
                    "ETag"
                ]
            action = rnd.choice(["read", "acknowledgement"])
            answer = client.post(f"/notifications/{concern}/{action}", headers=headers)
            answers[f"{action} {answer.status_code}"] += 1
        elif roll < 0.95:
            answer = client.get("/inbox", params=INBOX, headers=me)
            answers[f"inbox {answer.status_code}"] += 1
        else:
            answer = client.post("/admin/projections/inbox/rebuild", headers=ADMIN)
            answers[f"rebuild {answer.status_code}"] += 1


def test_given_leads_acknowledging_the_same_concerns_at_once_then_each_is_acknowledged_once(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> None:
    with served(
        create_app, ServiceName.NOTIFICATIONS, tmp_path, ADMIN, database=database
    ) as client:
        app = app_in(client, NotificationsApplication)
        concerns = []
        for position in range(1, CONCERNS + 1):
            source = f"visits:{position}"
            app.raise_urgent_concern(
                uuid4(), source, datetime.now(UTC), Tracking("visits", position)
            )
            concerns.append(str(Notification.create_id(Rule.URGENT_CONCERN.value, source)))
        answers: Counter[str] = Counter()
        at_once(*(partial(lead, client, concerns, seed, answers) for seed in range(LEADS)))
        # Done, or told her ETag was stale (412) or that another lead saved it first (409).
        allowed = {
            *(
                f"{action} {status}"
                for action in ("read", "acknowledgement")
                for status in (200, 409, 412)
            ),
            "inbox 200",
            "rebuild 202",
            "rebuild 409",
        }
        assert set(answers) <= allowed, answers
        assert answers["acknowledgement 200"] > 0, answers

        read_models_caught_up(client)
        listed = {
            item["notification_id"]: item
            for item in client.get("/inbox", params=INBOX).json()["items"]
        }
        for concern in concerns:
            notification = client.get(f"/notifications/{concern}").json()
            steps = [step["event"] for step in notification["history"]]
            if "Acknowledged" in steps:
                assert steps.count("Acknowledged") == 1, steps
                assert notification["acknowledged_by"].startswith("sg-")
            assert listed[concern]["state"] == notification["state"]
