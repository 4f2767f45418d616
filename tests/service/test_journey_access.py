"""A caseworker and the journeys she may open; break-glass; and the audit of every request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.cases.domain import Journey
from services.cases.integration import translator
from services.cases.main import create_app
from shared.contracts.cases import BreakGlassAccessGrantedV1
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import bearer, cases_in, served, wait_until

LEAD = bearer(Role.SAFEGUARDING_LEAD, subject="sg-1")
ANNA = bearer(Role.CASEWORKER, subject="cw-anna", team="west")
BEA = bearer(Role.CASEWORKER, subject="cw-bea", team="west")
CARA = bearer(Role.CASEWORKER, subject="cw-cara", team="east")
AUDITOR = bearer(Role.AUDITOR, subject="au-1")
REASON = "She phoned the night line; her caseworker is on leave"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(create_app, ServiceName.CASES, tmp_path / "var") as test_client:
        yield test_client


def register(client: TestClient, headers: dict[str, str]) -> str:
    journey_id = str(uuid4())
    body = {"journey_id": journey_id, "pseudonym": "R-17", "preferred_languages": ["ro"]}
    response = client.post("/journeys", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return journey_id


def listed(client: TestClient, headers: dict[str, str], path: str = "/journeys") -> set[str]:
    items = client.get(path, headers=headers).json()["items"]
    return {item["journey_id"] for item in items}


def test_a_caseworker_opens_what_she_registered_and_nobody_else_but_the_lead_does(
    client: TestClient,
) -> None:
    journey_id = register(client, ANNA)
    assert client.get(f"/journeys/{journey_id}", headers=ANNA).status_code == 200
    refused = client.get(f"/journeys/{journey_id}", headers=CARA)
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:waymark:problem:not-your-journey"
    assert "R-17" not in refused.text
    step = client.post(f"/journeys/{journey_id}/exit", json={}, headers=CARA)
    assert step.status_code == 403
    assert client.get(f"/journeys/{journey_id}", headers=LEAD).status_code == 200


def test_assigning_her_to_a_team_opens_her_journey_to_that_team_only(client: TestClient) -> None:
    journey_id = register(client, LEAD)
    assert client.get(f"/journeys/{journey_id}", headers=ANNA).status_code == 403
    body = {"caseworker_id": "cw-anna", "team_id": "west"}
    assigned = client.post(f"/journeys/{journey_id}/caseworker", json=body, headers=LEAD)
    assert assigned.status_code == 200, assigned.text
    assert client.get(f"/journeys/{journey_id}/timeline", headers=ANNA).status_code == 200
    assert client.get(f"/journeys/{journey_id}", headers=BEA).status_code == 200  # same team
    assert client.get(f"/journeys/{journey_id}", headers=CARA).status_code == 403


def test_the_lists_show_a_caseworker_only_hers_and_her_teams(client: TestClient) -> None:
    hers = register(client, ANNA)
    teams = register(client, LEAD)
    body = {"caseworker_id": "cw-bea", "team_id": "west"}
    assert client.post(f"/journeys/{teams}/caseworker", json=body, headers=LEAD).status_code == 200
    other = register(client, CARA)
    wait_until(lambda: len(listed(client, LEAD)) == 3, message="the caseload caught up")
    wait_until(
        lambda: (
            listed(client, LEAD)
            and client.get("/journeys?caseworker=cw-bea", headers=LEAD).json()["total"] == 1
        )
    )
    assert listed(client, ANNA) == {hers, teams}
    assert listed(client, CARA) == {other}
    assert listed(client, LEAD) == {hers, teams, other}
    # Asking for someone else's caseload does not widen hers.
    assert listed(client, CARA, "/journeys?caseworker=cw-anna") == set()
    assert client.get("/due", headers=CARA).status_code == 200
    assert client.get("/referrals", headers=CARA).json()["total"] == 0


def test_break_glass_needs_a_reason_opens_the_journey_for_a_while_and_is_audited(
    client: TestClient,
) -> None:
    journey_id = register(client, ANNA)
    short = client.post(f"/journeys/{journey_id}/break-glass", json={"reason": "x"}, headers=CARA)
    assert short.status_code == 422
    granted = client.post(
        f"/journeys/{journey_id}/break-glass", json={"reason": REASON}, headers=CARA
    )
    assert granted.status_code == 201, granted.text
    grant = granted.json()
    expires = datetime.fromisoformat(grant["expires_at"])
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(minutes=60)
    assert client.get(f"/journeys/{journey_id}", headers=CARA).status_code == 200

    journey = cases_in(client).get_journey(UUID(journey_id))
    assert journey.break_glass_grant("cw-cara", expires + timedelta(seconds=1)) is None
    assert journey.break_glass_grant("cw-bea", datetime.now(UTC)) is None  # hers alone

    audit = client.app.state.runtime.stores.audit  # type: ignore[attr-defined]
    records, _ = audit.query(actor="cw-cara", record_id=journey_id)
    seen = [(r.entry.action, r.entry.outcome, r.entry.purpose) for r in records]
    purpose = f"break-glass:{grant['grant_id']}"
    assert ("POST /journeys/{journey_id}/break-glass", 201, purpose) in seen
    assert ("GET /journeys/{journey_id}", 200, purpose) in seen


def test_break_glass_is_published_for_the_lead_without_her_reason(client: TestClient) -> None:
    journey_id = register(client, ANNA)
    client.post(f"/journeys/{journey_id}/break-glass", json={"reason": REASON}, headers=CARA)
    cases = cases_in(client)
    events = [
        e
        for e in cases.repository.event_store.get(UUID(journey_id))
        if isinstance(e, Journey.BreakGlassAccessGranted)
    ]
    (event,) = events
    contract = translator(cases)(event)
    assert isinstance(contract, BreakGlassAccessGrantedV1)
    assert contract.caseworker_id == "cw-cara"
    assert REASON not in contract.model_dump_json()


def test_every_request_refused_or_served_is_in_the_audit_log_for_auditors(
    client: TestClient,
) -> None:
    journey_id = register(client, ANNA)
    client.get(f"/journeys/{journey_id}", headers=CARA)  # refused: still recorded
    page = client.get("/audit", params={"record_id": journey_id}, headers=AUDITOR).json()
    rows = [(i["actor"], i["action"], i["outcome"]) for i in page["items"]]
    assert ("cw-cara", "GET /journeys/{journey_id}", 403) in rows
    everything = client.get("/audit", params={"actor": "cw-anna"}, headers=AUDITOR).json()
    assert [i["action"] for i in everything["items"]] == ["POST /journeys"]
    check = client.get("/audit/verify", headers=AUDITOR).json()
    assert check["intact"] is True and check["checked"] >= 3
    # The auditor's own reads are audited too.
    mine = client.get("/audit", params={"actor": "au-1"}, headers=AUDITOR).json()
    assert mine["total"] >= 2


def test_when_the_audit_log_cannot_be_written_nothing_is_served(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = register(client, LEAD)

    def broken(entries: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(client.app.state.runtime.stores.audit, "append_many", broken)  # type: ignore[attr-defined]
    response = client.get(f"/journeys/{journey_id}", headers=LEAD)
    assert response.status_code == 503
    assert "R-17" not in response.text and journey_id not in response.text
