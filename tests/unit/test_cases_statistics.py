"""Anonymised statistics: monthly counts with cells under 11 suppressed (CTDC practice), a
second cell suppressed where one alone would be recoverable, and the read model equal to a
rebuild from the stored events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from services.cases.application import CasesApplication
from services.cases.commands import (
    AssessNeeds,
    CloseJourney,
    DeclineReferral,
    RecordExit,
)
from services.cases.main import create_app
from services.cases.queries.statistics.projection import K_ANONYMITY, Statistics, publish
from shared.security.roles import Role
from shared.settings import ServiceName
from tests.support import (
    assert_rebuilt_alike,
    bearer,
    housing_referral,
    on_fresh_stores,
    projection_rows,
    register_journey,
    served,
)
from tests.unit.conftest import AppFactory
from tests.unit.test_cases_read_models import (
    COMMANDS,
    CW,
    Views,
    apply_command,
    new_state,
    referrals_taking_every_step,
)

NOVEMBER, DECEMBER = datetime(2026, 11, 2, 9, 0, tzinfo=UTC), datetime(2026, 12, 3, 9, tzinfo=UTC)


@pytest.fixture
def world(app_for: AppFactory) -> Iterator[tuple[CasesApplication, Statistics]]:
    app, stores = app_for(CasesApplication)
    yield app, Statistics(app, stores.views, stores.positions)


def register(app: CasesApplication, when: datetime = NOVEMBER) -> UUID:
    journey_id = register_journey(app, "R-1", when, actor=CW)
    return journey_id


def counted(view: Statistics, first: str, last: str) -> dict[tuple[str, str, str], int]:
    """The raw counts (before suppression) once the view has caught up, by measure, month
    and code."""
    view.catch_up()
    return {(m, mo, c): n for m, mo, c, n in view.counts(first, last)}


def cells(view: Statistics, first: str = "2026-01", last: str = "2026-12") -> dict:
    return {(c.measure, c.month, c.code): c.count for c in view.published(first, last)}


def test_a_count_under_eleven_is_suppressed_and_eleven_is_shown(world) -> None:
    app, view = world
    for _ in range(10):
        register(app, NOVEMBER)
    for _ in range(11):
        register(app, DECEMBER)
    view.catch_up()
    published = view.published("2026-11", "2026-12")
    by_month = {c.month: c for c in published if c.measure == "journeys_opened"}
    assert by_month["2026-11"].count is None and by_month["2026-11"].suppressed
    assert by_month["2026-12"].count == 11 and not by_month["2026-12"].suppressed
    assert K_ANONYMITY == 11


def test_a_journey_counts_once_per_need_per_month_by_when_it_happened(world) -> None:
    app, view = world
    journey_id = register(app)
    app.do(
        journey_id,
        AssessNeeds(needs=["housing", "health"], notes=None, occurred_at=NOVEMBER),
        actor=CW,
    )
    app.do(
        journey_id,
        AssessNeeds(needs=["housing"], notes=None, occurred_at=NOVEMBER + timedelta(days=3)),
        actor=CW,
    )
    # 00:30 on 1 December in UTC+2 is still November in UTC.
    late_evening = datetime(2026, 12, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    app.do(
        journey_id, AssessNeeds(needs=["housing"], notes=None, occurred_at=late_evening), actor=CW
    )
    app.do(journey_id, AssessNeeds(needs=["housing"], notes=None, occurred_at=DECEMBER), actor=CW)
    raw = counted(view, "2026-01", "2026-12")
    assert raw[("needs_assessed", "2026-11", "housing")] == 1
    assert raw[("needs_assessed", "2026-11", "health")] == 1
    assert raw[("needs_assessed", "2026-12", "housing")] == 1
    assert raw[("journeys_opened", "2026-11", "all")] == 1


def test_referral_outcomes_exits_and_closures_are_counted_under_their_need(world) -> None:
    app, view = world
    journey_id = register(app)
    app.do(journey_id, AssessNeeds(needs=["housing"], notes=None, occurred_at=NOVEMBER), actor=CW)
    referral_id = uuid4()
    app.do(
        journey_id,
        housing_referral(
            referral_id=referral_id, respond_by=DECEMBER + timedelta(days=30), occurred_at=NOVEMBER
        ),
        actor=CW,
    )
    app.do(
        journey_id,
        DeclineReferral(referral_id=referral_id, reason=None, occurred_at=DECEMBER),
        actor=CW,
    )
    app.do(journey_id, RecordExit(occurred_at=DECEMBER), actor=CW)
    app.do(journey_id, CloseJourney(reason="goals_met", occurred_at=DECEMBER), actor=CW)
    raw = counted(view, "2026-11", "2026-12")
    assert raw[("referrals_made", "2026-11", "housing")] == 1
    assert raw[("referral_outcomes", "2026-12", "housing:declined")] == 1
    assert raw[("exits", "2026-12", "exited_sex_industry")] == 1
    assert raw[("closures", "2026-12", "goals_met")] == 1
    assert view.counts("2026-01", "2026-10") == []
    # Nothing a journey could be found by is published.
    assert str(journey_id) not in repr(view.published("2026-01", "2026-12"))
    assert str(referral_id) not in repr(view.published("2026-01", "2026-12"))


def test_each_step_but_an_acknowledgement_is_counted_as_an_outcome(world) -> None:
    app, view = world
    referrals_taking_every_step(app, register(app), NOVEMBER)
    outcomes = {
        code: n
        for (measure, _, code), n in counted(view, "2026-11", "2026-11").items()
        if measure == "referral_outcomes"
    }
    steps = ("accepted", "completed", "declined", "withdrawn", "expired")
    assert outcomes == {f"housing:{step}": 1 for step in steps}


def test_a_group_with_one_small_cell_has_a_second_cell_suppressed() -> None:
    published = publish(
        [
            ("needs_assessed", "2026-11", "health", 40),
            ("needs_assessed", "2026-11", "housing", 12),
            ("needs_assessed", "2026-11", "legal", 3),
            ("needs_assessed", "2026-11", "money", 25),
            ("needs_assessed", "2026-12", "health", 4),
            ("needs_assessed", "2026-12", "housing", 5),
            ("needs_assessed", "2026-12", "money", 30),
            ("journeys_opened", "2026-11", "all", 9),
        ]
    )
    shown = {(c.month, c.code): c.count for c in published if c.measure == "needs_assessed"}
    # One small cell (legal): the next-smallest (housing) goes too; the rest are shown.
    assert shown[("2026-11", "legal")] is None and shown[("2026-11", "housing")] is None
    assert shown[("2026-11", "health")] == 40 and shown[("2026-11", "money")] == 25
    # Two small cells already: nothing more is suppressed.
    assert shown[("2026-12", "money")] == 30
    assert [c.suppressed for c in published if c.month == "2026-12"] == [True, True, False]
    # A group of one small cell has nothing to suppress beside it.
    assert [c.count for c in published if c.measure == "journeys_opened"] == [None]
    assert all(c.count is None for c in published if c.suppressed)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with served(
        create_app, ServiceName.CASES, tmp_path / "var", bearer(Role.MANAGER)
    ) as test_client:
        yield test_client


def test_the_route_refuses_a_bad_month_and_publishes_suppressed_cells(client: TestClient) -> None:
    for query in (
        "from=2026-13&to=2026-12",
        "from=2026-1&to=2026-12",
        "to=2026-12",
        "from=2026-12&to=2026-11",
    ):
        assert client.get(f"/statistics?{query}").status_code == 422, query
    cases = client.app.state.runtime.app  # type: ignore[attr-defined]
    register(cases, NOVEMBER)
    view = client.app.state.runtime.parts.queries.statistics  # type: ignore[attr-defined]
    view.catch_up()
    response = client.get("/statistics?from=2026-11&to=2026-11")
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [
        {
            "measure": "journeys_opened",
            "month": "2026-11",
            "code": "all",
            "count": None,
            "suppressed": True,
        }
    ]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands=COMMANDS)
def test_the_statistics_equal_a_rebuild(commands) -> None:
    with on_fresh_stores(ServiceName.CASES, CasesApplication) as (app, stores):
        views = Views(app, stores)
        view = Statistics(app, stores.views, stores.positions)
        state = new_state()
        for command in commands:
            apply_command(app, state, command)
            views.catch_up()
            view.catch_up()
        assert_rebuilt_alike([view])
        assert projection_rows(view)["statistics"], "something was counted"
