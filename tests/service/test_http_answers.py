"""What every answer shares, whatever the route: errors audited and with the security headers,
bodies that are JSON and nothing else, error details that quote nothing sent, and a stale
If-Match that is 412 even when it loses a race."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send
from structlog.testing import capture_logs

from services.cases.application import CasesApplication
from services.cases.commands import (
    AssignCaseworker,
)
from services.cases.main import create_app as create_cases
from services.visits.application import VisitsApplication
from services.visits.main import create_app as create_visits
from shared.http.headers import SecurityHeaders
from shared.security.audit import AuditRecord
from shared.security.roles import Role
from shared.settings import ServiceName
from shared.storage.eventstore import RACE_ATTEMPTS
from tests.service.test_visits_http import visit_body
from tests.support import bearer, make_settings

LEAD = bearer(roles=(Role.OUTREACH, Role.SAFEGUARDING_LEAD), subject="lead-1")


@pytest.fixture
def visits(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(ServiceName.VISITS, tmp_path / "var")
    with TestClient(create_visits(settings), headers=LEAD) as client:
        yield client


@pytest.fixture
def cases(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(ServiceName.CASES, tmp_path / "var")
    with TestClient(create_cases(settings), headers=LEAD) as client:
        yield client


def audit_rows(client: TestClient, **filters: Any) -> list[AuditRecord]:
    audit = client.app.state.runtime.stores.audit  # type: ignore[attr-defined]
    records, _ = audit.query(limit=500, **filters)
    return list(records)


def assert_security_headers(response: Any) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:waymark:problem:{slug}", body
    return body


def register_journey(client: TestClient) -> str:
    journey_id = str(uuid4())
    body = {"journey_id": journey_id, "pseudonym": "R-17", "preferred_languages": ["ro"]}
    response = client.post("/journeys", json={**body, "interpreter_needed": False})
    assert response.status_code == 201, response.text
    return journey_id


# --- item: a 500 is an answer like any other ----------------------------------------------


def test_given_a_route_that_fails_unexpectedly_when_called_then_a_bare_500_is_audited_with_headers(
    visits: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit_id = str(uuid4())

    def broken(self: VisitsApplication, _: UUID) -> Any:
        raise RuntimeError("secret internals: Ana at P-12")

    monkeypatch.setattr(VisitsApplication, "get_visit", broken)
    for _ in range(3):
        with capture_logs() as logs:
            response = visits.get(f"/visits/{visit_id}")
        # Logged by route, never by the path that names her record.
        assert [line for line in logs if line["event"] == "http.unexpected_error"] == [
            {
                "event": "http.unexpected_error",
                "log_level": "error",
                "route": "/visits/{visit_id}",
                "error": "RuntimeError",
            }
        ]
        body = problem(response, 500, "internal")
        # No detail, no trace: only the request id to quote when reporting it.
        assert set(body) == {"type", "title", "status", "request_id"}
        assert body["request_id"] == response.headers["x-request-id"]
        assert "Ana" not in response.text and "RuntimeError" not in response.text
        assert_security_headers(response)
    rows = audit_rows(visits, record_id=visit_id)
    assert [(r.entry.action, r.entry.outcome) for r in rows] == [
        ("GET /visits/{visit_id}", 500)
    ] * 3


def test_given_a_fault_outside_the_routes_when_answered_then_500_logged_by_route_not_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A middleware that fails once the route has answered (its answer not yet sent) reaches
    # Starlette's last-resort handler, outside UnexpectedErrors.
    async def broken(self: SecurityHeaders, scope: Scope, receive: Receive, _: Send) -> None:
        async def held(_: Message) -> None:
            pass

        await self.app(scope, receive, held)
        raise RuntimeError("secret internals")

    monkeypatch.setattr(SecurityHeaders, "http", broken)
    visit_id = str(uuid4())
    settings = make_settings(ServiceName.VISITS, tmp_path / "var")
    app = create_visits(settings)
    with (
        TestClient(app, headers=LEAD, raise_server_exceptions=False) as client,
        capture_logs() as logs,
    ):
        response = client.get(f"/visits/{visit_id}")
    problem(response, 500, "internal")
    assert "secret" not in response.text
    lines = [line for line in logs if line["event"] == "http.unexpected_error"]
    assert lines == [
        {
            "event": "http.unexpected_error",
            "log_level": "error",
            "route": "/visits/{visit_id}",
            "error": "RuntimeError",
        }
    ]


def test_given_the_store_cannot_be_reached_then_503_with_retry_after_and_a_resend_is_recorded_once(
    visits: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = visit_body(completed_at=None, contacts=[])
    app = visits.app.state.runtime.app  # type: ignore[attr-defined]
    recorder = app.recorder

    def unreachable(*_: Any, **__: Any) -> Any:
        # What the event store library raises once its own retries of a lost connection end.
        raise OperationalError("connection to server at 10.0.0.5 failed: Ana")

    monkeypatch.setattr(recorder, "insert_events", unreachable)
    monkeypatch.setattr(recorder, "select_events", unreachable)
    for response in (
        visits.post("/visits", json=body),
        visits.get(f"/visits/{body['visit_id']}"),
    ):
        problem_body = problem(response, 503, "store-unavailable")
        assert response.headers["retry-after"] == "5"
        assert "Ana" not in response.text and "10.0.0.5" not in response.text
        assert problem_body["request_id"] == response.headers["x-request-id"]
        assert_security_headers(response)
    rows = audit_rows(visits, record_id=body["visit_id"])
    assert [(r.entry.action, r.entry.outcome) for r in rows] == [("GET /visits/{visit_id}", 503)]
    monkeypatch.undo()
    # The store is back: the same request again records the visit, once.
    assert visits.post("/visits", json=body).status_code == 201
    assert visits.get(f"/visits/{body['visit_id']}").json()["version"] == 1


def test_given_a_newline_after_a_path_id_when_requested_then_it_is_answered_and_audited_as_invalid(
    cases: TestClient,
) -> None:
    journey_id = register_journey(cases)
    response = cases.get(f"/journeys/{journey_id}%0A")
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert journey_id not in response.text
    assert_security_headers(response)
    rows = audit_rows(cases, action="GET /journeys/{journey_id}")
    assert [(r.entry.record_id, r.entry.outcome) for r in rows] == [
        ("invalid", response.status_code)
    ]


# --- item: an audit entry of a creating request names what it created --------------------


def test_given_a_visit_created_when_audited_then_the_entry_names_the_new_visit(
    visits: TestClient,
) -> None:
    body = visit_body()
    assert visits.post("/visits", json=body).status_code == 201
    (row,) = audit_rows(visits, action="POST /visits")
    assert (row.entry.record_type, row.entry.record_id) == ("visit", body["visit_id"])
    refused = visits.post("/visits", json={**body, "team": "east"})  # a conflict creates nothing
    assert refused.status_code == 409
    rows = audit_rows(visits, action="POST /visits")
    assert [(r.entry.record_id, r.entry.outcome) for r in rows] == [
        (body["visit_id"], 201),
        (None, 409),
    ]


def test_given_a_journey_registered_when_audited_then_the_entry_names_the_new_journey(
    cases: TestClient,
) -> None:
    journey_id = register_journey(cases)
    (row,) = audit_rows(cases, action="POST /journeys")
    assert (row.entry.record_type, row.entry.record_id, row.entry.outcome) == (
        "journey",
        journey_id,
        201,
    )


# --- item: bodies are JSON, one value per key, no NUL -------------------------------------


def test_given_a_text_plain_body_when_posted_then_415_audited_and_nothing_recorded(
    visits: TestClient,
) -> None:

    body = visit_body()
    response = visits.post(
        "/visits", content=json.dumps(body), headers={"Content-Type": "text/plain"}
    )
    problem(response, 415, "unsupported-media-type")
    assert_security_headers(response)
    assert visits.get(f"/visits/{body['visit_id']}").status_code == 404
    assert [r.entry.outcome for r in audit_rows(visits, action="POST /visits")] == [415]


def test_given_a_json_object_with_a_key_twice_when_posted_then_422_and_nothing_recorded(
    cases: TestClient,
) -> None:
    journey_id = str(uuid4())
    raw = (
        f'{{"journey_id": "{journey_id}", "pseudonym": "R-17", "pseudonym": "Ana",'
        ' "preferred_languages": ["ro"], "interpreter_needed": false}'
    )
    response = cases.post("/journeys", content=raw, headers={"Content-Type": "application/json"})
    body = problem(response, 422, "validation")
    assert body["errors"] == [
        {"field": "body", "reason": "an object holds the same key more than once"}
    ]
    assert "Ana" not in response.text and "R-17" not in response.text
    assert cases.get(f"/journeys/{journey_id}").status_code == 404


def test_given_a_duplicate_key_deep_in_a_body_when_posted_then_422(visits: TestClient) -> None:
    body = visit_body()
    contact_id = body["contacts"][0]["contact_id"]
    contact = f'{{"contact_id": "{contact_id}", "alias": "Ana", "alias": "Bea", "language": "ro"}}'
    raw = json.dumps({**body, "contacts": ["CONTACT"]}).replace('"CONTACT"', contact)
    response = visits.post("/visits", content=raw, headers={"Content-Type": "application/json"})
    problem(response, 422, "validation")
    assert "Ana" not in response.text and "Bea" not in response.text
    assert visits.get(f"/visits/{body['visit_id']}").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"premises_label": "P-\u000012"}, "body.premises_label"),
        (
            {"contacts": [{"contact_id": str(uuid4()), "alias": "An\u0000a", "language": "ro"}]},
            "body.contacts.0.alias",
        ),
    ],
)
def test_given_a_nul_character_in_a_text_field_when_posted_then_422_naming_the_field(
    visits: TestClient, changes: dict[str, Any], field: str
) -> None:
    body = visit_body(**changes)
    response = visits.post("/visits", json=body)
    assert problem(response, 422, "validation")["errors"] == [
        {"field": field, "reason": "must not contain a NUL character"}
    ]
    assert "P-" not in response.text and "An" not in response.text
    assert visits.get(f"/visits/{body['visit_id']}").status_code == 404


# --- item: error details quote nothing that was sent -------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    ["zz3e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-4266141740q0", "x" * 40],
)
def test_given_a_malformed_uuid_when_refused_then_the_reason_quotes_none_of_it(
    visits: TestClient, bad_id: str
) -> None:
    response = visits.post("/visits", json=visit_body(visit_id=bad_id))
    errors = problem(response, 422, "validation")["errors"]
    assert errors == [{"field": "body.visit_id", "reason": "must be a UUID"}]
    path = visits.get(f"/visits/{bad_id}")
    assert problem(path, 422, "validation")["errors"] == [
        {"field": "path.visit_id", "reason": "must be a UUID"}
    ]
    for answer in (response, path):
        assert "`" not in answer.text and "found" not in answer.text


def test_given_a_malformed_date_time_when_refused_then_the_reason_is_fixed(
    visits: TestClient,
) -> None:
    response = visits.post("/visits", json=visit_body(started_at="2026-13-01TAna"))
    errors = problem(response, 422, "validation")["errors"]
    assert {"field": "body.started_at", "reason": "must be an ISO 8601 date and time"} in errors
    assert "Ana" not in response.text


def test_given_an_unknown_key_that_is_not_a_field_name_when_refused_then_it_is_not_quoted(
    visits: TestClient,
) -> None:
    response = visits.post("/visits", json={**visit_body(), "Ana Maria": "x"})
    errors = problem(response, 422, "validation")["errors"]
    assert errors == [{"field": "body", "reason": "holds a field this request does not have"}]
    assert "Ana" not in response.text


# --- item: languages are reference-data codes ---------------------------------------------


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"language": "xx"}, "body.contacts.0.language"),
        ({"language": "ro", "other_languages": ["en", "xx"]}, "body.contacts.0.other_languages.1"),
    ],
)
def test_given_a_language_not_in_reference_data_when_a_visit_is_posted_then_422_naming_it(
    visits: TestClient, contact: dict[str, Any], field: str
) -> None:
    body = visit_body(contacts=[{"contact_id": str(uuid4()), "alias": "Ana", **contact}])
    response = visits.post("/visits", json=body)
    errors = problem(response, 422, "validation")["errors"]
    assert [error["field"] for error in errors] == [field]
    assert visits.get(f"/visits/{body['visit_id']}").status_code == 404


def test_given_an_unknown_language_on_a_contact_step_then_422(visits: TestClient) -> None:
    body = visit_body(completed_at=None, contacts=[])
    assert visits.post("/visits", json=body).status_code == 201
    contact = {"contact_id": str(uuid4()), "alias": "Ana", "language": "xx"}
    response = visits.post(
        f"/visits/{body['visit_id']}/contacts",
        json={**contact, "occurred_at": body["started_at"]},
    )
    errors = problem(response, 422, "validation")["errors"]
    assert [error["field"] for error in errors] == ["body.language"]


def test_given_an_unknown_preferred_language_when_a_woman_is_registered_then_422(
    cases: TestClient,
) -> None:
    body = {"journey_id": str(uuid4()), "pseudonym": "R-17", "preferred_languages": ["xx"]}
    response = cases.post("/journeys", json={**body, "interpreter_needed": False})
    errors = problem(response, 422, "validation")["errors"]
    assert [error["field"] for error in errors] == ["body.preferred_languages.0"]


# --- item: a stale If-Match is 412, race or no race ---------------------------------------


def win(app: CasesApplication, journey_id: str, caseworker_id: str = "cw-winner") -> None:
    app.do(
        UUID(journey_id),
        AssignCaseworker(caseworker_id=caseworker_id, occurred_at=datetime.now(UTC)),
        actor="lead-1",
    )


def someone_saves_first(
    monkeypatch: pytest.MonkeyPatch,
    application: type[CasesApplication | VisitsApplication],
    other_writer: Callable[[], None],
    *,
    every_try: bool = False,
) -> None:
    """Another writer saves between this request's read and its write: at its first try only,
    or at every try the application makes."""
    real_save = application.save

    def other_writer_first(self: Any, *objs: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(application, "save", real_save)
        other_writer()
        if every_try:
            monkeypatch.setattr(application, "save", other_writer_first)
        return real_save(self, *objs, **kwargs)

    monkeypatch.setattr(application, "save", other_writer_first)


def test_given_if_match_current_when_read_but_stale_at_save_then_412_not_409(
    cases: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = register_journey(cases)
    app = cases.app.state.runtime.app  # type: ignore[attr-defined]
    version = cases.get(f"/journeys/{journey_id}").json()["version"]
    someone_saves_first(monkeypatch, CasesApplication, lambda: win(app, journey_id))
    response = cases.post(
        f"/journeys/{journey_id}/caseworker",
        json={"caseworker_id": "cw-loser"},
        headers={"If-Match": f'"{version}"'},
    )
    problem(response, 412, "precondition-failed")
    assert cases.get(f"/journeys/{journey_id}").json()["caseworker_id"] == "cw-winner"


def test_given_no_if_match_when_a_save_loses_a_race_then_it_runs_on_the_winners_record(
    cases: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = register_journey(cases)
    app = cases.app.state.runtime.app  # type: ignore[attr-defined]
    someone_saves_first(monkeypatch, CasesApplication, lambda: win(app, journey_id))
    response = cases.post(f"/journeys/{journey_id}/caseworker", json={"caseworker_id": "cw-2"})
    assert response.status_code == 200, response.text
    # As if her request had come a moment after the winner's: both recorded, hers last.
    journey = cases.get(f"/journeys/{journey_id}").json()
    assert journey["caseworker_id"] == "cw-2"
    assert response.headers["etag"] == f'"{journey["version"]}"'
    assigned = [
        e.caseworker_id
        for e in app.repository.event_store.get(UUID(journey_id))
        if type(e).__name__ == "CaseworkerAssigned"
    ]
    assert assigned == ["cw-winner", "cw-2"]


def test_given_no_if_match_when_other_writers_win_every_try_then_409_and_nothing_recorded(
    cases: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = register_journey(cases)
    app = cases.app.state.runtime.app  # type: ignore[attr-defined]
    winners: list[str] = []

    def another_winner() -> None:
        winners.append(f"cw-winner-{len(winners) + 1}")
        win(app, journey_id, winners[-1])

    before = cases.get(f"/journeys/{journey_id}").json()["version"]
    someone_saves_first(monkeypatch, CasesApplication, another_winner, every_try=True)
    response = cases.post(f"/journeys/{journey_id}/caseworker", json={"caseworker_id": "cw-2"})
    monkeypatch.undo()
    problem(response, 409, "concurrent-modification")
    assert len(winners) == RACE_ATTEMPTS
    journey = cases.get(f"/journeys/{journey_id}").json()
    assert journey["caseworker_id"] == winners[-1]
    assert journey["version"] == before + RACE_ATTEMPTS  # the winners' only


@pytest.mark.parametrize(
    ("if_match", "status", "recorded"),
    [(True, 412, ["Bea"]), (False, 200, ["Bea", "Ana"])],
    ids=["if-match-stale-at-save", "no-if-match"],
)
def test_given_a_visit_step_that_loses_a_race_then_412_with_if_match_else_recorded_after(
    visits: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    if_match: bool,
    status: int,
    recorded: list[str],
) -> None:
    body = visit_body(completed_at=None, contacts=[])
    created = visits.post("/visits", json=body)
    assert created.status_code == 201

    def add_contact(alias: str, headers: dict[str, str] | None = None) -> Any:
        contact = {"contact_id": str(uuid4()), "alias": alias, "language": "en"}
        return visits.post(
            f"/visits/{body['visit_id']}/contacts",
            json={**contact, "occurred_at": body["started_at"]},
            headers=headers,
        )

    def another_phone() -> None:
        assert add_contact("Bea").status_code == 200

    someone_saves_first(monkeypatch, VisitsApplication, another_phone)
    response = add_contact("Ana", {"If-Match": created.headers["etag"]} if if_match else None)
    assert response.status_code == status, response.text
    if status == 412:
        problem(response, 412, "precondition-failed")
    aliases = [c["alias"] for c in visits.get(f"/visits/{body['visit_id']}").json()["contacts"]]
    assert aliases == recorded


@pytest.mark.parametrize("raw", [b'{"visit_id": "\xff\xfe"}', b"{not json"])
def test_given_a_body_that_is_not_utf8_json_when_posted_then_422_naming_the_body(
    visits: TestClient, raw: bytes
) -> None:
    response = visits.post("/visits", content=raw, headers={"Content-Type": "application/json"})
    body = problem(response, 422, "validation")
    assert body["errors"] == [{"field": "body", "reason": "must be JSON in UTF-8"}]
    assert_security_headers(response)
