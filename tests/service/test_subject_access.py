"""Subject access (UK GDPR Art. 15): each service exports what it holds about one woman — her
data readable, other women's not — to admins only, audited; the CLI writes JSON and HTML."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import jsonschema
import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from services.cases.application import CasesApplication
from services.cases.commands import (
    AssessNeeds,
    Register,
)
from services.cases.domain import Journey
from services.cases.errors import JourneyErased
from services.cases.main import create_app as create_cases
from services.notifications.application import NotificationsApplication
from services.notifications.main import create_app as create_notifications
from services.visits.application import VisitsApplication
from services.visits.main import create_app as create_visits
from shared.admin import subject_access_document
from shared.contracts.identity import journey_id_for_contact
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.service.test_visits_http import visit_body
from tests.support import (
    app_in,
    bearer,
    erase_her,
    make_settings,
    register_journey,
    wait_until,
)
from waymark.cli import cli

T0 = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
ADMIN = bearer(Role.ADMIN, subject="dpo-1")
SETUP = bearer(
    roles=(Role.OUTREACH, Role.CASEWORKER, Role.SAFEGUARDING_LEAD, Role.ADMIN), subject="v-1"
)
HER_ALIAS, OTHER_ALIAS = "Mara-Hers-71", "Olga-Other-42"
HER_DETAILS, OTHER_DETAILS, VISIT_DETAILS = "Bruise-Hers-9", "Other-Details-3", "Visit-Level-5"
SECOND_ALIAS = "Mara-Second-72"
PSEUDONYM, NOTES = "Pseudo-Marker-7f3a", "Needs-Notes-Marker-2b"
NON_ADMIN = [role for role in Role if role is not Role.ADMIN]


@pytest.fixture
def system(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> Iterator[dict[str, TestClient]]:
    url, prefix = database
    clients: dict[str, TestClient] = {}
    factories = {
        ServiceName.VISITS: create_visits,
        ServiceName.CASES: create_cases,
        ServiceName.NOTIFICATIONS: create_notifications,
    }
    entered = []
    try:
        for service, create in factories.items():
            settings = make_settings(
                service, tmp_path / "var", database_url=url, schema_prefix=prefix
            )
            client = TestClient(create(settings), headers=SETUP)
            client.__enter__()
            entered.append(client)
            clients[service.value] = client
        yield clients
    finally:
        for client in reversed(entered):
            client.__exit__(None, None, None)


SCHEMA = json.loads((Path(__file__).parents[2] / "docs/subject-access.schema.json").read_text())


def in_the_documented_format(
    export: dict[str, Any], service: str, journey_id: UUID | None
) -> dict[str, Any]:
    jsonschema.validate(export, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert export["service"] == service
    if journey_id is not None:
        assert export["subject"]["journey_id"] == str(journey_id)
    return export


@pytest.fixture
def cases(system: dict[str, TestClient]) -> CasesApplication:
    return app_in(system["cases"], CasesApplication)


def her_visit(visits: TestClient, her: UUID, other: UUID) -> str:
    """A visit where she and another woman were met, each with indicators and a concern."""
    visit_id = str(uuid4())
    body = visit_body(
        visit_id=visit_id,
        started_at=T0.isoformat(),
        completed_at=(T0 + timedelta(hours=1)).isoformat(),
        contacts=[
            {
                "contact_id": str(her),
                "alias": HER_ALIAS,
                "language": "ro",
                "indicators": [{"indicator": "debt_bondage", "source": "disclosed"}],
                "follow_up": {"kind": "coffee", "due_at": (T0 + timedelta(days=3)).isoformat()},
            },
            {
                "contact_id": str(other),
                "alias": OTHER_ALIAS,
                "language": "bg",
                "indicators": [{"indicator": "physical_threats", "source": "observed"}],
            },
        ],
        urgent_concerns=[
            {"concern": "violence", "contact_id": str(her), "details": HER_DETAILS},
            {"concern": "medical_emergency", "contact_id": str(other), "details": OTHER_DETAILS},
            {"concern": "held_against_will", "details": VISIT_DETAILS},
        ],
    )
    response = visits.post("/visits", json=body)
    assert response.status_code == 201, response.text
    return visit_id


def linked_visit(visits: TestClient, contact: UUID, person_id: UUID) -> str:
    """A later visit where she gave another alias and was linked to her journey."""
    visit_id = str(uuid4())
    body = {
        "visit_id": visit_id,
        "premises_label": "P-40",
        "team": "west",
        "volunteers": ["v-1"],
        "started_at": (T0 + timedelta(days=7)).isoformat(),
        "completed_at": (T0 + timedelta(days=7, hours=1)).isoformat(),
        "contacts": [
            {
                "contact_id": str(contact),
                "alias": SECOND_ALIAS,
                "language": "ro",
                "linked_person_id": str(person_id),
            }
        ],
    }
    response = visits.post("/visits", json=body)
    assert response.status_code == 201, response.text
    return visit_id


def test_visits_derives_the_journey_id_that_cases_opens_for_a_contact() -> None:
    for _ in range(20):
        contact = uuid4()
        assert journey_id_for_contact(contact) == Journey.create_id(contact)


def test_given_two_women_on_one_visit_when_hers_is_exported_then_only_her_facts_are_in_it(
    system: dict[str, TestClient],
) -> None:
    visits = system["visits"]
    her, other, later = uuid4(), uuid4(), uuid4()
    journey_id = journey_id_for_contact(her)
    first = her_visit(visits, her, other)
    second = linked_visit(visits, later, journey_id)

    response = visits.get(f"/subject-access/{journey_id}", headers=ADMIN)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    export = in_the_documented_format(response.json(), "visits", journey_id)
    assert export["erased"] is False
    assert set(export["subject"]["contact_ids"]) == {str(her), str(later)}
    briefs = [r for r in export["records"] if r["type"] == "Visit (in brief)"]
    assert [r["record_id"] for r in briefs] == [first, second]
    text = json.dumps(export)
    for hers in (HER_ALIAS, HER_DETAILS, SECOND_ALIAS, "debt_bondage", "coffee"):
        assert hers in text
    for not_hers in (OTHER_ALIAS, OTHER_DETAILS, VISIT_DETAILS, str(other), "physical_threats"):
        assert not_hers not in text
    assert briefs[0]["fields"]["premises_label"] == "P-12"
    assert briefs[0]["fields"]["outcome"] == "brief_contact"
    made = next(r for r in export["records"] if r["type"] == "Visit.ContactMade")
    assert made["occurred_at"] and made["recorded_at"] and made["recorded_by"] == "v-1"
    assert made["about"] == "visit" and made["fields"]["alias"] == HER_ALIAS


def test_given_no_contact_of_hers_when_visits_exports_then_it_is_empty_not_an_error(
    system: dict[str, TestClient],
) -> None:
    response = system["visits"].get(f"/subject-access/{uuid4()}", headers=ADMIN)
    assert response.status_code == 200
    export = in_the_documented_format(response.json(), "visits", None)
    assert export["records"] == [] and export["erased"] is False


@pytest.fixture
def registered_journey(cases: CasesApplication) -> UUID:
    """Her journey in cases: registered, her needs assessed with notes."""
    journey_id = register_journey(cases, PSEUDONYM, T0)
    cases.do(
        journey_id,
        AssessNeeds(needs=["housing"], notes=NOTES, occurred_at=T0 + timedelta(hours=1)),
        actor="cw-1",
    )
    return journey_id


def test_given_her_journey_when_cases_exports_it_then_her_data_is_readable_and_it_is_recorded(
    system: dict[str, TestClient],
    cases: CasesApplication,
    registered_journey: UUID,
) -> None:
    cases_client = system["cases"]
    contact, visit = uuid4(), uuid4()
    cases.record_contact_from_visit(contact, visit, "ro", T0, Tracking("visits", 1))
    cases.link_contact_to_person(visit, contact, registered_journey, T0, Tracking("visits", 2))

    response = cases_client.get(f"/subject-access/{registered_journey}", headers=ADMIN)

    assert response.status_code == 200, response.text
    export = in_the_documented_format(response.json(), "cases", registered_journey)
    records = export["records"]
    now = next(r for r in records if r["type"] == "Journey (as it is now)")
    assert now["fields"]["pseudonym"] == PSEUDONYM and now["fields"]["needs_notes"] == NOTES
    mine = [r for r in records if r["about"] == "journey" and r["type"].startswith("Journey.")]
    assert [r["type"] for r in mine][:2] == [
        "Journey.OpenedAtRegistration",
        "Journey.PersonRegistered",
    ]
    assert all(r["recorded_at"] and r["occurred_at"] for r in mine)
    merged = [r for r in records if r["about"] == "merged journey"]
    assert {r["record_id"] for r in merged} == {str(Journey.create_id(contact))}
    assert "Journey.MergedInto" in [r["type"] for r in merged]
    rows = {r["type"] for r in records if r["about"] == "read model"}
    assert rows >= {"caseload row", "journey_timeline row"}
    assert "UUID(" not in response.text  # no Python reprs, not even as keys
    # Her timeline now says an export was made, with no personal data in the event.


def test_given_she_was_erased_when_exported_then_cases_answers_410_and_writes_nothing(
    system: dict[str, TestClient],
    cases: CasesApplication,
    registered_journey: UUID,
) -> None:
    cases_client = system["cases"]
    timeline = f"/journeys/{registered_journey}/timeline"
    # Projected before she is erased: a 404 that only means "not projected yet" would let the
    # rows appear after the wait below.
    wait_until(lambda: cases_client.get(timeline).status_code == 200, message="timeline")
    erase_her(cases, registered_journey, T0, T0 + timedelta(hours=2), approved_by="dpo-2")
    wait_until(lambda: cases_client.get(timeline).status_code == 404, message="timeline gone")
    stored = len(list(cases.repository.event_store.get(registered_journey)))

    response = cases_client.get(f"/subject-access/{registered_journey}", headers=ADMIN)

    assert response.status_code == 410, response.text
    assert response.json()["type"] == "urn:waymark:problem:subject-erased"
    assert len(list(cases.repository.event_store.get(registered_journey))) == stored
    assert cases_client.get(timeline).status_code == 404
    with pytest.raises(JourneyErased):  # nor can anything else record an export on her
        cases.get_journey(registered_journey).record_subject_access(uuid4(), T0, "dpo-1")


def test_given_she_was_erased_when_visits_exports_then_it_says_so_and_shows_nothing_of_her(
    system: dict[str, TestClient],
) -> None:
    her = uuid4()
    journey_id = journey_id_for_contact(her)
    her_visit(system["visits"], her, uuid4())
    app_in(system["visits"], VisitsApplication).erase_contacts(
        journey_id, [her], Tracking("cases", 9)
    )

    response = system["visits"].get(f"/subject-access/{journey_id}", headers=ADMIN)

    assert response.status_code == 200, response.text
    export = in_the_documented_format(response.json(), "visits", journey_id)
    assert export["erased"] is True and export["subject"]["contact_ids"] == [str(her)]
    assert [r["about"] for r in export["records"]] == ["erasure"]
    assert HER_ALIAS not in response.text and HER_DETAILS not in response.text


def test_given_no_such_journey_when_cases_exports_then_404(system: dict[str, TestClient]) -> None:
    response = system["cases"].get(f"/subject-access/{uuid4()}", headers=ADMIN)
    assert response.status_code == 404


def test_given_notifications_about_her_when_exported_then_staff_are_redacted_to_roles(
    system: dict[str, TestClient],
) -> None:
    notifications = app_in(system["notifications"], NotificationsApplication)
    journey_id, someone_else = uuid4(), uuid4()
    notifications.note_journey_opened(journey_id, "cases:1", Tracking("cases", 1))
    notifications.assign_caseworker(journey_id, "cw-secret-9", "cases:2", Tracking("cases", 2))
    notifications.note_journey_opened(someone_else, "cases:3", Tracking("cases", 3))

    response = system["notifications"].get(f"/subject-access/{journey_id}", headers=ADMIN)

    assert response.status_code == 200, response.text
    export = in_the_documented_format(response.json(), "notifications", journey_id)
    notes = [r["fields"] for r in export["records"] if r["type"] == "Notification"]
    found = {(n["rule"], n["recipient"]) for n in notes}
    assert found == {("journey_opened", "caseworker"), ("caseworker_assigned", "staff member")}
    assert all(n["link"] == f"/journeys/{journey_id}" for n in notes)
    journey = next(r for r in export["records"] if r["type"].startswith("Journey (as"))
    assert journey["fields"]["caseworker_assigned"] is True and export["erased"] is False
    text = response.text
    assert "cw-secret-9" not in text and str(someone_else) not in text


@pytest.mark.parametrize("service", ["visits", "cases", "notifications"])
def test_only_an_admin_may_export_and_every_request_is_audited(
    system: dict[str, TestClient], service: str
) -> None:
    client = system[service]
    journey_id = str(uuid4())
    for role in NON_ADMIN:
        answer = client.get(f"/subject-access/{journey_id}", headers=bearer(role, subject="x-1"))
        assert answer.status_code == 403, (role, answer.status_code)
    assert (
        client.get(f"/subject-access/{journey_id}", headers={"Authorization": ""}).status_code
        == 401
    )

    client.get(f"/subject-access/{journey_id}", headers=ADMIN)

    audit = client.app.state.runtime.stores.audit  # type: ignore[attr-defined]
    records, _ = audit.query(record_id=journey_id)
    entries = [r.entry for r in records]
    assert len(entries) == len(NON_ADMIN) + 1
    admin = [e for e in entries if e.actor == "dpo-1"]
    assert len(admin) == 1 and admin[0].purpose == "subject-access"
    assert admin[0].record_type == "journey"
    assert admin[0].action == "GET /subject-access/{journey_id}"
    assert {e.outcome for e in entries if e.actor != "dpo-1"} == {403}


def serve_through(system: dict[str, TestClient], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The CLI's HTTP clients go to the in-process services instead of the network."""
    urls = {name: f"http://{name}.test" for name in system}

    def client_for(base_url: str, token: str) -> httpx.Client:
        service = next(name for name, url in urls.items() if url == base_url)
        return httpx.Client(
            base_url="http://testserver",
            transport=system[service]._transport,
            headers={"Authorization": f"Bearer {token}"},
        )

    monkeypatch.setattr(subject_access_document, "open_client", client_for)
    return urls


