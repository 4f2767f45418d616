"""The caseworker's read models: caseload, timeline, referrals board, due list — and the
property that, whatever valid commands happened, each equals a rebuild from the stored events."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.cases.application import CasesApplication
from services.cases.commands import (
    AcceptReferral,
    AchieveGoal,
    AcknowledgeReferral,
    AssessNeeds,
    AssignCaseworker,
    CancelAppointment,
    ChangeLanguagePreferences,
    ClaimJourney,
    CloseJourney,
    CompleteReferral,
    CorrectPseudonym,
    DeclineReferral,
    ExpireReferral,
    JourneyCommand,
    MarkPossibleMinor,
    MoveAppointment,
    NoteConcern,
    NoteFollowUp,
    RecordAttendance,
    Register,
    ReopenJourney,
    SetGoal,
    WithdrawReferral,
)
from services.cases.domain import Journey
from services.cases.errors import JourneyError
from services.cases.main import create_app
from services.cases.queries.caseload.projection import Caseload
from services.cases.queries.due_items.projection import DueItems
from services.cases.queries.journey_timeline.projection import JourneyTimeline
from services.cases.queries.referrals_board.projection import ReferralsBoard
from services.cases.queries.tables import Visibility
from services.cases.values import WithdrawalReason
from shared.errors import FieldError
from shared.runtime import Stores
from shared.security.roles import Role
from shared.settings import ServiceName
from shared.storage.log_follower import decode_batch
from shared.storage.projection import Projection
from tests.support import (
    app_in,
    assert_rebuilt_alike,
    bearer,
    gp_appointment,
    housing_referral,
    make_settings,
    on_fresh_stores,
    register_journey,
    registration,
    wait_until,
)
from tests.unit.conftest import AppFactory

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CW = "cw-1"


class Views:
    def __init__(self, app: CasesApplication, stores: Stores) -> None:
        args = (app, stores.views, stores.positions)
        self.caseload, self.timeline = Caseload(*args), JourneyTimeline(*args)
        self.board, self.due = ReferralsBoard(*args), DueItems(*args)
        app.open_referrals = self.board
        self.all: list[Projection] = [self.caseload, self.timeline, self.board, self.due]

    def catch_up(self) -> None:
        for view in self.all:
            view.catch_up()


@pytest.fixture
def world(app_for: AppFactory):
    app, stores = app_for(CasesApplication)
    yield app, Views(app, stores)


def register(app: CasesApplication, caseworker: str | None = CW) -> UUID:
    journey_id = register_journey(app, "R-1", T0, actor=CW)
    if caseworker:
        app.do(journey_id, AssignCaseworker(caseworker_id=caseworker, occurred_at=T0), actor=CW)
    return journey_id


def refer(app: CasesApplication, journey_id: UUID, partner: str, respond_in: timedelta) -> UUID:
    referral_id = uuid4()
    app.do(
        journey_id,
        housing_referral(
            referral_id=referral_id, respond_by=T0 + respond_in, occurred_at=T0, partner=partner
        ),
        actor=CW,
    )
    return referral_id


def referrals_taking_every_step(
    app: CasesApplication, journey_id: UUID, at: datetime
) -> dict[UUID, list[str]]:
    """Housing referrals made ``at`` (due a day later) that between them take every step a
    referral can, two days later; each one's statuses in order, from "made"."""
    later = at + timedelta(days=2)
    steps: dict[str, Callable[[UUID], JourneyCommand]] = {
        "acknowledged": lambda r: AcknowledgeReferral(referral_id=r, occurred_at=later),
        "accepted": lambda r: AcceptReferral(referral_id=r, occurred_at=later),
        "completed": lambda r: CompleteReferral(referral_id=r, occurred_at=later),
        "declined": lambda r: DeclineReferral(referral_id=r, reason=None, occurred_at=later),
        "withdrawn": lambda r: WithdrawReferral(
            referral_id=r, reason=WithdrawalReason.NO_LONGER_NEEDED, occurred_at=later
        ),
        "expired": lambda r: ExpireReferral(referral_id=r, occurred_at=later),
    }
    taken: dict[UUID, list[str]] = {}
    for path in (
        ["acknowledged", "accepted", "completed"],
        ["declined"],
        ["withdrawn"],
        ["expired"],
    ):
        referral_id = uuid4()
        made = housing_referral(
            referral_id=referral_id, respond_by=at + timedelta(days=1), occurred_at=at
        )
        app.do(journey_id, made, actor=CW)
        for status in path:
            app.do(journey_id, steps[status](referral_id), actor=CW)
        taken[referral_id] = ["made", *path]
    return taken


