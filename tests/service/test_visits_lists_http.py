"""The lists the apps page through: visits newest first (only those the caller may open) and
premises by label (the outreach app's offline copy) — read models, never folded in a route."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.visits.main import create_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.service.test_visits_http import T0, premises_body, rich_body, visit_body
from tests.support import answer_text, bearer, served, wait_until

LEAD = bearer(Role.SAFEGUARDING_LEAD, subject="lead-1")
WEST = bearer(Role.OUTREACH, subject="v-1", team="west")
EAST = bearer(Role.OUTREACH, subject="v-9", team="east")
CASEWORKER_WEST = bearer(Role.CASEWORKER, subject="cw-1", team="west")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(create_app, ServiceName.VISITS, tmp_path / "var") as test_client:
        yield test_client


def page(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def visit_ids(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    return [item["visit_id"] for item in page(client, "/visits", headers, **params)["items"]]


def post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text


# --- visits --------------------------------------------------------------------------------


def test_given_visits_when_listed_then_newest_first_with_counts_and_no_alias(
    client: TestClient,
) -> None:
    premises = premises_body(label="Flat 3, blue door")
    post(client, "/premises", premises, LEAD)
    earlier = visit_body(started_at=(T0 - timedelta(days=1)).isoformat(), completed_at=None)
    later = rich_body(premises["premises_id"])
    post(client, "/visits", earlier, WEST)
    post(client, "/visits", later, WEST)
    # A registered premises' label is joined from the premises directory, a projection apart
    # from the visit list: wait for both, not only for the two visits.
    listed = wait_until(
        lambda: (
            (p := page(client, "/visits", LEAD))["total"] == 2
            and all(i["premises_label"] is not None for i in p["items"])
            and p
        ),
        message="both listed with their premises' labels",
    )
    assert [i["visit_id"] for i in listed["items"]] == [later["visit_id"], earlier["visit_id"]]
    newest, oldest = listed["items"]
    assert newest["premises_id"] == premises["premises_id"]
    assert newest["premises_label"] == "Flat 3, blue door"
    assert newest["team"] == "west" and newest["outcome"] == "conversation"
    assert newest["contact_count"] == 1
    assert newest["urgent_concerns"] == 1 and newest["open_urgent_concerns"] == 1
    assert oldest["premises_id"] is None and oldest["premises_label"] == "P-12"
    assert oldest["completed_at"] is None and oldest["outcome"] is None
    assert "Secret" not in str(listed) and "Ana" not in str(listed)
    assert visit_ids(client, LEAD, limit=1, offset=1) == [earlier["visit_id"]]
    assert visit_ids(client, LEAD, premises_id=premises["premises_id"]) == [later["visit_id"]]
    window = {"from": (T0 - timedelta(hours=1)).isoformat(), "to": T0.isoformat()}
    assert visit_ids(client, LEAD, **window) == []
    window["to"] = (T0 + timedelta(minutes=1)).isoformat()
    assert visit_ids(client, LEAD, **window) == [later["visit_id"]]


def test_a_corrected_label_and_a_resolved_concern_show_in_the_list(client: TestClient) -> None:
    premises = premises_body(label="Flat 3")
    post(client, "/premises", premises, LEAD)
    visit = rich_body(premises["premises_id"])
    post(client, "/visits", visit, WEST)
    concern_id = client.get(f"/visits/{visit['visit_id']}", headers=LEAD).json()["urgent_concerns"][
        0
    ]["concern_id"]
    corrected = client.post(
        f"/premises/{premises['premises_id']}/label-correction",
        json={"label": "Flat 3A", "occurred_at": T0.isoformat()},
        headers=LEAD,
    )
    assert corrected.status_code == 200, corrected.text
    resolved = client.post(
        f"/visits/{visit['visit_id']}/urgent-concerns/{concern_id}/resolution",
        json={"occurred_at": (T0 + timedelta(hours=2)).isoformat()},
        headers=LEAD,
    )
    assert resolved.status_code == 200, resolved.text

    # The corrected label comes from the premises directory, a projection apart from the visit
    # list that shows the resolution: wait for both.
    def shown() -> dict[str, Any] | None:
        items = page(client, "/visits", LEAD)["items"]
        done = items and items[0]["open_urgent_concerns"] == 0
        return items[0] if done and items[0]["premises_label"] == "Flat 3A" else None

    item = wait_until(shown, message="the concern resolved and the label corrected in the list")
    assert item["premises_label"] == "Flat 3A" and item["urgent_concerns"] == 1


def test_each_caller_lists_only_the_visits_she_may_open(client: TestClient) -> None:
    west = visit_body(team="west", volunteers=["v-1"])
    east = visit_body(team="east", volunteers=["v-9"])
    joint = visit_body(team="east", volunteers=["v-9", "v-1"])  # v-1 went with the east team
    post(client, "/visits", west, WEST)
    post(client, "/visits", east, EAST)
    post(client, "/visits", joint, EAST)
    wait_until(lambda: page(client, "/visits", LEAD)["total"] == 3, message="all three listed")
    assert set(visit_ids(client, WEST)) == {west["visit_id"], joint["visit_id"]}
    assert set(visit_ids(client, EAST)) == {east["visit_id"], joint["visit_id"]}
    assert visit_ids(client, CASEWORKER_WEST) == [west["visit_id"]]
    # Asking for another team's visits shows only those she may open anyway.
    assert visit_ids(client, WEST, team="east") == [joint["visit_id"]]
    no_team = bearer(Role.OUTREACH, subject="v-new")
    assert visit_ids(client, no_team) == []
    for role in (Role.MANAGER, Role.ADMIN, Role.AUDITOR):
        assert client.get("/visits", headers=bearer(role)).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "query.limit"),
        ({"limit": "201"}, "query.limit"),
        ({"premises_id": "Flat-3"}, "query.premises_id"),
        ({"team": "west team!"}, "query.team"),
        ({"from": "2026-11-27T20:00:00"}, "query.from"),
        ({"from": "1800-01-01T00:00:00Z"}, "query.from"),
        ({"to": "2999-01-01T00:00:00Z"}, "query.to"),
        ({"from": "2026-11-27T20:00:00Z", "to": "2026-11-26T20:00:00Z"}, "query.to"),
    ],
)
def test_a_bad_visit_query_is_a_422_naming_the_field_without_echoing_it(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/visits", params=params, headers=LEAD)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    for value in params.values():
        assert value not in answer_text(response)


# --- premises ------------------------------------------------------------------------------


def test_premises_are_listed_whole_by_label_and_searched_by_part_of_it(
    client: TestClient,
) -> None:
    labels = ["Flat 3, blue door", "Sauna on the corner", "flat 7 (50%_off sign)"]
    for label in labels:
        post(client, "/premises", premises_body(label=label), WEST)
    everything = wait_until(
        lambda: (p := page(client, "/premises", WEST))["total"] == 3 and p, message="listed"
    )
    assert [i["label"] for i in everything["items"]] == [labels[0], labels[2], labels[1]]
    assert set(everything["items"][0]) == {
        "premises_id",
        "label",
        "area",
        "premises_type",
        "registered_at",
        "version",
    }
    found = page(client, "/premises", CASEWORKER_WEST, label="FLAT")
    assert [i["label"] for i in found["items"]] == [labels[0], labels[2]]
    # % and _ are letters to search for, not wildcards.
    assert [i["label"] for i in page(client, "/premises", LEAD, label="%_")["items"]] == [labels[2]]
    assert page(client, "/premises", LEAD, label="_")["total"] == 1
    assert page(client, "/premises", LEAD, label="nowhere")["items"] == []
    assert page(client, "/premises", LEAD, limit=1000, offset=2)["items"][0]["label"] == labels[1]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"label": ""}, "query.label"),
        ({"label": "x" * 101}, "query.label"),
        ({"limit": "1001"}, "query.limit"),
        ({"offset": "-1"}, "query.offset"),
    ],
)
def test_a_bad_premises_query_is_a_422_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/premises", params=params, headers=LEAD)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    if params.get("label"):
        assert params["label"] not in answer_text(response)


def test_the_lists_are_described_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    visits = paths["/visits"]["get"]["responses"]["200"]["content"]["application/json"]
    premises = paths["/premises"]["get"]["responses"]["200"]["content"]["application/json"]
    assert visits["schema"]["$ref"].endswith("/VisitListPage")
    assert premises["schema"]["$ref"].endswith("/PremisesPage")


# --- keyset pages --------------------------------------------------------------------------


def walk(client: TestClient, path: str, key: str, **params: Any) -> list[str]:
    """Every row, following each page's ``next`` link to the end."""
    body = page(client, path, LEAD, **params)
    seen = [item[key] for item in body["items"]]
    for _ in range(50):
        if body["next"] is None:
            assert body["next_cursor"] is None
            return seen
        assert "offset" not in body["next"]
        response = client.get(body["next"], headers=LEAD)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item[key] for item in body["items"]]
    raise AssertionError("the pages never ended")


