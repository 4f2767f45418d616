"""The visits HTTP API: status codes, problem+json, idempotent retries — with NATS down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from services.visits.main import create_app
from services.visits.visit.limits import (
    MAX_CONTACTS,
    MAX_INDICATORS_PER_CONTACT,
    MAX_LANGUAGES,
    MAX_PERSON_INDICATORS,
    MAX_PREMISES_INDICATORS,
    MAX_URGENT_CONCERNS,
    MAX_VOLUNTEERS,
)
from shared.security.roles import Role
from shared.settings import ServiceName
from tests import support
from tests.support import answer_text, bearer, make_settings, wait_until

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
AT = (T0 + timedelta(minutes=30)).isoformat()  # device time of a step on an open visit


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # A safeguarding lead on an outreach shift: every visits route is hers (the role matrix is
    # tested in test_access_by_role.py). NATS points at a closed port: the service must still
    # start and accept visits.
    settings = make_settings(ServiceName.VISITS, tmp_path / "var", max_body_bytes=4096)
    with TestClient(
        create_app(settings),
        headers=bearer(roles=(Role.OUTREACH, Role.SAFEGUARDING_LEAD), subject="v-1"),
    ) as test_client:
        yield test_client


def visit_body(**changes: Any) -> dict[str, Any]:
    return support.visit_body(T0, **changes)


def test_a_completed_visit_is_created_with_its_version_as_etag(client: TestClient) -> None:
    body = visit_body()
    response = client.post("/visits", json=body, headers={})
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
        (
            {"completed_at": "2099-01-01T00:00:00Z", "started_at": "2098-01-01T00:00:00Z"},
            "body.completed_at",
        ),
        ({"premises_label": None}, "body"),  # neither a premises id nor a label
        ({"premises_id": str(uuid4())}, "body"),  # both
        ({"outcome": "Went Well"}, "body.outcome"),
        ({"completed_at": None, "outcome": "conversation"}, "body"),
        (
            {
                "contacts": [
                    {
                        "contact_id": str(uuid4()),
                        "alias": "A",
                        "language": "ro",
                        "materials": ["A!"],
                    }
                ]
            },
            "body.contacts.0.materials.0",
        ),
        (
            {
                "contacts": [
                    {
                        "contact_id": str(uuid4()),
                        "alias": "A",
                        "language": "ro",
                        "indicators": [{"indicator": "escorted", "source": "gossip"}],
                    }
                ]
            },
            "body.contacts.0.indicators.0.source",
        ),
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
        # Who was there is named by ids (the access check and the lists compare them with
        # tokens), never by typed names.
        ({"team": "West team"}, "body.team"),
        ({"team": "w" * 101}, "body.team"),
        ({"volunteers": ["v-1", "Anna Smith"]}, "body.volunteers.1"),
        ({"volunteers": ["v" * 201]}, "body.volunteers.0"),
        (
            {
                "contacts": [
                    {
                        "contact_id": str(uuid4()),
                        "alias": "A",
                        "language": "ro",
                        "bridging_volunteer": "Anna S",
                    }
                ]
            },
            "body.contacts.0.bridging_volunteer",
        ),
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


def assert_refused_and_not_recorded(
    client: TestClient, path: str, body: dict[str, Any], id_field: str, field: str
) -> None:
    """``body`` posted to ``path`` is a 422 naming ``field``, and nothing is kept under its id."""
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert client.get(f"{path}/{body[id_field]}").status_code == 404


def _with_follow_up_due(due_at: str) -> dict[str, Any]:
    contact = {"contact_id": str(uuid4()), "alias": "A", "language": "ro"}
    return {"contacts": [{**contact, "follow_up": {"kind": "coffee", "due_at": due_at}}]}


ELEVEN_YEARS_AHEAD = (datetime.now(UTC) + timedelta(days=11 * 366)).isoformat()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"started_at": "0999-12-31T20:00:00Z"}, "body.started_at"),
        ({"started_at": "0001-01-01T00:00:00+14:00"}, "body.started_at"),
        ({"started_at": "1899-12-31T23:59:59Z"}, "body.started_at"),
        ({"completed_at": "9999-12-31T23:59:59-14:00"}, "body.completed_at"),
        (_with_follow_up_due("9999-12-31T23:59:59-14:00"), "body.contacts.0.follow_up.due_at"),
        (_with_follow_up_due("0999-01-01T10:00:00Z"), "body.contacts.0.follow_up.due_at"),
        (_with_follow_up_due(ELEVEN_YEARS_AHEAD), "body.contacts.0.follow_up.due_at"),
    ],
)
def test_an_implausible_date_is_a_422_naming_the_field_never_echoing_it_and_records_nothing(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    body = visit_body(**changes)
    response = client.post("/visits", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    for fragment in ("0999", "9999", "0001", "+14", "-14", "1899", ELEVEN_YEARS_AHEAD[:4]):
        assert fragment not in answer_text(response)
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


# -- premises -------------------------------------------------------------------------------


def premises_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "premises_id": str(uuid4()),
        "label": "Flat 3, blue door",
        "area": "soho",
        "premises_type": "flat",
        "occurred_at": (T0 - timedelta(days=30)).isoformat(),
    }
    body.update(changes)
    return body


def register(client: TestClient, **changes: Any) -> str:
    body = premises_body(**changes)
    response = client.post("/premises", json=body)
    assert response.status_code == 201, response.text
    return str(body["premises_id"])


def test_a_premises_is_registered_read_and_a_retry_returns_the_original(
    client: TestClient,
) -> None:
    body = premises_body()
    created = client.post("/premises", json=body, headers={})
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"/premises/{body['premises_id']}"
    data = created.json()
    assert (data["label"], data["area"], data["premises_type"], data["recorded_by"]) == (
        "Flat 3, blue door",
        "soho",
        "flat",
        "v-1",
    )
    again = client.post("/premises", json=body)
    assert again.status_code == 201 and again.json() == data
    assert again.headers["idempotent-replayed"] == "true"
    conflict = client.post("/premises", json={**body, "area": "mayfair"})
    assert conflict.status_code == 409
    assert conflict.json()["type"] == "urn:waymark:problem:premises-conflict"
    fetched = client.get(f"/premises/{body['premises_id']}")
    assert fetched.status_code == 200 and fetched.json() == data
    assert fetched.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"area": "narnia"}, "body.area"),
        ({"premises_type": "castle"}, "body.premises_type"),
        ({"area": "Soho!"}, "body.area"),
        ({"label": ""}, "body.label"),
        ({"occurred_at": "2099-01-01T00:00:00Z"}, "body.occurred_at"),
    ],
)
def test_a_premises_with_a_bad_field_or_unknown_code_is_a_422_and_not_recorded(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    assert_refused_and_not_recorded(
        client, "/premises", premises_body(**changes), "premises_id", field
    )


def test_a_label_correction_honours_if_match_and_shows_in_the_events(client: TestClient) -> None:
    premises_id = register(client)
    url = f"/premises/{premises_id}/label-correction"
    corrected = client.post(url, json={"label": "Flat 3, red door"}, headers={"If-Match": '"1"'})
    assert corrected.status_code == 200, corrected.text
    assert corrected.headers["etag"] == '"2"' and corrected.json()["label"] == "Flat 3, red door"
    stale = client.post(url, json={"label": "Flat 4"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["type"] == "urn:waymark:problem:precondition-failed"
    assert client.get(f"/premises/{premises_id}").json()["label"] == "Flat 3, red door"
    retried = client.post(url, json={"label": "Flat 3, red door"}, headers={"If-Match": '"1"'})
    assert retried.status_code == 200 and retried.headers["idempotent-replayed"] == "true"
    events = client.get(f"/premises/{premises_id}/events").json()["items"]
    assert [(e["event"], e["data"]["label"]) for e in events] == [
        ("Premises.Registered", "Flat 3, blue door"),
        ("Premises.LabelCorrected", "Flat 3, red door"),
    ]
    assert client.post(
        f"/premises/{uuid4()}/label-correction", json={"label": "x"}
    ).status_code == (404)
    assert client.get(f"/premises/{uuid4()}/events").status_code == 404


# -- a visit to a registered premises, with everything --------------------------------------


def rich_body(premises_id: str | None = None, **changes: Any) -> dict[str, Any]:
    contact_id = str(uuid4())
    body = visit_body(
        volunteers=["v-1", "v-2"],
        outcome="conversation",
        contacts=[
            {
                "contact_id": contact_id,
                "alias": "Secret-alias-7f3a",
                "language": "ro",
                "other_languages": ["ru"],
                "bridging_volunteer": "v-2",
                "materials": ["contact_card", "gift"],
                "indicators": [{"indicator": "debt_bondage", "source": "disclosed"}],
                "follow_up": {"kind": "coffee", "due_at": (T0 + timedelta(days=3)).isoformat()},
                "occurred_at": (T0 + timedelta(minutes=10)).isoformat(),
            }
        ],
        premises_indicators=[{"indicator": "living_on_site", "source": "observed"}],
        urgent_concerns=[
            {"concern": "possible_minor", "contact_id": contact_id, "details": "Secret-det-9c1e"}
        ],
    )
    if premises_id is not None:
        body.pop("premises_label")
        body["premises_id"] = premises_id
    body.update(changes)
    return body


def test_a_visit_with_everything_is_recorded_and_its_retry_recognised(client: TestClient) -> None:
    premises_id = register(client)
    body = rich_body(premises_id)
    response = client.post("/visits", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert response.headers["etag"] == '"7"' and data["version"] == 7
    assert data["premises_id"] == premises_id and data["premises_label"] is None
    assert data["outcome"] == "conversation"
    contact = data["contacts"][0]
    assert (
        contact["materials"] == ["contact_card", "gift"] and contact["bridging_volunteer"] == "v-2"
    )
    assert [i["indicator"] for i in data["person_indicators"]] == ["debt_bondage"]
    assert [f["kind"] for f in data["follow_ups"]] == ["coffee"]
    assert [c["concern"] for c in data["urgent_concerns"]] == ["possible_minor"]
    assert [i["indicator"] for i in data["premises_indicators"]] == ["living_on_site"]
    again = client.post("/visits", json=body)
    assert again.status_code == 201 and again.json() == data
    assert again.headers["idempotent-replayed"] == "true"


def test_a_visit_to_an_unregistered_premises_id_is_a_422_naming_it(client: TestClient) -> None:
    body = rich_body(str(uuid4()))
    response = client.post("/visits", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.premises_id"]
    assert client.get(f"/visits/{body['visit_id']}").status_code == 404


def _contact(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**body, "contacts": [{**body["contacts"][0], **changes}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: {**b, "languages_offered": ["ro", "ko"]}, "body.languages_offered.1"),
        (lambda b: {**b, "outcome": "went_well"}, "body.outcome"),
        (lambda b: _contact(b, materials=["gift", "cash"]), "body.contacts.0.materials.1"),
        (
            lambda b: _contact(b, indicators=[{"indicator": "rich", "source": "observed"}]),
            "body.contacts.0.indicators.0.indicator",
        ),
        (
            lambda b: _contact(b, follow_up={"kind": "dinner", "due_at": "2026-12-01T18:00:00Z"}),
            "body.contacts.0.follow_up.kind",
        ),
        (
            lambda b: {**b, "premises_indicators": [{"indicator": "nice", "source": "observed"}]},
            "body.premises_indicators.0.indicator",
        ),
        (
            lambda b: {**b, "urgent_concerns": [{"concern": "possible_under_18"}]},
            "body.urgent_concerns.0.concern",
        ),
    ],
)
def test_an_unknown_code_is_a_422_naming_the_field_and_records_nothing(
    client: TestClient, change: Any, field: str
) -> None:
    body = change(rich_body())
    response = client.post("/visits", json=body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert client.get(f"/visits/{body['visit_id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "slug"),
    [
        (lambda b: _contact(b, bridging_volunteer="v-9"), 422, "volunteer-not-on-visit"),
        (
            lambda b: {
                **b,
                "urgent_concerns": [{"concern": "violence", "contact_id": str(uuid4())}],
            },
            422,
            "unknown-contact",
        ),
        (
            lambda b: _contact(b, follow_up={"kind": "coffee", "due_at": "2026-11-01T18:00:00Z"}),
            422,
            "follow-up-due-before-offered",
        ),
        (lambda b: {**b, "outcome": "no_answer"}, 422, "contradictory-outcome"),
        (
            lambda b: _contact(b, occurred_at=(T0 - timedelta(days=1)).isoformat()),
            422,
            "before-visit-started",
        ),
    ],
)
def test_a_broken_rule_is_a_named_problem_and_records_nothing(
    client: TestClient, change: Any, status: int, slug: str
) -> None:
    body = change(rich_body())
    response = client.post("/visits", json=body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["type"] == f"urn:waymark:problem:{slug}"
    assert "Secret" not in response.text
    assert client.get(f"/visits/{body['visit_id']}").status_code == 404


# -- a visit step by step -------------------------------------------------------------------


def open_visit(client: TestClient) -> str:
    body = visit_body(volunteers=["v-1", "v-2"], completed_at=None, contacts=[])
    response = client.post("/visits", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["completed_at"] is None and response.headers["etag"] == '"1"'
    return str(body["visit_id"])


def step(
    client: TestClient, url: str, body: dict[str, Any], version: int | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers: dict[str, str] = {}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    response = client.post(url, json=body, headers=headers)
    return response.status_code, response.json(), dict(response.headers)


def step_body(
    new_ids: tuple[str, ...], fields: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """The body of a step on an open visit: a new id for each of ``new_ids``, ``fields``, and
    the device time ``AT``; ``changes`` set or add fields."""
    return {**{name: str(uuid4()) for name in new_ids}, **fields, "occurred_at": AT, **changes}


def contact_step(**changes: Any) -> dict[str, Any]:
    return step_body(("contact_id",), {"alias": "A", "language": "ro"}, changes)


def premises_indicator_step(**changes: Any) -> dict[str, Any]:
    fields = {"indicator": "living_on_site", "source": "observed"}
    return step_body(("observation_id",), fields, changes)


def person_indicator_step(**changes: Any) -> dict[str, Any]:
    fields = {"indicator": "escorted", "source": "observed"}
    return step_body(("observation_id", "contact_id"), fields, changes)


def follow_up_step(**changes: Any) -> dict[str, Any]:
    fields = {"kind": "coffee", "due_at": "2027-01-01T00:00:00Z"}
    return step_body(("follow_up_id", "contact_id"), fields, changes)


def concern_step(**changes: Any) -> dict[str, Any]:
    return step_body(("concern_id",), {"concern": "violence"}, changes)


def test_a_visit_recorded_step_by_step_with_etags_retries_and_stale_versions(
    client: TestClient,
) -> None:
    premises_id = register(client)
    visit_id = open_visit(client)
    contact_id, concern_id = str(uuid4()), str(uuid4())
    at = (T0 + timedelta(minutes=5)).isoformat()
    steps: list[tuple[str, dict[str, Any]]] = [
        ("contacts", contact_step(contact_id=contact_id, alias="Ana", occurred_at=at)),
        (
            "premises-indicators",
            premises_indicator_step(indicator="controller_present", occurred_at=at),
        ),
        (
            "person-indicators",
            person_indicator_step(
                contact_id=contact_id,
                indicator="withholds_documents",
                source="disclosed",
                occurred_at=at,
            ),
        ),
        (
            "follow-ups",
            follow_up_step(
                contact_id=contact_id,
                due_at=(datetime.now(UTC) + timedelta(days=2)).isoformat(),
                occurred_at=at,
            ),
        ),
        (
            "urgent-concerns",
            concern_step(
                concern_id=concern_id,
                concern="held_against_will",
                contact_id=contact_id,
                occurred_at=at,
            ),
        ),
        ("completion", {"completed_at": (T0 + timedelta(hours=1)).isoformat()}),
        (f"urgent-concerns/{concern_id}/resolution", {}),
        (f"contacts/{contact_id}/alias-correction", {"alias": "Anna"}),
        ("premises-correction", {"premises_id": premises_id}),
        (f"contacts/{contact_id}/person-link", {"person_id": str(uuid4())}),
    ]
    for version, (path, body) in enumerate(steps, start=2):
        url = f"/visits/{visit_id}/{path}"
        status, data, headers = step(client, url, body, version - 1)
        assert status == 200, (path, data)
        assert headers["etag"] == f'"{version}"' and data["version"] == version
        assert "idempotent-replayed" not in headers
        status, again, headers = step(client, url, body, version - 1)  # a retry: same answer
        assert status == 200 and again == data and headers["idempotent-replayed"] == "true"
    visit = client.get(f"/visits/{visit_id}").json()
    assert visit["outcome"] == "brief_contact" and visit["premises_id"] == premises_id
    assert visit["contacts"][0]["alias"] == "Anna" and visit["contacts"][0]["person_id"]
    assert visit["urgent_concerns"][0]["resolved_at"] is not None
    events = [e["event"] for e in client.get(f"/visits/{visit_id}/events").json()["items"]]
    assert "Visit.AliasCorrected" in events and "Visit.PremisesCorrected" in events


def test_a_step_with_a_stale_if_match_is_a_412_and_changes_nothing(client: TestClient) -> None:
    visit_id = open_visit(client)
    contact = contact_step(alias="Ana")
    assert step(client, f"/visits/{visit_id}/contacts", contact, 1)[0] == 200
    concern = concern_step()
    status, problem, _ = step(client, f"/visits/{visit_id}/urgent-concerns", concern, 1)
    assert status == 412 and problem["type"] == "urn:waymark:problem:precondition-failed"
    visit = client.get(f"/visits/{visit_id}")
    assert visit.headers["etag"] == '"2"' and visit.json()["urgent_concerns"] == []
    assert step(client, f"/visits/{visit_id}/urgent-concerns", concern, 2)[0] == 200
    weak = client.post(
        f"/visits/{visit_id}/completion",
        json={"completed_at": AT},
        headers={"If-Match": 'W/"3", "9"'},
    )
    assert weak.status_code == 200 and weak.headers["etag"] == '"4"'


def test_a_step_reusing_an_id_for_other_content_is_a_409_and_changes_nothing(
    client: TestClient,
) -> None:
    visit_id = open_visit(client)
    contact_id, observation_id = str(uuid4()), str(uuid4())
    contact = contact_step(contact_id=contact_id, alias="Secret-Ana")
    assert step(client, f"/visits/{visit_id}/contacts", contact)[0] == 200
    status, problem, _ = step(client, f"/visits/{visit_id}/contacts", {**contact, "alias": "Bea"})
    assert status == 409 and problem["type"] == "urn:waymark:problem:duplicate-contact"
    assert "Secret" not in str(problem) and "Bea" not in str(problem)
    observation = premises_indicator_step(observation_id=observation_id)
    assert step(client, f"/visits/{visit_id}/premises-indicators", observation)[0] == 200
    status, problem, _ = step(
        client, f"/visits/{visit_id}/premises-indicators", {**observation, "source": "third_party"}
    )
    assert status == 409 and problem["type"] == "urn:waymark:problem:duplicate-observation"
    assert client.get(f"/visits/{visit_id}").headers["etag"] == '"3"'


def test_after_completion_contacts_are_refused_but_what_is_remembered_is_recorded(
    client: TestClient,
) -> None:
    body = visit_body(completed_at=(T0 + timedelta(hours=1)).isoformat())
    assert client.post("/visits", json=body).status_code == 201
    visit_id, contact_id = body["visit_id"], body["contacts"][0]["contact_id"]
    late = contact_step(alias="Late")
    status, problem, _ = step(client, f"/visits/{visit_id}/contacts", late)
    assert status == 409 and problem["type"] == "urn:waymark:problem:visit-already-completed"
    completion = {"completed_at": AT, "outcome": "conversation"}
    status, problem, _ = step(client, f"/visits/{visit_id}/completion", completion)
    assert status == 409
    concern = concern_step(concern="possible_minor", contact_id=contact_id)
    status, data, _ = step(client, f"/visits/{visit_id}/urgent-concerns", concern)
    assert status == 200 and data["urgent_concerns"][0]["concern"] == "possible_minor"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("contacts", contact_step()),
        ("premises-indicators", premises_indicator_step()),
        ("person-indicators", person_indicator_step()),
        ("follow-ups", follow_up_step()),
        ("urgent-concerns", concern_step()),
        (f"urgent-concerns/{uuid4()}/resolution", {}),
        ("completion", {"completed_at": AT}),
        (f"contacts/{uuid4()}/alias-correction", {"alias": "A"}),
        ("premises-correction", {"premises_label": "P-13"}),
        (f"contacts/{uuid4()}/person-link", {"person_id": str(uuid4())}),
    ],
)
def test_every_step_on_an_unknown_visit_is_a_404(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    status, problem, _ = step(client, f"/visits/{uuid4()}/{path}", body)
    assert status == 404 and problem["type"] == "urn:waymark:problem:visit-not-found"


def test_unknown_sub_entities_are_named_problems(client: TestClient) -> None:
    visit_id = open_visit(client)
    url = f"/visits/{visit_id}"
    assert (
        step(client, f"{url}/contacts/{uuid4()}/alias-correction", {"alias": "A"})[1]["type"]
        == "urn:waymark:problem:contact-not-found"
    )
    assert (
        step(client, f"{url}/contacts/{uuid4()}/person-link", {"person_id": str(uuid4())})[0] == 404
    )
    status, problem, _ = step(client, f"{url}/urgent-concerns/{uuid4()}/resolution", {})
    assert status == 404 and problem["type"] == "urn:waymark:problem:concern-not-found"
    status, problem, _ = step(client, f"{url}/person-indicators", person_indicator_step())
    assert status == 422 and problem["type"] == "urn:waymark:problem:unknown-contact"
    status, problem, _ = step(client, f"{url}/premises-correction", {"premises_id": str(uuid4())})
    assert status == 422 and problem["errors"][0]["field"] == "body.premises_id"
    assert client.get(url).headers["etag"] == '"1"'


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("premises-indicators", premises_indicator_step(indicator="escorted"), "body.indicator"),
        ("urgent-concerns", concern_step(concern="minor"), "body.concern"),
        ("completion", {"completed_at": AT, "outcome": "fine"}, "body.outcome"),
        ("contacts", contact_step(materials=["cash"]), "body.materials.0"),
        ("urgent-concerns", concern_step(concern_id="x"), "body.concern_id"),
        ("urgent-concerns", concern_step(occurred_at="2099-01-01T00:00Z"), "body.occurred_at"),
        # A new fact needs the device's time: a server time would differ on every retry.
        (
            "urgent-concerns",
            {"concern_id": str(uuid4()), "concern": "violence"},
            "body.occurred_at",
        ),
        (
            "contacts",
            {"contact_id": str(uuid4()), "alias": "A", "language": "ro"},
            "body.occurred_at",
        ),
        ("completion", {}, "body.completed_at"),
        ("completion", {"completed_at": "0001-01-01T00:00:00+14:00"}, "body.completed_at"),
        ("follow-ups", follow_up_step(due_at="9999-12-31T23:59:59-14:00"), "body.due_at"),
        ("premises-correction", {}, "body"),
        ("completion", {"note": "x"}, "body.note"),
    ],
)
def test_a_bad_step_is_a_422_naming_the_field_and_changes_nothing(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    visit_id = open_visit(client)
    status, problem, _ = step(client, f"/visits/{visit_id}/{path}", body)
    assert status == 422, problem
    assert field in [e["field"] for e in problem["errors"]]
    assert client.get(f"/visits/{visit_id}").headers["etag"] == '"1"'


# -- the premises history -------------------------------------------------------------------


def test_the_premises_history_lists_visits_newest_first_by_when_they_happened(
    client: TestClient,
) -> None:
    premises_id = register(client)
    days = [7, 21, 14]
    bodies = []
    for offset in days:  # the 14-day-old visit arrives last, from an offline phone
        start = T0 - timedelta(days=offset)
        body = rich_body(
            premises_id,
            started_at=start.isoformat(),
            completed_at=(start + timedelta(hours=1)).isoformat(),
        )
        body["contacts"][0]["occurred_at"] = start.isoformat()
        assert client.post("/visits", json=body).status_code == 201, body
        bodies.append(body)
    expected = [bodies[0]["visit_id"], bodies[2]["visit_id"], bodies[1]["visit_id"]]

    def listed() -> dict[str, Any] | None:
        page = client.get(f"/premises/{premises_id}/history").json()
        return page if page["total"] == 3 else None

    page = wait_until(listed, message="three visits in the premises history")
    assert [item["visit_id"] for item in page["items"]] == expected
    assert page["last_visit_id"] == bodies[0]["visit_id"] and page["open_concern_count"] == 3
    first = page["items"][0]
    assert (first["outcome"], first["contact_count"]) == ("conversation", 1)
    assert [c["concern"] for c in first["concerns"]] == ["possible_minor"]
    assert "Secret" not in str(page) and "Flat" not in str(page)
    second = client.get(f"/premises/{premises_id}/history", params={"limit": 1, "offset": 1})
    assert [i["visit_id"] for i in second.json()["items"]] == [expected[1]]
    assert (second.json()["limit"], second.json()["offset"], second.json()["total"]) == (1, 1, 3)
    assert client.get(f"/premises/{uuid4()}/history").status_code == 404
    assert client.get(f"/premises/{premises_id}/history", params={"limit": 0}).status_code == 422


# -- personal data --------------------------------------------------------------------------


def test_no_alias_or_concern_details_reach_the_sqlite_files(
    client: TestClient, tmp_path: Path
) -> None:
    body = rich_body()
    assert client.post("/visits", json=body).status_code == 201
    visit_id, contact_id = body["visit_id"], body["contacts"][0]["contact_id"]
    concern = concern_step(details="Secret-vis-4b2d")
    assert step(client, f"/visits/{visit_id}/urgent-concerns", concern)[0] == 200
    url = f"/visits/{visit_id}/contacts/{contact_id}/alias-correction"
    assert step(client, url, {"alias": "Secret-corr-1d2e"})[0] == 200
    visit = client.get(f"/visits/{visit_id}").json()
    assert visit["contacts"][0]["alias"] == "Secret-corr-1d2e"
    files = [p for p in (tmp_path / "var").rglob("*") if p.is_file()]
    assert any(p.name == "events.sqlite" for p in files)
    content = b"".join(p.read_bytes() for p in files)
    for secret in (b"Secret-alias-7f3a", b"Secret-det-9c1e", b"Secret-vis-4b2d", b"Secret-corr"):
        assert secret not in content, secret


def test_the_openapi_document_describes_every_visits_and_premises_route(
    client: TestClient,
) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {
        "/premises",
        "/premises/{premises_id}",
        "/premises/{premises_id}/label-correction",
        "/premises/{premises_id}/history",
        "/premises/{premises_id}/events",
        "/visits/{visit_id}/events",
        "/visits/{visit_id}/contacts",
        "/visits/{visit_id}/premises-indicators",
        "/visits/{visit_id}/person-indicators",
        "/visits/{visit_id}/follow-ups",
        "/visits/{visit_id}/urgent-concerns",
        "/visits/{visit_id}/urgent-concerns/{concern_id}/resolution",
        "/visits/{visit_id}/completion",
        "/visits/{visit_id}/contacts/{contact_id}/alias-correction",
        "/visits/{visit_id}/premises-correction",
        "/visits/{visit_id}/contacts/{contact_id}/person-link",
    } <= paths


def test_nothing_personal_can_be_written_for_a_contact_whose_key_was_erased(
    client: TestClient,
) -> None:
    body = visit_body(completed_at=None)
    assert client.post("/visits", json=body).status_code == 201
    visit_id, contact_id = body["visit_id"], body["contacts"][0]["contact_id"]
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    runtime.stores.keyring.forget(UUID(contact_id))
    visit = client.get(f"/visits/{visit_id}")
    assert visit.json()["contacts"][0]["alias"] == "<erased>"
    url = f"/visits/{visit_id}/contacts/{contact_id}/alias-correction"
    status, problem, _ = step(client, url, {"alias": "Ana again"})
    assert status == 409 and problem["type"] == "urn:waymark:problem:subject-erased"
    concern = concern_step(contact_id=contact_id, details="Secret")
    assert step(client, f"/visits/{visit_id}/urgent-concerns", concern)[0] == 409
    assert client.get(f"/visits/{visit_id}").headers["etag"] == visit.headers["etag"]


def test_every_response_carries_security_headers_and_no_cors(client: TestClient) -> None:
    for response in (
        client.get("/healthz"),
        client.get(f"/visits/{uuid4()}"),  # a problem document too
        client.post("/visits", json={"visit_id": "x"}, headers={"Origin": "https://evil.example"}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/visits",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "script-src" in client.get("/docs").headers["content-security-policy"]


WEST_VISIT_READERS = [
    pytest.param(bearer(Role.CASEWORKER, subject="cw-w", team="west"), id="west caseworker"),
    pytest.param(bearer(Role.OUTREACH, subject="v-7", team="west"), id="west outreach"),
    pytest.param(bearer(Role.OUTREACH, subject="v-1"), id="a volunteer on it, no team"),
    pytest.param(bearer(Role.SAFEGUARDING_LEAD, subject="sg-2", team="east"), id="lead"),
]
NOT_WEST_VISIT_READERS = [
    pytest.param(bearer(Role.CASEWORKER, subject="cw-e", team="east"), id="east caseworker"),
    pytest.param(bearer(Role.OUTREACH, subject="v-9", team="east"), id="east outreach"),
    pytest.param(bearer(Role.CASEWORKER, subject="cw-x"), id="caseworker with no team"),
]


def a_west_visit_with_an_urgent_concern(client: TestClient) -> dict[str, Any]:
    contact_id = str(uuid4())
    body = visit_body(
        contacts=[{"contact_id": contact_id, "alias": "Ana", "language": "ro"}],
        urgent_concerns=[
            {"concern": "held_against_will", "contact_id": contact_id, "details": "Locked in"}
        ],
    )
    assert client.post("/visits", json=body).status_code == 201
    return body


@pytest.mark.parametrize("headers", WEST_VISIT_READERS)
def test_a_visit_opens_to_its_team_its_volunteers_and_the_lead(
    client: TestClient, headers: dict[str, str]
) -> None:
    body = a_west_visit_with_an_urgent_concern(client)
    visit = client.get(f"/visits/{body['visit_id']}", headers=headers)
    assert visit.status_code == 200 and visit.json()["contacts"][0]["alias"] == "Ana"
    assert client.get(f"/visits/{body['visit_id']}/events", headers=headers).status_code == 200


def test_a_volunteer_signed_in_by_a_long_provider_subject_names_herself_and_opens_her_visit(
    client: TestClient,
) -> None:
    # Identity providers write subjects like "auth0|…"; a token may carry one of 200 characters.
    subject = "auth0|" + "6" * 194
    contact_id = str(uuid4())
    body = visit_body(
        team="west-2",
        volunteers=[subject, "v-1"],
        contacts=[
            {
                "contact_id": contact_id,
                "alias": "Ana",
                "language": "ro",
                "bridging_volunteer": subject,
            }
        ],
    )
    assert client.post("/visits", json=body).status_code == 201
    hers = bearer(Role.OUTREACH, subject=subject, team="east")
    visit = client.get(f"/visits/{body['visit_id']}", headers=hers)
    assert visit.status_code == 200, visit.text
    assert visit.json()["volunteers"] == [subject, "v-1"]
    assert visit.json()["contacts"][0]["bridging_volunteer"] == subject


@pytest.mark.parametrize("headers", NOT_WEST_VISIT_READERS)
def test_a_visit_of_another_team_is_refused_without_a_word_of_it(
    client: TestClient, headers: dict[str, str]
) -> None:
    body = a_west_visit_with_an_urgent_concern(client)
    url = f"/visits/{body['visit_id']}"
    for response in (
        client.get(url, headers=headers),
        client.get(f"{url}/events", headers=headers),
    ):
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "urn:waymark:problem:not-your-visit"
        assert "Ana" not in response.text and "Locked" not in response.text


def test_another_team_can_neither_add_to_a_visit_nor_link_its_contacts(
    client: TestClient,
) -> None:
    body = a_west_visit_with_an_urgent_concern(client)
    url = f"/visits/{body['visit_id']}"
    contact_id = body["contacts"][0]["contact_id"]
    before = client.get(url).json()
    linked = client.post(
        f"{url}/contacts/{contact_id}/person-link",
        json={"person_id": str(uuid4())},
        headers=bearer(Role.CASEWORKER, subject="cw-e", team="east"),
    )
    indicator = client.post(
        f"{url}/premises-indicators",
        json={"indicator": "controller_present", "source": "observed", "occurred_at": AT},
        headers=bearer(Role.OUTREACH, subject="v-9", team="east"),
    )
    for response in (linked, indicator):
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "urn:waymark:problem:not-your-visit"
    assert client.get(url).json() == before


# -- what one visit holds -------------------------------------------------------------------


@pytest.fixture
def roomy_client(tmp_path: Path) -> Iterator[TestClient]:
    """With the default body limit (1 MiB), so that a body is refused by its shape, not size."""
    settings = make_settings(ServiceName.VISITS, tmp_path / "var")
    with TestClient(
        create_app(settings),
        headers=bearer(roles=(Role.OUTREACH, Role.SAFEGUARDING_LEAD), subject="v-1"),
    ) as test_client:
        yield test_client


def contacts_with(count: int, indicators_each: int) -> list[dict[str, Any]]:
    indicator = {"indicator": "escorted", "source": "observed"}
    return [
        {
            "contact_id": str(uuid4()),
            "alias": "Ana",
            "language": "ro",
            "indicators": [indicator] * indicators_each,
        }
        for _ in range(count)
    ]


def test_the_551_kB_visit_of_200_contacts_with_50_indicators_each_is_a_422_and_records_nothing(
    roomy_client: TestClient,
) -> None:
    body = visit_body(contacts=contacts_with(200, 50))
    assert len(json.dumps(body)) > 500_000
    response = roomy_client.post("/visits", json=body)
    assert response.status_code == 422, response.text
    fields = {error["field"] for error in response.json()["errors"]}
    assert "body.contacts" in fields
    assert roomy_client.get(f"/visits/{body['visit_id']}").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contacts": contacts_with(MAX_CONTACTS + 1, 0)}, "body.contacts"),
        (
            {"contacts": contacts_with(1, MAX_INDICATORS_PER_CONTACT + 1)},
            "body.contacts.0.indicators",
        ),
        # Each contact within her bound, but more than a visit holds in all.
        ({"contacts": contacts_with(6, 26)}, "body.contacts"),
        ({"languages_offered": ["ro"] * (MAX_LANGUAGES + 1)}, "body.languages_offered"),
        ({"volunteers": ["v-1"] * (MAX_VOLUNTEERS + 1)}, "body.volunteers"),
        (
            {
                "premises_indicators": [{"indicator": "living_on_site", "source": "observed"}]
                * (MAX_PREMISES_INDICATORS + 1)
            },
            "body.premises_indicators",
        ),
        (
            {"urgent_concerns": [{"concern": "possible_minor"}] * (MAX_URGENT_CONCERNS + 1)},
            "body.urgent_concerns",
        ),
    ],
    ids=[
        "contacts",
        "indicators",
        "indicators-in-all",
        "languages",
        "volunteers",
        "premises",
        "concerns",
    ],
)
def test_a_visit_beyond_what_one_holds_is_a_422_naming_the_list(
    roomy_client: TestClient, changes: dict[str, Any], field: str
) -> None:
    assert_refused_and_not_recorded(
        roomy_client, "/visits", visit_body(**changes), "visit_id", field
    )


@pytest.mark.parametrize("field", ["other_languages", "materials"])
def test_a_contact_beyond_what_one_holds_is_a_422_naming_the_list(
    roomy_client: TestClient, field: str
) -> None:
    values = {"other_languages": ["ru"] * (MAX_LANGUAGES + 1), "materials": ["gift"] * 21}
    contact = {"contact_id": str(uuid4()), "alias": "Ana", "language": "ro", field: values[field]}
    response = roomy_client.post("/visits", json=visit_body(contacts=[contact]))
    assert response.status_code == 422
    assert f"body.contacts.0.{field}" in [e["field"] for e in response.json()["errors"]]


def test_the_largest_visit_allowed_is_recorded(roomy_client: TestClient) -> None:
    per_contact = MAX_PERSON_INDICATORS // MAX_CONTACTS
    body = visit_body(contacts=contacts_with(MAX_CONTACTS, per_contact))
    response = roomy_client.post("/visits", json=body)
    assert response.status_code == 201, response.text
    assert len(response.json()["person_indicators"]) == MAX_PERSON_INDICATORS


def test_the_bounds_are_stated_in_the_openapi_document(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    visit = schemas["VisitCreate"]["properties"]
    contact = schemas["ContactCreate"]["properties"]
    assert visit["contacts"]["maxItems"] == MAX_CONTACTS
    assert str(MAX_PERSON_INDICATORS) in visit["contacts"]["description"]
    assert visit["languages_offered"]["maxItems"] == MAX_LANGUAGES
    assert visit["urgent_concerns"]["maxItems"] == MAX_URGENT_CONCERNS
    assert contact["indicators"]["maxItems"] == MAX_INDICATORS_PER_CONTACT
    assert contact["other_languages"]["maxItems"] == MAX_LANGUAGES


def test_a_step_beyond_what_a_visit_holds_is_a_409_and_changes_nothing(
    client: TestClient,
) -> None:
    visit_id = open_visit(client)
    for _ in range(MAX_CONTACTS):
        contact = {"contact_id": str(uuid4()), "alias": "Ana", "language": "ro", "occurred_at": AT}
        assert step(client, f"/visits/{visit_id}/contacts", contact)[0] == 200
    before = client.get(f"/visits/{visit_id}").json()["version"]
    extra = {"contact_id": str(uuid4()), "alias": "Ana", "language": "ro", "occurred_at": AT}
    status, problem, _ = step(client, f"/visits/{visit_id}/contacts", extra)
    assert status == 409 and problem["type"] == "urn:waymark:problem:visit-full"
    assert client.get(f"/visits/{visit_id}").json()["version"] == before