def test_the_caseload_filters_by_caseworker_and_puts_what_is_due_first(world) -> None:
    app, views = world
    mine_later, mine_soon, theirs = register(app), register(app), register(app, "cw-2")
    unassigned = register(app, caseworker=None)
    for journey_id, days in ((mine_later, 9), (mine_soon, 2), (theirs, 1)):
        app.do(
            journey_id,
            gp_appointment(at=T0 + timedelta(days=days), occurred_at=T0, accompanied=True),
            actor=CW,
        )
    views.catch_up()
    mine, total = views.caseload.list(caseworker_id=CW)
    assert total == 2 and [e.journey_id for e in mine] == [mine_soon, mine_later]
    assert mine[0].next_due_at == T0 + timedelta(days=2) and mine[0].registered
    soon, _ = views.caseload.list(due_before=T0 + timedelta(days=3))
    assert {e.journey_id for e in soon} == {mine_soon, theirs}
    assert [e.journey_id for e in views.caseload.list(unassigned=True)[0]] == [unassigned]
    page, total = views.caseload.list(limit=2, offset=2)
    assert total == 4 and len(page) == 2


def test_the_intake_queue_shows_open_unassigned_journeys_oldest_first_with_codes(world) -> None:
    app, views = world
    newer, older, contact = uuid4(), uuid4(), uuid4()
    app.record_contact_from_visit(contact, uuid4(), "ro", T0 + timedelta(hours=2), Tracking("v", 1))
    app.record_contact_from_visit(contact, uuid4(), "bg", T0 + timedelta(hours=3), Tracking("v", 2))
    app.note_from_outreach(_possible_minor(contact, T0), Tracking("v", 3))
    for journey_id, hours in ((newer, 5), (older, 1)):
        app.register_person(
            journey_id,
            Register(
                pseudonym="R-2",
                preferred_languages=["pl"],
                interpreter_needed=True,
                occurred_at=T0 + timedelta(hours=hours),
            ),
            actor=CW,
        )
    taken, closed = register(app), register(app, caseworker=None)
    app.do(closed, CloseJourney(reason="goals_met", occurred_at=T0), actor=CW)
    views.catch_up()
    queue, total = views.caseload.intake()
    met = Journey.create_id(contact)
    assert total == 3 and [e.journey_id for e in queue] == [older, met, newer]
    assert taken not in [e.journey_id for e in queue]
    from_visit = queue[1]
    assert from_visit.languages == ("ro", "bg") and from_visit.contact_count == 2
    assert from_visit.possible_minor and from_visit.urgent_concerns == 1
    assert not from_visit.registered and from_visit.preferred_languages == ()
    assert queue[0].preferred_languages == ("pl",) and queue[0].interpreter_needed
    assert [e.journey_id for e in views.caseload.intake(limit=1, offset=2)[0]] == [newer]
    app.do(met, ClaimJourney(caseworker_id="cw-9", occurred_at=T0, team_id="north"), actor="cw-9")
    views.catch_up()
    assert met not in [e.journey_id for e in views.caseload.intake()[0]]


