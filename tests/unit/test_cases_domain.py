"""The Journey aggregate: Given/When/Then for each rule and state change (no store)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import get_args
from uuid import UUID, uuid4

import pytest

from services.cases.domain import ContactAlreadyRecorded, Journey, JourneyStatus
from services.cases.errors import (
    AlreadyExited,
    AlreadyMarkedPossibleMinor,
    AlreadyMerged,
    AlreadyRegistered,
    AlreadyReturnedHome,
    AppointmentConflict,
    AppointmentNotFound,
    AppointmentNotScheduled,
    CannotMergeIntoItself,
    ConsentAlreadyWithdrawn,
    ConsentConflict,
    ConsentDoesNotCover,
    ConsentNotFound,
    ConsentRequired,
    ContactAlreadyLost,
    DatesOutOfOrder,
    GoalAlreadyAchieved,
    GoalAlreadyDropped,
    GoalConflict,
    GoalNotFound,
    InvalidReferralTransition,
    JourneyClosed,
    JourneyMerged,
    JourneyNotClosed,
    MeetingConflict,
    NoPositiveReasonableGrounds,
    NotAFirstResponder,
    NotExited,
    NotMarkedPossibleMinor,
    NotRegistered,
    NrmAlreadySubmitted,
    NrmConsentRequired,
    NrmDecisionAlreadyRecorded,
    NrmNotSubmitted,
    OpenReferralsRemain,
    PartnerNotExpected,
    PartnerRequired,
    RecoveryPeriodAlreadyStarted,
    RecoveryPeriodTooShort,
    ReferralAlreadyDeclined,
    ReferralConflict,
    ReferralNotFound,
    ReferralNotOpen,
    ReferralNotOverdue,
    RespondByNotAfterReferral,
    SafetyPlanConflict,
)
from services.cases.journey import ReferralStep
from services.cases.values import (
    AppointmentStatus,
    AttentionKind,
    ConsentScope,
    DecisionSource,
    DeclineReason,
    GoalDropReason,
    GoalStatus,
    IndicatorSource,
    NrmDecision,
    NrmOutcome,
    ReferralStatus,
    ReopenReason,
    RiskLevel,
    WithdrawalReason,
)

T0 = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
D0 = T0.date()
CW = "cw-1"


def at(days: float = 0) -> datetime:
    return T0 + timedelta(days=days)


def recorded(journey: Journey) -> list[str]:
    """The names of the events recorded since last asked."""
    return [type(e).__name__ for e in journey.collect_events()]


def contact_journey() -> Journey:
    journey = Journey(contact_id=uuid4(), occurred_at=T0, actor="system:visits")
    journey.collect_events()
    return journey


def registered() -> Journey:
    journey = Journey.register_new(uuid4(), "R-17", ["ro"], False, T0, CW)
    journey.collect_events()
    return journey


def with_consent(
    journey: Journey, scope: ConsentScope, partner: str | None = None, consent_id=None
) -> UUID:
    consent_id = consent_id or uuid4()
    journey.give_consent(consent_id, scope, partner, "v3", T0, CW)
    journey.collect_events()
    return consent_id


def with_referral(
    journey: Journey, partner: str = "housing_charity", shares: bool = False, **changes
) -> UUID:
    referral_id = uuid4()
    arguments = {
        "referral_id": referral_id,
        "partner": partner,
        "need": "housing",
        "shares_personal_data": shares,
        "consent_id": None,
        "lawful_basis": None,
        "respond_by": at(14),
        "occurred_at": T0,
        "actor": CW,
    }
    arguments.update(changes)
    journey.make_referral(**arguments)
    journey.collect_events()
    return referral_id


@pytest.fixture
def journey() -> Journey:
    return registered()


@pytest.fixture
def journey_with_open_referral(journey: Journey) -> tuple[Journey, UUID]:
    return journey, with_referral(journey)


@pytest.fixture
def journey_with_positive_reasonable_grounds(journey: Journey) -> Journey:
    with_consent(journey, ConsentScope.NRM_REFERRAL)
    journey.record_nrm_referral("salvation_army", True, D0, None, T0, CW)
    journey.record_reasonable_grounds(
        NrmDecision(
            NrmOutcome.POSITIVE,
            D0 + timedelta(days=4),
            D0 + timedelta(days=6),
            DecisionSource.FIRST_RESPONDER,
        ),
        at(6),
        CW,
    )
    journey.collect_events()
    return journey


@pytest.fixture
def closed_journey(journey: Journey) -> Journey:
    journey.close("goals_met", at(1), CW)
    journey.collect_events()
    return journey


@pytest.fixture
def merged_journey() -> Journey:
    journey = contact_journey()
    journey.merge_into(uuid4(), at(1), "system:visits")
    journey.collect_events()
    return journey


# --- opening and contacts (the first slice) ---------------------------------------------------


def test_journey_id_is_derived_from_the_contact_id() -> None:
    contact_id = uuid4()
    assert Journey.create_id(contact_id) == Journey.create_id(contact_id)
    assert Journey.create_id(contact_id) != Journey.create_id(uuid4())
    journey = Journey(contact_id=contact_id, occurred_at=T0, actor="system")
    assert journey.id == Journey.create_id(contact_id)
    assert journey.status is JourneyStatus.NEW and not journey.registered


def test_given_a_recorded_contact_when_recorded_again_then_refused() -> None:
    journey = Journey(contact_id=uuid4(), occurred_at=T0, actor="system")
    visit_id = uuid4()
    journey.record_contact(journey.contact_id, visit_id, "ro", T0, "system")
    with pytest.raises(ContactAlreadyRecorded):
        journey.record_contact(journey.contact_id, visit_id, "ro", T0, "system")


# --- registration ---------------------------------------------------------------------------


def test_when_a_woman_is_registered_directly_then_her_journey_opens_with_her_id() -> None:
    journey_id = uuid4()
    journey = Journey.register_new(journey_id, "R-17", ["ro", "en", "ro"], True, T0, CW)
    assert recorded(journey) == ["OpenedAtRegistration", "PersonRegistered"]
    assert journey.id == journey_id and journey.contact_id is None and journey.registered
    assert (journey.pseudonym, journey.preferred_languages, journey.interpreter_needed) == (
        "R-17",
        ["ro", "en"],
        True,
    )
    assert journey.status is JourneyStatus.NEW and journey.opened_by == CW


def test_given_a_contact_journey_when_she_registers_then_the_same_journey_is_hers() -> None:
    journey = contact_journey()
    journey.register("R-3", ["bg"], False, at(2), CW)
    assert recorded(journey) == ["PersonRegistered"]
    assert journey.registered and journey.registered_at == at(2)


def test_given_a_registration_when_repeated_identically_then_nothing_new_is_recorded(
    journey: Journey,
) -> None:
    journey.register("R-17", ["ro"], False, at(1), CW)
    assert recorded(journey) == []


def test_given_a_registration_when_registered_with_other_details_then_refused(
    journey: Journey,
) -> None:
    with pytest.raises(AlreadyRegistered):
        journey.register("Someone else", ["ro"], False, at(1), CW)


@pytest.mark.parametrize(
    "command",
    [
        lambda j: j.give_consent(uuid4(), ConsentScope.STORE_DATA, None, "v1", T0, CW),
        lambda j: j.assess_needs(["housing"], None, T0, CW),
        lambda j: j.assess_risk(RiskLevel.LOW, [], None, T0, CW),
        lambda j: j.set_goal(uuid4(), "gp_registered", None, T0, CW),
        lambda j: j.record_meeting(uuid4(), "coffee", None, T0, CW),
        lambda j: j.schedule_appointment(uuid4(), "gp", at(3), True, T0, CW),
        lambda j: j.make_referral(
            uuid4(), "housing_charity", "housing", False, None, None, at(9), T0, CW
        ),
        lambda j: j.record_first_responder_contact("salvation_army", True, T0, CW),
        lambda j: j.record_exit(T0, CW),
        lambda j: j.correct_pseudonym("R-9", T0, CW),
    ],
)
def test_given_an_unregistered_contact_when_casework_is_recorded_then_refused(command) -> None:
    journey = contact_journey()
    with pytest.raises(NotRegistered):
        command(journey)
    assert recorded(journey) == []


def test_given_an_unregistered_contact_then_safeguarding_steps_are_still_possible() -> None:
    journey = contact_journey()
    journey.assign_caseworker(CW, T0, CW)
    journey.mark_possible_minor(T0, CW)
    journey.record_contact_lost(at(30), CW)
    journey.close("lost_contact", at(60), CW)
    assert recorded(journey) == [
        "CaseworkerAssigned",
        "PossibleMinorMarked",
        "ContactLost",
        "CaseClosed",
    ]


def test_when_her_pseudonym_is_corrected_then_a_new_event_keeps_the_old_in_history(
    journey: Journey,
) -> None:
    journey.correct_pseudonym("R-18", at(1), CW)
    assert recorded(journey) == ["PseudonymCorrected"] and journey.pseudonym == "R-18"
    journey.correct_pseudonym("R-18", at(2), CW)  # nothing to correct
    assert recorded(journey) == []


def test_when_language_preferences_change_then_recorded_once(journey: Journey) -> None:
    journey.change_language_preferences(["ro", "en"], True, at(1), CW)
    journey.change_language_preferences(["ro", "en"], True, at(2), CW)
    assert recorded(journey) == ["LanguagePreferencesChanged"]
    assert journey.preferred_languages == ["ro", "en"] and journey.interpreter_needed


# --- consent --------------------------------------------------------------------------------


def test_when_consent_is_given_then_it_is_active_with_scope_partner_and_wording(
    journey: Journey,
) -> None:
    consent_id = uuid4()
    journey.give_consent(
        consent_id, ConsentScope.SHARE_WITH_PARTNER, "housing_charity", "v3", T0, CW
    )
    assert recorded(journey) == ["ConsentGiven"]
    consent = journey.consents[consent_id]
    assert consent.active and consent.partner == "housing_charity"
    assert consent.wording_version == "v3" and consent.given_at == T0


def test_given_a_consent_when_given_again_identically_then_nothing_new(journey: Journey) -> None:
    consent_id = with_consent(journey, ConsentScope.STORE_DATA)
    journey.give_consent(consent_id, ConsentScope.STORE_DATA, None, "v3", at(1), CW)
    assert recorded(journey) == []
    with pytest.raises(ConsentConflict):
        journey.give_consent(consent_id, ConsentScope.NRM_REFERRAL, None, "v3", at(1), CW)


def test_a_consent_to_share_must_name_the_partner_and_only_it_may(journey: Journey) -> None:
    with pytest.raises(PartnerRequired):
        journey.give_consent(uuid4(), ConsentScope.SHARE_WITH_PARTNER, None, "v3", T0, CW)
    with pytest.raises(PartnerNotExpected):
        journey.give_consent(uuid4(), ConsentScope.STORE_DATA, "unseen", "v3", T0, CW)


def test_given_a_consent_when_withdrawn_then_inactive_and_not_twice(journey: Journey) -> None:
    consent_id = with_consent(journey, ConsentScope.STORE_DATA)
    journey.withdraw_consent(consent_id, at(1), CW)
    assert recorded(journey) == ["ConsentWithdrawn"]
    assert not journey.consents[consent_id].active
    with pytest.raises(ConsentAlreadyWithdrawn):
        journey.withdraw_consent(consent_id, at(2), CW)
    with pytest.raises(ConsentNotFound):
        journey.withdraw_consent(uuid4(), at(2), CW)


def test_given_a_closed_journey_then_she_can_still_withdraw_a_consent(journey: Journey) -> None:
    consent_id = with_consent(journey, ConsentScope.STORE_DATA)
    journey.close("declined", at(1), CW)
    journey.withdraw_consent(consent_id, at(2), CW)
    assert recorded(journey) == ["CaseClosed", "ConsentWithdrawn"]


# --- caseworker -----------------------------------------------------------------------------


def test_when_a_caseworker_is_reassigned_then_the_previous_one_is_recorded(
    journey: Journey,
) -> None:
    journey.assign_caseworker("cw-1", T0, "lead-1")
    journey.assign_caseworker("cw-1", T0, "lead-1")  # already hers: nothing new
    journey.assign_caseworker("cw-2", at(1), "lead-1")
    events = journey.collect_events()
    assert [(e.caseworker_id, e.previous_caseworker_id) for e in events] == [  # type: ignore[attr-defined]
        ("cw-1", None),
        ("cw-2", "cw-1"),
    ]
    assert journey.caseworker_id == "cw-2"


# --- status: new → assessing → active -------------------------------------------------------


def test_when_needs_are_assessed_then_the_journey_moves_to_assessing_once(
    journey: Journey,
) -> None:
    journey.assess_needs(["housing", "ni_number", "housing"], "lives at work", T0, CW)
    assert recorded(journey) == ["NeedsAssessed", "AssessmentStarted"]
    assert journey.status is JourneyStatus.ASSESSING
    journey.assess_risk(RiskLevel.HIGH, ["debt_bondage"], "owes 5000", at(1), CW)
    assert recorded(journey) == ["RiskAssessed"]


@pytest.mark.parametrize(
    "support",
    [
        lambda j: j.agree_safety_plan(uuid4(), "code word", D0 + timedelta(days=30), T0, CW),
        lambda j: j.set_goal(uuid4(), "ni_number_issued", None, T0, CW),
        lambda j: j.record_meeting(uuid4(), "coffee", None, T0, CW),
        lambda j: j.schedule_appointment(uuid4(), "gp", at(3), False, T0, CW),
        lambda j: j.make_referral(
            uuid4(), "housing_charity", "housing", False, None, None, at(9), T0, CW
        ),
    ],
)
def test_when_the_first_support_is_recorded_then_the_journey_becomes_active(
    journey: Journey, support
) -> None:
    journey.assess_needs(["housing"], None, T0, CW)
    journey.collect_events()
    support(journey)
    assert recorded(journey)[-1] == "SupportStarted"
    assert journey.status is JourneyStatus.ACTIVE
    journey.record_meeting(uuid4(), "phone", None, at(1), CW)
    assert recorded(journey) == ["MeetingHeld"]  # active once


# --- safety plan, goals, meetings, appointments ---------------------------------------------


def test_safety_plans_are_idempotent_per_id(
    journey: Journey,
) -> None:
    first, second = uuid4(), uuid4()
    journey.agree_safety_plan(first, "plan A", D0 + timedelta(days=14), T0, CW)
    journey.agree_safety_plan(first, "plan A", D0 + timedelta(days=14), at(1), CW)
    journey.agree_safety_plan(second, "plan B", D0 + timedelta(days=28), at(2), CW)
    assert recorded(journey) == ["SafetyPlanAgreed", "SupportStarted", "SafetyPlanAgreed"]
    assert list(journey.safety_plans) == [first, second]
    with pytest.raises(SafetyPlanConflict):
        journey.agree_safety_plan(first, "plan C", D0 + timedelta(days=14), at(3), CW)
    with pytest.raises(DatesOutOfOrder):
        journey.agree_safety_plan(uuid4(), "late", D0 - timedelta(days=1), T0, CW)


def test_a_goal_is_set_then_achieved_ni_number_applied_then_issued(journey: Journey) -> None:
    goal_id = uuid4()
    journey.set_goal(goal_id, "ni_number_issued", D0 + timedelta(days=60), T0, CW)
    journey.achieve_goal(goal_id, at(40), CW)
    assert recorded(journey) == ["GoalSet", "SupportStarted", "GoalAchieved"]
    goal = journey.goals[goal_id]
    assert goal.status is GoalStatus.ACHIEVED and goal.closed_at == at(40)
    with pytest.raises(GoalAlreadyAchieved):
        journey.achieve_goal(goal_id, at(41), CW)
    with pytest.raises(GoalAlreadyAchieved):
        journey.drop_goal(goal_id, None, at(41), CW)


def test_a_dropped_goal_cannot_be_achieved_and_unknown_goals_are_not_found(
    journey: Journey,
) -> None:
    goal_id = uuid4()
    journey.set_goal(goal_id, "gp_registered", None, T0, CW)
    journey.drop_goal(goal_id, GoalDropReason.NO_LONGER_WANTED, at(1), CW)
    assert journey.goals[goal_id].drop_reason is GoalDropReason.NO_LONGER_WANTED
    with pytest.raises(GoalAlreadyDropped):
        journey.achieve_goal(goal_id, at(2), CW)
    with pytest.raises(GoalNotFound):
        journey.achieve_goal(uuid4(), at(2), CW)


def test_a_goal_retried_is_unchanged_and_a_different_one_under_its_id_is_refused(
    journey: Journey,
) -> None:
    goal_id = uuid4()
    journey.set_goal(goal_id, "gp_registered", None, T0, CW)
    journey.collect_events()
    journey.set_goal(goal_id, "gp_registered", None, at(1), CW)
    assert recorded(journey) == []
    with pytest.raises(GoalConflict):
        journey.set_goal(goal_id, "housing_secured", None, at(1), CW)
    with pytest.raises(DatesOutOfOrder):
        journey.set_goal(uuid4(), "gp_registered", D0 - timedelta(days=1), T0, CW)


def test_meetings_are_idempotent_per_id(journey: Journey) -> None:
    meeting_id = uuid4()
    journey.record_meeting(meeting_id, "coffee", "talked about home", T0, CW)
    journey.record_meeting(meeting_id, "coffee", "talked about home", at(1), CW)
    assert recorded(journey) == ["MeetingHeld", "SupportStarted"]
    with pytest.raises(MeetingConflict):
        journey.record_meeting(meeting_id, "phone", None, T0, CW)


def test_an_appointment_is_scheduled_moved_and_attended_accompanied(journey: Journey) -> None:
    appointment_id = uuid4()
    journey.schedule_appointment(appointment_id, "jobcentre", at(5), True, T0, CW)
    journey.move_appointment(appointment_id, at(6), at(1), CW)
    journey.move_appointment(appointment_id, at(6), at(1), CW)  # already then: nothing
    journey.record_attendance(appointment_id, True, at(6), CW)
    assert recorded(journey) == [
        "AppointmentScheduled",
        "SupportStarted",
        "AppointmentMoved",
        "AppointmentAttended",
    ]
    appointment = journey.appointments[appointment_id]
    assert appointment.status is AppointmentStatus.ATTENDED and appointment.at == at(6)
    with pytest.raises(AppointmentNotScheduled):
        journey.cancel_appointment(appointment_id, at(7), CW)


def test_a_cancelled_appointment_cannot_be_attended_moved_or_cancelled_again(
    journey: Journey,
) -> None:
    appointment_id = uuid4()
    journey.schedule_appointment(appointment_id, "gp", at(5), False, T0, CW)
    journey.cancel_appointment(appointment_id, at(1), CW)
    for command in (
        lambda: journey.record_attendance(appointment_id, False, at(5), CW),
        lambda: journey.move_appointment(appointment_id, at(8), at(2), CW),
        lambda: journey.cancel_appointment(appointment_id, at(2), CW),
    ):
        with pytest.raises(AppointmentNotScheduled):
            command()
    with pytest.raises(AppointmentNotFound):
        journey.cancel_appointment(uuid4(), at(2), CW)
    with pytest.raises(AppointmentConflict):
        journey.schedule_appointment(appointment_id, "gp", at(5), False, T0, CW)


# --- referrals: lifecycle -------------------------------------------------------------------


def test_a_referral_goes_made_acknowledged_accepted_completed(journey: Journey) -> None:
    referral_id = with_referral(journey)
    journey.acknowledge_referral(referral_id, at(1), CW)
    journey.accept_referral(referral_id, at(2), CW)
    journey.complete_referral(referral_id, at(20), CW)
    assert recorded(journey) == ["ReferralAcknowledged", "ReferralAccepted", "ReferralCompleted"]
    referral = journey.referrals[referral_id]
    assert referral.status is ReferralStatus.COMPLETED and referral.status_at == at(20)


def test_a_partner_may_accept_without_acknowledging_first(journey_with_open_referral) -> None:
    journey, referral_id = journey_with_open_referral
    journey.accept_referral(referral_id, at(1), CW)
    journey.withdraw_referral(referral_id, WithdrawalReason.NO_LONGER_NEEDED, at(2), CW)
    assert journey.referrals[referral_id].status is ReferralStatus.WITHDRAWN
    assert journey.referrals[referral_id].reason == "no_longer_needed"


def test_given_a_declined_referral_then_every_step_is_refused_as_already_declined(
    journey_with_open_referral,
) -> None:
    journey, referral_id = journey_with_open_referral
    journey.decline_referral(referral_id, DeclineReason.NO_CAPACITY, at(1), CW)
    assert journey.referrals[referral_id].reason == "no_capacity"
    for step in (
        lambda: journey.decline_referral(referral_id, None, at(2), CW),
        lambda: journey.accept_referral(referral_id, at(2), CW),
        lambda: journey.complete_referral(referral_id, at(2), CW),
        lambda: journey.withdraw_referral(referral_id, WithdrawalReason.OTHER, at(2), CW),
        lambda: journey.expire_referral(referral_id, at(30), "system"),
    ):
        with pytest.raises(ReferralAlreadyDeclined):
            step()


@pytest.mark.parametrize(
    ("closing", "then"),
    [
        (lambda j, r: j.withdraw_referral(r, WithdrawalReason.OTHER, at(1), CW), "withdrawn"),
        (lambda j, r: j.expire_referral(r, at(15), "system"), "expired"),
    ],
)
def test_given_a_closed_referral_then_it_is_not_open(
    journey_with_open_referral, closing, then
) -> None:
    journey, referral_id = journey_with_open_referral
    closing(journey, referral_id)
    assert journey.referrals[referral_id].status.value == then
    with pytest.raises(ReferralNotOpen) as refused:
        journey.acknowledge_referral(referral_id, at(16), CW)
    assert not isinstance(refused.value, ReferralAlreadyDeclined)


@pytest.mark.parametrize(
    ("given", "step"),
    [
        ([], lambda j, r: j.complete_referral(r, at(2), CW)),
        (["ack"], lambda j, r: j.acknowledge_referral(r, at(2), CW)),
        (["accept"], lambda j, r: j.decline_referral(r, None, at(2), CW)),
        (["accept"], lambda j, r: j.expire_referral(r, at(30), "system")),
    ],
)
def test_steps_out_of_order_are_invalid_referral_transitions(
    journey_with_open_referral, given, step
) -> None:
    journey, referral_id = journey_with_open_referral
    if "ack" in given:
        journey.acknowledge_referral(referral_id, at(1), CW)
    if "accept" in given:
        journey.accept_referral(referral_id, at(1), CW)
    with pytest.raises(InvalidReferralTransition):
        step(journey, referral_id)


def test_a_referral_expires_only_once_its_response_date_has_passed(
    journey_with_open_referral,
) -> None:
    journey, referral_id = journey_with_open_referral  # respond_by = at(14)
    with pytest.raises(ReferralNotOverdue):
        journey.expire_referral(referral_id, at(14), "system:referral-expiry")
    journey.acknowledge_referral(referral_id, at(1), CW)
    journey.expire_referral(referral_id, at(14.5), "system:referral-expiry")
    assert recorded(journey)[-1] == "ReferralExpired"
    assert journey.referrals[referral_id].status is ReferralStatus.EXPIRED


def test_referral_step_names_every_step_a_referral_takes_once_made() -> None:
    steps = [c for c in vars(Journey).values() if isinstance(c, type) and hasattr(c, "reaches")]
    assert steps == list(get_args(ReferralStep))


def test_unknown_referrals_are_not_found(journey: Journey) -> None:
    with pytest.raises(ReferralNotFound):
        journey.accept_referral(uuid4(), T0, CW)


def test_a_referral_retried_is_unchanged_and_a_different_one_under_its_id_is_refused(
    journey: Journey,
) -> None:
    referral_id = with_referral(journey)
    with_referral_again = {
        "referral_id": referral_id,
        "partner": "housing_charity",
        "need": "housing",
        "shares_personal_data": False,
        "consent_id": None,
        "lawful_basis": None,
        "respond_by": at(14),
        "occurred_at": at(1),
        "actor": CW,
    }
    journey.make_referral(**with_referral_again)
    assert recorded(journey) == []
    with pytest.raises(ReferralConflict):
        journey.make_referral(**{**with_referral_again, "need": "health"})


def test_a_referral_must_be_answered_after_it_is_made(journey: Journey) -> None:
    with pytest.raises(RespondByNotAfterReferral):
        with_referral(journey, respond_by=T0)


# --- referrals: consent gating --------------------------------------------------------------


def test_a_referral_sharing_her_data_without_consent_or_lawful_basis_is_refused(
    journey: Journey,
) -> None:
    with pytest.raises(ConsentRequired):
        with_referral(journey, shares=True)
    assert journey.referrals == {}


def test_a_consent_for_another_partner_does_not_cover_a_referral(journey: Journey) -> None:
    with_consent(journey, ConsentScope.SHARE_WITH_PARTNER, "unseen")
    with_consent(journey, ConsentScope.STORE_DATA)
    with pytest.raises(ConsentRequired):
        with_referral(journey, partner="housing_charity", shares=True)


def test_her_consent_for_that_partner_is_relied_on_and_recorded(journey: Journey) -> None:
    consent_id = with_consent(journey, ConsentScope.SHARE_WITH_PARTNER, "housing_charity")
    referral_id = with_referral(journey, shares=True)
    assert journey.referrals[referral_id].consent_id == consent_id


def test_a_named_consent_must_cover_the_referral(journey: Journey) -> None:
    store = with_consent(journey, ConsentScope.STORE_DATA)
    with pytest.raises(ConsentDoesNotCover):
        with_referral(journey, shares=True, consent_id=store)
    with pytest.raises(ConsentNotFound):
        with_referral(journey, shares=True, consent_id=uuid4())


def test_a_withdrawn_consent_no_longer_covers_new_sharing(journey: Journey) -> None:
    consent_id = with_consent(journey, ConsentScope.SHARE_WITH_PARTNER, "housing_charity")
    journey.withdraw_consent(consent_id, at(1), CW)
    with pytest.raises(ConsentRequired):
        with_referral(journey, shares=True)


def test_a_recorded_lawful_basis_allows_sharing_without_consent(journey: Journey) -> None:
    referral_id = with_referral(
        journey, partner="met_police", shares=True, lawful_basis="safeguarding_vital_interests"
    )
    referral = journey.referrals[referral_id]
    assert referral.consent_id is None and referral.lawful_basis == "safeguarding_vital_interests"


def test_a_referral_that_shares_nothing_needs_no_consent(journey: Journey) -> None:
    referral_id = with_referral(journey, shares=False)
    assert journey.referrals[referral_id].consent_id is None


def test_when_consent_is_withdrawn_open_referrals_relying_on_it_need_attention(
    journey: Journey,
) -> None:
    consent_id = with_consent(journey, ConsentScope.SHARE_WITH_PARTNER, "housing_charity")
    relying = with_referral(journey, shares=True)
    finished = with_referral(journey, shares=True)
    journey.decline_referral(finished, None, at(1), CW)
    on_basis = with_referral(
        journey, shares=True, consent_id=consent_id, lawful_basis="legal_obligation"
    )
    journey.withdraw_consent(consent_id, at(2), CW)
    assert [(a.kind, a.referral_id) for a in journey.attention()] == [
        (AttentionKind.REFERRAL_CONSENT_WITHDRAWN, relying)
    ]
    assert not journey.referrals[on_basis].consent_withdrawn
    # The caseworker tells the partner to stop: the referral is withdrawn and the flag clears.
    journey.withdraw_referral(relying, WithdrawalReason.CONSENT_WITHDRAWN, at(3), CW)
    assert journey.attention() == []


# --- the National Referral Mechanism --------------------------------------------------------


def test_only_a_first_responder_can_be_contacted_or_submit_for_the_nrm(journey: Journey) -> None:
    with pytest.raises(NotAFirstResponder):
        journey.record_first_responder_contact("housing_charity", False, T0, CW)
    journey.record_first_responder_contact("salvation_army", True, T0, CW)
    assert journey.nrm.first_responders_contacted == ("salvation_army",)
    with_consent(journey, ConsentScope.NRM_REFERRAL)
    with pytest.raises(NotAFirstResponder):
        journey.record_nrm_referral("local_gp_practice", False, D0, None, T0, CW)


def test_an_adult_must_consent_to_an_nrm_referral(journey: Journey) -> None:
    with_consent(journey, ConsentScope.SHARE_WITH_PARTNER, "salvation_army")
    with pytest.raises(NrmConsentRequired):
        journey.record_nrm_referral("salvation_army", True, D0, None, T0, CW)
    consent_id = with_consent(journey, ConsentScope.NRM_REFERRAL)
    journey.record_nrm_referral("salvation_army", True, D0, None, T0, CW)
    assert recorded(journey) == ["NrmReferralSubmitted", "SupportStarted"]
    assert journey.nrm.consent_id == consent_id and journey.nrm.submitted_by == "salvation_army"
    assert not journey.nrm.submitted_as_possible_minor


def test_a_withdrawn_nrm_consent_does_not_count(journey: Journey) -> None:
    consent_id = with_consent(journey, ConsentScope.NRM_REFERRAL)
    journey.withdraw_consent(consent_id, at(1), CW)
    with pytest.raises(NrmConsentRequired):
        journey.record_nrm_referral("salvation_army", True, D0, None, at(1), CW)
    with pytest.raises(ConsentDoesNotCover):
        journey.record_nrm_referral("salvation_army", True, D0, consent_id, at(1), CW)


@pytest.mark.parametrize(
    "possible_child",
    [
        lambda j: j.note_concern(uuid4(), "possible_minor", uuid4(), T0, "system:visits"),
        lambda j: j.note_indicator(
            uuid4(), "possible_under_18", IndicatorSource.OBSERVED, uuid4(), T0, "system:visits"
        ),
        lambda j: j.mark_possible_minor(T0, CW),
    ],
)
def test_a_possible_child_is_referred_without_consent(journey: Journey, possible_child) -> None:
    possible_child(journey)
    assert journey.possible_minor
    assert [a.kind for a in journey.attention()] == [AttentionKind.POSSIBLE_MINOR_NOT_REFERRED]
    journey.record_nrm_referral("met_police", True, D0, None, T0, CW)
    assert journey.nrm.submitted_as_possible_minor and journey.nrm.consent_id is None
    assert journey.attention() == []


def test_when_the_possible_minor_flag_is_cleared_her_consent_is_needed_again(
    journey: Journey,
) -> None:
    journey.mark_possible_minor(T0, CW)
    with pytest.raises(AlreadyMarkedPossibleMinor):
        journey.mark_possible_minor(T0, CW)
    journey.clear_possible_minor(at(3), CW)
    with pytest.raises(NotMarkedPossibleMinor):
        journey.clear_possible_minor(at(3), CW)
    with pytest.raises(NrmConsentRequired):
        journey.record_nrm_referral("met_police", True, D0, None, at(3), CW)


def test_an_nrm_referral_is_recorded_once(journey: Journey) -> None:
    with_consent(journey, ConsentScope.NRM_REFERRAL)
    journey.record_nrm_referral("unseen", True, D0, None, T0, CW)
    journey.collect_events()
    journey.record_nrm_referral("unseen", True, D0, None, at(1), CW)  # a retry
    assert recorded(journey) == []
    with pytest.raises(NrmAlreadySubmitted):
        journey.record_nrm_referral("migrant_help", True, D0, None, at(1), CW)
    with pytest.raises(DatesOutOfOrder):
        registered().record_nrm_referral("unseen", True, D0 + timedelta(days=2), None, T0, CW)


def test_a_reasonable_grounds_decision_needs_a_referral_and_sensible_dates(
    journey: Journey,
) -> None:
    decided, learned = D0 + timedelta(days=5), D0 + timedelta(days=9)
    with pytest.raises(NrmNotSubmitted):
        journey.record_reasonable_grounds(
            NrmDecision(NrmOutcome.POSITIVE, decided, learned, DecisionSource.SOLICITOR), at(9), CW
        )
    with_consent(journey, ConsentScope.NRM_REFERRAL)
    journey.record_nrm_referral("unseen", True, D0, None, T0, CW)
    with pytest.raises(DatesOutOfOrder):
        journey.record_reasonable_grounds(
            NrmDecision(NrmOutcome.POSITIVE, learned, decided, DecisionSource.SOLICITOR), at(9), CW
        )
    with pytest.raises(DatesOutOfOrder):
        journey.record_reasonable_grounds(
            NrmDecision(
                NrmOutcome.POSITIVE, D0 - timedelta(days=1), learned, DecisionSource.HERSELF
            ),
            at(9),
            CW,
        )
    with pytest.raises(DatesOutOfOrder):  # recorded before she could have learned it
        journey.record_reasonable_grounds(
            NrmDecision(NrmOutcome.NEGATIVE, decided, learned, DecisionSource.HERSELF), at(8), CW
        )
    journey.record_reasonable_grounds(
        NrmDecision(NrmOutcome.NEGATIVE, decided, learned, DecisionSource.HERSELF), at(9), CW
    )
    assert journey.nrm.reasonable_grounds is not None
    assert journey.nrm.reasonable_grounds.source is DecisionSource.HERSELF


def test_a_recovery_period_follows_positive_reasonable_grounds_and_lasts_30_days(
    journey_with_positive_reasonable_grounds: Journey,
) -> None:
    journey = journey_with_positive_reasonable_grounds
    starts = D0 + timedelta(days=4)
    with pytest.raises(RecoveryPeriodTooShort):
        journey.start_recovery_period(starts, starts + timedelta(days=29), at(7), CW)
    journey.start_recovery_period(starts, starts + timedelta(days=30), at(7), CW)
    assert recorded(journey) == ["RecoveryPeriodStarted"]
    journey.start_recovery_period(starts, starts + timedelta(days=30), at(8), CW)  # retry
    assert recorded(journey) == []
    with pytest.raises(RecoveryPeriodAlreadyStarted):
        journey.start_recovery_period(starts, starts + timedelta(days=45), at(8), CW)


def test_after_negative_reasonable_grounds_there_is_no_recovery_period_or_conclusive_grounds(
    journey: Journey,
) -> None:
    with pytest.raises(NoPositiveReasonableGrounds):
        journey.start_recovery_period(D0, D0 + timedelta(days=30), T0, CW)
    with_consent(journey, ConsentScope.NRM_REFERRAL)
    journey.record_nrm_referral("unseen", True, D0, None, T0, CW)
    journey.record_reasonable_grounds(
        NrmDecision(NrmOutcome.NEGATIVE, D0, D0, DecisionSource.FIRST_RESPONDER), T0, CW
    )
    with pytest.raises(NoPositiveReasonableGrounds):
        journey.start_recovery_period(D0, D0 + timedelta(days=30), T0, CW)
    with pytest.raises(NoPositiveReasonableGrounds):
        journey.record_conclusive_grounds(
            NrmDecision(NrmOutcome.POSITIVE, D0, D0, DecisionSource.HOME_OFFICE), T0, CW
        )


def test_a_conclusive_grounds_decision_is_recorded_once_with_its_source(
    journey_with_positive_reasonable_grounds: Journey,
) -> None:
    journey = journey_with_positive_reasonable_grounds
    decided, learned = D0 + timedelta(days=300), D0 + timedelta(days=310)
    with pytest.raises(DatesOutOfOrder):
        journey.record_conclusive_grounds(
            NrmDecision(NrmOutcome.POSITIVE, D0, D0, DecisionSource.SOLICITOR), at(310), CW
        )
    journey.record_conclusive_grounds(
        NrmDecision(NrmOutcome.POSITIVE, decided, learned, DecisionSource.SOLICITOR), at(310), CW
    )
    journey.record_conclusive_grounds(
        NrmDecision(NrmOutcome.POSITIVE, decided, learned, DecisionSource.SOLICITOR), at(311), CW
    )
    assert recorded(journey) == ["ConclusiveGroundsDecisionReceived"]
    with pytest.raises(NrmDecisionAlreadyRecorded):
        journey.record_conclusive_grounds(
            NrmDecision(NrmOutcome.NEGATIVE, decided, learned, DecisionSource.SOLICITOR),
            at(311),
            CW,
        )


# --- exit, return home, contact lost --------------------------------------------------------


def test_exit_from_the_sex_industry_is_reversible(journey: Journey) -> None:
    with pytest.raises(NotExited):
        journey.record_return_to_industry(T0, CW)
    journey.record_exit(T0, CW)
    with pytest.raises(AlreadyExited):
        journey.record_exit(at(1), CW)
    journey.record_return_to_industry(at(30), CW)
    journey.record_exit(at(90), CW)
    assert recorded(journey) == ["ExitedSexIndustry", "ReturnedToSexIndustry", "ExitedSexIndustry"]
    assert journey.exited and journey.exited_at == at(90)


def test_her_return_home_is_recorded_once(journey: Journey) -> None:
    journey.record_return_home(True, at(5), CW)
    assert journey.returned_home_at == at(5)
    with pytest.raises(AlreadyReturnedHome):
        journey.record_return_home(False, at(6), CW)


def test_lost_contact_is_cleared_when_she_is_met_again(journey: Journey) -> None:
    journey.record_contact_lost(at(30), CW)
    with pytest.raises(ContactAlreadyLost):
        journey.record_contact_lost(at(31), CW)
    journey.record_contact(uuid4(), uuid4(), "ro", at(40), "system:visits")
    assert journey.contact_lost_at is None
    journey.record_contact_lost(at(70), CW)
    journey.record_meeting(uuid4(), "coffee", None, at(80), CW)
    assert journey.contact_lost_at is None


# --- closure and reopening ------------------------------------------------------------------


def test_a_journey_with_open_referrals_cannot_be_closed(journey_with_open_referral) -> None:
    journey, referral_id = journey_with_open_referral
    with pytest.raises(OpenReferralsRemain) as refused:
        journey.close("goals_met", at(1), CW)
    assert str(referral_id) in str(refused.value)
    journey.withdraw_referral(referral_id, WithdrawalReason.NO_LONGER_NEEDED, at(1), CW)
    journey.close("goals_met", at(2), CW)
    assert journey.status is JourneyStatus.CLOSED and journey.closed_at == at(2)


@pytest.mark.parametrize(
    "command",
    [
        lambda j: j.assign_caseworker("cw-9", at(2), CW),
        lambda j: j.assess_needs(["health"], None, at(2), CW),
        lambda j: j.set_goal(uuid4(), "gp_registered", None, at(2), CW),
        lambda j: j.make_referral(
            uuid4(), "housing_charity", "housing", False, None, None, at(9), at(2), CW
        ),
        lambda j: j.give_consent(uuid4(), ConsentScope.STORE_DATA, None, "v1", at(2), CW),
        lambda j: j.correct_pseudonym("R-1", at(2), CW),
        lambda j: j.record_exit(at(2), CW),
        lambda j: j.mark_possible_minor(at(2), CW),
        lambda j: j.record_contact_lost(at(2), CW),
        lambda j: j.close("declined", at(2), CW),
    ],
)
def test_given_a_closed_journey_then_commands_are_refused(closed_journey: Journey, command) -> None:
    with pytest.raises(JourneyClosed):
        command(closed_journey)
    assert recorded(closed_journey) == []


def test_given_a_closed_journey_when_reopened_then_it_is_active_again(
    closed_journey: Journey,
) -> None:
    closed_journey.reopen(ReopenReason.SHE_RETURNED, at(40), CW)
    assert recorded(closed_journey) == ["CaseReopened"]
    assert closed_journey.status is JourneyStatus.ACTIVE
    closed_journey.set_goal(uuid4(), "gp_registered", None, at(41), CW)
    with pytest.raises(JourneyNotClosed):
        closed_journey.reopen(None, at(42), CW)


def test_given_a_closed_journey_outreach_facts_still_arrive_and_ask_for_attention(
    closed_journey: Journey,
) -> None:
    closed_journey.note_concern(uuid4(), "violence", uuid4(), at(20), "system:visits")
    assert recorded(closed_journey) == ["ConcernNoted"]
    assert [a.kind for a in closed_journey.attention()] == [AttentionKind.ACTIVITY_AFTER_CLOSURE]


# --- facts from outreach, links and merges --------------------------------------------------


def test_outreach_facts_are_noted_once_per_upstream_id(journey: Journey) -> None:
    observation, concern, follow_up, visit = uuid4(), uuid4(), uuid4(), uuid4()
    for _ in range(2):
        journey.note_indicator(
            observation, "debt_bondage", IndicatorSource.DISCLOSED, visit, T0, "system:visits"
        )
        journey.note_concern(concern, "violence", visit, T0, "system:visits")
        journey.note_follow_up(follow_up, "coffee", at(3), visit, T0, "system:visits")
    assert recorded(journey) == ["IndicatorNoted", "ConcernNoted", "FollowUpNoted"]
    assert journey.indicators[observation].source is IndicatorSource.DISCLOSED
    assert not journey.possible_minor


def test_a_contact_is_linked_only_to_a_registered_woman_and_once(journey: Journey) -> None:
    contact_id, visit_id = uuid4(), uuid4()
    journey.link_contact(contact_id, visit_id, T0, "system:visits")
    journey.link_contact(contact_id, visit_id, T0, "system:visits")
    assert recorded(journey) == ["ContactLinked"]
    with pytest.raises(NotRegistered):
        contact_journey().link_contact(contact_id, visit_id, T0, "system:visits")


def test_when_a_contact_journey_is_merged_then_her_journey_takes_over_what_outreach_learned(
    journey: Journey,
) -> None:
    other = contact_journey()
    visit_id = uuid4()
    other.record_contact(other.contact_id, visit_id, "ro", T0, "system:visits")
    other.note_concern(uuid4(), "possible_minor", visit_id, T0, "system:visits")
    other.note_follow_up(uuid4(), "coffee", at(2), visit_id, T0, "system:visits")
    journey.take_over_outreach_facts(other, "system:visits")
    journey.take_over_outreach_facts(other, "system:visits")  # once
    assert recorded(journey) == ["ContactRecorded", "ConcernNoted", "FollowUpNoted"]
    assert journey.possible_minor and journey.contacts == [(visit_id, other.contact_id)]


def test_a_merged_journey_refuses_commands_and_outreach_facts(merged_journey: Journey) -> None:
    assert merged_journey.status is JourneyStatus.MERGED
    for command in (
        lambda: merged_journey.assign_caseworker("cw-2", at(2), CW),
        lambda: merged_journey.reopen(None, at(2), CW),
        lambda: merged_journey.close("moved", at(2), CW),
        lambda: merged_journey.record_contact(uuid4(), uuid4(), "ro", at(2), "system:visits"),
        lambda: merged_journey.note_concern(uuid4(), "violence", uuid4(), at(2), "x"),
    ):
        with pytest.raises(JourneyMerged):
            command()


def test_a_merge_is_recorded_once_and_never_into_another_or_itself(
    merged_journey: Journey,
) -> None:
    target = merged_journey.merged_into
    assert target is not None
    merged_journey.merge_into(target, at(3), "system:visits")
    assert recorded(merged_journey) == []
    with pytest.raises(AlreadyMerged):
        merged_journey.merge_into(uuid4(), at(3), "system:visits")
    journey = contact_journey()
    with pytest.raises(CannotMergeIntoItself):
        journey.merge_into(journey.id, T0, "system:visits")


def test_every_event_keeps_the_device_clock_and_the_actor(journey: Journey) -> None:
    journey.assess_needs(["housing"], None, at(-1), "cw-7")
    events = journey.collect_events()
    assert all(e.occurred_at == at(-1) for e in events)  # type: ignore[attr-defined]
    assert all(e.actor == "cw-7" for e in events)  # type: ignore[attr-defined]
    assert all(e.timestamp > at(-1) for e in events)  # the server's clock, separately


def test_dates_in_events_are_dates(journey: Journey) -> None:
    goal_id = uuid4()
    journey.set_goal(goal_id, "gp_registered", date(2027, 1, 1), T0, CW)
    assert journey.goals[goal_id].target_on == date(2027, 1, 1)
