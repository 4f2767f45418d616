"""What the browser app needs from cases: the intake queue and claiming a journey from it,
finding a journey by a visit's contact id, the timeline as it was known at a moment, and an
erased journey that says so instead of showing marker strings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient

from services.cases.commands import (
    AssignCaseworker,
    NoteConcern,
    Register,
)
from services.cases.domain import Journey
from services.cases.main import create_app
from shared.security.audit import AuditEntry, AuditLog
from shared.security.roles import Role
from shared.settings import ServiceName
from shared.storage.personal_data import ERASED
from shared.storage.sql import to_sql_time
from tests.support import bearer, cases_in, served, wait_until


def _in_a_month() -> str:
    # Within the planned-date horizon, whenever the test runs.
    return (datetime.now(UTC) + timedelta(days=30)).date().isoformat()


NOW = datetime.now(UTC).replace(microsecond=0)
LEAD = bearer(Role.SAFEGUARDING_LEAD, subject="lead-1")
ANNA = bearer(Role.CASEWORKER, subject="cw-anna", team="north")
BEA = bearer(Role.CASEWORKER, subject="cw-bea", team="south")
ADMIN = bearer(Role.ADMIN, subject="admin-1")
_positions = iter(range(1, 1_000_000))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(create_app, ServiceName.CASES, tmp_path / "var") as test_client:
        yield test_client


def met_on_a_visit(
    client: TestClient, *, language: str = "ro", minutes_ago: int = 60, concern: str | None = None
) -> tuple[str, UUID]:
    """A woman met on a visit, as the consumer records her: her journey id and contact id."""
    cases, contact_id, visit_id = cases_in(client), uuid4(), uuid4()
    at = NOW - timedelta(minutes=minutes_ago)
    cases.record_contact_from_visit(
        contact_id, visit_id, language, at, Tracking("visits", next(_positions))
    )
    if concern:
        raised = NoteConcern(
            concern_id=uuid4(),
            concern=concern,
            visit_id=visit_id,
            contact_id=contact_id,
            occurred_at=at,
        )
        cases.note_from_outreach(raised, Tracking("visits", next(_positions)))
    return str(Journey.create_id(contact_id)), contact_id


def audited(client: TestClient, action: str, record_id: str) -> list[AuditEntry]:
    audit = client.app.state.runtime.stores.audit  # type: ignore[attr-defined]
    assert isinstance(audit, AuditLog)
    records, _ = audit.query(action=action, record_id=record_id, limit=100)
    return [record.entry for record in records]


def intake(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/journeys/intake", params=params, headers=headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def queued(client: TestClient, headers: dict[str, str]) -> list[str]:
    return [item["journey_id"] for item in intake(client, headers)["items"]]


def claim(client: TestClient, journey_id: str, headers: dict[str, str], version: int | None):
    extra = {} if version is None else {"If-Match": f'"{version}"'}
    return client.post(f"/journeys/{journey_id}/claim", headers={**headers, **extra})


# --- the intake queue ---------------------------------------------------------------------


def test_given_new_journeys_when_a_caseworker_reads_the_intake_then_oldest_first_codes_only(
    client: TestClient,
) -> None:
    older, _ = met_on_a_visit(client, minutes_ago=90, concern="possible_minor")
    newer, _ = met_on_a_visit(client, language="bg", minutes_ago=30)
    wait_until(lambda: len(queued(client, ANNA)) == 2, message="both journeys in the queue")
    page = intake(client, ANNA)
    assert [item["journey_id"] for item in page["items"]] == [older, newer]
    first = page["items"][0]
    assert first["languages"] == ["ro"] and first["possible_minor"] is True
    assert first["urgent_concerns"] == 1 and first["contact_count"] == 1
    assert first["interpreter_needed"] is False and first["registered"] is False
    assert set(first) == {
        "journey_id",
        "status",
        "registered",
        "opened_at",
        "languages",
        "preferred_languages",
        "interpreter_needed",
        "possible_minor",
        "urgent_concerns",
        "contact_count",
        "last_contact_at",
        "version",
    }
    assert page["total"] == 2
    assert [i["journey_id"] for i in intake(client, ANNA, limit=1, offset=1)["items"]] == [newer]


def test_given_a_journey_id_then_the_queue_answers_whether_she_alone_is_still_waiting(
    client: TestClient,
) -> None:
    waiting, _ = met_on_a_visit(client, minutes_ago=90)
    other, _ = met_on_a_visit(client, minutes_ago=30)
    wait_until(lambda: len(queued(client, ANNA)) == 2, message="both journeys in the queue")
    only = intake(client, ANNA, journey_id=waiting)
    assert [i["journey_id"] for i in only["items"]] == [waiting] and only["total"] == 1
    assert intake(client, ANNA, journey_id=str(uuid4()))["items"] == []
    assert claim(client, other, ANNA, None).status_code == 200
    wait_until(
        lambda: intake(client, BEA, journey_id=other)["items"] == [], message="taken: not waiting"
    )


def test_given_a_journey_she_cannot_open_yet_when_she_claims_it_then_it_is_hers_and_leaves(
    client: TestClient,
) -> None:
    journey_id, _ = met_on_a_visit(client)
    assert client.get(f"/journeys/{journey_id}", headers=ANNA).status_code == 403
    item = wait_until(
        lambda: next((i for i in intake(client, ANNA)["items"]), None), message="queued"
    )
    claimed = claim(client, journey_id, ANNA, item["version"])
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["caseworker_id"] == "cw-anna"
    assert claimed.headers["etag"] == f'"{claimed.json()["version"]}"'
    assert client.get(f"/journeys/{journey_id}", headers=ANNA).status_code == 200
    wait_until(lambda: queued(client, ANNA) == [], message="the claimed journey left the queue")

    # Her timeline is another projection than the queue: wait for the claim on it too.
    def assignment() -> dict[str, Any] | None:
        timeline = client.get(f"/journeys/{journey_id}/timeline", headers=ANNA).json()
        events = timeline.get("items", [])
        return next((e for e in events if e["event"] == "caseworker_assigned"), None)

    assigned = wait_until(assignment, message="her claim on her timeline")
    assert assigned["actor"] == "cw-anna" and assigned["details"]["team_id"] == "north"
    # Her claim is in the audit log under the journey's id.
    entries = audited(client, "POST /journeys/{journey_id}/claim", journey_id)
    assert [(e.actor, e.record_type, e.outcome) for e in entries] == [("cw-anna", "journey", 200)]


def test_given_two_caseworkers_racing_when_both_claim_then_one_wins_and_the_other_is_refused(
    client: TestClient,
) -> None:
    journey_id, _ = met_on_a_visit(client)
    version = wait_until(lambda: intake(client, ANNA)["items"], message="queued")[0]["version"]
    assert claim(client, journey_id, ANNA, version).status_code == 200
    late = claim(client, journey_id, BEA, version)  # read the queue before Anna's claim
    assert late.status_code == 412, late.text
    # Bea asks whether she is still waiting: she is not.
    wait_until(
        lambda: intake(client, BEA, journey_id=journey_id)["items"] == [],
        message="the claimed journey left the queue",
    )
    again = claim(client, journey_id, BEA, None)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:waymark:problem:already-assigned"
    assert "cw-anna" not in again.text
    # Anna claiming again (a retried request) changes nothing.
    retried = claim(client, journey_id, ANNA, None)
    assert retried.status_code == 200 and retried.json()["version"] == version + 1
    journey = client.get(f"/journeys/{journey_id}", headers=LEAD).json()
    assert journey["caseworker_id"] == "cw-anna"


def test_who_may_read_the_queue_and_claim(client: TestClient) -> None:
    journey_id, _ = met_on_a_visit(client)
    assert client.get("/journeys/intake", headers=LEAD).status_code == 200
    for role in (Role.OUTREACH, Role.MANAGER, Role.ADMIN, Role.AUDITOR):
        assert client.get("/journeys/intake", headers=bearer(role)).status_code == 403
    # A lead assigns through /caseworker: claiming is a caseworker taking one for herself.
    assert claim(client, journey_id, LEAD, None).status_code == 403
    unknown = claim(client, str(uuid4()), ANNA, None)
    assert unknown.status_code == 404
    assert claim(client, "not-a-uuid", ANNA, None).status_code == 422


def test_closed_and_assigned_journeys_are_not_in_the_queue(client: TestClient) -> None:
    assigned, _ = met_on_a_visit(client)
    waiting, _ = met_on_a_visit(client)
    lead_assigns = client.post(
        f"/journeys/{assigned}/caseworker", json={"caseworker_id": "cw-bea"}, headers=LEAD
    )
    assert lead_assigns.status_code == 200
    wait_until(lambda: queued(client, ANNA) == [waiting], message="only the waiting one")


# --- finding a journey by a visit's contact ------------------------------------------------


def test_given_contacts_merged_on_link_when_searching_by_either_then_her_journey_is_found(
    client: TestClient,
) -> None:
    cases = cases_in(client)
    person_id = uuid4()
    cases.register_person(
        person_id,
        Register(
            pseudonym="R-9", preferred_languages=["ro"], interpreter_needed=True, occurred_at=NOW
        ),
        actor="cw-anna",
    )
    cases.do(person_id, AssignCaseworker(caseworker_id="cw-anna", occurred_at=NOW), actor="lead-1")
    contact_journey, first_contact = met_on_a_visit(client)
    cases.link_contact_to_person(
        UUID(int=1), first_contact, person_id, NOW, Tracking("visits", next(_positions))
    )

    def found(contact_id: UUID, headers: dict[str, str]) -> list[str]:
        response = client.get("/journeys", params={"contact_id": str(contact_id)}, headers=headers)
        assert response.status_code == 200, response.text
        return [item["journey_id"] for item in response.json()["items"]]

    wait_until(lambda: found(first_contact, ANNA) == [str(person_id)], message="found by contact")
    item = client.get("/journeys", params={"caseworker": "cw-anna"}, headers=ANNA).json()
    assert item["items"][0]["contact_ids"] == [str(first_contact)]
    # Bea cannot find a journey that is not hers; the merged contact journey is not listed.
    assert found(first_contact, BEA) == []
    assert found(uuid4(), LEAD) == []
    assert contact_journey not in found(first_contact, LEAD)


@pytest.mark.parametrize(
    ("path", "params", "field", "reader"),
    [
        pytest.param("/journeys/intake", {"limit": "9999"}, "query.limit", ANNA, id="queue-paging"),
        pytest.param(
            "/journeys/intake",
            {"journey_id": "not-an-id"},
            "query.journey_id",
            ANNA,
            id="queue-by-journey-id",
        ),
        pytest.param(
            "/journeys", {"contact_id": "R-9"}, "query.contact_id", LEAD, id="journey-by-contact-id"
        ),
    ],
)
def test_a_bad_search_is_a_422_naming_the_field_without_echoing_it(
    client: TestClient, path: str, params: dict[str, str], field: str, reader: dict[str, str]
) -> None:
    response = client.get(path, params=params, headers=reader)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    for value in params.values():
        assert value not in response.text


# --- the timeline as it was known ----------------------------------------------------------


def test_given_a_later_fact_when_reading_as_of_before_it_then_it_is_not_there_and_audited(
    client: TestClient,
) -> None:
    journey_id, _ = met_on_a_visit(client)

    def timeline(**params: str) -> dict[str, Any]:
        response = client.get(f"/journeys/{journey_id}/timeline", params=params, headers=LEAD)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    def projected() -> list[dict[str, Any]] | None:
        # 404 until the timeline's read model has caught up with the journey.
        response = client.get(f"/journeys/{journey_id}/timeline", headers=LEAD)
        return response.json()["items"] if response.status_code == 200 else None

    known = wait_until(projected, message="the timeline")
    first_recorded = max(datetime.fromisoformat(e["recorded_at"]) for e in known)
    assert client.post(f"/journeys/{journey_id}/possible-minor", headers=LEAD).status_code == 200
    wait_until(lambda: timeline()["total"] > len(known), message="the later fact")
    then = timeline(as_of=first_recorded.isoformat())
    assert then["items"] == known and "possible_minor_marked" not in str(then)
    assert timeline(as_of=(first_recorded - timedelta(days=1)).isoformat())["items"] == []
    entries = audited(client, "GET /journeys/{journey_id}/timeline", journey_id)
    purposes = [e.purpose for e in entries]
    day_before = to_sql_time(first_recorded - timedelta(days=1))
    assert purposes[0] is None and purposes[-1] == f"as-of:{day_before}"


@pytest.mark.parametrize(
    "as_of",
    ["1899-12-31T23:00:00Z", (NOW + timedelta(days=3)).isoformat(), "2026-01-01T10:00:00", "x"],
)
def test_an_implausible_as_of_is_a_422_naming_the_field_without_echoing_it(
    client: TestClient, as_of: str
) -> None:
    journey_id, _ = met_on_a_visit(client)
    response = client.get(f"/journeys/{journey_id}/timeline", params={"as_of": as_of}, headers=LEAD)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "query.as_of"
    assert as_of not in response.text


def test_as_of_on_an_unknown_journey_is_a_404(client: TestClient) -> None:
    response = client.get(
        f"/journeys/{uuid4()}/timeline", params={"as_of": NOW.isoformat()}, headers=LEAD
    )
    assert response.status_code == 404


# --- an erased journey says so -------------------------------------------------------------


def test_given_an_erased_journey_when_read_then_status_erased_and_personal_fields_null(
    client: TestClient,
) -> None:
    journey_id = str(uuid4())
    body = {"journey_id": journey_id, "pseudonym": "R-erase", "preferred_languages": ["ro"]}
    assert client.post("/journeys", json=body, headers=LEAD).status_code == 201
    version = client.get(f"/journeys/{journey_id}", headers=LEAD).json()["version"]
    plan = {"plan_id": str(uuid4()), "summary": "safe word", "review_on": _in_a_month()}
    assert (
        client.post(
            f"/journeys/{journey_id}/safety-plans",
            json=plan,
            headers={**LEAD, "If-Match": f'"{version}"'},
        ).status_code
        == 200
    )
    asked = client.post(
        f"/journeys/{journey_id}/erasure-requests", json={"reason": "subject_request"}, headers=LEAD
    )
    assert asked.status_code == 201, asked.text
    approved = client.post(f"/erasure-requests/{journey_id}/approval", headers=ADMIN)
    assert approved.status_code == 200, approved.text
    read = client.get(f"/journeys/{journey_id}", headers=LEAD)
    assert read.status_code == 200
    journey = read.json()
    assert journey["status"] == "erased" and journey["erased_at"] is not None
    assert journey["pseudonym"] is None and journey["safety_plan"]["summary"] is None
    assert ERASED not in read.text
    # Her row leaves the caseload: no list shows an erased woman.
    wait_until(
        lambda: (
            journey_id
            not in [i["journey_id"] for i in client.get("/journeys", headers=LEAD).json()["items"]]
        ),
        message="the caseload forgot her",
    )