def test_a_journey_is_found_by_any_contact_she_was_known_by(world) -> None:
    app, views = world
    person = register(app)
    opened_by, linked = uuid4(), uuid4()
    app.record_contact_from_visit(opened_by, uuid4(), "ro", T0, Tracking("v", 1))
    app.link_contact_to_person(uuid4(), linked, person, T0, Tracking("v", 2))
    views.catch_up()
    for contact in (opened_by, linked):
        found, total = views.caseload.list(contact_id=contact)
        expected = [person] if contact == linked else [Journey.create_id(opened_by)]
        assert total == 1 and [e.journey_id for e in found] == expected
    mine, _ = views.caseload.list(caseworker_id=CW)
    assert mine[0].contact_ids == (linked,)
    assert views.caseload.list(contact_id=uuid4()) == ([], 0)
    hidden = Visibility("cw-other", "south")
    assert views.caseload.list(contact_id=linked, visible_to=hidden) == ([], 0)


def test_the_timeline_as_of_a_moment_shows_only_what_was_recorded_by_then(world) -> None:
    app, views = world
    journey_id = register(app)
    views.catch_up()
    rows, total = views.timeline.for_journey(journey_id)
    known_at = max(row.recorded_at for row in rows)
    app.do(journey_id, MarkPossibleMinor(occurred_at=T0 - timedelta(days=1)), actor=CW)
    views.catch_up()
    assert views.timeline.for_journey(journey_id)[1] == total + 1
    then, then_total = views.timeline.for_journey(journey_id, as_of=known_at)
    assert then_total == total and then == rows


def test_the_timeline_sorts_a_late_contact_by_when_it_happened(world) -> None:
    app, views = world
    contact = uuid4()
    journey_id = Journey.create_id(contact)
    app.record_contact_from_visit(
        contact, uuid4(), "ro", T0 + timedelta(days=7), Tracking("visits", 1)
    )
    # An offline app delivers an older contact afterwards.
    app.record_contact_from_visit(contact, uuid4(), "ro", T0, Tracking("visits", 2))
    views.catch_up()
    rows, _ = views.timeline.for_journey(journey_id)
    contacts = [r for r in rows if r.event == "contact_recorded"]
    assert [r.occurred_at for r in contacts] == [T0 + timedelta(days=7), T0]
    assert [r.version for r in contacts] == [2, 3]  # recorded in the other order
    assert all(r.source == "outreach" for r in contacts)
    entry = views.caseload.list()[0][0]
    assert entry.last_contact_at == T0 + timedelta(days=7) and entry.contact_count == 2


YEAR_999 = datetime(999, 12, 31, 20, 0, tzinfo=UTC)


def test_given_year_999_dates_in_the_log_when_read_then_the_caseload_due_list_and_timeline_answer(
    tmp_path: Path, database: tuple[str | None, str | None]
) -> None:
    url, prefix = database
    settings = make_settings(
        ServiceName.CASES, tmp_path / "var", database_url=url, schema_prefix=prefix
    )
    lead = bearer(Role.SAFEGUARDING_LEAD, subject=CW)
    with TestClient(create_app(settings), headers=lead) as client:
        app = app_in(client, CasesApplication)
        # Recorded through the application, as events in the log from before the API bounded
        # dates were: a contact on a visit in year 999, an assessment and an appointment too.
        contact = uuid4()
        journey_id = Journey.create_id(contact)
        app.record_contact_from_visit(contact, uuid4(), "ro", YEAR_999, Tracking("visits", 1))
        app.do(journey_id, registration("R-1", T0), actor=CW)
        app.do(
            journey_id, AssessNeeds(needs=["housing"], notes=None, occurred_at=YEAR_999), actor=CW
        )
        app.do(
            journey_id,
            gp_appointment(at=YEAR_999.replace(month=1, day=1), occurred_at=T0),
            actor=CW,
        )
        ordinary = register(app)

        due = wait_until(
            lambda: (r := client.get("/due")).status_code == 200 and r.json()["total"] == 1 and r,
            message="the due list with the year-999 appointment",
        )
        assert due.json()["items"][0]["due_at"] == "0999-01-01T20:00:00Z"
        # The caseload folds the same events on its own: wait for it too, not only the due list.
        journeys = wait_until(
            lambda: (
                (r := client.get("/journeys")).status_code == 200
                and len(r.json()["items"]) == 2
                and r.json()["items"][0]["next_due_at"] is not None
                and r
            ),
            message="the caseload with both journeys and her appointment due",
        )
        items = journeys.json()["items"]
        assert [i["journey_id"] for i in items] == [str(journey_id), str(ordinary)]
        assert items[0]["last_contact_at"] == "0999-12-31T20:00:00Z"
        assert items[0]["next_due_at"] == "0999-01-01T20:00:00Z"
        timeline = wait_until(
            lambda: (
                (r := client.get(f"/journeys/{journey_id}/timeline")).status_code == 200
                and any(i["event"] == "appointment_scheduled" for i in r.json()["items"])
                and r
            ),
            message="the timeline with the year-999 assessment",
        )
        times = {i["event"]: i["occurred_at"] for i in timeline.json()["items"]}
        assert times["needs_assessed"] == "0999-12-31T20:00:00Z"


