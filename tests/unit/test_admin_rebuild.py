"""Rebuild a projection from zero beside the live one while it keeps serving, then swap: the
rebuilt read model equals the live one, nothing is applied twice, a planted error is repaired."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient
from structlog.testing import capture_logs
from typer.testing import CliRunner

from services.cases.application import CasesApplication
from services.cases.commands import CancelAppointment
from services.cases.main import CasesParts
from services.cases.main import create_app as create_cases_app
from services.cases.queries.caseload.projection import Caseload
from services.notifications.main import NotificationsParts
from services.visits.main import VisitsParts
from shared.admin.rebuild import SHADOW_SUFFIX, Rebuild
from shared.security.roles import Role
from shared.settings import ServiceName
from shared.storage.sql import to_sql_time
from tests.support import (
    bearer,
    contacts_from_visits,
    gp_appointment,
    make_settings,
    projection_indexes,
    projection_named,
    projection_rows,
    register_journey,
    wait_until,
)
from waymark.cli import cli

T0 = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)


def test_the_rebuilt_caseload_equals_the_live_one_that_kept_serving(
    cases: CasesApplication, caseload: Caseload
) -> None:
    contacts_from_visits(cases, 30, T0)
    caseload.catch_up()
    seen: list[tuple[str, int, int]] = []
    rebuild = Rebuild(
        caseload, batch_size=7, on_progress=lambda p: seen.append((p.state, p.position, p.target))
    )
    # The live read model keeps following the log and answering while the shadow is built.
    builder = threading.Thread(target=rebuild.build)
    builder.start()
    for _ in range(5):
        contacts_from_visits(cases, 2, T0)
        caseload.catch_up()
        assert caseload.list(limit=100)[1] >= 30
    builder.join()
    caseload.catch_up()
    rebuild.build()  # catch the shadow up with what arrived meanwhile
    assert projection_rows(caseload, SHADOW_SUFFIX) == projection_rows(caseload)
    before = projection_rows(caseload)
    listed = caseload.list(limit=100)

    rebuild.swap()
    progress = rebuild.progress
    assert progress.state == "done"
    assert progress.position == cases.max_notification_id() == progress.target
    assert seen[0][0] == "building" and seen[-1][0] == "done"
    assert all(position <= target for state, position, target in seen if state == "building")
    assert projection_rows(caseload) == before
    assert caseload.list(limit=100) == listed
    # The live projection carries on from the swapped position: new events once, old never twice.
    contacts_from_visits(cases, 3, T0)
    caseload.catch_up()
    assert caseload.list(limit=100)[1] == 43
    assert all(row["contact_count"] == 1 for row in projection_rows(caseload)["caseload"])


def test_what_falls_due_while_the_caseload_is_rebuilt_is_in_its_order_once_swapped_in(
    cases_parts: CasesParts, cases: CasesApplication, caseload: Caseload
) -> None:
    due_items = projection_named(cases_parts, "due_items")
    journey_id = register_journey(cases, "R-1", T0, actor="cw-1")
    caseload.catch_up()
    due_items.catch_up()
    rebuild = Rebuild(caseload)
    rebuild.build()  # her row is in the shadow, with nothing due yet
    # The due list is another read model: it goes on following the log meanwhile.
    at = T0 + timedelta(days=3)
    cases.do(journey_id, gp_appointment(at=at, occurred_at=T0), actor="cw-1")
    due_items.catch_up()
    caseload.catch_up()
    rebuild.build()

    rebuild.swap()

    [row] = projection_rows(caseload)["caseload"]
    assert row["next_due_at"] == to_sql_time(at)
    assert row["due_order"] == "0" + to_sql_time(at)
    [listed], _ = caseload.list(limit=10)
    assert listed.next_due_at == at


def test_while_the_due_list_is_rebuilt_the_caseload_keeps_the_live_due_times(
    cases_parts: CasesParts, cases: CasesApplication, caseload: Caseload
) -> None:
    due_items = projection_named(cases_parts, "due_items")
    journey_id = register_journey(cases, "R-1", T0, actor="cw-1")
    later, sooner = T0 + timedelta(days=3), T0 + timedelta(days=1)
    cancelled = uuid4()
    cases.do(journey_id, gp_appointment(at=later, occurred_at=T0), actor="cw-1")
    cases.do(
        journey_id,
        gp_appointment(at=sooner, occurred_at=T0, appointment_id=cancelled),
        actor="cw-1",
    )
    sooner_booked = cases.max_notification_id()
    cases.do(
        journey_id,
        CancelAppointment(appointment_id=cancelled, occurred_at=T0),
        actor="cw-1",
    )
    caseload.catch_up()
    due_items.catch_up()

    def next_due() -> object:
        [row] = projection_rows(caseload)["caseload"]
        return row["next_due_at"]

    assert next_due() == to_sql_time(later)
    # A shadow of the due list folded part of the log: up to the sooner booking, not its
    # cancellation. The caseload goes on showing what the live due list says.
    shadow = type(due_items)(
        cases, due_items.store, due_items.positions, shadow_suffix=SHADOW_SUFFIX
    )
    batch, last = shadow.read_upto(0, sooner_booked)
    shadow.apply_batch(batch, last, 0)
    assert next_due() == to_sql_time(later)

    before = projection_rows(due_items)
    Rebuild(due_items).run()

    assert projection_rows(due_items) == before
    assert next_due() == to_sql_time(later)


def test_the_caseload_and_the_due_list_rebuilt_at_once_both_go_live(
    cases_parts: CasesParts, cases: CasesApplication, caseload: Caseload, monkeypatch: Any
) -> None:
    # Going live, each writes or reads the other's table (the due order). Held in the worst
    # order: the caseload's swap has read the live due list when the due list's swap comes to
    # write the live caseload. On PostgreSQL the two would deadlock and one rebuild fail.
    due_items = projection_named(cases_parts, "due_items")
    journey_id = register_journey(cases, "R-1", T0, actor="cw-1")
    cases.do(journey_id, gp_appointment(at=T0 + timedelta(days=2), occurred_at=T0), actor="cw-1")
    caseload.catch_up()
    due_items.catch_up()
    before = {name: projection_rows(view) for name, view in (("c", caseload), ("d", due_items))}
    caseload_read, due_list_wrote = threading.Event(), threading.Event()
    caseload_going_live = type(caseload).before_going_live
    due_list_going_live = type(due_items).before_going_live

    def caseload_reads_then_waits(view: Any, cursor: Any) -> None:
        caseload_going_live(view, cursor)
        caseload_read.set()
        due_list_wrote.wait(timeout=2)

    def due_list_waits_then_writes(view: Any, cursor: Any) -> None:
        caseload_read.wait(timeout=2)
        due_list_going_live(view, cursor)
        due_list_wrote.set()

    monkeypatch.setattr(type(caseload), "before_going_live", caseload_reads_then_waits)
    monkeypatch.setattr(type(due_items), "before_going_live", due_list_waits_then_writes)
    rebuilds = [Rebuild(caseload), Rebuild(due_items)]
    failures: list[BaseException] = []

    def run(rebuild: Rebuild) -> None:
        try:
            rebuild.run()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(rebuild,)) for rebuild in rebuilds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert [r.progress.state for r in rebuilds] == ["done", "done"]
    after = {name: projection_rows(view) for name, view in (("c", caseload), ("d", due_items))}
    assert after == before


def test_a_swap_the_database_undid_is_caught_up_and_tried_again(
    cases: CasesApplication, caseload: Caseload, monkeypatch: Any
) -> None:
    # As PostgreSQL undoes one of two transactions that deadlock (a live batch, say).
    register_journey(cases, "R-1", T0, actor="cw-1")
    caseload.catch_up()
    before = projection_rows(caseload)
    swap, tries = Rebuild.swap, []

    def deadlocked_once(rebuild: Rebuild) -> None:
        tries.append(rebuild.progress.state)
        if len(tries) == 1:
            register_journey(cases, "R-2", T0, actor="cw-1")  # the log moves on meanwhile
            raise OperationalError("deadlock detected")
        swap(rebuild)

    monkeypatch.setattr(Rebuild, "swap", deadlocked_once)
    with capture_logs() as logs:
        outcome = Rebuild(caseload).run()
    caseload.catch_up()

    assert (outcome.state, len(tries)) == ("done", 2)
    assert [line["event"] for line in logs if "swap" in line["event"]] == [
        "rebuild.swap_retried",
        "rebuild.swapped",
    ]
    assert len(projection_rows(caseload)["caseload"]) == len(before["caseload"]) + 1


def test_a_batch_read_before_the_swap_is_not_applied_twice(
    cases: CasesApplication, caseload: Caseload
) -> None:
    contacts_from_visits(cases, 4, T0)
    stale = caseload.read_batch(caseload.position())  # read by the live runner, not yet applied
    Rebuild(caseload).run()
    caseload.apply_batch(stale, stale[-1][0].id)  # lands after the swap: skipped
    assert [row["contact_count"] for row in projection_rows(caseload)["caseload"]] == [1, 1, 1, 1]


def test_a_rebuild_repairs_a_damaged_read_model(
    cases: CasesApplication, caseload: Caseload
) -> None:
    contacts_from_visits(cases, 5, T0)
    caseload.catch_up()
    good = projection_rows(caseload)
    with caseload.store.transaction() as cursor:
        cursor.execute(f"UPDATE {caseload.store.table('caseload')} SET contact_count = 99")
    assert projection_rows(caseload) != good
    # Small batches and transactions: many chunks, each its own transaction.
    outcome = Rebuild(caseload, batch_size=2, transaction_size=3).run()
    assert projection_rows(caseload) == good
    assert outcome.position == cases.max_notification_id()
    assert outcome.events_per_second and outcome.events_per_second > 0
    assert outcome.as_json()["events_per_second"] == round(outcome.events_per_second)
    # A second rebuild works too (the previous shadow names are free again).
    Rebuild(caseload).run()
    assert projection_rows(caseload) == good


def test_every_cases_and_visits_projection_rebuilds_to_itself(
    cases_parts: CasesParts,
    cases: CasesApplication,
    premises_visited_once: tuple[VisitsParts, UUID],
) -> None:
    contacts_from_visits(cases, 3, T0)
    for live in cases_parts.projections:
        live.catch_up()
        before = projection_rows(live)
        Rebuild(live).run()
        assert projection_rows(live) == before, live.name
    visits_parts, premises_id = premises_visited_once
    history = visits_parts.queries.premises_history
    before = projection_rows(history)
    assert before["premises_history_visits"]
    Rebuild(history).run()
    assert projection_rows(history) == before
    assert history.history(premises_id, limit=10, offset=0).visit_count == 1


def test_a_swapped_in_read_model_has_its_indexes_under_their_usual_names(
    cases_parts: CasesParts, visits_parts: VisitsParts, notifications_parts: NotificationsParts
) -> None:
    # The shadow tables are built without indexes; the swap makes them from the DDL.
    for parts in (cases_parts, visits_parts, notifications_parts):
        for live in parts.projections:
            before = projection_indexes(live)
            Rebuild(live).run()
            assert projection_indexes(live) == before, live.name
    assert projection_indexes(cases_parts.queries.referrals_board)["referrals_board"] == {
        "referrals_board_by_partner",
        "referrals_board_by_respond_by",
        "referrals_board_list_order",
    }


def test_the_admin_endpoint_rebuilds_in_the_background_and_reports_progress(
    tmp_path: Path,
) -> None:
    settings = make_settings(ServiceName.CASES, tmp_path / "var")
    with TestClient(
        create_cases_app(settings), headers=bearer(roles=(Role.ADMIN, Role.SAFEGUARDING_LEAD))
    ) as client:
        cases = client.app.state.runtime.app  # type: ignore[attr-defined]
        contacts_from_visits(cases, 6, T0)

        def listed() -> int | None:
            total = client.get("/journeys").json()["total"]
            return total if total == 6 else None

        wait_until(listed, message="the live caseload")
        before = client.get("/journeys").json()
        started = client.post("/admin/projections/caseload/rebuild")
        assert started.status_code == 202, started.text

        def finished() -> dict[str, Any] | None:
            status: dict[str, Any] = client.get("/admin/projections/caseload").json()
            state = (status["rebuild"] or {}).get("state")
            assert state != "failed", status
            return status if state == "done" else None

        status = wait_until(finished, message="the rebuild to finish")
        assert status["rebuild"]["position"] == status["log_head"] == cases.max_notification_id()
        assert client.get("/journeys").json() == before
        listed_models = client.get("/admin/projections").json()["items"]
        assert {"caseload", "journey_timeline", "due_items"} <= {
            item["projection"] for item in listed_models
        }
        [caseload] = [item for item in listed_models if item["projection"] == "caseload"]
        assert caseload == client.get("/admin/projections/caseload").json()
        assert client.get("/admin/projections/nope").status_code == 404
        assert client.post("/admin/projections/nope/rebuild").status_code == 404


def test_the_cli_rebuilds_a_projection_of_the_service_stores(
    cli_caseload_of_two_women: Caseload,
) -> None:
    live = cli_caseload_of_two_women
    good = projection_rows(live)
    with live.store.transaction() as cursor:
        cursor.execute(f"UPDATE {live.store.table('caseload')} SET contact_count = 99")
    result = CliRunner().invoke(cli, ["rebuild", "cases", "caseload"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt caseload" in result.stdout
    assert projection_rows(live) == good
    assert CliRunner().invoke(cli, ["rebuild", "cases", "nope"]).exit_code == 2
