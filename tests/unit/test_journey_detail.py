"""The journey as the caseworker reads it (``JourneyPublic``), compared with golden JSON recorded
from the aggregate before what is only shown moved to the journey-detail read model.

A rich journey — met on a visit, registered, consented, assessed, planned, supported, referred,
through the NRM, exited, closed and reopened — is read at several versions; an erased one shows
every personal field as absent. Set ``WAYMARK_WRITE_GOLDEN=1`` to write the file again.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from eventsourcing.persistence import Tracking

from services.cases.application import CasesApplication, JourneyNotFound
from services.cases.commands import (
    AcceptReferral,
    AchieveGoal,
    AgreeSafetyPlan,
    AssessNeeds,
    AssessRisk,
    AssignCaseworker,
    CancelAppointment,
    ChangeLanguagePreferences,
    CloseJourney,
    CompleteReferral,
    CorrectPseudonym,
    DeclineReferral,
    DropGoal,
    GiveConsent,
    MakeReferral,
    MarkPossibleMinor,
    MoveAppointment,
    NoteConcern,
    NoteFollowUp,
    NoteIndicator,
    RecordAttendance,
    RecordConclusiveGrounds,
    RecordContactLost,
    RecordExit,
    RecordFirstResponderContact,
    RecordMeeting,
    RecordNrmReferral,
    RecordReasonableGrounds,
    RecordReturnHome,
    RecordReturnToIndustry,
    Register,
    ReopenJourney,
    RequestErasure,
    ScheduleAppointment,
    SetGoal,
    StartRecoveryPeriod,
    WithdrawConsent,
)
from services.cases.domain import Journey
from services.cases.queries.journey_detail.detail import JourneyDetail, journey_detail
from services.cases.queries.journey_detail.schemas import JourneyPublic
from services.cases.values import (
    ConsentScope,
    DecisionSource,
    DeclineReason,
    ErasureReason,
    GoalDropReason,
    IndicatorSource,
    NrmOutcome,
    ReopenReason,
    RiskLevel,
)
from tests.unit.conftest import AppFactory

GOLDEN = Path(__file__).parent / "golden" / "journey_detail.json"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CW = "cw-golden"
#: Event timestamps are the store's clock: compared with the events, not with the file.
CLOCKS = ("recorded_at", "updated_at")


def uid(name: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"waymark:golden:{name}")


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


@pytest.fixture
def cases(app_for: AppFactory) -> CasesApplication:
    return app_for(CasesApplication)[0]


def rich_journey(cases: CasesApplication) -> UUID:
    """Every kind of fact a journey records, in a plausible order."""
    contact, visit = uid("contact"), uid("visit")
    cases.record_contact_from_visit(contact, visit, "ro", at(0), Tracking("visits", 1))
    journey_id = Journey.create_id(contact)
    seen = {"visit_id": visit, "contact_id": contact, "occurred_at": at(0)}
    indicator = NoteIndicator(
        observation_id=uid("indicator"),
        indicator="physical_threats",
        source=IndicatorSource.OBSERVED,
        **seen,
    )
    cases.note_from_outreach(indicator, Tracking("visits", 2))
    concern = NoteConcern(concern_id=uid("concern"), concern="violence", **seen)
    cases.note_from_outreach(concern, Tracking("visits", 3))
    follow_up = NoteFollowUp(follow_up_id=uid("follow-up"), kind="coffee", due_at=at(3), **seen)
    cases.note_from_outreach(follow_up, Tracking("visits", 4))
    cases.record_contact_from_visit(contact, uid("visit-2"), "en", at(1), Tracking("visits", 5))
    nrm_consent, share_consent = uid("consent-nrm"), uid("consent-share")
    commands = [
        Register(
            pseudonym="Golden-Pseudonym",
            preferred_languages=["ro", "en"],
            interpreter_needed=True,
            occurred_at=at(2),
        ),
        CorrectPseudonym(pseudonym="Golden-Pseudonym-2", occurred_at=at(2)),
        ChangeLanguagePreferences(preferred_languages=["ro"], interpreter_needed=False,
                                  occurred_at=at(2)),
        AssignCaseworker(caseworker_id=CW, team_id="team-a", occurred_at=at(2)),
        GiveConsent(consent_id=nrm_consent, scope=ConsentScope.NRM_REFERRAL,
                    wording_version="v3", occurred_at=at(2)),
        GiveConsent(consent_id=share_consent, scope=ConsentScope.SHARE_WITH_PARTNER,
                    partner="local_gp_practice", wording_version="v3", occurred_at=at(2)),
        AssessNeeds(needs=["housing", "health"], notes="Golden needs notes", occurred_at=at(3)),
        AssessRisk(level=RiskLevel.HIGH, indicators=["physical_threats"],
                   notes="Golden risk notes", occurred_at=at(3)),
        AgreeSafetyPlan(plan_id=uid("plan-1"), summary="Golden plan one",
                        review_on=date(2026, 4, 1), occurred_at=at(3)),
        AgreeSafetyPlan(plan_id=uid("plan-2"), summary="Golden plan two",
                        review_on=date(2026, 5, 1), occurred_at=at(4)),
        SetGoal(goal_id=uid("goal-1"), goal="ni_number_issued", target_on=date(2026, 6, 1),
                occurred_at=at(4)),
        SetGoal(goal_id=uid("goal-2"), goal="gp_registered", occurred_at=at(4)),
        SetGoal(goal_id=uid("goal-3"), goal="bank_account_opened", occurred_at=at(4)),
        AchieveGoal(goal_id=uid("goal-1"), occurred_at=at(20)),
        DropGoal(goal_id=uid("goal-2"), reason=GoalDropReason.NO_LONGER_WANTED,
                 occurred_at=at(21)),
        RecordContactLost(occurred_at=at(5)),
        RecordMeeting(meeting_id=uid("meeting-1"), meeting_type="coffee",
                      notes="Golden meeting notes", occurred_at=at(6)),
        RecordMeeting(meeting_id=uid("meeting-2"), meeting_type="english_lesson",
                      occurred_at=at(7)),
        ScheduleAppointment(appointment_id=uid("appt-1"), kind="gp", at=at(10),
                            accompanied=True, occurred_at=at(6)),
        MoveAppointment(appointment_id=uid("appt-1"), at=at(11), occurred_at=at(7)),
        RecordAttendance(appointment_id=uid("appt-1"), accompanied=False, occurred_at=at(11)),
        ScheduleAppointment(appointment_id=uid("appt-2"), kind="jobcentre", at=at(12),
                            occurred_at=at(6)),
        CancelAppointment(appointment_id=uid("appt-2"), occurred_at=at(8)),
        MakeReferral(referral_id=uid("ref-1"), partner="local_gp_practice", need="health",
                     shares_personal_data=True, respond_by=at(20), occurred_at=at(6)),
        AcceptReferral(referral_id=uid("ref-1"), occurred_at=at(7)),
        MakeReferral(referral_id=uid("ref-2"), partner="salvation_army", need="housing",
                     shares_personal_data=False, respond_by=at(20), occurred_at=at(6)),
        DeclineReferral(referral_id=uid("ref-2"), reason=DeclineReason.NO_CAPACITY,
                        occurred_at=at(8)),
        WithdrawConsent(consent_id=share_consent, occurred_at=at(9)),
        CompleteReferral(referral_id=uid("ref-1"), occurred_at=at(12)),
        MarkPossibleMinor(occurred_at=at(9)),
        RecordFirstResponderContact(partner="salvation_army", occurred_at=at(9)),
        RecordNrmReferral(partner="salvation_army", submitted_on=date(2026, 3, 12),
                          occurred_at=at(10)),
        RecordReasonableGrounds(outcome=NrmOutcome.POSITIVE, decided_on=date(2026, 3, 15),
                                learned_on=date(2026, 3, 16), source=DecisionSource.FIRST_RESPONDER,
                                occurred_at=at(14)),
        StartRecoveryPeriod(starts_on=date(2026, 3, 15), ends_on=date(2026, 4, 30),
                            occurred_at=at(14)),
        RecordConclusiveGrounds(outcome=NrmOutcome.POSITIVE, decided_on=date(2026, 4, 20),
                                learned_on=date(2026, 4, 21), source=DecisionSource.FIRST_RESPONDER,
                                occurred_at=at(50)),
        RecordExit(occurred_at=at(30)),
        RecordReturnToIndustry(occurred_at=at(31)),
        RecordExit(occurred_at=at(32)),
        RecordReturnHome(assisted=True, occurred_at=at(40)),
        CloseJourney(reason="goals_met", occurred_at=at(60)),
        ReopenJourney(reason=ReopenReason.NEW_NEED, occurred_at=at(70)),
        AssessNeeds(needs=["housing"], notes=None, occurred_at=at(71)),
    ]  # fmt: skip
    reopening = commands.index(ReopenJourney(reason=ReopenReason.NEW_NEED, occurred_at=at(70)))
    for command in commands[:reopening]:
        cases.do(journey_id, command, actor=CW)
    # Seen on a visit while her case is closed: the caseworker's attention is drawn.
    cases.record_contact_from_visit(contact, uid("visit-3"), "ro", at(65), Tracking("visits", 6))
    for command in commands[reopening:]:
        cases.do(journey_id, command, actor=CW)
    return journey_id


def shown(cases: CasesApplication, journey_id: UUID, version: int | None = None) -> dict[str, Any]:
    """The journey's JSON as the API answers it, at a version (default: now)."""
    detail = cases.journey_detail(journey_id, version=version)
    body: dict[str, Any] = JourneyPublic.of(detail).model_dump(mode="json")
    events = list(cases.repository.event_store.get(journey_id, lte=body["version"]))
    assert body["recorded_at"] == events[0].timestamp.isoformat().replace("+00:00", "Z")
    assert body["updated_at"] == events[-1].timestamp.isoformat().replace("+00:00", "Z")
    return {k: v for k, v in body.items() if k not in CLOCKS}