def test_given_a_time_an_older_version_wrote_or_an_unreadable_one_when_read_then_the_row_is_listed(
    world,
) -> None:
    app, views = world
    journey_id = register(app)
    views.catch_up()
    store = views.caseload.store
    for value, read_as in (
        # What strftime("%Y") used to write for year 999.
        ("999-12-31T20:00:00.000000Z", YEAR_999),
        ("not a time", datetime.min.replace(tzinfo=UTC)),
    ):
        with store.transaction() as cursor:
            cursor.execute(
                f"UPDATE {store.table('caseload')} SET last_contact_at = %s WHERE journey_id = %s",
                (value, str(journey_id)),
            )
            cursor.execute(
                f"UPDATE {store.table('journey_timeline')} SET occurred_at = %s"
                " WHERE journey_id = %s",
                (value, str(journey_id)),
            )
        [entry], _ = views.caseload.list()
        assert entry.journey_id == journey_id and entry.last_contact_at == read_as
        rows, total = views.timeline.for_journey(journey_id)
        assert total == len(rows) > 0 and {r.occurred_at for r in rows} == {read_as}


def test_the_referrals_board_shows_overdue_first_and_filters(world) -> None:
    app, views = world
    journey_id = register(app)
    app.do(journey_id, AssessNeeds(needs=["housing"], notes=None, occurred_at=T0), actor=CW)
    later = refer(app, journey_id, "housing_charity", timedelta(days=30))
    overdue = refer(app, journey_id, "local_gp_practice", timedelta(days=3))
    declined = refer(app, journey_id, "housing_charity", timedelta(days=1))
    app.do(
        journey_id,
        DeclineReferral(referral_id=declined, reason=None, occurred_at=T0 + timedelta(hours=1)),
        actor=CW,
    )
    views.catch_up()
    now = T0 + timedelta(days=5)
    cards, total = views.board.board(now)
    assert total == 3 and cards[0].referral_id == overdue and cards[0].overdue
    assert {c.referral_id: c.status for c in cards}[declined] == "declined"
    by_partner, _ = views.board.board(now, partner="housing_charity", status="made")
    assert [c.referral_id for c in by_partner] == [later]
    assert views.board.overdue(now, 10) == [(journey_id, overdue)]
    assert app.expire_overdue_referrals(now) == 1
    views.catch_up()
    assert {c.referral_id: c.status for c in views.board.board(now)[0]}[overdue] == "expired"


def test_the_referrals_board_shows_the_status_each_step_leads_to(world) -> None:
    app, views = world
    taken = referrals_taking_every_step(app, register(app), T0)
    views.catch_up()
    cards, _ = views.board.board(T0 + timedelta(days=3))
    assert {c.referral_id: c.status for c in cards} == {r: s[-1] for r, s in taken.items()}
    assert all(c.updated_at == T0 + timedelta(days=2) for c in cards)


