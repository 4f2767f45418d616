"""The Visit and Premises aggregates: Given/When/Then for each rule and state change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.visits.domain import Visit
from services.visits.errors import (
    AmbiguousPremises,
    CompletedBeforeStarted,
    ContactAlreadyLinked,
    ContradictoryOutcome,
    DuplicateConcern,
    DuplicateContact,
    DuplicateFollowUp,
    DuplicateObservation,
    FollowUpDueBeforeOffered,
    OccurredBeforeVisitStarted,
    ResolvedBeforeRaised,
    UnknownConcern,
    UnknownContact,
    UnknownSource,
    VisitAlreadyCompleted,
    VisitError,
    VisitFull,
    VolunteerNotOnVisit,
)
from services.visits.premises import CorrectedBeforeRegistered, Premises
from services.visits.visit.limits import (
    MAX_CONTACTS,
    MAX_INDICATORS_PER_CONTACT,
    MAX_PERSON_INDICATORS,
)

START = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
LATER = START + timedelta(minutes=20)
END = START + timedelta(hours=1)


def started_visit(premises_id: UUID | None = None) -> Visit:
    return Visit(
        id=uuid4(),
        premises_id=premises_id,
        premises_label=None if premises_id else "P-12",
        team="west",
        volunteers=["v-1", "v-2"],
        languages_offered=["ro", "en"],
        occurred_at=START,
        actor="v-1",
    )


def visit_with_contact() -> tuple[Visit, UUID]:
    visit = started_visit()
    contact_id = uuid4()
    visit.make_contact(contact_id, "Ana", "ro", START + timedelta(minutes=5), "v-1")
    visit.collect_events()
    return visit, contact_id


def new_events(visit: Visit) -> list[type[object]]:
    return [type(e) for e in visit.collect_events()]


# -- starting -------------------------------------------------------------------------------


def test_given_a_new_visit_when_started_then_it_records_the_team_and_start() -> None:
    visit = started_visit()
    events = visit.collect_events()
    assert [type(e) for e in events] == [Visit.Started]
    assert visit.started_at == START and visit.completed_at is None and visit.outcome is None
    assert visit.languages_offered == ["ro", "en"]
    assert visit.premises_label == "P-12" and visit.premises_id is None


def test_given_a_registered_premises_when_a_visit_starts_there_then_it_names_its_id() -> None:
    premises_id = uuid4()
    visit = started_visit(premises_id)
    event = visit.collect_events()[0]
    assert isinstance(event, Visit.Started) and event.premises_id == premises_id
    assert visit.premises_id == premises_id and visit.premises_label is None


@pytest.mark.parametrize(("premises_id", "label"), [(None, None), (uuid4(), "P-12")])
def test_given_neither_or_both_premises_references_when_started_then_refused(
    premises_id: UUID | None, label: str | None
) -> None:
    with pytest.raises(AmbiguousPremises):
        Visit(
            id=uuid4(),
            premises_id=premises_id,
            premises_label=label,
            team="west",
            volunteers=[],
            languages_offered=[],
            occurred_at=START,
            actor="v-1",
        )


# -- contacts -------------------------------------------------------------------------------


def test_given_a_started_visit_when_contact_made_then_alias_is_a_personal_field() -> None:
    visit = started_visit()
    contact_id = uuid4()
    visit.make_contact(contact_id, "Ana", "ro", START + timedelta(minutes=5), "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.ContactMade)
    assert event.personal_fields == ("alias",) and event.personal_subject == "contact_id"
    assert visit.contacts[0].contact_id == contact_id


def test_given_a_visit_when_contact_made_with_languages_bridge_and_materials_then_kept() -> None:
    visit = started_visit()
    contact_id = uuid4()
    visit.make_contact(
        contact_id,
        "Ana",
        "ro",
        LATER,
        "v-1",
        other_languages=["ru"],
        bridging_volunteer="v-2",
        materials=["contact_card", "gift"],
    )
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.ContactMade)
    assert (event.other_languages, event.bridging_volunteer, event.materials) == (
        ["ru"],
        "v-2",
        ["contact_card", "gift"],
    )
    contact = visit.contacts[0]
    assert contact.other_languages == ("ru",) and contact.materials == ("contact_card", "gift")


def test_given_a_contact_when_the_same_contact_is_made_again_then_nothing_new_is_recorded() -> None:
    visit, contact_id = visit_with_contact()
    visit.make_contact(contact_id, "Ana", "ro", START + timedelta(minutes=5), "v-2")
    assert new_events(visit) == [] and len(visit.contacts) == 1


def test_given_a_contact_when_its_id_is_reused_with_other_content_then_refused() -> None:
    visit, contact_id = visit_with_contact()
    with pytest.raises(DuplicateContact):
        visit.make_contact(contact_id, "Bea", "ro", START + timedelta(minutes=5), "v-1")


def test_given_a_visit_when_the_bridging_volunteer_was_not_on_it_then_refused() -> None:
    visit = started_visit()
    with pytest.raises(VolunteerNotOnVisit):
        visit.make_contact(uuid4(), "Ana", "ro", LATER, "v-1", bridging_volunteer="v-9")
    assert visit.contacts == []


def test_given_a_visit_when_a_contact_is_dated_before_it_started_then_refused() -> None:
    visit = started_visit()
    with pytest.raises(OccurredBeforeVisitStarted):
        visit.make_contact(uuid4(), "Ana", "ro", START - timedelta(minutes=1), "v-1")


# -- indicators -----------------------------------------------------------------------------


def test_given_a_visit_when_a_premises_indicator_is_observed_then_it_is_recorded() -> None:
    visit = started_visit()
    observation_id = uuid4()
    visit.observe_premises_indicator(observation_id, "living_on_site", "observed", LATER, "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.PremisesIndicatorObserved)
    assert (event.indicator, event.source, event.occurred_at) == (
        "living_on_site",
        "observed",
        LATER,
    )
    assert visit.premises_indicators[0].observation_id == observation_id


def test_given_a_contact_when_a_person_indicator_is_observed_then_it_is_hers() -> None:
    visit, contact_id = visit_with_contact()
    visit.observe_person_indicator(uuid4(), contact_id, "debt_bondage", "disclosed", LATER, "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.PersonIndicatorObserved)
    assert event.contact_id == contact_id and event.source == "disclosed"
    assert visit.person_indicators[0].indicator == "debt_bondage"


def test_given_a_visit_when_a_person_indicator_names_an_unknown_contact_then_refused() -> None:
    visit = started_visit()
    with pytest.raises(UnknownContact):
        visit.observe_person_indicator(uuid4(), uuid4(), "debt_bondage", "observed", LATER, "v")


def test_given_an_indicator_when_its_source_is_unknown_then_refused() -> None:
    visit = started_visit()
    with pytest.raises(UnknownSource):
        visit.observe_premises_indicator(uuid4(), "living_on_site", "rumour", LATER, "v-1")


def test_given_an_observation_when_retried_then_nothing_new_and_other_content_refused() -> None:
    visit, contact_id = visit_with_contact()
    observation_id = uuid4()
    visit.observe_person_indicator(observation_id, contact_id, "escorted", "observed", LATER, "v")
    visit.collect_events()
    visit.observe_person_indicator(observation_id, contact_id, "escorted", "observed", LATER, "v")
    assert new_events(visit) == []
    with pytest.raises(DuplicateObservation):
        visit.observe_person_indicator(
            observation_id, contact_id, "escorted", "disclosed", LATER, "v"
        )
    with pytest.raises(DuplicateObservation):  # one id, one observation, of either kind
        visit.observe_premises_indicator(observation_id, "living_on_site", "observed", LATER, "v")


# -- follow-ups -----------------------------------------------------------------------------


def test_given_a_contact_when_a_coffee_is_offered_for_a_date_then_it_is_recorded() -> None:
    visit, contact_id = visit_with_contact()
    due = END + timedelta(days=3)
    visit.offer_follow_up(uuid4(), contact_id, "coffee", due, LATER, "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.FollowUpOffered)
    assert (event.kind, event.due_at, event.contact_id) == ("coffee", due, contact_id)


def test_given_a_follow_up_when_it_is_due_before_it_was_offered_then_refused() -> None:
    visit, contact_id = visit_with_contact()
    with pytest.raises(FollowUpDueBeforeOffered):
        visit.offer_follow_up(uuid4(), contact_id, "coffee", LATER - timedelta(hours=1), LATER, "v")


def test_given_a_follow_up_when_retried_then_nothing_new_and_other_content_refused() -> None:
    visit, contact_id = visit_with_contact()
    follow_up_id, due = uuid4(), END + timedelta(days=3)
    visit.offer_follow_up(follow_up_id, contact_id, "coffee", due, LATER, "v-1")
    visit.collect_events()
    visit.offer_follow_up(follow_up_id, contact_id, "coffee", due, LATER, "v-1")
    assert new_events(visit) == []
    with pytest.raises(DuplicateFollowUp):
        visit.offer_follow_up(follow_up_id, contact_id, "phone_call", due, LATER, "v-1")
    with pytest.raises(UnknownContact):
        visit.offer_follow_up(uuid4(), uuid4(), "coffee", due, LATER, "v-1")


# -- urgent concerns ------------------------------------------------------------------------


def test_given_a_contact_when_an_urgent_concern_is_raised_then_details_are_sealed_for_her() -> None:
    visit, contact_id = visit_with_contact()
    visit.raise_urgent_concern(uuid4(), "possible_minor", contact_id, "looks 15", LATER, "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.UrgentConcernRaised)
    assert event.personal_fields == ("details",)
    assert event.details_subject == contact_id
    assert visit.urgent_concerns[0].resolved_at is None


def test_given_no_contact_when_an_urgent_concern_is_raised_then_details_are_the_visits() -> None:
    visit = started_visit()
    visit.raise_urgent_concern(uuid4(), "violence", None, "shouting heard", LATER, "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.UrgentConcernRaised)
    assert event.contact_id is None and event.details_subject == visit.id


def test_given_a_concern_when_retried_then_nothing_new_and_other_content_refused() -> None:
    visit, contact_id = visit_with_contact()
    concern_id = uuid4()
    visit.raise_urgent_concern(concern_id, "violence", contact_id, None, LATER, "v-1")
    visit.collect_events()
    visit.raise_urgent_concern(concern_id, "violence", contact_id, None, LATER, "v-2")
    assert new_events(visit) == []
    with pytest.raises(DuplicateConcern):
        visit.raise_urgent_concern(concern_id, "medical_emergency", contact_id, None, LATER, "v")
    with pytest.raises(UnknownContact):
        visit.raise_urgent_concern(uuid4(), "violence", uuid4(), None, LATER, "v-1")


def test_given_a_concern_when_resolved_then_it_is_closed_once_whoever_resolves_it() -> None:
    visit = started_visit()
    concern_id = uuid4()
    visit.raise_urgent_concern(concern_id, "violence", None, None, LATER, "v-1")
    visit.resolve_urgent_concern(concern_id, END, "lead-1")
    assert new_events(visit)[-1] is Visit.UrgentConcernResolved
    assert visit.urgent_concerns[0].resolved_at == END
    visit.resolve_urgent_concern(concern_id, END, "lead-1")
    # A colleague who resolves it later too finds it resolved: nothing new, no error.
    visit.resolve_urgent_concern(concern_id, END + timedelta(hours=1), "lead-2")
    assert new_events(visit) == [] and visit.urgent_concerns[0].resolved_at == END


def test_given_a_concern_when_resolved_before_it_was_raised_or_unknown_then_refused() -> None:
    visit = started_visit()
    concern_id = uuid4()
    visit.raise_urgent_concern(concern_id, "violence", None, None, LATER, "v-1")
    with pytest.raises(ResolvedBeforeRaised):
        visit.resolve_urgent_concern(concern_id, LATER - timedelta(minutes=1), "lead-1")
    with pytest.raises(UnknownConcern):
        visit.resolve_urgent_concern(uuid4(), END, "lead-1")


# -- corrections and links ------------------------------------------------------------------


def test_given_a_mistyped_alias_when_corrected_then_a_new_personal_event_records_it() -> None:
    visit, contact_id = visit_with_contact()
    visit.correct_alias(contact_id, "Anna", END, "v-2")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.AliasCorrected)
    assert event.personal_fields == ("alias",) and event.personal_subject == "contact_id"
    assert visit.contacts[0].alias == "Anna"
    # The contact as made is unchanged: a late retry of it is still recognised.
    visit.make_contact(contact_id, "Ana", "ro", START + timedelta(minutes=5), "v-1")
    visit.correct_alias(contact_id, "Anna", END, "v-2")
    assert new_events(visit) == []


def test_given_an_unknown_contact_when_its_alias_is_corrected_then_refused() -> None:
    visit = started_visit()
    with pytest.raises(UnknownContact):
        visit.correct_alias(uuid4(), "Anna", END, "v-1")


def test_given_a_wrong_premises_when_corrected_then_the_visit_moves() -> None:
    visit = started_visit()
    premises_id = uuid4()
    visit.correct_premises(premises_id, None, END, "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.PremisesCorrected) and event.premises_id == premises_id
    assert (visit.premises_id, visit.premises_label) == (premises_id, None)
    visit.correct_premises(premises_id, None, END, "v-1")
    assert new_events(visit) == []
    with pytest.raises(AmbiguousPremises):
        visit.correct_premises(premises_id, "P-13", END, "v-1")


def test_given_a_contact_when_linked_to_a_person_then_once_and_to_one_person_only() -> None:
    visit, contact_id = visit_with_contact()
    person_id = uuid4()
    visit.link_contact_to_person(contact_id, person_id, END, "cw-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.ContactLinkedToPerson) and event.person_id == person_id
    assert visit.contacts[0].person_id == person_id
    visit.link_contact_to_person(contact_id, person_id, END, "cw-1")
    assert new_events(visit) == []
    with pytest.raises(ContactAlreadyLinked):
        visit.link_contact_to_person(contact_id, uuid4(), END, "cw-1")
    with pytest.raises(UnknownContact):
        visit.link_contact_to_person(uuid4(), person_id, END, "cw-1")


# -- completion -----------------------------------------------------------------------------


def test_given_a_visit_without_contacts_when_completed_then_the_outcome_is_no_answer() -> None:
    visit = started_visit()
    visit.complete(END, "v-1")
    event = visit.collect_events()[-1]
    assert isinstance(event, Visit.Completed) and event.outcome == "no_answer"
    assert (visit.completed_at, visit.outcome) == (END, "no_answer")


def test_given_a_visit_with_contacts_when_completed_then_the_outcome_is_brief_contact() -> None:
    visit, _ = visit_with_contact()
    visit.complete(END, "v-1")
    assert visit.outcome == "brief_contact"


def test_given_a_visit_when_completed_with_an_outcome_then_it_is_kept() -> None:
    visit = started_visit()
    visit.complete(END, "v-1", "refused_entry")
    assert visit.outcome == "refused_entry"


def test_given_contacts_when_the_outcome_is_no_answer_then_refused() -> None:
    visit, _ = visit_with_contact()
    with pytest.raises(ContradictoryOutcome):
        visit.complete(END, "v-1", "no_answer")
    assert visit.completed_at is None


def test_given_a_completed_visit_when_completed_again_or_contact_added_then_refused() -> None:
    visit = started_visit()
    visit.complete(START + timedelta(hours=1), "v-1")
    with pytest.raises(VisitAlreadyCompleted):
        visit.complete(START + timedelta(hours=2), "v-1")
    with pytest.raises(VisitAlreadyCompleted):
        visit.make_contact(uuid4(), "Ana", "ro", START, "v-1")


def test_given_a_completed_visit_when_the_same_completion_is_retried_then_nothing_new() -> None:
    visit = started_visit()
    visit.complete(END, "v-1", "refused_entry")
    visit.collect_events()
    visit.complete(END, "v-2", "refused_entry")
    assert new_events(visit) == []
    with pytest.raises(VisitAlreadyCompleted):
        visit.complete(END, "v-1", "conversation")


def test_given_a_visit_when_completed_before_it_started_then_refused() -> None:
    visit = started_visit()
    with pytest.raises(CompletedBeforeStarted):
        visit.complete(START - timedelta(minutes=1), "v-1")
    assert visit.completed_at is None


# What a volunteer remembers later may still be recorded on a completed visit: observations,
# follow-ups, concerns (above all), corrections and links. Only contacts and completion close.
REMEMBERED_LATER: dict[str, Callable[[Visit, UUID], None]] = {
    "premises indicator": lambda v, c: v.observe_premises_indicator(
        uuid4(), "controller_present", "observed", END, "v"
    ),
    "person indicator": lambda v, c: v.observe_person_indicator(
        uuid4(), c, "escorted", "observed", END, "v"
    ),
    "follow-up": lambda v, c: v.offer_follow_up(
        uuid4(), c, "coffee", END + timedelta(days=2), END, "v"
    ),
    "urgent concern": lambda v, c: v.raise_urgent_concern(
        uuid4(), "held_against_will", c, None, END, "v"
    ),
    "alias correction": lambda v, c: v.correct_alias(c, "Anna", END, "v"),
    "premises correction": lambda v, c: v.correct_premises(uuid4(), None, END, "v"),
    "person link": lambda v, c: v.link_contact_to_person(c, uuid4(), END, "cw-1"),
}


@pytest.mark.parametrize("step", REMEMBERED_LATER, ids=str)
def test_given_a_completed_visit_when_something_is_remembered_later_then_it_is_recorded(
    step: str,
) -> None:
    visit, contact_id = visit_with_contact()
    visit.complete(END - timedelta(minutes=10), "v-1")
    visit.collect_events()
    REMEMBERED_LATER[step](visit, contact_id)
    assert len(visit.collect_events()) == 1


@pytest.mark.parametrize("step", REMEMBERED_LATER, ids=str)
def test_given_a_visit_when_a_step_is_dated_before_it_started_then_refused(step: str) -> None:
    visit, contact_id = visit_with_contact()
    before = START - timedelta(days=1)
    steps: dict[str, Callable[[], None]] = {
        "premises indicator": lambda: visit.observe_premises_indicator(
            uuid4(), "controller_present", "observed", before, "v"
        ),
        "person indicator": lambda: visit.observe_person_indicator(
            uuid4(), contact_id, "escorted", "observed", before, "v"
        ),
        "follow-up": lambda: visit.offer_follow_up(uuid4(), contact_id, "coffee", END, before, "v"),
        "urgent concern": lambda: visit.raise_urgent_concern(
            uuid4(), "violence", None, None, before, "v"
        ),
        "alias correction": lambda: visit.correct_alias(contact_id, "Anna", before, "v"),
        "premises correction": lambda: visit.correct_premises(uuid4(), None, before, "v"),
        "person link": lambda: visit.link_contact_to_person(contact_id, uuid4(), before, "v"),
    }
    with pytest.raises(OccurredBeforeVisitStarted):
        steps[step]()
    assert visit.collect_events() == []


def test_every_visit_rule_is_a_named_visit_error() -> None:
    import services.visits.errors as errors

    named = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, Exception)
    ]
    assert all(issubclass(error, VisitError) for error in named)
    assert len(named) >= 16


# -- premises -------------------------------------------------------------------------------


def registered_premises() -> Premises:
    return Premises(
        id=uuid4(),
        label="Flat 3, blue door",
        area="soho",
        premises_type="flat",
        occurred_at=START,
        actor="v-1",
    )


def test_given_a_new_premises_when_registered_then_label_area_and_type_are_kept() -> None:
    premises = registered_premises()
    assert [type(e) for e in premises.collect_events()] == [Premises.Registered]
    assert (premises.label, premises.area, premises.premises_type) == (
        "Flat 3, blue door",
        "soho",
        "flat",
    )
    assert premises.registered_at == START and premises.registered_by == "v-1"


def test_given_a_mistyped_label_when_corrected_then_a_new_event_and_same_label_is_a_no_op() -> None:
    premises = registered_premises()
    premises.collect_events()
    premises.correct_label("Flat 3, red door", END, "v-2")
    assert [type(e) for e in premises.collect_events()] == [Premises.LabelCorrected]
    assert premises.label == "Flat 3, red door"
    premises.correct_label("Flat 3, red door", END, "v-2")
    assert premises.collect_events() == []


def test_given_a_premises_when_a_correction_is_dated_before_it_was_registered_then_refused() -> (
    None
):
    premises = registered_premises()
    with pytest.raises(CorrectedBeforeRegistered):
        premises.correct_label("Other", START - timedelta(days=1), "v-1")
    assert premises.label == "Flat 3, blue door"


# -- what one visit holds ---------------------------------------------------------------------


def test_a_visit_holds_at_most_thirty_contacts() -> None:
    visit = started_visit()
    at = START + timedelta(minutes=5)
    for _ in range(MAX_CONTACTS):
        visit.make_contact(uuid4(), "Ana", "ro", at, "v-1")
    visit.collect_events()
    with pytest.raises(VisitFull):
        visit.make_contact(uuid4(), "Ana", "ro", at, "v-1")
    assert new_events(visit) == [] and len(visit.contacts) == MAX_CONTACTS


def test_indicators_are_bounded_per_contact_and_per_visit() -> None:
    visit = started_visit()
    at = START + timedelta(minutes=5)
    contacts = [uuid4() for _ in range(MAX_PERSON_INDICATORS // MAX_INDICATORS_PER_CONTACT + 1)]
    for contact_id in contacts:
        visit.make_contact(contact_id, "Ana", "ro", at, "v-1")
    first = contacts[0]
    for _ in range(MAX_INDICATORS_PER_CONTACT):
        visit.observe_person_indicator(uuid4(), first, "escorted", "observed", at, "v-1")
    with pytest.raises(VisitFull):
        visit.observe_person_indicator(uuid4(), first, "escorted", "observed", at, "v-1")
    for contact_id in contacts[1:]:
        while len(visit.person_indicators) < MAX_PERSON_INDICATORS and (
            sum(o.contact_id == contact_id for o in visit.person_indicators)
            < MAX_INDICATORS_PER_CONTACT
        ):
            visit.observe_person_indicator(uuid4(), contact_id, "escorted", "observed", at, "v-1")
    assert len(visit.person_indicators) == MAX_PERSON_INDICATORS
    with pytest.raises(VisitFull):
        visit.observe_person_indicator(uuid4(), contacts[-1], "escorted", "observed", at, "v-1")
