"""The premises history equals a rebuild from the stored events, whatever valid commands ran:
visits arriving late, concerns raised and resolved, visits moved to another premises."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.visits.application import ConcernNotFound, VisitsApplication
from services.visits.commands import (
    CompletedVisit,
    CompleteVisit,
    ContactInput,
    CorrectPremises,
    RaiseUrgentConcern,
    RegisterPremises,
    ResolveUrgentConcern,
    UrgentConcernInput,
)
from services.visits.errors import VisitError
from services.visits.queries.lists.projection import PremisesDirectory, VisitFilter, VisitList
from services.visits.queries.premises_history.projection import PremisesHistory
from shared.errors import FieldError
from shared.settings import ServiceName
from tests.support import assert_rebuilt_alike, on_fresh_stores

T0 = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
VOLUNTEER = "vol-1"

COMMANDS = st.lists(
    st.tuples(
        st.sampled_from(["visit", "open_visit", "complete", "concern", "resolve", "move"]),
        st.integers(min_value=0, max_value=5),  # which premises / visit
        st.integers(min_value=-72, max_value=72),  # hours from T0: late and early arrivals
        st.integers(min_value=0, max_value=2),  # contacts
    ),
    min_size=3,
    max_size=30,
)


def apply_command(app: VisitsApplication, state: dict, command: tuple) -> None:
    kind, which, hours, contacts = command
    when = T0 + timedelta(hours=hours)
    premises: list[UUID] = state["premises"]
    visits: list[tuple[UUID, datetime]] = state["visits"]
    # Refused commands change nothing.
    with contextlib.suppress(VisitError, FieldError, ConcernNotFound):
        if kind in ("visit", "open_visit") or not visits:
            visit_id = uuid4()
            app.record_visit(
                CompletedVisit(
                    visit_id=visit_id,
                    premises_label=None,
                    team="west",
                    volunteers=(VOLUNTEER,),
                    languages_offered=("ro",),
                    started_at=when,
                    completed_at=None if kind == "open_visit" else when + timedelta(hours=1),
                    contacts=tuple(
                        ContactInput(uuid4(), "Alias", "ro", when) for _ in range(contacts)
                    ),
                    premises_id=premises[which % len(premises)],
                ),
                VOLUNTEER,
            )
            visits.append((visit_id, when))
            return
        visit_id, started = visits[which % len(visits)]
        later = started + timedelta(minutes=abs(hours) + 1)  # what happens, after it started
        if kind == "complete":
            app.do(visit_id, CompleteVisit(later + timedelta(hours=2), None), actor=VOLUNTEER)
        elif kind == "concern":
            concern_id = uuid4()
            app.do(
                visit_id,
                RaiseUrgentConcern(UrgentConcernInput(concern_id, "violence", None, None, later)),
                actor=VOLUNTEER,
            )
            state["concerns"].append((visit_id, concern_id, later))
        elif kind == "resolve" and state["concerns"]:
            raised_on, concern_id, raised_at = state["concerns"][which % len(state["concerns"])]
            app.do(
                raised_on,
                ResolveUrgentConcern(concern_id, raised_at + timedelta(days=1)),
                actor=VOLUNTEER,
            )
        elif kind == "move":
            app.do(
                visit_id,
                CorrectPremises(premises[(which + 1) % len(premises)], None, later),
                actor=VOLUNTEER,
            )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands=COMMANDS)
def test_any_valid_sequence_gives_a_premises_history_equal_to_a_rebuild(commands) -> None:
    with on_fresh_stores(ServiceName.VISITS, VisitsApplication) as (app, stores):
        history = PremisesHistory(app, stores.views, stores.positions)
        lists = [
            VisitList(app, stores.views, stores.positions),
            PremisesDirectory(app, stores.views, stores.positions),
        ]
        state: dict = {"premises": [], "visits": [], "concerns": []}
        for index in range(3):
            premises_id = uuid4()
            app.register_premises(
                RegisterPremises(premises_id, f"P-{index}", "soho", "flat", T0), VOLUNTEER
            )
            state["premises"].append(premises_id)
        for command in commands:
            apply_command(app, state, command)
            history.catch_up()  # live: a little at a time, as the service does
            for view in lists:
                view.catch_up()
        assert_rebuilt_alike([history, *lists])
        # The visit list counts what the premises history shows, visit by visit.
        visit_list = lists[0]
        assert isinstance(visit_list, VisitList)
        listed, total = visit_list.newest_first(VisitFilter(), limit=1000)
        assert total == len(state["visits"])
        assert [v.started_at for v in listed] == sorted(
            (v.started_at for v in listed), reverse=True
        )
        # Each visit is listed under the premises it was last corrected to.
        for premises_id in state["premises"]:
            page = history.history(premises_id, limit=100, offset=0)
            times = [item.started_at for item in page.items]
            assert times == sorted(times, reverse=True)


def test_the_visit_list_and_premises_directory_answer_on_either_backend(stores_for) -> None:
    stores = stores_for(ServiceName.VISITS)
    app = VisitsApplication(
        env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
    )
    try:
        visits = VisitList(app, stores.views, stores.positions)
        directory = PremisesDirectory(app, stores.views, stores.positions)
        flat, sauna = uuid4(), uuid4()
        app.register_premises(RegisterPremises(flat, "Flat 3_B", "soho", "flat", T0), VOLUNTEER)
        app.register_premises(
            RegisterPremises(sauna, "Sauna 5", "soho", "massage_parlour", T0), VOLUNTEER
        )
        for hours, team, premises_id in ((1, "west", flat), (2, "east", sauna)):
            app.record_visit(
                CompletedVisit(
                    visit_id=uuid4(),
                    premises_label=None,
                    team=team,
                    volunteers=(f"vol-{team}",),
                    languages_offered=("ro",),
                    started_at=T0 + timedelta(hours=hours),
                    completed_at=T0 + timedelta(hours=hours + 1),
                    contacts=(ContactInput(uuid4(), "Alias", "ro", T0 + timedelta(hours=hours)),),
                    premises_id=premises_id,
                ),
                f"vol-{team}",
            )
        visits.catch_up()
        directory.catch_up()
        found, total = directory.search(label="3_b")
        assert total == 1 and [p.premises_id for p in found] == [flat]
        assert directory.search(label="x_b") == ([], 0)
        assert [p.label for p in directory.search()[0]] == ["Flat 3_B", "Sauna 5"]
        listed, total = visits.newest_first(VisitFilter())
        assert total == 2 and [v.team for v in listed] == ["east", "west"]
        assert listed[0].premises_label == "Sauna 5" and listed[0].contact_count == 1
        west, _ = visits.newest_first(VisitFilter(visible_team="west", visible_person="nobody"))
        assert [v.premises_id for v in west] == [flat]
        mine, _ = visits.newest_first(VisitFilter(visible_person="vol-east"))
        assert [v.premises_id for v in mine] == [sauna]
        window = VisitFilter(started_from=T0, started_to=T0 + timedelta(hours=2))
        assert [v.premises_id for v in visits.newest_first(window)[0]] == [flat]
    finally:
        app.close()