def test_the_due_list_follows_appointments_and_leaves_out_closed_journeys(world) -> None:
    app, views = world
    open_journey, closing = register(app), register(app, "cw-2")
    moved, cancelled, attended = uuid4(), uuid4(), uuid4()
    for appointment in (moved, cancelled, attended):
        app.do(
            open_journey,
            gp_appointment(at=T0 + timedelta(days=1), occurred_at=T0, appointment_id=appointment),
            actor=CW,
        )
    app.do(
        open_journey,
        MoveAppointment(appointment_id=moved, at=T0 + timedelta(days=4), occurred_at=T0),
        actor=CW,
    )
    app.do(open_journey, CancelAppointment(appointment_id=cancelled, occurred_at=T0), actor=CW)
    app.do(
        open_journey,
        RecordAttendance(
            appointment_id=attended, accompanied=True, occurred_at=T0 + timedelta(days=1)
        ),
        actor=CW,
    )
    goal = uuid4()
    app.do(
        open_journey,
        SetGoal(goal_id=goal, goal="gp_registered", target_on=date(2026, 12, 1), occurred_at=T0),
        actor=CW,
    )
    app.do(
        closing,
        gp_appointment(at=T0 + timedelta(days=2), occurred_at=T0),
        actor=CW,
    )
    app.do(closing, CloseJourney(reason="moved", occurred_at=T0), actor=CW)
    views.catch_up()
    items, total = views.due.coming_up()
    assert total == 2
    assert [(i.item_id, i.kind) for i in items] == [(moved, "appointment"), (goal, "goal_target")]
    assert items[0].due_at == T0 + timedelta(days=4) and items[0].caseworker_id == CW
    assert views.due.coming_up(caseworker_id="cw-2") == ([], 0)
    assert views.due.coming_up(before=T0 + timedelta(days=5))[1] == 1


def test_no_read_model_keeps_personal_text(world) -> None:
    app, views = world
    journey_id = register(app)
    app.do(
        journey_id,
        AssessNeeds(needs=["health"], notes="Marker-notes-71b2", occurred_at=T0),
        actor=CW,
    )
    app.do(journey_id, CorrectPseudonym(pseudonym="Marker-name-71b2", occurred_at=T0), actor=CW)
    views.catch_up()
    rows, _ = views.timeline.for_journey(journey_id)
    assert "Marker" not in repr(rows) and "Marker" not in repr(views.caseload.list())


# --- the property: projections equal a rebuild from the stored events ----------------------

COMMANDS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "register",
                "contact",
                "assign",
                "assess",
                "goal",
                "achieve",
                "appointment",
                "move",
                "cancel",
                "attend",
                "refer",
                "acknowledge",
                "decline",
                "complete",
                "expire",
                "close",
                "reopen",
                "follow_up",
                "claim",
                "concern",
                "languages",
                "link",
            ]
        ),
        st.integers(min_value=0, max_value=7),  # which journey
        st.integers(min_value=-48, max_value=48),  # hours from T0 (late and early arrivals)
    ),
    min_size=3,
    max_size=40,
)


def new_state() -> dict:
    """What ``apply_command`` remembers between commands: the ids it made, the upstream
    position."""
    return {"journeys": [], "goals": {}, "appointments": {}, "referrals": {}, "position": [0]}