def test_walking_the_lists_by_cursor_gives_what_one_page_gives(client: TestClient) -> None:
    labels = ["b", "a", "B", "c", "a"]  # ties on the label: the id decides
    for label in labels:
        post(client, "/premises", premises_body(label=f"Flat {label}"), WEST)
    for n in range(7):  # pairs start at the same moment: the id decides
        started = (T0 - timedelta(hours=n // 2)).isoformat()
        post(client, "/visits", visit_body(started_at=started, completed_at=None), WEST)
    visits = wait_until(
        lambda: (p := page(client, "/visits", LEAD, limit=200))["total"] == 7 and p,
        message="every visit listed",
    )
    premises = wait_until(
        lambda: (p := page(client, "/premises", LEAD, limit=1000))["total"] == 5 and p,
        message="every premises listed",
    )
    every_visit = [i["visit_id"] for i in visits["items"]]
    every_premises = [i["premises_id"] for i in premises["items"]]
    for limit in (1, 2, 3):
        assert walk(client, "/visits", "visit_id", limit=limit) == every_visit
        assert walk(client, "/premises", "premises_id", limit=limit) == every_premises
    assert walk(client, "/premises", "premises_id", limit=1, label="flat a") == [
        i["premises_id"] for i in premises["items"] if i["label"] == "Flat a"
    ]
    first = page(client, "/visits", LEAD, limit=2)
    assert "R-" not in str(first["next_cursor"]) and "P-12" not in str(first["next"])


@pytest.mark.parametrize("path", ["/visits", "/premises"])
@pytest.mark.parametrize("cursor", ["nonsense", "!!", "x" * 401, "WyJqb3VybmV5cyIsIjEiXQ"])
def test_a_bad_cursor_is_a_422_naming_it(client: TestClient, path: str, cursor: str) -> None:
    response = client.get(path, params={"cursor": cursor}, headers=LEAD)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["query.cursor"]
