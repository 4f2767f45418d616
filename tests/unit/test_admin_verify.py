"""``waymark verify``: every aggregate re-folded and compared with the read models; a planted
difference is reported (exit code 1), a projection merely behind is not."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from typer.testing import CliRunner

from services.cases.application import CasesApplication
from services.cases.main import CasesParts
from services.cases.queries.caseload.projection import Caseload
from services.visits.main import VisitsParts
from tests.support import contacts_from_visits
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
    premises_visited_once: tuple[VisitsParts, UUID],
) -> None:
    parts, _ = premises_visited_once
    history = parts.queries.premises_history
    verify = parts.verify
    assert verify() == []
    table = history.store.table("premises_history_visits")
    with history.store.transaction() as cursor:
        cursor.execute(f"UPDATE {table} SET outcome = 'planted' WHERE completed_at IS NOT NULL")
    differences = verify()
    assert [(d.field, d.found) for d in differences] == [("outcome", "planted")]


def test_the_cli_prints_differences_and_exits_1(
    cli_caseload_of_two_women: Caseload,
) -> None:
    caseload = cli_caseload_of_two_women
    ok = CliRunner().invoke(cli, ["verify", "cases"])
    assert ok.exit_code == 0, ok.output
    with caseload.store.transaction() as cursor:
        cursor.execute(f"UPDATE {caseload.store.table('caseload')} SET caseworker_id = 'cw-x'")
    bad = CliRunner().invoke(cli, ["verify", "cases"])
    assert bad.exit_code == 1, bad.output
    assert bad.stdout.count("caseworker_id") == 2
    assert "cw-x" in bad.stdout