def apply_command(app: CasesApplication, state: dict, command: tuple) -> None:
    kind, which, hours = command
    when = T0 + timedelta(hours=hours)
    journeys = state["journeys"]
    if kind == "register" or not journeys:
        journeys.append(register(app))
        return
    if kind == "contact":
        contact = uuid4()
        state["position"][0] += 1
        app.record_contact_from_visit(
            contact, uuid4(), "ro", when, Tracking("visits", state["position"][0])
        )
        journeys.append(Journey.create_id(contact))
        return
    journey = journeys[which % len(journeys)]

    def last(key: str) -> UUID:
        """The journey's latest sub-entity of that kind (an unknown id if it has none)."""
        mine = state[key].get(journey, [])
        return mine[-1] if mine else uuid4()

    # What a caseworker does on the journey: the command each kind makes.
    commands: dict[str, Callable[[], JourneyCommand]] = {
        "assign": lambda: AssignCaseworker(caseworker_id=f"cw-{which}", occurred_at=when),
        "assess": lambda: AssessNeeds(needs=["housing"], notes=None, occurred_at=when),
        "goal": lambda: SetGoal(
            goal_id=_new(state, "goals", journey),
            goal="gp_registered",
            target_on=date(2026, 12, 1),
            occurred_at=when,
        ),
        "achieve": lambda: AchieveGoal(goal_id=last("goals"), occurred_at=when),
        "appointment": lambda: gp_appointment(
            at=when + timedelta(days=2),
            occurred_at=when,
            appointment_id=_new(state, "appointments", journey),
        ),
        "move": lambda: MoveAppointment(
            appointment_id=last("appointments"), at=when + timedelta(days=3), occurred_at=when
        ),
        "cancel": lambda: CancelAppointment(appointment_id=last("appointments"), occurred_at=when),
        "attend": lambda: RecordAttendance(
            appointment_id=last("appointments"), accompanied=True, occurred_at=when
        ),
        "refer": lambda: housing_referral(
            referral_id=_new(state, "referrals", journey),
            respond_by=when + timedelta(days=2),
            occurred_at=when,
        ),
        "acknowledge": lambda: AcknowledgeReferral(referral_id=last("referrals"), occurred_at=when),
        "decline": lambda: DeclineReferral(
            referral_id=last("referrals"), reason=None, occurred_at=when
        ),
        "complete": lambda: CompleteReferral(referral_id=last("referrals"), occurred_at=when),
        "close": lambda: CloseJourney(reason="goals_met", occurred_at=when),
        "reopen": lambda: ReopenJourney(reason=None, occurred_at=when),
        "languages": lambda: ChangeLanguagePreferences(
            preferred_languages=["bg", "ro"],
            interpreter_needed=which % 2 == 0,
            occurred_at=when,
        ),
    }
    # What arrives otherwise: the clock, upstream messages, a claim by another caseworker.
    others: dict[str, Callable[[], object]] = {
        "expire": lambda: app.expire_overdue_referrals(when + timedelta(days=5)),
        "follow_up": lambda: _follow_up(app, state, journey, when),
        "claim": lambda: app.do(
            journey,
            ClaimJourney(caseworker_id=f"cw-{which}", occurred_at=when, team_id="north"),
            actor=f"cw-{which}",
        ),
        "concern": lambda: _concern(app, state, journey, when),
        "link": lambda: _link(app, state, journey, when),
    }
    # A refused command changes nothing: that is part of what is checked.
    with contextlib.suppress(JourneyError, FieldError):
        if kind in commands:
            app.do(journey, commands[kind](), actor=CW)
        else:
            others[kind]()


def _new(state: dict, key: str, journey: UUID) -> UUID:
    state[key].setdefault(journey, []).append(uuid4())
    return state[key][journey][-1]


def _upstream(state: dict) -> Tracking:
    state["position"][0] += 1
    return Tracking("visits", state["position"][0])


def _concern(app: CasesApplication, state: dict, journey: UUID, when: datetime) -> None:
    contact = app.get_journey(journey).contact_id
    if contact is not None:
        app.note_from_outreach(_possible_minor(contact, when), _upstream(state))


def _link(app: CasesApplication, state: dict, journey: UUID, when: datetime) -> None:
    """A new contact met on a visit turns out to be her: merged on link."""
    if app.get_journey(journey).registered:
        contact = uuid4()
        app.record_contact_from_visit(contact, uuid4(), "bg", when, _upstream(state))
        app.link_contact_to_person(uuid4(), contact, journey, when, _upstream(state))
        state["journeys"].append(Journey.create_id(contact))