#: Read just after these events, besides a few plain versions (attention shows at the first two).
AFTER = (
    "ConsentWithdrawn",
    "PossibleMinorMarked",
    "ContactLost",
    "ExitedSexIndustry",
    "CaseClosed",
)


def readings(cases: CasesApplication) -> dict[str, dict[str, Any]]:
    journey_id = rich_journey(cases)
    events = list(cases.repository.event_store.get(journey_id))
    versions = {f"version {v}": v for v in (1, 2, 6, 10, 20, 30, 40)}
    for event in events:
        name = type(event).__name__
        if name in AFTER:
            versions.setdefault(f"after {name}", event.originator_version)
    found = {name: shown(cases, journey_id, version) for name, version in versions.items()}
    reopened = next(e for e in events if type(e).__name__ == "CaseReopened")
    found["closed, then seen on a visit"] = shown(
        cases, journey_id, reopened.originator_version - 1
    )
    found["now"] = shown(cases, journey_id)
    cases.do(
        journey_id,
        RequestErasure(request_id=uid("erasure"), reason=ErasureReason.SUBJECT_REQUEST,
                       occurred_at=at(80)),
        actor=CW,
    )  # fmt: skip
    cases.approve_erasure(journey_id, occurred_at=at(81), actor="admin-golden")
    found["erased"] = shown(cases, journey_id)
    return found


