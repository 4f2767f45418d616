"""Admin history and as-of: every event of an aggregate in order, its state at a version or a
time folded by today's code, personal fields only when asked for — on the API never."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from services.cases.application import CasesApplication
from services.cases.commands import (
    CorrectPseudonym,
)
from services.cases.main import assemble as assemble_cases
from services.cases.main import create_app as create_cases_app
from services.notifications.main import create_app as create_notifications_app
from services.visits.main import VisitsParts
from services.visits.main import create_app as create_visits_app
from shared.admin.history import WITHHELD, AggregateUnknown, as_of, history
from shared.runtime import open_stores
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import answer_text, bearer, make_settings, new_master_key, register_journey
from tests.unit.conftest import StoresFactory
from waymark.cli import cli

T0 = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)
CW = "cw-1"
MARKER = "Pseudo-Marker-7f3a"


def a_journey(cases: CasesApplication) -> UUID:
    journey_id = register_journey(cases, MARKER, T0, actor=CW)
    cases.do(
        journey_id,
        CorrectPseudonym(pseudonym=MARKER + "-2", occurred_at=T0 + timedelta(hours=1)),
        actor="cw-2",
    )
    return journey_id


@pytest.fixture
def cases(stores_for: StoresFactory) -> Iterator[CasesApplication]:
    parts = assemble_cases(stores_for(ServiceName.CASES))
    app = parts.application
    assert isinstance(app, CasesApplication)
    yield app
    app.close()


def test_history_lists_every_event_in_order_with_both_clocks_and_the_actor(
    cases: CasesApplication,
) -> None:
    journey_id = a_journey(cases)
    entries = history(cases, journey_id)
    current = cases.get_journey(journey_id).version
    assert [e.version for e in entries] == list(range(1, current + 1))
    assert entries[-1].type == "Journey.PseudonymCorrected"
    assert entries[-1].actor == "cw-2"
    assert entries[-1].occurred_at == T0 + timedelta(hours=1)
    assert all(e.recorded_at.tzinfo is not None for e in entries)
    assert [e.recorded_at for e in entries] == sorted(e.recorded_at for e in entries)
    # Personal fields withheld unless asked for; codes stay readable.
    assert MARKER not in json.dumps([e.as_json() for e in entries])
    assert entries[-1].data["pseudonym"] == WITHHELD
    shown = history(cases, journey_id, include_personal=True)
    assert shown[-1].data["pseudonym"] == MARKER + "-2"


def test_as_of_a_version_and_a_time_fold_with_todays_code(cases: CasesApplication) -> None:
    journey_id = a_journey(cases)
    entries = history(cases, journey_id)
    current = entries[-1].version
    before = as_of(cases, journey_id, version=current - 1, include_personal=True)
    assert before.version == current - 1
    assert before.state["pseudonym"] == MARKER
    now = as_of(cases, journey_id, version=current, include_personal=True)
    assert now.state["pseudonym"] == MARKER + "-2"
    assert as_of(cases, journey_id, version=current).state["pseudonym"] == WITHHELD
    # As known at a time: the last event recorded at or before it.
    at_first = as_of(cases, journey_id, at=entries[0].recorded_at)
    assert at_first.version == max(
        e.version for e in entries if e.recorded_at <= entries[0].recorded_at
    )
    assert as_of(cases, journey_id, at=datetime.now(UTC) + timedelta(days=1)).version == current
    with pytest.raises(AggregateUnknown):
        as_of(cases, journey_id, at=entries[0].recorded_at - timedelta(seconds=1))


def test_an_unknown_aggregate_is_reported(cases: CasesApplication) -> None:
    with pytest.raises(AggregateUnknown):
        history(cases, uuid4())
    with pytest.raises(AggregateUnknown):
        as_of(cases, uuid4(), version=1)


def test_the_admin_routes_never_return_personal_fields(tmp_path: Path) -> None:
    settings = make_settings(ServiceName.CASES, tmp_path / "var")
    with TestClient(create_cases_app(settings), headers=bearer(Role.ADMIN)) as client:
        cases = client.app.state.runtime.app  # type: ignore[attr-defined]
        journey_id = a_journey(cases)
        response = client.get(f"/admin/aggregates/{journey_id}/history")
        assert response.status_code == 200, response.text
        assert MARKER not in response.text
        events = response.json()["events"]
        assert events[-1]["type"] == "Journey.PseudonymCorrected"
        assert events[-1]["data"]["pseudonym"] == WITHHELD
        version = events[-1]["version"]
        state = client.get(f"/admin/aggregates/{journey_id}/as-of", params={"version": 1})
        assert state.status_code == 200, state.text
        assert state.json()["version"] == 1
        assert MARKER not in state.text
        at = client.get(
            f"/admin/aggregates/{journey_id}/as-of",
            params={"at": datetime.now(UTC).isoformat()},
        )
        assert at.json()["version"] == version
        assert client.get(f"/admin/aggregates/{uuid4()}/history").status_code == 404


def test_an_as_of_read_without_exactly_one_of_version_or_at_is_a_422_naming_the_field(
    tmp_path: Path,
) -> None:
    settings = make_settings(ServiceName.CASES, tmp_path / "var")
    with TestClient(create_cases_app(settings), headers=bearer(Role.ADMIN)) as client:
        neither = client.get(f"/admin/aggregates/{uuid4()}/as-of")
        naive = client.get(
            f"/admin/aggregates/{uuid4()}/as-of", params={"at": "2026-01-01T00:00:00"}
        )
    assert neither.status_code == 422
    assert neither.headers["content-type"] == "application/problem+json"
    assert neither.json()["errors"] == [
        {"field": "query.version", "reason": "Give exactly one of version or at"}
    ]
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "query.at"
    assert "2026" not in naive.text


@pytest.mark.parametrize(
    ("service", "create_app"),
    [
        (ServiceName.VISITS, create_visits_app),
        (ServiceName.CASES, create_cases_app),
        (ServiceName.NOTIFICATIONS, create_notifications_app),
    ],
)
def test_given_any_service_when_history_or_audit_is_asked_beyond_range_then_a_422_names_it(
    tmp_path: Path, service: ServiceName, create_app: Any
) -> None:
    settings = make_settings(service, tmp_path / "var")
    oversight = bearer(roles=(Role.ADMIN, Role.AUDITOR))
    as_of_path = f"/admin/aggregates/{uuid4()}/as-of"
    with TestClient(create_app(settings), headers=oversight) as client:
        for path, params, field in [
            (as_of_path, {"version": "12368004140473036800"}, "query.version"),
            (as_of_path, {"version": str(2**31)}, "query.version"),
            (as_of_path, {"at": "0001-01-01T00:00:00+14:00"}, "query.at"),
            ("/audit", {"offset": "9223372036854775808"}, "query.offset"),
            ("/audit", {"since": "0001-01-01T00:00:00+14:00"}, "query.since"),
            ("/audit", {"until": "9999-12-31T23:59:59-14:00"}, "query.until"),
            ("/audit", {"since": "2026-01-01T00:00:00"}, "query.since"),
        ]:
            response = client.get(path, params=params)
            assert response.status_code == 422, (path, params, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in response.json()["errors"]] == [field]
            [value] = params.values()
            assert value not in answer_text(response)
            assert "T" not in value or value[:4] not in answer_text(response)  # not even its year
        # The largest accepted numbers still reach the stores without overflowing them.
        assert client.get(as_of_path, params={"version": str(2**31 - 1)}).status_code == 404
        last_page = client.get("/audit", params={"offset": str(2**31 - 1)})
        assert last_page.status_code == 200 and last_page.json()["items"] == []


def test_the_cli_reads_history_and_as_of_from_the_service_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_master_key()
    settings = make_settings(ServiceName.CASES, tmp_path / "var", master_key=key)
    stores = open_stores(settings)
    parts = assemble_cases(stores)
    cases = parts.application
    assert isinstance(cases, CasesApplication)
    journey_id = a_journey(cases)
    cases.close()
    stores.close()
    monkeypatch.setenv("WAYMARK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("WAYMARK_MASTER_KEY", key)
    runner = CliRunner()

    result = runner.invoke(cli, ["history", "cases", str(journey_id)])
    assert result.exit_code == 0, result.output
    assert MARKER not in result.stdout
    assert json.loads(result.stdout)[-1]["type"] == "Journey.PseudonymCorrected"

    result = runner.invoke(cli, ["history", "cases", str(journey_id), "--personal"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[-1]["data"]["pseudonym"] == MARKER + "-2"

    result = runner.invoke(cli, ["as-of", "cases", str(journey_id), "--version", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == 1

    result = runner.invoke(
        cli, ["as-of", "cases", str(journey_id), "--at", "2999-01-01T00:00:00Z", "--personal"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"]["pseudonym"] == MARKER + "-2"

    assert runner.invoke(cli, ["as-of", "cases", str(journey_id)]).exit_code == 2
    assert runner.invoke(cli, ["history", "cases", str(uuid4())]).exit_code == 1

    # Reads from a shell are in the audit log like reads over HTTP, personal ones marked.
    audit = open_stores(settings).audit
    records, total = audit.query(record_id=str(journey_id))
    assert total == 4
    assert [(r.entry.action, r.entry.purpose) for r in records] == [
        ("CLI history", None),
        ("CLI history", "history-with-personal-data"),
        ("CLI as-of", None),
        ("CLI as-of", "history-with-personal-data"),
    ]
    assert all(r.entry.actor.startswith("cli:") for r in records)
    assert audit.verify().intact


def test_a_visit_history_and_state_withhold_the_aliases_of_its_contacts(
    visits_parts: VisitsParts,
) -> None:
    from tests.unit.test_visits_application import completed_visit

    visits = visits_parts.application
    command = completed_visit(contacts=2)
    visits.record_visit(command, "v-1")
    entries = history(visits, command.visit_id)
    assert entries[0].type == "Visit.Started"
    assert "Alias 0" not in json.dumps([e.as_json() for e in entries])
    state = as_of(visits, command.visit_id, version=entries[-1].version)
    assert len(state.state["contacts"]) == 2
    assert "Alias" not in json.dumps(state.as_json())
    shown = as_of(visits, command.visit_id, version=entries[-1].version, include_personal=True)
    assert {c["alias"] for c in shown.state["contacts"]} == {"Alias 0", "Alias 1"}
