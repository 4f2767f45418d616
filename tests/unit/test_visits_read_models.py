"""The premises history equals a rebuild from the stored events, whatever valid commands ran:
visits arriving late, concerns raised and resolved, visits moved to another premises."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.visits.application import ConcernNotFound, VisitsApplication
from services.visits.commands import (
    CompletedVisit,
    ContactInput,
    RegisterPremises,
    UrgentConcernInput,
)
from services.visits.errors import VisitError
from services.visits.projections import PremisesHistory
from shared.errors import FieldError
from shared.runtime import open_stores
from shared.settings import ServiceName
from tests.support import make_settings

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


def snapshot(history: PremisesHistory) -> dict[str, list[dict[str, object]]]:
    tables = {}
    for name in (
        "premises_history_visits",
        "premises_history_contacts",
        "premises_history_concerns",
    ):
        with history.store.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT * FROM {history.store.table(name)}")
            tables[name] = sorted(cursor.fetchall(), key=repr)
    return tables


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
            app.complete_visit(visit_id, later + timedelta(hours=2), None, VOLUNTEER)
        elif kind == "concern":
            concern_id = uuid4()
            app.raise_urgent_concern(
                visit_id, UrgentConcernInput(concern_id, "violence", None, None, later), VOLUNTEER
            )
            state["concerns"].append((visit_id, concern_id, later))
        elif kind == "resolve" and state["concerns"]:
            raised_on, concern_id, raised_at = state["concerns"][which % len(state["concerns"])]
            app.resolve_urgent_concern(
                raised_on, concern_id, raised_at + timedelta(days=1), VOLUNTEER
            )
        elif kind == "move":
            app.correct_premises(
                visit_id, premises[(which + 1) % len(premises)], None, later, VOLUNTEER
            )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands=COMMANDS)
def test_any_valid_sequence_gives_a_premises_history_equal_to_a_rebuild(commands) -> None:
    with tempfile.TemporaryDirectory() as directory:
        stores = open_stores(make_settings(ServiceName.VISITS, Path(directory)))
        app = VisitsApplication(
            env=stores.event_store_env, keyring=stores.keyring, reference=stores.reference
        )
        try:
            history = PremisesHistory(app, stores.views, stores.positions)
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
            live = snapshot(history)
            history.positions.reset(history.name)
            with history.store.transaction() as cursor:
                for table in live:
                    cursor.execute(f"DELETE FROM {history.store.table(table)}")
            history.catch_up()  # rebuilt from zero
            assert snapshot(history) == live
            # Each visit is listed under the premises it was last corrected to.
            for premises_id in state["premises"]:
                page = history.history(premises_id, limit=100, offset=0)
                times = [item.started_at for item in page.items]
                assert times == sorted(times, reverse=True)
        finally:
            app.close()
            stores.close()
