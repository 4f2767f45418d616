"""The erasure routes: a caseworker (on her journey) or an admin asks, another admin approves;
the pending list; four eyes and an erased journey's refusals as named problems."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from services.cases.application import CasesApplication
from services.cases.main import create_app
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import bearer, served, wait_until

LEAD = bearer(Role.SAFEGUARDING_LEAD, subject="lead-1")
CW = bearer(Role.CASEWORKER, subject="cw-1")
OTHER_CW = bearer(Role.CASEWORKER, subject="cw-9")
ADMIN = bearer(Role.ADMIN, subject="admin-1")
ADMIN_2 = bearer(Role.ADMIN, subject="admin-2")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(create_app, ServiceName.CASES, tmp_path / "var") as test_client:
        yield test_client


def her_journey(client: TestClient) -> str:
    journey_id = str(uuid4())
    body = {
        "journey_id": journey_id,
        "pseudonym": "MKR-http",
        "preferred_languages": ["ro"],
        "interpreter_needed": False,
    }
    assert client.post("/journeys", json=body, headers=LEAD).status_code == 201
    assigned = client.post(
        f"/journeys/{journey_id}/caseworker", json={"caseworker_id": "cw-1"}, headers=LEAD
    )
    assert assigned.status_code == 200, assigned.text
    return journey_id


def her_caseworker_asks(client: TestClient, journey_id: str) -> dict[str, Any]:
    asked = client.post(
        f"/journeys/{journey_id}/erasure-requests", json={"reason": "subject_request"}, headers=CW
    )
    assert asked.status_code == 201, asked.text
    request: dict[str, Any] = asked.json()
    return request


def test_her_caseworker_asks_and_an_admin_approves(client: TestClient) -> None:
    journey_id = her_journey(client)
    asked = her_caseworker_asks(client, journey_id)
    assert asked["state"] == "pending" and asked["requested_by"] == "cw-1"
    pending = wait_until(
        lambda: client.get("/erasure-requests?state=pending", headers=ADMIN).json()["items"],
        message="the pending request listed",
    )
    assert [p["journey_id"] for p in pending] == [journey_id]
    approved = client.post(f"/erasure-requests/{journey_id}/approval", headers=ADMIN)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "erased" and approved.json()["approved_by"] == "admin-1"
    again = client.post(f"/erasure-requests/{journey_id}/approval", headers=ADMIN_2)
    assert again.status_code == 200 and again.json() == approved.json()
    read = client.get(f"/journeys/{journey_id}", headers=LEAD)
    assert read.status_code == 200 and read.json()["status"] == "erased"
    assert read.json()["pseudonym"] is None and "<erased>" not in read.text
    refused = client.post(
        f"/journeys/{journey_id}/pseudonym-correction", json={"pseudonym": "x"}, headers=LEAD
    )
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:waymark:problem:journey-erased"


def test_an_admin_cannot_approve_her_own_request(client: TestClient) -> None:
    journey_id = her_journey(client)
    asked = client.post(
        "/erasure-requests",
        json={"journey_id": journey_id, "reason": "retention_expired"},
        headers=ADMIN,
    )
    assert asked.status_code == 201, asked.text
    own = client.post(f"/erasure-requests/{journey_id}/approval", headers=ADMIN)
    assert own.status_code == 409
    assert own.json()["type"] == "urn:waymark:problem:erasure-needs-second-person"
    none = client.post(f"/erasure-requests/{uuid4()}/approval", headers=ADMIN_2)
    assert none.status_code == 404


def test_who_may_ask_and_approve(client: TestClient) -> None:
    journey_id = her_journey(client)
    path = f"/journeys/{journey_id}/erasure-requests"
    body = {"reason": "subject_request"}
    assert client.post(path, json=body, headers=OTHER_CW).status_code == 403  # not hers
    assert client.post(path, json=body, headers=ADMIN).status_code in (403, 404)
    assert client.post(path, json={"reason": "because"}, headers=CW).status_code == 422
    assert client.post(path, json=body, headers=LEAD).status_code == 201
    approval = f"/erasure-requests/{journey_id}/approval"
    assert client.post(approval, headers=LEAD).status_code in (403, 404)
    assert client.get("/erasure-requests", headers=CW).status_code in (403, 404)


def test_given_her_erasure_commits_while_a_command_is_saved_then_it_is_refused_as_erased(
    tmp_path: Path, database: tuple[str | None, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by tests/service/test_concurrent_casework.py: the command passed the journey's
    # check, then her key was gone when its save sealed her fields, and it answered 500.
    with served(create_app, ServiceName.CASES, tmp_path, database=database) as client:
        journey_id = her_journey(client)
        her_caseworker_asks(client, journey_id)
        real_save = CasesApplication.save

        def erased_first(self: CasesApplication, *objs: Any, **kwargs: Any) -> Any:
            monkeypatch.setattr(CasesApplication, "save", real_save)
            approved = client.post(f"/erasure-requests/{journey_id}/approval", headers=ADMIN)
            assert approved.status_code == 200, approved.text
            return real_save(self, *objs, **kwargs)

        monkeypatch.setattr(CasesApplication, "save", erased_first)
        refused = client.post(
            f"/journeys/{journey_id}/pseudonym-correction",
            json={"pseudonym": "MKR-after-erasure"},
            headers=LEAD,
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"] == "urn:waymark:problem:journey-erased"
        history = client.get(f"/admin/aggregates/{journey_id}/history?personal=true", headers=ADMIN)
        assert history.status_code == 200
        assert "MKR-after-erasure" not in history.text
        assert [e["type"] for e in history.json()["events"]][-1] == "Journey.PersonErased"
