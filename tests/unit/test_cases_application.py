"""The cases application on a real store: journeys opened once per contact, whatever arrives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from services.cases.application import CasesApplication, JourneyNotFound
from services.cases.commands import (
    AcceptReferral,
    AgreeSafetyPlan,
    AssessNeeds,
    AssessRisk,
    AssignCaseworker,
    ChangeLanguagePreferences,
    CloseJourney,
    CompleteReferral,
    CorrectPseudonym,
    MakeReferral,
    NoteConcern,
    NoteFollowUp,
    NoteIndicator,
    RecordExit,
    RecordFirstResponderContact,
    RecordMeeting,
    RecordNrmReferral,
    Register,
    ReopenJourney,
    SetGoal,
)
from services.cases.domain import Journey
from services.cases.errors import (
    AlreadyRegistered,
    JourneyAlreadyExists,
    NotAFirstResponder,
    NotRegistered,
    ReferralConflict,
)
from services.cases.queries.caseload.projection import Caseload
from services.cases.queries.due_items.projection import DueItems
from services.cases.queries.journey_timeline.projection import JourneyTimeline
from services.cases.queries.referrals_board.projection import ReferralsBoard
from services.cases.values import (
    IndicatorSource,
    JourneyStatus,
    ReferralStatus,
    ReopenReason,
    RiskLevel,
)
from shared.errors import VersionMismatch
from shared.reference import UnknownCode
from tests.support import housing_consent, register_journey
from tests.unit.conftest import AppFactory

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def caseload_entry(caseload: Caseload, journey_id):
    entries, _ = caseload.list(limit=200, offset=0)
    return next(entry for entry in entries if entry.journey_id == journey_id)


@pytest.fixture
def cases_and_list(app_for: AppFactory):
    app, stores = app_for(CasesApplication)
    return app, Caseload(app, stores.views, stores.positions)


def test_given_a_contact_from_a_visit_then_a_journey_is_opened_for_her(cases_and_list) -> None:
    cases, _ = cases_and_list
    contact_id, visit_id = uuid4(), uuid4()
    assert cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 1))
    journey = cases.get_journey(Journey.create_id(contact_id))
    assert journey.contacts == [(visit_id, contact_id)] and journey.version == 2


def test_given_an_applied_message_when_redelivered_then_nothing_changes(cases_and_list) -> None:
    cases, _ = cases_and_list
    contact_id = uuid4()
    cases.record_contact_from_visit(contact_id, uuid4(), "ro", T0, Tracking("visits", 5))
    before = cases.max_notification_id()
    assert not cases.record_contact_from_visit(contact_id, uuid4(), "ro", T0, Tracking("visits", 5))
    assert cases.max_notification_id() == before


def test_given_messages_out_of_order_then_each_is_applied_exactly_once(cases_and_list) -> None:
    cases, _ = cases_and_list
    first, second = uuid4(), uuid4()
    assert cases.record_contact_from_visit(first, uuid4(), "ro", T0, Tracking("visits", 9))
    # A nak-ed lower position redelivered after a higher one must still be applied.
    assert cases.record_contact_from_visit(second, uuid4(), "ro", T0, Tracking("visits", 8))
    assert cases.has_applied(Tracking("visits", 8)) and cases.has_applied(Tracking("visits", 9))
    assert not cases.has_applied(Tracking("visits", 7))


def test_given_the_same_contact_republished_under_a_new_position_then_no_new_events(
    cases_and_list,
) -> None:
    cases, _ = cases_and_list
    contact_id, visit_id = uuid4(), uuid4()
    cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 1))
    before = cases.max_notification_id()
    assert cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 2))
    assert cases.max_notification_id() == before
    assert cases.has_applied(Tracking("visits", 2))


def test_given_journeys_then_the_list_projection_matches_a_rebuild(cases_and_list) -> None:
    cases, journey_list = cases_and_list
    contacts = [uuid4() for _ in range(5)]
    for position, contact_id in enumerate(contacts, start=1):
        cases.record_contact_from_visit(
            contact_id, uuid4(), "ro", T0 + timedelta(days=position), Tracking("visits", position)
        )
    journey_list.catch_up()
    live, total = journey_list.list(limit=50, offset=0)
    assert total == 5
    assert [s.journey_id for s in live] == [Journey.create_id(c) for c in reversed(contacts)]
    journey_list.positions.reset(journey_list.name)
    with journey_list.store.transaction() as cursor:
        cursor.execute(f"DELETE FROM {journey_list.store.table(journey_list.name)}")
    journey_list.catch_up()
    assert journey_list.list(limit=50, offset=0) == (live, total)


def test_given_an_unknown_journey_when_read_then_not_found(cases_and_list) -> None:
    cases, _ = cases_and_list
    with pytest.raises(JourneyNotFound):
        cases.get_journey(uuid4())


# === the support journey on a real store =====================================================

CW = "cw-1"


@pytest.fixture
def app_with_views(app_for: AppFactory):
    app, stores = app_for(CasesApplication)
    journey_list = Caseload(app, stores.views, stores.positions)
    open_referrals = ReferralsBoard(app, stores.views, stores.positions)
    DueItems(app, stores.views, stores.positions)  # the caseload joins its table
    app.open_referrals = open_referrals
    yield app, journey_list, open_referrals, stores


@pytest.fixture
def cases(app_with_views) -> CasesApplication:
    return app_with_views[0]


def register(cases: CasesApplication, journey_id=None, pseudonym: str = "R-17") -> UUID:
    journey_id = register_journey(cases, pseudonym, T0, actor=CW, journey_id=journey_id)
    return journey_id


def referral(cases: CasesApplication, journey_id: UUID, referral_id=None, **changes):
    arguments = {
        "referral_id": referral_id or uuid4(),
        "partner": "housing_charity",
        "need": "housing",
        "shares_personal_data": False,
        "consent_id": None,
        "lawful_basis": None,
        "respond_by": T0 + timedelta(days=14),
        "occurred_at": T0,
    }
    expected = changes.pop("expected_version", None)
    arguments.update(changes)
    return cases.do(
        journey_id,
        MakeReferral(**arguments),
        actor=CW,
        expected=None if expected is None else {expected},
    )


def test_a_registration_is_created_once_and_a_retry_returns_it(cases: CasesApplication) -> None:
    journey_id = uuid4()
    registration = Register(
        pseudonym="R-17", preferred_languages=["ro", "en"], interpreter_needed=True, occurred_at=T0
    )
    first = cases.register_person(journey_id, registration, actor=CW)
    before = cases.max_notification_id()
    retried = replace(registration, occurred_at=T0 + timedelta(minutes=3))
    again = cases.register_person(journey_id, retried, actor=CW)
    assert first.created and not again.created
    assert again.journey.version == 2 and cases.max_notification_id() == before
    with pytest.raises(AlreadyRegistered):
        register_journey(cases, "R-99", T0, actor=CW, journey_id=journey_id)


def test_a_registration_cannot_take_the_id_of_a_contact_journey(cases: CasesApplication) -> None:
    contact_id = uuid4()
    cases.record_contact_from_visit(contact_id, uuid4(), "ro", T0, Tracking("visits", 1))
    with pytest.raises(JourneyAlreadyExists):
        register(cases, Journey.create_id(contact_id))


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda c, j: referral(c, j, partner="a_friend"), "body.partner"),
        (lambda c, j: referral(c, j, need="wings"), "body.need"),
        (
            lambda c, j: referral(c, j, shares_personal_data=True, lawful_basis="because"),
            "body.lawful_basis",
        ),
        (
            lambda c, j: c.do(
                j,
                AssessNeeds(needs=["housing", "Maria's flat"], notes=None, occurred_at=T0),
                actor=CW,
            ),
            "body.needs.1",
        ),
        (
            lambda c, j: c.do(j, CloseJourney(reason="bored", occurred_at=T0), actor=CW),
            "body.reason",
        ),
        (
            lambda c, j: c.do(
                j, SetGoal(goal_id=uuid4(), goal="x", target_on=None, occurred_at=T0), actor=CW
            ),
            "body.goal",
        ),
        (
            lambda c, j: c.do(
                j,
                ChangeLanguagePreferences(
                    preferred_languages=["xx"], interpreter_needed=True, occurred_at=T0
                ),
                actor=CW,
            ),
            "body.preferred_languages.0",
        ),
    ],
)
def test_unknown_codes_are_refused_naming_the_field_and_record_nothing(
    cases: CasesApplication, command, field: str
) -> None:
    journey_id = register(cases)
    before = cases.max_notification_id()
    with pytest.raises(UnknownCode) as refused:
        command(cases, journey_id)
    assert refused.value.field == field
    assert cases.max_notification_id() == before


def test_a_stale_expected_version_is_refused_and_a_current_one_accepted(
    cases: CasesApplication,
) -> None:
    journey_id = register(cases)  # version 2
    cases.do(journey_id, AssignCaseworker(caseworker_id="cw-1", occurred_at=T0), actor=CW)
    with pytest.raises(VersionMismatch) as stale:
        cases.do(
            journey_id,
            AssignCaseworker(caseworker_id="cw-2", occurred_at=T0),
            actor=CW,
            expected={2},
        )
    assert stale.value.current_version == 3
    journey = cases.do(
        journey_id, AssignCaseworker(caseworker_id="cw-2", occurred_at=T0), actor=CW, expected={3}
    )
    assert journey.version == 4 and journey.caseworker_id == "cw-2"


def test_a_stale_client_breaking_a_rule_is_told_to_reload_first(cases: CasesApplication) -> None:
    journey_id = register(cases)
    cases.do(journey_id, RecordExit(occurred_at=T0), actor=CW)  # version 3
    with pytest.raises(VersionMismatch):
        cases.do(journey_id, RecordExit(occurred_at=T0), actor=CW, expected={2})


def test_a_retry_after_a_lost_response_returns_the_journey_unchanged(
    cases: CasesApplication,
) -> None:
    journey_id = register(cases)
    referral_id = uuid4()
    made = referral(cases, journey_id, referral_id, expected_version=2)
    before = cases.max_notification_id()
    # The phone never saw the answer and retries with the version it had read.
    again = referral(cases, journey_id, referral_id, expected_version=2)
    assert again.version == made.version and cases.max_notification_id() == before
    with pytest.raises(ReferralConflict):
        referral(cases, journey_id, referral_id, need="health")


def test_two_writers_on_one_version_the_second_loses(cases: CasesApplication) -> None:
    journey_id = register(cases)
    mine, theirs = cases.get_journey(journey_id), cases.get_journey(journey_id)
    mine.assign_caseworker("cw-1", T0, CW)
    theirs.assign_caseworker("cw-2", T0, CW)
    cases.save(mine)
    with pytest.raises(IntegrityError):
        cases.save(theirs)
    assert cases.get_journey(journey_id).caseworker_id == "cw-1"


def test_a_whole_journey_from_registration_to_closure_and_back(app_with_views) -> None:
    cases, journey_list, open_referrals, _ = app_with_views
    journey_id = register(cases)
    consent_id = uuid4()
    cases.do(journey_id, housing_consent(consent_id=consent_id, occurred_at=T0), actor=CW)
    cases.do(
        journey_id, AssessNeeds(needs=["housing"], notes="sleeps at work", occurred_at=T0), actor=CW
    )
    referral_id = uuid4()
    referral(cases, journey_id, referral_id, shares_personal_data=True)
    cases.do(journey_id, AcceptReferral(referral_id=referral_id, occurred_at=T0), actor=CW)
    cases.do(journey_id, CompleteReferral(referral_id=referral_id, occurred_at=T0), actor=CW)
    cases.do(journey_id, CloseJourney(reason="goals_met", occurred_at=T0), actor=CW)
    journey_list.catch_up()
    summary = caseload_entry(journey_list, journey_id)
    assert summary is not None and summary.status == "closed"
    assert summary.version == cases.get_journey(journey_id).version
    journey = cases.do(
        journey_id, ReopenJourney(reason=ReopenReason.NEW_NEED, occurred_at=T0), actor=CW
    )
    assert journey.status is JourneyStatus.ACTIVE
    assert journey.referrals[referral_id].consent_id == consent_id
    journey_list.catch_up()
    assert caseload_entry(journey_list, journey_id).status == "active"
    assert open_referrals.overdue(T0 + timedelta(days=100), 10) == []


def test_the_timeline_shows_both_clocks_and_the_actor_newest_first(app_with_views) -> None:
    cases, _, _, stores = app_with_views
    timeline = JourneyTimeline(cases, stores.views, stores.positions)
    journey_id = register(cases)
    cases.do(
        journey_id,
        RecordMeeting(
            meeting_id=uuid4(), meeting_type="coffee", notes="Private notes-8c1f", occurred_at=T0
        ),
        actor="cw-7",
    )
    timeline.catch_up()
    rows, total = timeline.for_journey(journey_id)
    assert total == 4
    meeting = next(r for r in rows if r.event == "meeting_held")
    assert meeting.occurred_at == T0 and meeting.actor == "cw-7" and meeting.version == 3
    assert meeting.recorded_at > T0 and meeting.source == "casework"
    assert meeting.details["meeting_type"] == "coffee" and "notes" not in meeting.details
    assert [r.occurred_at for r in rows] == sorted((r.occurred_at for r in rows), reverse=True)
    assert timeline.for_journey(uuid4()) == ([], 0)


# --- referral expiry ------------------------------------------------------------------------


def test_overdue_referrals_are_expired_and_only_those(app_with_views) -> None:
    cases, _, open_referrals, _ = app_with_views
    journey_id = register(cases)
    overdue, later, answered = uuid4(), uuid4(), uuid4()
    referral(cases, journey_id, overdue, respond_by=T0 + timedelta(days=5))
    referral(cases, journey_id, later, respond_by=T0 + timedelta(days=30))
    referral(cases, journey_id, answered, respond_by=T0 + timedelta(days=5))
    open_referrals.catch_up()
    # The partner answered after the read model was last updated: the journey decides.
    cases.do(journey_id, AcceptReferral(referral_id=answered, occurred_at=T0), actor=CW)
    now = T0 + timedelta(days=6)
    assert cases.expire_overdue_referrals(now) == 1
    journey = cases.get_journey(journey_id)
    assert journey.referrals[overdue].status is ReferralStatus.EXPIRED
    assert journey.referrals[later].status is ReferralStatus.MADE
    assert journey.referrals[answered].status is ReferralStatus.ACCEPTED
    open_referrals.catch_up()
    assert cases.expire_overdue_referrals(now) == 0
    assert open_referrals.overdue(T0 + timedelta(days=31), 10) == [(journey_id, later)]


def test_expiry_without_its_read_model_is_a_wiring_error(app_for: AppFactory) -> None:
    app, _ = app_for(CasesApplication)
    with pytest.raises(RuntimeError):
        app.expire_overdue_referrals(T0)


# --- from visits: each upstream message applied once ----------------------------------------


def test_indicators_concerns_and_follow_ups_are_applied_once(cases: CasesApplication) -> None:
    contact_id, visit_id = uuid4(), uuid4()
    cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 1))
    observation, concern, follow_up = uuid4(), uuid4(), uuid4()
    seen = {"visit_id": visit_id, "contact_id": contact_id, "occurred_at": T0}
    for _ in range(2):
        cases.note_from_outreach(
            NoteIndicator(
                observation_id=observation,
                indicator="debt_bondage",
                source=IndicatorSource.DISCLOSED,
                **seen,
            ),
            Tracking("visits", 2),
        )
        cases.note_from_outreach(
            NoteConcern(concern_id=concern, concern="possible_minor", **seen),
            Tracking("visits", 3),
        )
        cases.note_from_outreach(
            NoteFollowUp(
                follow_up_id=follow_up, kind="coffee", due_at=T0 + timedelta(days=2), **seen
            ),
            Tracking("visits", 4),
        )
    before = cases.max_notification_id()
    # The same facts republished under new positions: tracked, but nothing new on the journey.
    assert cases.note_from_outreach(
        NoteConcern(concern_id=concern, concern="possible_minor", **seen), Tracking("visits", 5)
    )
    assert cases.max_notification_id() == before
    journey = cases.get_journey(Journey.create_id(contact_id))
    assert journey.version == 5 and journey.possible_minor
    assert list(journey.indicators) == [observation] and list(journey.follow_ups) == [follow_up]


def test_an_indicator_arriving_before_the_contact_opens_her_journey(
    cases: CasesApplication,
) -> None:
    contact_id = uuid4()
    cases.note_from_outreach(_indicator(contact_id, "escorted"), Tracking("visits", 1))
    assert cases.get_journey(Journey.create_id(contact_id)).indicators


def test_a_concern_about_premises_only_is_tracked_but_touches_no_journey(
    cases: CasesApplication,
) -> None:
    before = cases.max_notification_id()
    about_premises = NoteConcern(
        concern_id=uuid4(), concern="violence", visit_id=uuid4(), contact_id=None, occurred_at=T0
    )
    assert cases.note_from_outreach(about_premises, Tracking("visits", 7))
    assert cases.max_notification_id() == before and cases.has_applied(Tracking("visits", 7))


def test_a_contact_linked_to_a_registered_woman_merges_into_her_journey(
    cases: CasesApplication,
) -> None:
    person_id = register(cases)
    contact_id, first_visit, link_visit, later_visit = uuid4(), uuid4(), uuid4(), uuid4()
    cases.record_contact_from_visit(contact_id, first_visit, "ro", T0, Tracking("visits", 1))
    her = {"contact_id": contact_id, "occurred_at": T0}
    concern = NoteConcern(concern_id=uuid4(), concern="possible_minor", visit_id=first_visit, **her)
    cases.note_from_outreach(concern, Tracking("visits", 2))
    assert cases.link_contact_to_person(
        link_visit, contact_id, person_id, T0, Tracking("visits", 3)
    )
    before = cases.max_notification_id()
    assert not cases.link_contact_to_person(
        link_visit, contact_id, person_id, T0, Tracking("visits", 3)
    )
    assert cases.max_notification_id() == before
    contact_journey = cases.get_journey(Journey.create_id(contact_id))
    assert contact_journey.status is JourneyStatus.MERGED
    assert contact_journey.merged_into == person_id
    person = cases.get_journey(person_id)
    assert person.linked_contacts == [(link_visit, contact_id)]
    assert person.contacts == [(first_visit, contact_id)] and person.possible_minor
    # Later, outreach meets her again under that contact: it reaches her journey.
    cases.record_contact_from_visit(contact_id, later_visit, "ro", T0, Tracking("visits", 4))
    follow_up = NoteFollowUp(
        follow_up_id=uuid4(), kind="coffee", due_at=T0, visit_id=later_visit, **her
    )
    cases.note_from_outreach(follow_up, Tracking("visits", 5))
    person = cases.get_journey(person_id)
    assert (later_visit, contact_id) in person.contacts and person.follow_ups
    assert cases.get_journey(Journey.create_id(contact_id)).version == contact_journey.version


def test_a_link_that_comes_before_the_contact_still_routes_it_to_her(
    cases: CasesApplication,
) -> None:
    person_id = register(cases)
    contact_id, visit_id = uuid4(), uuid4()
    cases.link_contact_to_person(visit_id, contact_id, person_id, T0, Tracking("visits", 2))
    cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 1))
    assert (visit_id, contact_id) in cases.get_journey(person_id).contacts


def test_a_woman_registered_on_her_own_contact_journey_is_linked_not_merged(
    cases: CasesApplication,
) -> None:
    contact_id, visit_id = uuid4(), uuid4()
    cases.record_contact_from_visit(contact_id, visit_id, "ro", T0, Tracking("visits", 1))
    journey_id = Journey.create_id(contact_id)
    cases.do(
        journey_id,
        Register(pseudonym="R-5", preferred_languages=[], interpreter_needed=False, occurred_at=T0),
        actor=CW,
    )
    cases.link_contact_to_person(visit_id, contact_id, journey_id, T0, Tracking("visits", 2))
    journey = cases.get_journey(journey_id)
    assert journey.status is JourneyStatus.NEW and journey.linked_contacts == [
        (visit_id, contact_id)
    ]


def test_links_that_can_never_apply_are_refused(cases: CasesApplication) -> None:
    with pytest.raises(JourneyNotFound):
        cases.link_contact_to_person(uuid4(), uuid4(), uuid4(), T0, Tracking("visits", 1))
    contact_id = uuid4()
    cases.record_contact_from_visit(contact_id, uuid4(), "ro", T0, Tracking("visits", 2))
    with pytest.raises(NotRegistered):
        cases.link_contact_to_person(
            uuid4(), uuid4(), Journey.create_id(contact_id), T0, Tracking("visits", 3)
        )
    assert not cases.has_applied(Tracking("visits", 3))


def test_a_possible_minor_from_outreach_is_referred_to_the_nrm_without_consent(
    cases: CasesApplication,
) -> None:
    contact_id = uuid4()
    cases.note_from_outreach(_indicator(contact_id, "possible_under_18"), Tracking("visits", 1))
    journey_id = Journey.create_id(contact_id)
    cases.do(
        journey_id,
        Register(pseudonym="R-8", preferred_languages=[], interpreter_needed=False, occurred_at=T0),
        actor=CW,
    )
    journey = cases.do(
        journey_id,
        RecordNrmReferral(
            partner="met_police", submitted_on=T0.date(), consent_id=None, occurred_at=T0
        ),
        actor=CW,
    )
    assert journey.nrm.submitted_as_possible_minor and journey.nrm.consent_id is None
    with pytest.raises(NotAFirstResponder):
        cases.do(
            journey_id,
            RecordFirstResponderContact(partner="jobcentre_plus", occurred_at=T0),
            actor=CW,
        )


# --- personal data at rest ------------------------------------------------------------------

MARKERS = ("Pseudo-Marker-9c1", "Notes-Marker-5e2", "Plan-Marker-7d4", "Fixed-Marker-3b8")


def record_personal_text(cases: CasesApplication) -> UUID:
    journey_id = register(cases, pseudonym=MARKERS[0])
    cases.do(journey_id, AssessNeeds(needs=["safety"], notes=MARKERS[1], occurred_at=T0), actor=CW)
    cases.do(
        journey_id,
        AssessRisk(level=RiskLevel.HIGH, indicators=[], notes=MARKERS[1], occurred_at=T0),
        actor=CW,
    )
    cases.do(
        journey_id,
        AgreeSafetyPlan(plan_id=uuid4(), summary=MARKERS[2], review_on=T0.date(), occurred_at=T0),
        actor=CW,
    )
    cases.do(
        journey_id,
        RecordMeeting(meeting_id=uuid4(), meeting_type="coffee", notes=MARKERS[1], occurred_at=T0),
        actor=CW,
    )
    cases.do(journey_id, CorrectPseudonym(pseudonym=MARKERS[3], occurred_at=T0), actor=CW)
    return journey_id


def test_personal_fields_are_sealed_in_stored_events_and_open_on_read(
    cases: CasesApplication,
) -> None:
    journey_id = record_personal_text(cases)
    stored = cases.recorder.select_events(journey_id)
    assert len(stored) == 9
    for record in stored:
        assert not any(marker.encode() in record.state for marker in MARKERS)
    assert any(b"wm1:" in record.state for record in stored)
    detail = cases.journey_detail(journey_id)
    assert detail.journey.pseudonym == MARKERS[3] and detail.needs_notes == MARKERS[1]
    assert detail.safety_plan is not None and detail.safety_plan.summary == MARKERS[2]


def test_no_personal_text_is_anywhere_in_the_sqlite_files(app_with_views, backend: str) -> None:
    if backend != "sqlite":
        return  # the PostgreSQL variant is covered by the stored-events test above
    cases, journey_list, open_referrals, stores = app_with_views
    record_personal_text(cases)
    journey_list.catch_up()
    open_referrals.catch_up()
    files = [p for p in stores.settings.service_dir.rglob("*") if p.is_file()]
    assert any(p.name.startswith("events.sqlite") for p in files)
    for path in files:
        content = path.read_bytes()
        for marker in MARKERS:
            assert marker.encode() not in content, (path.name, marker)


def _indicator(contact_id: UUID, indicator: str) -> NoteIndicator:
    """An indicator observed about her on a visit."""
    return NoteIndicator(
        observation_id=uuid4(),
        indicator=indicator,
        source=IndicatorSource.OBSERVED,
        visit_id=uuid4(),
        contact_id=contact_id,
        occurred_at=T0,
    )
