"""The visits HTTP API: status codes, problem+json, idempotent retries — with NATS down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.visits.main import create_app
from shared.settings import ServiceName
from tests.support import make_settings

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # NATS points at a closed port: the service must still start and accept visits.
    settings = make_settings(ServiceName.VISITS, tmp_path / "var", max_body_bytes=4096)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def visit_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "visit_id": str(uuid4()),
        "premises_label": "P-12",
        "team": "west",
        "volunteers": ["v-1"],
        "languages_offered": ["ro", "en"],
        "started_at": T0.isoformat(),
        "completed_at": (T0 + timedelta(hours=1)).isoformat(),
        "contacts": [{"contact_id": str(uuid4()), "alias": "Ana", "language": "ro"}],
    }
    body.update(changes)
    return body


def test_a_completed_visit_is_created_with_its_version_as_etag(client: TestClient) -> None:
    body = visit_body()
    response = client.post("/visits", json=body, headers={"X-Waymark-Actor": "v-1"})
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["visit_id"] == body["visit_id"] and data["version"] == 3
    assert data["recorded_by"] == "v-1" and data["contacts"][0]["alias"] == "Ana"
    assert response.headers["etag"] == '"3"'
    assert response.headers["location"] == f"/visits/{body['visit_id']}"
    fetched = client.get(f"/visits/{body['visit_id']}")
    assert fetched.status_code == 200 and fetched.json() == data


def test_a_retried_post_returns_the_original_and_says_so(client: TestClient) -> None:
    body = visit_body()
    first = client.post("/visits", json=body, headers={"Idempotency-Key": "abc"})
    again = client.post("/visits", json=body, headers={"Idempotency-Key": "abc"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_the_same_visit_id_with_other_content_is_a_409_problem(client: TestClient) -> None:
    body = visit_body()
    client.post("/visits", json=body)
    response = client.post("/visits", json={**body, "team": "east"})
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:waymark:problem:visit-conflict"
    assert client.get(f"/visits/{body['visit_id']}").json()["team"] == "west"


def test_a_reused_idempotency_key_is_a_422_problem(client: TestClient) -> None:
    client.post("/visits", json=visit_body(), headers={"Idempotency-Key": "k"})
    response = client.post("/visits", json=visit_body(), headers={"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert response.json()["type"] == "urn:waymark:problem:idempotency-key-reused"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"visit_id": "nope"}, "body.visit_id"),
        ({"premises_label": ""}, "body.premises_label"),
        ({"languages_offered": ["not a tag!"]}, "body.languages_offered.0"),
        ({"started_at": "2026-11-27T20:00:00"}, "body.started_at"),
        ({"completed_at": "2026-11-27T19:00:00Z"}, "body"),
        ({"completed_at": "2099-01-01T00:00:00Z", "started_at": "2098-01-01T00:00:00Z"}, "body"),
        (
            {"contacts": [{"contact_id": str(uuid4()), "alias": "", "language": "ro"}]},
            "body.contacts.0.alias",
        ),
        (
            {
                "contacts": [
                    {"contact_id": str(uuid4()), "alias": "A", "language": "ro", "notes": "x"}
                ]
            },
            "body.contacts.0.notes",
        ),
        ({"unexpected": 1}, "body.unexpected"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_records_nothing(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    body = visit_body(**changes)
    response = client.post("/visits", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in problem["errors"]]
    assert all(error["reason"] for error in problem["errors"])
    if isinstance(body.get("visit_id"), str) and len(body["visit_id"]) == 36:
        assert client.get(f"/visits/{body['visit_id']}").status_code == 404


def test_duplicate_contact_ids_are_refused(client: TestClient) -> None:
    contact = {"contact_id": str(uuid4()), "alias": "A", "language": "ro"}
    response = client.post("/visits", json=visit_body(contacts=[contact, contact]))
    assert response.status_code == 422


def test_validation_errors_do_not_echo_the_input(client: TestClient) -> None:
    body = visit_body(
        contacts=[{"contact_id": str(uuid4()), "alias": "Maria " * 40, "language": "ro"}]
    )
    response = client.post("/visits", json=body)
    assert response.status_code == 422 and "Maria" not in response.text


def test_a_body_over_the_limit_is_a_413(client: TestClient) -> None:
    response = client.post("/visits", json=visit_body(premises_label="x" * 5000))
    assert response.status_code == 413
    assert response.json()["type"] == "urn:waymark:problem:body-too-large"


def test_malformed_json_and_unknown_visits_get_problems(client: TestClient) -> None:
    broken = client.post("/visits", content=b"{", headers={"content-type": "application/json"})
    assert broken.status_code == 422
    missing = client.get(f"/visits/{uuid4()}")
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:waymark:problem:visit-not-found"
    assert client.get("/visits/not-a-uuid").status_code == 422


def test_health_is_alive_but_not_ready_without_nats(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["nats"] is False and ready.json()["checks"]["store"] is True


def test_the_openapi_document_describes_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/visits", "/visits/{visit_id}", "/healthz", "/readyz"} <= set(spec["paths"])