def test_the_journey_reads_as_it_did_when_read_from_the_aggregate(
    cases: CasesApplication,
) -> None:
    found = readings(cases)
    if os.environ.get("WAYMARK_WRITE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert found.keys() == expected.keys()
    for name, body in found.items():
        assert body == expected[name], name


def test_an_erased_journey_shows_no_personal_text(cases: CasesApplication) -> None:
    text = json.dumps(readings(cases)["erased"])
    assert "Golden" not in text and "<erased>" not in text


# --- the fold itself, from a journey's events -------------------------------------------------


def detail_of(journey: Journey) -> JourneyDetail:
    """The detail folded from every event the journey recorded (none collected before)."""
    detail = journey_detail(journey.collect_events())
    assert detail is not None
    return detail


def test_given_contacts_then_her_languages_and_last_contact_follow() -> None:
    journey = Journey(contact_id=uid("c"), occurred_at=T0, actor="system")
    assert journey.contact_id is not None
    journey.record_contact(journey.contact_id, uid("v1"), "ro", T0, "system")
    journey.record_contact(journey.contact_id, uid("v2"), "en", at(7), "system")
    detail = detail_of(journey)
    assert detail.languages == ["ro", "en"] and detail.last_contact_at == at(7)
    assert detail.opened_at == T0 and detail.journey.version == journey.version


def test_given_a_late_arriving_older_contact_then_last_contact_stays_the_newest() -> None:
    journey = Journey(contact_id=uid("c"), occurred_at=T0, actor="system")
    assert journey.contact_id is not None
    journey.record_contact(journey.contact_id, uid("v1"), "ro", at(7), "system")
    journey.record_contact(journey.contact_id, uid("v2"), "ro", T0, "system")  # offline, late
    assert detail_of(journey).last_contact_at == at(7)


def test_the_detail_shows_what_the_journey_no_longer_keeps() -> None:
    journey = Journey.register_new(uid("j"), "R-17", ["ro"], False, T0, CW)
    journey.assess_needs(["housing", "ni_number", "housing"], "lives at work", at(1), CW)
    journey.assess_risk(RiskLevel.HIGH, ["debt_bondage"], "owes 5000", at(1), CW)
    journey.agree_safety_plan(uid("p1"), "plan A", date(2026, 4, 1), at(2), CW)
    journey.agree_safety_plan(uid("p2"), "plan B", date(2026, 5, 1), at(3), CW)
    journey.agree_safety_plan(uid("p1"), "plan A", date(2026, 4, 1), at(4), CW)  # a retry
    journey.record_return_home(True, at(5), CW)
    journey.close("goals_met", at(6), CW)
    journey.reopen(ReopenReason.SHE_RETURNED, at(7), CW)
    journey.record_subject_access(uid("export"), at(8), CW)
    detail = detail_of(journey)
    assert (detail.needs, detail.needs_notes) == (["housing", "ni_number"], "lives at work")
    assert detail.needs_assessed_at == at(1)
    assert detail.risk is not None and detail.risk.level is RiskLevel.HIGH
    assert detail.safety_plan is not None and detail.safety_plan.plan_id == uid("p2")
    assert detail.returned_home_assisted is True
    assert (detail.closure_reason, detail.reopened_at) == ("goals_met", at(7))
    assert detail.subject_access_fulfilled_at == at(8)
    assert not hasattr(journey, "needs") and not hasattr(journey, "closure_reason")


def test_an_unknown_journey_has_no_detail(cases: CasesApplication) -> None:
    with pytest.raises(JourneyNotFound):
        cases.journey_detail(uid("nobody"))


# --- details kept between reads ---------------------------------------------------------------


def events_read(cases: CasesApplication, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every event the store hands out from now on."""
    handed: list[object] = []
    store = cases.repository.event_store
    original = store.get

    def counted(*args: Any, **kwargs: Any) -> Any:
        for event in original(*args, **kwargs):
            handed.append(event)
            yield event

    monkeypatch.setattr(store, "get", counted)
    return handed


def test_a_detail_read_again_reads_only_the_events_stored_since(
    cases: CasesApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey_id = rich_journey(cases)
    shown(cases, journey_id)
    handed = events_read(cases, monkeypatch)
    # When one more fact is recorded and the detail is read again
    cases.do(journey_id, AssessNeeds(needs=["money"], notes="Golden later notes",
                                     occurred_at=at(75)), actor=CW)  # fmt: skip
    handed.clear()
    again = JourneyPublic.of(cases.journey_detail(journey_id)).model_dump(mode="json")
    # Then only that event was read, and the answer is what folding every event gives
    assert [type(e).__name__ for e in handed] == ["NeedsAssessed"]
    every = journey_detail(cases.repository.event_store.get(journey_id))
    assert every is not None
    assert again == JourneyPublic.of(every).model_dump(mode="json")
    assert again["needs"] == ["money"] and again["needs_notes"] == "Golden later notes"


def test_a_kept_detail_is_not_handed_out_once_a_key_that_sealed_it_is_destroyed(
    cases: CasesApplication,
) -> None:
    journey_id = rich_journey(cases)
    assert "Golden" in json.dumps(shown(cases, journey_id))
    # When her key is destroyed without this process folding anything new (another process's
    # erasure, seen through the key table)
    cases.keyring.shred([journey_id])
    # Then her detail is folded again from events that can no longer be opened
    assert "Golden" not in json.dumps(shown(cases, journey_id))
