"""``waymark verify``: every aggregate re-folded and compared with the read models; a planted
difference is reported (exit code 1), a projection merely behind is not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from typer.testing import CliRunner

from services.cases.application import CasesApplication
from services.cases.main import CasesParts
from services.cases.queries.caseload.projection import Caseload
from services.visits.main import assemble as assemble_visits
from shared.settings import ServiceName
from tests.support import contacts_from_visits, projection_named
from tests.unit.conftest import StoresFactory
from waymark.cli import cli

T0 = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)


def test_the_caseload_agrees_then_a_planted_difference_is_reported(
    cases_parts: CasesParts, cases: CasesApplication, caseload: Caseload
) -> None:
    contacts_from_visits(cases, 4, T0)
    caseload.catch_up()
    verify = cases_parts.verify
    assert verify() == []
    contacts_from_visits(cases, 2, T0)  # the caseload is behind: not a difference
    assert verify() == []
    with caseload.store.transaction() as cursor:
        cursor.execute(
            f"UPDATE {caseload.store.table('caseload')} SET contact_count = 7, status = 'closed'"
            " WHERE journey_id = (SELECT MIN(journey_id) FROM"
            f" {caseload.store.table('caseload')})"
        )
        cursor.execute(
            f"DELETE FROM {caseload.store.table('caseload')} WHERE journey_id ="
            f" (SELECT MAX(journey_id) FROM {caseload.store.table('caseload')})"
        )
    found = {(d.field, d.expected, d.found) for d in verify()}
    assert found == {
        ("contact_count", 1, 7),
        ("status", "new", "closed"),
        ("(row)", "present", "missing"),
    }


def test_the_premises_history_is_verified_against_the_visits(
    stores_for: StoresFactory,
) -> None:
    from tests.unit.test_visits_application import premises_command, rich_visit

    parts = assemble_visits(stores_for(ServiceName.VISITS))
    try:
        visits: Any = parts.application
        premises = visits.register_premises(premises_command(), "v-1")
        visits.record_visit(rich_visit(premises.premises.id), "v-1")
        visits.record_visit(rich_visit(completed=False), "v-1")
        history = projection_named(parts, "premises_history")
        history.catch_up()
        verify = parts.verify
        assert verify() == []
        table = history.store.table("premises_history_visits")
        with history.store.transaction() as cursor:
            cursor.execute(f"UPDATE {table} SET outcome = 'planted' WHERE completed_at IS NOT NULL")
        differences = verify()
        assert [(d.field, d.found) for d in differences] == [("outcome", "planted")]
    finally:
        parts.application.close()


def test_the_cli_prints_differences_and_exits_1(
    cli_cases_parts: CasesParts,
) -> None:
    contacts_from_visits(cli_cases_parts.application, 2, T0)
    caseload = cli_cases_parts.queries.caseload
    caseload.catch_up()
    ok = CliRunner().invoke(cli, ["verify", "cases"])
    assert ok.exit_code == 0, ok.output
    with caseload.store.transaction() as cursor:
        cursor.execute(f"UPDATE {caseload.store.table('caseload')} SET caseworker_id = 'cw-x'")
    bad = CliRunner().invoke(cli, ["verify", "cases"])
    assert bad.exit_code == 1, bad.output
    assert bad.stdout.count("caseworker_id") == 2
    assert "cw-x" in bad.stdout