def cli_args(journey_id: UUID, out: Path, urls: dict[str, str]) -> list[str]:
    return [
        "subject-access",
        str(journey_id),
        "--out",
        str(out),
        *(arg for name, url in urls.items() for arg in (f"--{name}-url", url)),
    ]


def test_the_cli_writes_her_export_as_json_and_html_readable_by_the_owner_only(
    system: dict[str, TestClient],
    cases: CasesApplication,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = serve_through(system, monkeypatch)
    her = uuid4()
    journey_id = journey_id_for_contact(her)
    her_visit(system["visits"], her, uuid4())
    cases.record_contact_from_visit(her, uuid4(), "ro", T0, Tracking("visits", 1))
    cases.do(
        journey_id,
        Register(
            pseudonym=PSEUDONYM,
            preferred_languages=["ro"],
            interpreter_needed=True,
            occurred_at=T0 + timedelta(days=1),
        ),
        actor="cw-1",
    )
    token = ADMIN["Authorization"].split(" ", 1)[1]
    out = tmp_path / "export"

    result = CliRunner().invoke(cli, cli_args(journey_id, out, urls), env={"WAYMARK_TOKEN": token})

    assert result.exit_code == 0, result.output
    json_file = out / f"subject-access-{journey_id}.json"
    html_file = out / f"subject-access-{journey_id}.html"
    for path in (json_file, html_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(json_file.read_text())
    assert set(data["services"]) == {"visits", "cases", "notifications"}
    page = html_file.read_text()
    for hers in (PSEUDONYM, HER_ALIAS, HER_DETAILS):
        assert hers in json_file.read_text() and hers in page
    assert OTHER_ALIAS not in page and "<h2>" in page and "Person registered" in page


def test_given_a_token_without_admin_when_the_cli_runs_then_it_fails_and_writes_nothing(
    system: dict[str, TestClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = serve_through(system, monkeypatch)
    token = bearer(Role.CASEWORKER)["Authorization"].split(" ", 1)[1]
    out = tmp_path / "export"

    result = CliRunner().invoke(cli, [*cli_args(uuid4(), out, urls), "--token", token])

    assert result.exit_code == 1
    assert "403" in result.output and "admin" in result.output
    assert not out.exists()


def test_given_she_was_erased_the_cli_still_writes_a_document_that_says_so(
    system: dict[str, TestClient],
    cases: CasesApplication,
    registered_journey: UUID,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = serve_through(system, monkeypatch)
    erase_her(cases, registered_journey, T0, T0 + timedelta(hours=2), approved_by="dpo-2")
    token = ADMIN["Authorization"].split(" ", 1)[1]
    out = tmp_path / "export"

    result = CliRunner().invoke(
        cli, cli_args(registered_journey, out, urls), env={"WAYMARK_TOKEN": token}
    )

    assert result.exit_code == 0, result.output
    data = json.loads((out / f"subject-access-{registered_journey}.json").read_text())
    assert data["services"]["cases"]["erased"] is True
    in_the_documented_format(data["services"]["cases"], "cases", registered_journey)
    page = (out / f"subject-access-{registered_journey}.html").read_text()
    assert "was erased" in page and PSEUDONYM not in page