def _follow_up(app: CasesApplication, state: dict, journey: UUID, when: datetime) -> None:
    opened_from_contacts = [j for j in state["journeys"] if app.get_journey(j).contact_id]
    if not opened_from_contacts:
        return
    contact = app.get_journey(opened_from_contacts[-1]).contact_id
    assert contact is not None
    state["position"][0] += 1
    follow_up = NoteFollowUp(
        follow_up_id=uuid4(),
        kind="coffee",
        due_at=when + timedelta(days=1),
        visit_id=uuid4(),
        contact_id=contact,
        occurred_at=when,
    )
    app.note_from_outreach(follow_up, Tracking("visits", state["position"][0]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands=COMMANDS)
def test_any_valid_sequence_gives_read_models_equal_to_a_rebuild(commands) -> None:
    with on_fresh_stores(ServiceName.CASES, CasesApplication) as (app, stores):
        views = Views(app, stores)
        state = new_state()
        for command in commands:
            apply_command(app, state, command)
            views.catch_up()  # live: folded a little at a time, as the service does
        assert_rebuilt_alike(views.all)


def _caseload_journey(n: int, at: datetime) -> Journey:
    """Events of every kind the caseload folds, several of them about one row in a row."""
    j = Journey.register_new(uuid4(), f"R-{n}", ["ro"], n % 2 == 0, at, CW)
    j.record_contact(uuid4(), uuid4(), "ro", at, "outreach")
    j.assign_caseworker(f"cw-{n % 3}", at, "cw-lead")
    j.change_language_preferences(["en", "ro"], True, at, CW)
    j.mark_possible_minor(at, CW)
    j.note_concern(uuid4(), "possible_minor", uuid4(), at, "outreach")
    j.clear_possible_minor(at, CW)
    referral = uuid4()
    j.make_referral(referral, "p-1", "housing", False, None, None, at + timedelta(days=9), at, CW)
    j.assign_caseworker(f"cw-{(n + 1) % 3}", at, "cw-lead")
    j.record_contact(uuid4(), uuid4(), "uk", at + timedelta(days=n), "outreach")
    j.decline_referral(referral, None, at, CW)
    if n % 3 == 0:
        j.close("other", at + timedelta(days=20), CW)
    return j


def test_the_caseload_folds_a_large_batch_to_the_same_rows_as_event_by_event(
    app_for: AppFactory,
) -> None:
    app, stores = app_for(CasesApplication)
    app.save(*(_caseload_journey(n, T0) for n in range(6)))
    one_by_one = Caseload(app, stores.views, stores.positions, batch_size=1)
    together = Caseload(
        app, stores.views, stores.positions, batch_size=1000, shadow_suffix="__together"
    )
    one_by_one.catch_up()
    together.catch_up()

    def rows(projection: Caseload, table: str) -> list[dict[str, object]]:
        with projection.store.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT * FROM {projection.store.table(table)} ORDER BY 1, 2")
            return [dict(row) for row in cursor.fetchall()]

    for table in Caseload.tables:
        assert rows(together, table) == rows(one_by_one, table), table
    assert len(rows(one_by_one, "caseload")) == 6


def test_the_caseload_reading_only_versions_of_some_events_folds_as_from_whole_events(
    app_for: AppFactory,
) -> None:
    app, stores = app_for(CasesApplication)
    journey = _caseload_journey(1, T0)
    journey.assess_needs(["housing"], "Secret notes", T0, CW)
    app.save(journey)
    own = Caseload(app, stores.views, stores.positions, batch_size=1000)
    batch = own.read_batch(0)
    skipped = [e for _, e in batch if type(e) in Caseload.reads_only_position]
    assert skipped and not hasattr(skipped[0], "notes")  # never decoded, never opened
    assert [e.originator_version for _, e in batch] == list(range(1, len(batch) + 1))
    whole = Caseload(app, stores.views, stores.positions, batch_size=1000, shadow_suffix="__whole")
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    whole.apply_batch(decode_batch(app, notifications), notifications[-1].id, 0)
    own.catch_up()
    assert own.list()[0] == whole.list()[0] != []


def _possible_minor(contact: UUID, when: datetime) -> NoteConcern:
    """An urgent concern raised on a visit: she may be a child."""
    return NoteConcern(
        concern_id=uuid4(),
        concern="possible_minor",
        visit_id=uuid4(),
        contact_id=contact,
        occurred_at=when,
    )
