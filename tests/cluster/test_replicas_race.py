"""Two replicas of the visits service on one PostgreSQL: racing requests still get one outcome.

Two in-process apps, each with its own stores, pools and in-process caches, as two pods would
have; only the database is shared. Each race starts both requests together at a barrier.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.visits.main import create_app
from shared.security.roles import Role
from tests.cluster.conftest import one_deployment
from tests.service.test_visits_http import register, visit_body
from tests.support import at_once, bearer

pytestmark = pytest.mark.postgres
ROUNDS = 10
MATCH = {"If-Match": '"1"'}


@pytest.fixture
def two_replicas(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> Iterator[tuple[TestClient, TestClient]]:
    headers = bearer(roles=(Role.OUTREACH, Role.SAFEGUARDING_LEAD), subject="v-1")
    settings = one_deployment(tmp_path, database)
    with (
        TestClient(create_app(settings[0]), headers=headers) as a,
        TestClient(create_app(settings[1]), headers=headers) as b,
    ):
        yield a, b


def test_given_one_idempotency_key_when_both_replicas_take_the_post_then_one_visit(
    two_replicas: tuple[TestClient, TestClient],
) -> None:
    a, b = two_replicas
    for round_ in range(ROUNDS):
        body = visit_body()
        key = {"Idempotency-Key": f"phone-retry-{round_}"}
        first, second = at_once(
            lambda body=body, key=key: a.post("/visits", json=body, headers=key),
            lambda body=body, key=key: b.post("/visits", json=body, headers=key),
        )
        assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
        assert first.json() == second.json()
        replayed = [r.headers.get("idempotent-replayed") for r in (first, second)]
        assert replayed.count("true") == 1
        events = a.get(f"/visits/{body['visit_id']}/events").json()["items"]
        assert [e["event"] for e in events].count("Visit.Started") == 1
        assert b.get(f"/visits/{body['visit_id']}/events").json()["items"] == events


def test_given_one_if_match_when_both_replicas_take_a_change_then_one_wins_one_is_412(
    two_replicas: tuple[TestClient, TestClient],
) -> None:
    a, b = two_replicas
    for _ in range(ROUNDS):
        premises_id = register(a)
        url = f"/premises/{premises_id}/label-correction"
        first, second = at_once(
            lambda url=url: a.post(url, json={"label": "Flat 3, red door"}, headers=MATCH),
            lambda url=url: b.post(url, json={"label": "Flat 4, green door"}, headers=MATCH),
        )
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 412], (first.text, second.text)
        winner = first if first.status_code == 200 else second
        assert winner.headers["etag"] == '"2"'
        events = b.get(f"/premises/{premises_id}/events").json()["items"]
        assert len(events) == 2
        assert events[-1]["data"]["label"] == winner.json()["label"]
