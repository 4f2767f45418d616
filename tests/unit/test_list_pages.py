"""Keyset pages of the caseload, the due list and the referrals board: walking a list by its
cursors gives every row once, in the order ``offset`` pages give; a bad cursor is a 422."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from services.cases.application import CasesApplication
from services.cases.main import create_app
from shared.http.paging import encode_cursor
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import app_in, bearer, gp_appointment, served
from tests.unit.test_cases_read_models import CW, T0, refer, register
from tests.unit.test_cases_read_models import world as world  # the fixture

LEAD = bearer(Role.SAFEGUARDING_LEAD, subject=CW)


def fill(app: CasesApplication, journeys: int = 13) -> list[UUID]:
    """Journeys with and without something due, with and without contacts, some tied."""
    made = []
    for n in range(journeys):
        journey_id = register(app, CW if n % 3 else "cw-2")
        made.append(journey_id)
        if n % 2:  # every other has an appointment; pairs share a time (a tie)
            app.do(
                journey_id,
                gp_appointment(at=T0 + timedelta(days=n // 4), occurred_at=T0),
                actor=CW,
            )
        if n % 4 == 1:
            refer(app, journey_id, "housing_charity", timedelta(days=1 + n % 5))
            refer(app, journey_id, "local_gp_practice", timedelta(days=10 - n % 7))
    for n, position in zip(range(0, journeys, 3), range(1, journeys), strict=False):
        contact = uuid4()  # a contact from a visit: a journey of its own, with a contact time
        app.record_contact_from_visit(
            contact, uuid4(), "ro", T0 - timedelta(hours=n % 4), Tracking("visits", position)
        )
    return made


def caught_up(client: TestClient) -> None:
    """Every read model of the service applies everything in the log now (a batch the live
    follower applies meanwhile is skipped, not applied twice)."""
    for projection in client.app.state.runtime.parts.projections:  # type: ignore[attr-defined]
        projection.catch_up()


def walk(list_page: Any, limit: int) -> list[Any]:
    """Every row, a page at a time, each page starting after the last row of the one before."""
    rows: list[Any] = []
    key = None
    for _ in range(100):
        page, _ = list_page(limit=limit, after_key=key)
        rows.extend(page)
        if len(page) < limit:
            return rows
        key = page[-1].list_key
    raise AssertionError("the pages never ended")


def test_walking_each_list_by_its_keys_gives_what_offset_gives(world: Any) -> None:
    app, views = world
    fill(app)
    views.catch_up()
    now = T0 + timedelta(days=3)
    lists = {
        "caseload": (views.caseload.list, "journey_id"),
        "mine": (lambda **kw: views.caseload.list(caseworker_id=CW, **kw), "journey_id"),
        "due": (views.due.coming_up, "item_id"),
        "board": (lambda **kw: views.board.board(now, **kw), "referral_id"),
    }
    for name, (list_page, id_field) in lists.items():
        everything, total = list_page(limit=200)
        assert total == len(everything) > 3, name
        for limit in (1, 2, 3, 5):
            walked = walk(list_page, limit)
            assert [getattr(r, id_field) for r in walked] == [
                getattr(r, id_field) for r in everything
            ], (name, limit)


def test_rows_made_before_the_list_order_existed_get_their_place_at_start_up(world: Any) -> None:
    app, views = world
    fill(app)
    views.catch_up()
    before, _ = views.caseload.list(limit=200)
    store = views.caseload.store
    with store.transaction() as cursor:
        cursor.execute(
            f"UPDATE {store.table('caseload')}"
            " SET due_order = NULL, contact_order = NULL, next_due_at = NULL"
        )
    restarted = type(views.caseload)(app, store, views.caseload.positions)
    after, _ = restarted.list(limit=200)
    assert after == before
    assert [e.list_key for e in after] == [e.list_key for e in before]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(create_app, ServiceName.CASES, tmp_path / "var", LEAD) as test_client:
        yield test_client


def test_a_client_follows_next_links_through_the_caseload_and_a_bad_cursor_is_a_422(
    client: TestClient,
) -> None:
    app = app_in(client, CasesApplication)
    fill(app, journeys=7)
    caught_up(client)
    everything = client.get("/journeys", params={"limit": 200}).json()
    assert everything["next_cursor"] is None and everything["next"] is None
    listed = [i["journey_id"] for i in everything["items"]]

    walked: list[str] = []
    page = client.get("/journeys", params={"limit": 3}).json()
    while True:
        walked += [i["journey_id"] for i in page["items"]]
        if page["next"] is None:
            break
        assert "limit=3" in page["next"] and "offset" not in page["next"]
        page = client.get(page["next"]).json()
        assert page["total"] is None  # not counted on a page asked for by cursor
    assert walked == listed
    # offset still works, and combines with a cursor (applied after it)
    second = client.get("/journeys", params={"limit": 3, "offset": 3}).json()
    assert [i["journey_id"] for i in second["items"]] == listed[3:6]

    for bad in (
        "not-a-cursor",
        encode_cursor("due", ("0x", "y")),  # another list's
        encode_cursor("journeys", ("1", "not a number", str(uuid4()))),
        "a" * 401,
        "!!",
    ):
        answer = client.get("/journeys", params={"cursor": bad})
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in answer.json()["errors"]] == ["query.cursor"]
    for path in ("/due", "/referrals"):
        answer = client.get(path, params={"cursor": encode_cursor("journeys", ("1", 2, "x"))})
        assert answer.status_code == 422, path
        assert [e["field"] for e in answer.json()["errors"]] == ["query.cursor"]


def test_a_cursor_holds_no_personal_data_only_times_and_ids(client: TestClient) -> None:
    app = app_in(client, CasesApplication)
    fill(app, journeys=4)
    caught_up(client)
    page = client.get("/journeys", params={"limit": 1}).json()
    cursor = page["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded[0] == "journeys" and decoded[-1] == page["items"][0]["journey_id"]
    assert "R-1" not in json.dumps(decoded)  # the pseudonym every test journey has


def test_the_cursor_and_the_next_page_are_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, page in (("/journeys", "JourneyPage"), ("/due", "DuePage")):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        assert "opaque" in parameters["cursor"]["description"]
        assert {"limit", "offset"} <= set(parameters)
        fields = document["components"]["schemas"][page]["properties"]
        assert {"next_cursor", "next", "total", "offset"} <= set(fields)
        assert "opaque" in fields["next_cursor"]["description"]
    assert "cursor" in {p["name"] for p in document["paths"]["/referrals"]["get"]["parameters"]}
